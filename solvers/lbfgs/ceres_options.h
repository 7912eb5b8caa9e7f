// The one set-up of Ceres' GradientProblemSolver for L-BFGS in almkit (the
// inner solver of solvers/lbfgs/ceres_lbfgs.h and the `lbfgs` baseline of
// solvers/baselines/gradient_methods.h; docs/inner_solvers.md). Ceres 2.1's
// defaults stop far too early (50 iterations, relative function tolerance
// 1e-6): every tolerance here is explicit.
#pragma once

#include <ceres/ceres.h>

namespace almkit {

/// Ceres' iteration count is an int; larger requests are capped to this.
inline constexpr long kMaxCeresIterations = 1000000000L;

/// LBFGS directions with a Wolfe line search, rank `memory`, at most
/// max_iterations iterations and max_seconds, Ceres' absolute gradient
/// tolerance (‖∇f‖∞ ≤ gradient_tolerance), the relative function and
/// parameter tolerances (0 = off), silent.
ceres::GradientProblemSolver::Options lbfgs_solver_options(int memory, long max_iterations, double max_seconds,
                                                           double gradient_tolerance, double function_tolerance = 0.0,
                                                           double parameter_tolerance = 0.0);

}  // namespace almkit
