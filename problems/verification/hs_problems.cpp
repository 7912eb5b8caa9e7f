// Placeholder: replaced by the Hock–Schittkowski collection.
#include "almkit/problems/registry.h"

namespace almkit {
std::vector<ProblemEntry> hs_problem_entries() { return {}; }
}  // namespace almkit
