// Fixture of layering.backward_include_is_caught: an allowed include (study may use core). Never compiled.
#pragma once
#include "almkit/core/problem.h"
