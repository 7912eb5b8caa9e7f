#include "solve_report.h"

#include <algorithm>

#include "almkit/core/verify.h"

namespace almkit::cli {

std::string solve_verification_report(const ConstrainedProblem& problem, const AlmSummary& summary) {
  return verification_summary(problem, summary);
}

nlohmann::json solve_verification_json(const ConstrainedProblem& problem, const AlmSummary& summary) {
  const double n = problem.num_variables();
  const double m = problem.num_equalities() + problem.num_inequalities();
  // Same size limit as verification_summary: the verifier is dense.
  if (!summary.x.allFinite() || n * (n + m) > 4e6) return nullptr;
  VerifyOptions o;
  o.tolerance = std::max({summary.options.tol_stationarity, summary.options.tol_feasibility,
                    summary.options.tol_complementarity});
  return verify_kkt(problem, summary.x, summary.lambda, summary.mu, o).to_json();
}

}  // namespace almkit::cli
