// Fixture of layering.relative_backward_include_is_caught: the study header
// core/relative.h reaches; study may include its own folder and core. Never compiled.
#pragma once
#include "../core/relative.h"
