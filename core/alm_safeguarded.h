// Options of the safeguarded PHR policy of the ALM driver (docs/alm.md §3
// "Safeguarded PHR"): ALGENCAN-style (Birgin & Martínez) multipliers clipped
// to a box, penalty multiplied by `penalty_increase` when the infeasibility did
// not drop by `tau`, an inner tolerance tied to the outer progress
// (ε_{k+1} = max(ε_target, min(θ ε_k, κ V_k)), docs/alm.md §3), and the
// stagnation stop of docs/alm.md §5. The policy itself (SafeguardedPolicy in
// core/alm_safeguarded.cpp) is a strategy behind core/alm_policy.h; these
// options are AlmOptions::safeguarded. The names given to visit() are the CLI
// flags `--alm.NAME` and JSON keys, unchanged from when these fields sat flat
// in AlmOptions (docs/alm.md §4).
#pragma once

#include <utility>

namespace almkit {

struct SafeguardedOptions {
  /// Measure stationarity relative to S (docs/alm.md §1 "Scaled stationarity"); false: absolute (S = 1).
  bool relative_stationarity = true;

  // ---- stagnation (docs/alm.md §5 "Stagnation")
  /// An outer iteration makes no progress when ‖x_k − x_{k−1}‖∞ ≤ δ max(1, ‖x_k‖∞),
  /// |f_k − f_{k−1}| ≤ δ max(1, |f_k|) and the infeasibility did not drop below
  /// 0.9 × its previous value (or was already ≤ tol_feasibility); δ = stagnation_tolerance.
  double stagnation_tolerance = 1e-10;
  /// Stop after this many consecutive outer iterations without progress (0: never). An
  /// iteration whose next subproblem would repeat the last one exactly (same start, β, ε and
  /// multipliers within δ) stops at once.
  int stagnation_iterations = 3;
  /// At a stagnation stop: converged_at_noise_level when infeasibility ≤ tol_feasibility,
  /// complementarity ≤ tol_complementarity · S and stationarity ≤ tol_stationarity_noise · S; else stagnated.
  double tol_stationarity_noise = 1e-6;

  // ---- penalty, multipliers, inner tolerance (docs/alm.md §3)
  /// β ← γ β when V_{k+1} > τ V_k. 0.25 by measurement (docs/benchmark.md; ALGENCAN uses 0.5).
  double tau = 0.25;
  double penalty_increase = 10.0; ///< γ, the penalty growth factor
  /// β_0; 0 means β_0 = initial_penalty_factor · max(1,|f(x0)|) / max(1, ½‖viol(x0)‖²) clamped to
  /// [1e-8, initial_penalty_max] (docs/alm.md §3 "Initial penalty")
  double initial_penalty = 0.0;
  /// The factor of the β_0 formula above: 3 by measurement (docs/benchmark.md; ALGENCAN uses 10).
  double initial_penalty_factor = 3.0;
  /// β_0 (when initial_penalty = 0) ≤ initial_penalty_factor · max(1, ‖∇f(x0)‖∞) (one gradient).
  bool initial_penalty_gradient_cap = true;
  /// Upper clamp of the β_0 formula (when initial_penalty = 0): β_0 ≤ initial_penalty_max.
  /// 1e8 as ALGENCAN (NLopt AUGLAG clamps at 10). Lower caps were measured for hs016
  /// (docs/benchmark.md "hs013 and hs016"): only β_0 ≤ 3 reaches its f*, and a cap of 3 loses
  /// hs036 and hs037, so the default stays.
  double initial_penalty_max = 1e8;
  double penalty_max = 1e20;      ///< β_max: stop with kPenaltyTooLarge beyond it
  double lambda_min = -1e20;      ///< safeguard box for λ̄
  double lambda_max = 1e20;       ///< safeguard box for λ̄
  double mu_max = 1e20;           ///< safeguard box [0, μ_max] for μ̄
  double inner_tolerance_initial = 0.1;   ///< ε_0 (0.1 by measurement, docs/benchmark.md)
  double inner_tolerance_factor = 0.1;    ///< θ in ε_{k+1} = max(ε_final, θ ε_k)
  double inner_tolerance_final = 1e-9;    ///< ε_final
  /// Outer-progress inner tolerances (docs/alm.md §3 "Inner tolerance schedule"):
  /// ε_{k+1} = max(ε_target, min(θ ε_k, inner_tolerance_progress · V_k)) with V_k the
  /// infeasibility of the KKT report after subproblem k (0 = off: ε_{k+1} = max(ε_target, θ ε_k)).
  /// A problem whose augmented Lagrangian has no constraint terms (bounds kept by the
  /// inner solver) starts at ε_target.
  double inner_tolerance_progress = 0.1;
  /// ε_target = max(inner_tolerance_final, inner_tolerance_final_relative · tol_stationarity · S_k),
  /// S_k the stationarity scale of the last KKT report (1 before the first); 0 = off (ε_target = ε_final).
  /// The inner measure ‖∇L_β‖∞ equals the KKT stationarity at the updated multipliers, so a
  /// tolerance below tol_stationarity · S buys nothing the outer test needs.
  double inner_tolerance_final_relative = 0.5;
  /// kInfeasibleStationary when V_k > tol_feasibility, β ≥ this, and
  /// ‖J_cᵀc + J_gᵀg_+‖∞ ≤ kInfeasibleStationaryRatio · max(1, V_k) (core/alm_policy.h).
  double infeasible_stationary_penalty = 1e12;
  /// Penalty continuation at diverging multipliers (docs/alm.md §5): when the in-loop
  /// kMultipliersDiverging test holds, do not stop at once but raise β ←
  /// diverging_penalty_increase · β after every outer iteration (also when the infeasibility is
  /// within tol_feasibility), as the penalty method the ALM then is, and stop with
  /// kMultipliersDiverging once x and f have settled (diverging_progress_tolerance) or at
  /// diverging_penalty_max. On by measurement (docs/benchmark.md "hs013 and hs016"): hs013 ends
  /// at |f − f*| = 1.8e-8 instead of 4.0e-3 (849 instead of 169 gradients), kink-square within
  /// 1e-6 of its minimizer; no other problem of the set reaches the test.
  bool diverging_continuation = true;
  /// diverging_continuation: x and f have settled when ‖x_k − x_{k−1}‖∞ ≤ ρ max(1, ‖x_k‖∞) and
  /// |f_k − f_{k−1}| ≤ ρ max(1, |f_k|), ρ = diverging_progress_tolerance (1e-8: the size of
  /// tol_feasibility and tol_stationarity).
  double diverging_progress_tolerance = 1e-8;
  /// diverging_continuation: β ← diverging_penalty_increase · β per outer iteration. The
  /// iterates of a penalty method approach a non-KKT minimizer only like β^(−1/p) (hs013:
  /// p = 5, the gap 1 − f shrinks by 0.63 per 10× of β), so the continuation takes large steps.
  double diverging_penalty_increase = 1e3;
  /// diverging_continuation: the largest β, in place of penalty_max (hs013 needs β ≈ 1e31 for
  /// |f − f*| ≤ 1e-6; the subproblems stay finite with the trust box of the lbfgsb solver).
  double diverging_penalty_max = 1e40;

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is SafeguardedOptions or const SafeguardedOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("relative_stationarity", self.relative_stationarity, "safeguarded: S = max(1, |grad f|, |Jc^T lambda|, |Jg^T mu|, |nu|) (inf-norms) instead of 1");
    v("stagnation_tolerance", self.stagnation_tolerance, "safeguarded: relative change of x and f below which an outer iteration made no progress");
    v("stagnation_iterations", self.stagnation_iterations, "safeguarded: stop after this many outer iterations without progress (0 = never)");
    v("tol_stationarity_noise", self.tol_stationarity_noise, "safeguarded: at a stagnation stop, converged_at_noise_level when stationarity <= this * S (and feasible)");
    v("tau", self.tau, "safeguarded: raise the penalty when V_{k+1} > tau V_k");
    v("penalty_increase", self.penalty_increase, "safeguarded: penalty growth factor gamma");
    v("initial_penalty", self.initial_penalty, "safeguarded: beta_0 (0 = factor max(1,|f0|)/max(1,|viol0|^2/2) in [1e-8,1e8])");
    v("initial_penalty_factor", self.initial_penalty_factor, "safeguarded: the factor of the beta_0 formula");
    v("initial_penalty_gradient_cap", self.initial_penalty_gradient_cap, "safeguarded: cap beta_0 at factor max(1, |grad f(x0)|) (inf-norm)");
    v("initial_penalty_max", self.initial_penalty_max, "safeguarded: upper clamp of the beta_0 formula");
    v("penalty_max", self.penalty_max, "safeguarded: largest penalty before stopping");
    v("lambda_min", self.lambda_min, "safeguarded: lower clip of equality multipliers");
    v("lambda_max", self.lambda_max, "safeguarded: upper clip of equality multipliers");
    v("mu_max", self.mu_max, "safeguarded: upper clip of inequality multipliers");
    v("inner_tolerance_initial", self.inner_tolerance_initial, "safeguarded: epsilon_0 of the inner solver");
    v("inner_tolerance_factor", self.inner_tolerance_factor, "safeguarded: theta, epsilon_{k+1} = max(eps_final, theta eps_k)");
    v("inner_tolerance_final", self.inner_tolerance_final, "safeguarded: eps_final");
    v("inner_tolerance_progress", self.inner_tolerance_progress, "safeguarded: eps_{k+1} = max(eps_target, min(theta eps_k, this * infeasibility_k)), 0 = off");
    v("inner_tolerance_final_relative", self.inner_tolerance_final_relative, "safeguarded: eps_target = max(eps_final, this * tol_stationarity * S), 0 = off");
    v("infeasible_stationary_penalty", self.infeasible_stationary_penalty, "safeguarded: penalty above which a stalled infeasibility is reported as stationary");
    v("diverging_continuation", self.diverging_continuation, "safeguarded: once the multipliers diverge, raise the penalty every outer iteration until x and f settle");
    v("diverging_penalty_increase", self.diverging_penalty_increase, "safeguarded: with diverging_continuation, penalty growth factor per outer iteration");
    v("diverging_penalty_max", self.diverging_penalty_max, "safeguarded: with diverging_continuation, largest penalty (in place of penalty_max)");
    v("diverging_progress_tolerance", self.diverging_progress_tolerance, "safeguarded: with diverging_continuation, stop once x and f change by <= this (relative) per outer iteration");
  }

  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

}  // namespace almkit
