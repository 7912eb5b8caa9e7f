// Inner solvers by name, for the command line and comparisons.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "almkit/core/inner_solver.h"
#include "almkit/solvers/bcd/bcd_solver.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"
#include "almkit/solvers/lbfgsb/lbfgsb_solver.h"
#include "almkit/solvers/newton/newton_cg_solver.h"

namespace almkit {

/// Options of every inner solver, so one struct can be filled from the CLI.
struct InnerSolverOptions {
  LbfgsOptions lbfgs;
  BcdOptions bcd;
  LbfgsbOptions lbfgsb;
  NewtonCgOptions newton;
};

/// Names accepted by make_inner_solver: lbfgs, newton, bcd, and lbfgsb when built with liblbfgsb.
std::vector<std::string> inner_solver_names();
/// Throws std::invalid_argument "unknown inner solver 'x' (expected: ...)".
std::unique_ptr<InnerSolver> make_inner_solver(const std::string& name, const InnerSolverOptions& options = {});

/// Empty when inner solver `name` can minimize the augmented Lagrangian of
/// `problem`; otherwise the reason, one sentence (docs/inner_solvers.md):
/// `bcd` needs a BlockProblem (closed-form blocks), `lbfgs`, `lbfgsb` and
/// `newton` take any problem.
std::string inner_solver_unsuitable(const std::string& name, const ConstrainedProblem& problem);
/// Names of the inner solvers that can solve `problem` (inner_solver_unsuitable is empty).
std::vector<std::string> inner_solver_names_for(const ConstrainedProblem& problem);
/// make_inner_solver after the check above: refuses an unsuitable solver up
/// front with std::invalid_argument carrying the reason, instead of failing
/// inside the first subproblem.
std::unique_ptr<InnerSolver> make_inner_solver(const std::string& name, const ConstrainedProblem& problem,
                                               const InnerSolverOptions& options = {});

/// The default inner solver for generic problems, chosen by the measurements
/// in docs/benchmark.md: "lbfgsb" when built with liblbfgsb, else "lbfgs".
std::string default_inner_solver_name();

}  // namespace almkit
