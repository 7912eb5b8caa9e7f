// The verification printed (and written to JSON) after every `almkit solve`
// (docs/verification.md).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "almkit/core/alm.h"

namespace almkit::cli {

/// KKT/NNAMCQ verification of the final point (text).
std::string solve_verification_report(const ConstrainedProblem& problem, const AlmSummary& summary);
/// The KKT verification as JSON, or null when the dense verifier is skipped.
nlohmann::json solve_verification_json(const ConstrainedProblem& problem, const AlmSummary& summary);

}  // namespace almkit::cli
