// The outer-policy strategy of the ALM driver (core/alm_policy.h, docs/alm.md
// §3): the built-in policies through make_alm_policy, and a policy of the
// caller's run by the same driver loop (docs/architecture.md "Extension points").
#include <cmath>

#include <doctest/doctest.h>

#include "almkit/core/alm_policy.h"
#include "almkit/problems/registry.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"

using namespace almkit;

namespace {

// Fixed penalty, plain first-order multipliers, a fixed inner tolerance: the
// textbook method of multipliers, with a counter of the hooks called.
class FixedPenalty final : public AlmOuterPolicy {
 public:
  int starts = 0, before = 0, after = 0, nexts = 0;
  void start(AlmState& s) override {
    ++starts;
    s.penalty = 100.0;
    s.inner_tolerance = 1e-10;
    s.lambda_bar = s.lambda;
    s.mu_bar = s.mu;
  }
  void before_subproblem(AlmState&) override { ++before; }
  void after_subproblem(AlmState&) override { ++after; }
  double stationarity_scale(const AlmState&) const override { return 1.0; }
  bool next(AlmState& s) override {
    ++nexts;
    s.lambda_bar = s.lambda;
    s.mu_bar = s.mu;
    return true;
  }
};

}  // namespace

TEST_CASE("ALM policy: make_alm_policy picks the strategy of options.policy") {
  AlmOptions o;
  CHECK(dynamic_cast<AlmOuterPolicy*>(make_alm_policy(o).get()) != nullptr);
  const auto p = find_problem("hs071")->make();
  CeresLbfgsSolver inner;
  // The same solve through the enum and through the strategy object: the same iterates.
  o.policy = AlmPolicy::kReference;
  o.max_outer_iterations = 4;
  const AlmSummary by_enum = solve_alm(*p, inner, o);
  const auto reference = make_reference_policy(o.reference);
  const AlmSummary by_object = solve_alm(*p, inner, *reference, o);
  CHECK(by_enum.outer_iterations == by_object.outer_iterations);
  CHECK(by_enum.x == by_object.x);
  CHECK(by_enum.final_penalty == by_object.final_penalty);
}

TEST_CASE("ALM policy: a policy of the caller's runs in the same driver loop") {
  const auto p = find_problem("hs071")->make();
  CeresLbfgsSolver inner;
  FixedPenalty policy;
  AlmOptions o;
  o.max_outer_iterations = 50;
  const AlmSummary s = solve_alm(*p, inner, policy, o);
  CHECK(s.status == AlmStatus::kConverged);
  CHECK(std::abs(s.objective - 17.0140173) < 1e-6);
  CHECK(policy.starts == 1);
  CHECK(policy.before == s.outer_iterations);
  CHECK(policy.after == s.outer_iterations);
  CHECK(policy.nexts == s.outer_iterations - 1);  // the converged iteration stops before next()
  for (const auto& it : s.history) CHECK(it.penalty == 100.0);
}
