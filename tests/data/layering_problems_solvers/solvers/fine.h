// Fixture of layering.problems_using_solvers_is_caught: solvers may include core. Never compiled.
#pragma once
#include "almkit/core/problem.h"
