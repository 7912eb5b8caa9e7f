#include "solve_report.h"

namespace almkit::cli {

// Until the verifier (core/verify.h) lands, solve prints only the ALM's own KKT report.
std::string solve_verification_report(const ConstrainedProblem&, const AlmSummary&) { return {}; }

}  // namespace almkit::cli
