// The verification summary printed after every `almkit solve` (docs/verification.md).
#pragma once

#include <string>

#include "almkit/core/alm.h"

namespace almkit::cli {

/// KKT/NNAMCQ verification of the final point; empty when not available.
std::string solve_verification_report(const ConstrainedProblem& problem, const AlmSummary& summary);

}  // namespace almkit::cli
