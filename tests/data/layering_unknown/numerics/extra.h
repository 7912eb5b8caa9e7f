// Fixture of layering.unknown_folder_is_caught: a top-level folder that is not
// in the layer table (cmake/almkit_layers.cmake), which the check must name. Never compiled.
#pragma once
#include "almkit/core/fine.h"
