// The reference policy of Wang, Zhang & Chen (2024) (docs/alm.md §3
// "Reference policy", docs/rnn.md): a strategy of core/alm_policy.h with the
// options of core/alm_reference.h.
#include "almkit/core/alm_reference.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "almkit/core/alm_policy.h"

namespace almkit {

void ReferenceOptions::validate() const {
  check_positive("ref_gamma0", gamma0);
  check_open_unit("ref_eta1", eta1);
  check_open_unit("ref_eta2", eta2);
  check_nonnegative("ref_eta3", eta3);
  check_open_unit("ref_eta4", eta4);
  check_positive("ref_eps0", eps0);
  check_nonnegative("ref_eps_min", eps_min);
  check_positive("ref_gamma_max", gamma_max);
  check_positive("ref_restart_threshold", restart_threshold);
}

namespace {

// The violation V_k of the reference study is the largest 2-norm over the
// equality families (for the RNN: ‖C1‖₂ and ‖C2‖₂, problems/rnn/rnn_problem.h
// equality_family_sizes), not one protocol-bound index per family.
double family_max(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

class ReferencePolicy final : public AlmOuterPolicy {
 public:
  explicit ReferencePolicy(const ReferenceOptions& options) : opt_(options) {}

  void start(AlmState& s) override {
    s.penalty = opt_.gamma0;
    s.inner_tolerance = opt_.eps0;
    s.evaluate_constraints();
    // V_hist_[j] = V_j, the violation after outer iteration j; V_hist_[0] is the start's.
    V_hist_ = {family_max(s.family_norms(s.c))};
  }

  void before_subproblem(AlmState& s) override {
    s.lambda_bar = s.lambda;
    s.mu_bar = s.mu;
    s.L.set_parameters(s.lambda_bar, s.mu_bar, s.penalty);
    // Restart safeguard (docs/alm.md §3): a warm start whose AL value exploded
    // is replaced by the problem's feasible completion, then the start point.
    if (!(s.L.value(s.x) <= opt_.restart_threshold)) {
      if (!s.problem.restore_feasibility(s.x) || !(s.L.value(s.x) <= opt_.restart_threshold))
        s.x = s.problem.initial_point();
    }
  }

  void after_subproblem(AlmState& s) override { V_hist_.push_back(family_max(s.family_norms(s.c))); }

  // The reference study tests absolute stationarity (docs/alm.md §1).
  double stationarity_scale(const AlmState& /*s*/) const override { return 1.0; }

  bool next(AlmState& s) override {
    const double eps = s.inner_tolerance, gamma = s.penalty;
    if (eps < opt_.eps_min)
      return s.stop(AlmStatus::kToleranceExhausted, fmt::format("inner tolerance {:.3g} < ref_eps_min", eps));
    if (gamma > opt_.gamma_max)
      return s.stop_at_limit(AlmStatus::kPenaltyTooLarge, fmt::format("gamma = {:.3g} > ref_gamma_max", gamma));
    // Penalty and tolerance update. Lagged (the reference code): after outer
    // iteration k ≥ 3 (1-based) compare V_{k-1} with V_{k-2}; immediate: after
    // k ≥ 2 compare V_k with V_{k-1}.
    const size_t k = V_hist_.size() - 1;  // iterations done
    const size_t lag = opt_.immediate ? 0 : 1;
    if (k >= 2 + lag) {
      s.inner_tolerance = eps * opt_.eta4;
      const double V_new = V_hist_[k - lag], V_old = V_hist_[k - 1 - lag];
      if (V_new > opt_.eta1 * V_old) {
        double next_gamma = gamma / opt_.eta2;
        for (double norm : s.family_norms(s.lambda)) next_gamma = std::max(next_gamma, std::pow(norm, 1.0 + opt_.eta3));
        if (s.mu.size()) next_gamma = std::max(next_gamma, std::pow(s.mu.norm(), 1.0 + opt_.eta3));
        s.penalty = next_gamma;
      }
    }
    return true;
  }

 private:
  const ReferenceOptions opt_;
  std::vector<double> V_hist_;
};

}  // namespace

std::unique_ptr<AlmOuterPolicy> make_reference_policy(const ReferenceOptions& options) {
  return std::make_unique<ReferencePolicy>(options);
}

}  // namespace almkit
