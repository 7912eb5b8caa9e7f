// Fixture of layering.unknown_folder_is_caught: a file of a known layer. Never compiled.
#pragma once
