// The verification after an ALM solve (docs/verification.md), computed once
// and shown as text (`almkit solve`) and as JSON (`almkit solve --json`,
// "verification"): the KKT verification at the final iterate with the ALM's
// multipliers, tolerance the largest of the ALM's three stopping tolerances,
// and the NNAMCQ check there. Kept out of core/verify.h so that the verifier
// does not depend on the ALM driver (docs/architecture.md).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "almkit/core/alm.h"
#include "almkit/core/nnamcq.h"
#include "almkit/core/verify.h"

namespace almkit {

/// The verifier works with dense Jacobians (docs/verification.md §3): after a
/// solve it runs only while n·(n + constraints) stays below this many entries
/// (32 MB of doubles), where a dense factorization takes well under a second.
inline constexpr double kDenseVerifierMaxEntries = 4e6;

/// n·(n + constraints) ≤ kDenseVerifierMaxEntries.
bool fits_dense_verifier(const ConstrainedProblem& problem);

struct SolveVerification {
  std::string skipped;                 ///< why nothing was verified; empty when verified
  std::optional<KktVerification> kkt;  ///< set when verified
  std::optional<NnamcqReport> nnamcq;  ///< set when verified
  /// The KKT and NNAMCQ reports, or "verification: skipped (...)".
  std::string to_string() const;
  /// The KKT verification's JSON, or null when skipped.
  nlohmann::json to_json() const;
};

/// Skipped, with a one-line reason, when there is no finite iterate or the
/// problem does not fit the dense verifier.
SolveVerification verify_solution(const ConstrainedProblem& problem, const AlmSummary& summary);

/// verify_solution(problem, summary).to_string().
std::string verification_summary(const ConstrainedProblem& problem, const AlmSummary& summary);

}  // namespace almkit
