// Placeholder: the piecewise-smooth verification problems land with the
// KKT/NNAMCQ verification work (docs/verification.md).
#include "almkit/problems/registry.h"

namespace almkit {
std::vector<ProblemEntry> kink_problem_entries() { return {}; }
}  // namespace almkit
