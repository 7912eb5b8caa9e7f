// Options of the reference policy of the ALM driver (docs/alm.md §3
// "Reference policy"): the outer loop of Wang, Zhang & Chen (2024) for the
// RNN — one penalty γ, unclipped multipliers, the violation measured per
// equality family in the 2-norm, a lagged decrease test, and the absolute
// stationarity test (S = 1). The policy itself (ReferencePolicy in
// core/alm_reference.cpp) is a strategy behind core/alm_policy.h; these
// options are AlmOptions::reference. The names given to visit() keep the
// `ref_` prefix: they are the CLI flags `--alm.ref_*` and JSON keys,
// unchanged from when these fields sat flat in AlmOptions (docs/alm.md §4).
#pragma once

#include <utility>

namespace almkit {

struct ReferenceOptions {
  double gamma0 = 1.0;        ///< γ_0
  double eta1 = 0.99;         ///< γ grows when V_{k-1} > η1 V_{k-2}
  double eta2 = 5.0 / 6.0;    ///< γ ← max(γ/η2, ‖ξ_f‖^{1+η3})
  double eta3 = 0.01;         ///< exponent slack in ‖ξ_f‖^{1+η3}
  double eta4 = 5.0 / 6.0;    ///< ε ← η4 ε
  double eps0 = 0.1;          ///< ε_0
  double eps_min = 1e-20;     ///< stop when ε < ε_min
  double gamma_max = 1e4;     ///< stop when γ > γ_max (a test, not a cap)
  bool immediate = false;     ///< compare V_k with V_{k-1} from k ≥ 1 instead of the lagged test
  double restart_threshold = 1e30;  ///< Υ: restart the subproblem from the problem's feasible point when L(x_warm) > Υ

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is ReferenceOptions or const ReferenceOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("ref_gamma0", self.gamma0, "reference: initial penalty gamma_0");
    v("ref_eta1", self.eta1, "reference: eta1, violation-decrease threshold");
    v("ref_eta2", self.eta2, "reference: eta2, gamma <- gamma/eta2");
    v("ref_eta3", self.eta3, "reference: eta3, exponent slack");
    v("ref_eta4", self.eta4, "reference: eta4, epsilon <- eta4 epsilon");
    v("ref_eps0", self.eps0, "reference: epsilon_0");
    v("ref_eps_min", self.eps_min, "reference: stop when epsilon < this");
    v("ref_gamma_max", self.gamma_max, "reference: stop when gamma > this");
    v("ref_immediate", self.immediate, "reference: immediate instead of lagged violation test");
    v("ref_restart_threshold", self.restart_threshold, "reference: restart from the feasible point when L(warm start) > this");
  }

  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

}  // namespace almkit
