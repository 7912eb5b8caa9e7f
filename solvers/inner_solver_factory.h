// Inner solvers by name, for the command line and comparisons.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "almkit/solvers/inner_solver.h"
#include "almkit/solvers/bcd/bcd_solver.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"

namespace almkit {

/// Options of every inner solver, so one struct can be filled from the CLI.
struct InnerSolverOptions {
  LbfgsOptions lbfgs;
  BcdOptions bcd;
};

/// Names accepted by make_inner_solver.
std::vector<std::string> inner_solver_names();
/// Throws std::invalid_argument "unknown inner solver 'x' (expected: ...)".
std::unique_ptr<InnerSolver> make_inner_solver(const std::string& name, const InnerSolverOptions& options = {});

}  // namespace almkit
