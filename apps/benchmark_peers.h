// Reference solvers of `almkit benchmark` (docs/benchmark.md): NLopt's AUGLAG
// + L-BFGS and SLSQP, Ipopt with a limited-memory Hessian. Each is compiled in
// only when its library was found at build time (apps/CMakeLists.txt); they
// evaluate the problem through the same counted ConstrainedProblem interface
// as almkit, so evaluation counts are comparable.
#pragma once

#include <string>
#include <vector>

#include "almkit/core/problem.h"

namespace almkit::cli {

struct PeerOptions {
  double time_limit_seconds = 60.0;  ///< per run (NLopt maxtime, Ipopt max_cpu_time)
  long max_evaluations = 100000;     ///< NLopt maxeval; Ipopt max_iter = max_evaluations / 10
};

struct PeerResult {
  Vector x;            ///< the returned point
  std::string status;  ///< the library's own status name
};

/// The reference solvers compiled into this binary: a subset of
/// "nlopt-auglag", "nlopt-slsqp", "ipopt".
std::vector<std::string> peer_solver_names();
/// Every reference solver name almkit knows, compiled in or not.
std::vector<std::string> known_peer_solver_names();
/// Runs one reference solver from problem.initial_point() projected onto the
/// bounds. Throws std::invalid_argument for a name not compiled in.
PeerResult run_peer(const std::string& name, const ConstrainedProblem& problem, const PeerOptions& options);

}  // namespace almkit::cli
