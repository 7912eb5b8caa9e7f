#include "almkit/core/solve_verification.h"

#include <algorithm>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace almkit {

bool fits_dense_verifier(const ConstrainedProblem& problem) {
  const double n = problem.num_variables();
  const double m = problem.num_equalities() + problem.num_inequalities();
  return n * (n + m) <= kDenseVerifierMaxEntries;
}

SolveVerification verify_solution(const ConstrainedProblem& problem, const AlmSummary& summary) {
  SolveVerification out;
  if (summary.x.size() != problem.num_variables() || !summary.x.allFinite()) {
    out.skipped = "no finite final iterate";
    return out;
  }
  if (!fits_dense_verifier(problem)) {
    out.skipped = fmt::format("{} variables, {} constraints: too large for the dense verifier; use verify_kkt / "
                              "check_nnamcq on a smaller instance",
                              problem.num_variables(), problem.num_equalities() + problem.num_inequalities());
    return out;
  }
  VerifyOptions opt;
  opt.tolerance = std::max({summary.options.tol_feasibility, summary.options.tol_stationarity,
                            summary.options.tol_complementarity});
  const bool have_y = summary.lambda.size() == problem.num_equalities() && summary.mu.size() == problem.num_inequalities();
  out.kkt = have_y ? verify_kkt(problem, summary.x, summary.lambda, summary.mu, opt) : verify_kkt(problem, summary.x, opt);
  out.nnamcq = check_nnamcq(problem, summary.x, NnamcqOptions{});
  return out;
}

std::string SolveVerification::to_string() const {
  if (!kkt) return fmt::format("verification: skipped ({})\n", skipped);
  return kkt->to_string() + nnamcq->to_string();
}

nlohmann::json SolveVerification::to_json() const { return kkt ? kkt->to_json() : nlohmann::json(nullptr); }

std::string verification_summary(const ConstrainedProblem& problem, const AlmSummary& summary) {
  return verify_solution(problem, summary).to_string();
}

}  // namespace almkit
