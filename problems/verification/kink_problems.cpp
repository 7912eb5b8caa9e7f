// The piecewise-smooth verification problems (kink_problems.h) in the registry.
#include "almkit/problems/verification/kink_problems.h"

#include <memory>

#include "almkit/problems/registry.h"

namespace almkit {

namespace {
template <class P>
ProblemEntry entry(std::string description) {
  const std::string name = P{}.name();
  return ProblemEntry{name, std::move(description), [] {
                        return std::unique_ptr<ConstrainedProblem>(
                            new AutoDiffProblem<P>(make_autodiff_problem(P{})));
                      }};
}
}  // namespace

std::vector<ProblemEntry> kink_problem_entries() {
  using namespace verification;
  return {
      entry<KinkSquare>("min x s.t. x^2 = 0; x* = 0, f* = 0; NNAMCQ fails, x* is not KKT, ALM multipliers diverge"),
      entry<KinkAbs>("min x s.t. relu(x) + relu(-x) = 0; x* = 0, f* = 0; NNAMCQ fails, x* is Clarke-KKT (lambda = -1, s = (1,0))"),
      entry<KinkRelu2d>("min (x-1)^2 + (y+1)^2 s.t. y = relu(x); x* = (0,0) on the kink, f* = 2, KKT with lambda = -2, s = 1; NNAMCQ holds"),
      entry<ReluLayer>("min |A h - y|^2 s.t. h = relu(W x + b), vars h, W, b (n = 12); f* = 0, lambda* = 0; NNAMCQ holds (J_h = I); from its start the ALM stops at a KKT point with f = 0.5 (two dead units, a local solution)"),
      entry<MfcqNotLicq>("min (x1-1)^2 + (x2-1)^2 s.t. two identical x1 + x2 <= 1; x* = (1/2,1/2), f* = 1/2, mu1 + mu2 = 1; MFCQ holds, LICQ fails"),
  };
}

}  // namespace almkit
