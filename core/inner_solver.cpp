#include "almkit/core/inner_solver.h"

namespace almkit {

const char* to_string(InnerStatus status) {
  switch (status) {
    case InnerStatus::kConverged: return "converged";
    case InnerStatus::kIterationLimit: return "iteration_limit";
    case InnerStatus::kNoProgress: return "no_progress";
    case InnerStatus::kNonFinite: return "non_finite";
    case InnerStatus::kFailure: return "failure";
  }
  return "unknown";
}

}  // namespace almkit
