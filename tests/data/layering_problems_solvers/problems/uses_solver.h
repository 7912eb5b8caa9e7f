// Fixture of layering.problems_using_solvers_is_caught: problems/ may include
// only core/ (docs/architecture.md "Include graph"), so this include of a
// solver must be rejected. Never compiled.
#pragma once
#include "almkit/core/problem.h"
#include "almkit/solvers/inner_solver_factory.h"
