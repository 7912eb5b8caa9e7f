// The rollout-consistent ALM policy for the RNN problem (docs/rnn_bcd.md §8).
//
// Every outer iteration starts from a *feasible* point: the forward pass
// (H(θ_k), U(θ_k)) of the current weights, with the BPTT multipliers ξ(θ_k)
// (docs/rnn_bcd.md §1, "BPTT multipliers"). There the augmented Lagrangian
// L_γ(·; ξ) has the value F(θ_k), zero gradient in (H, U) and gradient ∇F(θ_k)
// in θ: it is a first-order model of the reduced objective F. A few BCD sweeps
// decrease it to L_γ(x̃); the weights θ̃ of x̃ are then judged by their own
// forward pass (the rollout), as in a trust-region method whose radius is 1/γ:
//
//   ρ = (F(θ_k) − F(θ̃)) / (F(θ_k) − L_γ(x̃))          (actual / predicted decrease)
//   ρ ≥ accept_ratio:  θ_{k+1} = θ̃;   and if ρ ≥ expand_ratio: γ ← max(gamma_min, gamma_decrease · γ)
//   otherwise:         θ_{k+1} = θ_k;  γ ← gamma_increase · γ
//
// F therefore never increases from one outer iteration to the next, the
// rollout of every accepted iterate is finite, and the stop test is the KKT
// stationarity of (P) at the forward-pass point, ‖∇F(θ_k)‖∞ ≤ tol_gradient,
// or its minimum over the relu derivatives at kinks ≤ tol_clarke. Dead units
// are zeroed exactly and a Gauss–Newton polish on the kink manifold runs when
// the block steps crawl (docs/rnn_bcd.md §8).
#pragma once

#include <functional>
#include <limits>
#include <string>

#include "almkit/core/alm.h"
#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/solvers/bcd/bcd_solver.h"

namespace almkit::rnn {

struct RolloutOptions {
  /// γ_0 = gamma0 / N (N = Σ ω_t): the penalty in units of the loss, whose
  /// 1/N normalization makes a per-step penalty of 1 outweigh the data by N.
  double gamma0 = 1.0;
  double gamma_min = 1e-6;        ///< smallest γ·N (a step cannot be larger than this allows)
  double gamma_max = 1e12;        ///< stop (kPenaltyTooLarge) when γ·N exceeds this: no step decreases F
  double accept_ratio = 0.01;     ///< accept θ̃ when ρ ≥ accept_ratio
  double expand_ratio = 0.5;      ///< γ ← gamma_decrease γ when ρ ≥ expand_ratio
  double gamma_decrease = 0.5;    ///< factor < 1 after a good step
  double gamma_increase = 4.0;    ///< factor > 1 after a rejected step
  /// BCD sweeps per outer iteration; the last one runs the w and a blocks only
  /// (its h and u blocks could not change θ̃). 1 = one w step and one a step
  /// from the forward-pass point: measured best (docs/rnn_bcd.md §8).
  int sweeps = 1;
  double tol_gradient = 1e-5;     ///< stop (kConverged) when ‖∇F(θ)‖∞ ≤ this
  /// Stop (kConverged) at a KKT point on ReLU kinks (docs/rnn_bcd.md §8): every
  /// clarke_check_every outer iterations, when ‖∇F‖∞ > tol_gradient and the
  /// forward pass has kinks |u| ≤ kKinkStationarityTolerance, when
  /// kink_stationarity(θ).best — ‖∇f + J_cᵀξ(s)‖∞ for relu derivatives s ∈ [0, 1]
  /// at the kinks — is ≤ tol_clarke. At a minimizer on a kink neither one-sided
  /// gradient vanishes, so tol_gradient alone never stops there. Negative: off.
  /// Default 1e-5 (= tol_gradient): the same tolerance on the Clarke measure.
  double tol_clarke = 1e-5;
  int clarke_check_every = 100;   ///< outer iterations between Clarke checks (each costs a few BPTT passes per kink)
  /// Kinks: where |u_{t,i}| ≤ kink_tolerance · max(1, ‖U‖∞) the model's
  /// multipliers use σ′ = kink_selection (a Clarke element) instead of the
  /// one-sided 0 or 1 (docs/rnn_bcd.md §8). Negative: one-sided everywhere.
  double kink_tolerance = -1.0;
  double kink_selection = 0.5;
  /// Kink hold (docs/rnn_bcd.md §8): the w step keeps the pre-activations with
  /// |u_{t,i}| ≤ kink_hold · max(1, ‖U‖∞) at the forward-pass point on their
  /// kink (Θ_i z_t = 0, RnnTrainingProblem::minimize_w_block with `hold`), so the
  /// Gram-preconditioned step moves along the kinks instead of across them.
  /// Negative: off.
  double kink_hold = -1.0;
  /// true: hold the kinks only in the step after a rejected one (the stall
  /// regime); false: in every step.
  bool kink_hold_after_rejection = false;
  /// κ of a proximal term on the w step, ρ = κ tr(γ Z Zᵀ)/(m+d+1): mixes
  /// the Gram preconditioner with the identity (docs/rnn_bcd.md §8). 0 = off.
  /// Default 10 (with kink_manifold and anderson: the study of docs/rnn_bcd.md §8).
  double w_proximal = 10.0;
  /// Levenberg–Marquardt damping of the w step (docs/rnn_bcd.md §8). A rejected
  /// step raises κ_LM (added to w_proximal) instead of γ:
  /// κ_LM ← max(damping, damping_increase · κ_LM), turning the w direction from
  /// the Gram-preconditioned −∇_Θ F (γZZᵀ + 2Λ)⁻¹ towards steepest descent while
  /// it shortens; only once κ_LM ≥ damping_max does γ ← gamma_increase · γ.
  /// An accepted step sets κ_LM ← damping_decrease · κ_LM (0 below `damping`);
  /// γ decreases only after good steps taken undamped. damping = 0: off
  /// (rejections raise γ).
  double damping = 0.0;
  double damping_increase = 4.0;
  double damping_decrease = 0.5;
  double damping_max = 1e12;
  /// Kink manifold step (docs/rnn_bcd.md §8, "Kink manifold"). When a step is
  /// rejected, the U entries its rollout moved across their kink (u_q changed
  /// sign from θ_k to θ̃) with |u_q(θ_k)| ≤ kink_manifold_tolerance · max(1, ‖U‖∞)
  /// join a held set (earliest crossings first, at most kink_manifold entries),
  /// and the step is retried once at the same γ. Every w step then keeps the
  /// held entries on their kink to first order in θ (kink_manifold_step):
  ///   u_q(θ_k) + ⟨∇_Θ u_q(θ_k), Θ − Θ_k⟩ = 0   (kink_manifold_newton = true)
  ///   ⟨∇_Θ u_q(θ_k), Θ − Θ_k⟩ = 0               (false: u_q kept),
  /// with the total derivative through h_{t−1}(θ), h_{t−2}(θ), …
  /// (RnnTrainingProblem::pre_activation_gradient). A held entry is released
  /// when its implied Clarke selection s_q = [u_q > 0] + μ_q / (−ξ2_q) leaves
  /// [−margin, 1 + margin] (crossing lowers F there: active-set rule), when
  /// |u_q| > kink_manifold_release · max(1, ‖U‖∞) at an accepted point, or
  /// (all of them) when a held step predicts no decrease. 0 = off; default 64.
  int kink_manifold = 64;
  double kink_manifold_tolerance = 1e-6;
  double kink_manifold_release = 1e-6;
  bool kink_manifold_newton = true;
  double kink_manifold_margin = 0.0;
  /// Extrapolation of accepted steps (docs/rnn_bcd.md §8): after θ_k → θ_{k+1}
  /// is accepted, θ_e = θ_{k+1} + β (θ_{k+1} − θ_k) replaces it when
  /// F(θ_e) < F(θ_{k+1}) (F stays monotone); β ← min(extrapolation_max,
  /// extrapolation_grow β) then, β ← extrapolation_shrink β otherwise.
  /// extrapolation = the first β; 0 turns it off.
  double extrapolation = 0.0;
  /// Anderson acceleration (type II) of the outer map θ ↦ θ̃ with this memory
  /// (docs/rnn_bcd.md §8): with r_j = θ̃_j − θ_j and the last `anderson`
  /// differences ΔΘ, ΔR, α = argmin ‖r_k − ΔR α‖ and θ_AA = θ̃_k − (ΔΘ + ΔR) α.
  /// θ_AA replaces θ̃_k when its rollout has the lower F and passes the ratio test
  /// against the AL's predicted decrease; 0 = off; default 5.
  int anderson = 5;
  /// Dead units (docs/rnn_bcd.md §8, "Dead units"): at an accepted point, a unit i
  /// with u_{t,i} ≤ 0 at every step (h_i ≡ 0) enters F only through the
  /// regularization of its incoming row [W V b]_i, its outgoing columns A_{:,i},
  /// W_{:,i} and λ6‖U_i‖²; all are minimized, with h_i ≡ 0 kept, by setting them
  /// to 0. That exact block minimizer of F replaces the point (F decreases; the
  /// loss is unchanged); the Gram-preconditioned w step would only shrink those
  /// weights geometrically, at a rate 2λ/(γ‖Z‖² + 2λ + ρ) per iteration. Default true.
  bool dead_units = true;
  /// Units with u_{t,i} ≤ dead_unit_tolerance · max(1, ‖U‖∞) at every step are
  /// candidates too (nearly dead: h_i at rounding level); zeroing them is kept
  /// only when F does not increase. Default 1e-8, kink_stationarity's kink tolerance.
  double dead_unit_tolerance = 1e-8;
  /// Stall descent (docs/rnn_bcd.md §8, "Stall descent"): when γ·N exceeds
  /// gamma_max — no block step lowers F — the policy does not stop at once.
  /// It takes up to stall_descent_steps Armijo line searches along −g(s*),
  /// the KKT residual vector at the Clarke selection s* of kink_stationarity
  /// (∇_Θ of the Lagrangian with relu derivative s* at the kinks): the block
  /// step's model sees each kink from one side only and cannot move along
  /// the Clarke direction. Step α = 1, ½, ¼, … ≥ stall_descent_min_step,
  /// accepted when F(θ − α g) ≤ F(θ) − stall_descent_armijo α ‖g‖². When one
  /// step lowers F, γ restarts at gamma0 and the held kinks and the Anderson
  /// memory are cleared; otherwise the run stops kPenaltyTooLarge. 0 = off.
  int stall_descent_steps = 3;
  double stall_descent_armijo = 1e-4;
  double stall_descent_min_step = 1e-12;
  /// Manifold Gauss–Newton polish (docs/rnn_bcd.md §8; study/rnn_manifold_newton.h):
  /// at every check (every clarke_check_every outer iterations) where F fell by
  /// less than newton_trigger · |F| since the previous check (the block step
  /// crawls), up to newton_steps Levenberg–Marquardt–Gauss–Newton steps on the
  /// manifold of the kinks |u| ≤ newton_kink_tolerance · max(1, ‖U‖∞), each
  /// accepted only when its rollout lowers F. Skipped when one step would cost
  /// more than newton_max_flops (≈ T m² n_Θ + N p n² + n³/3). A polish that
  /// gains less than the block steps of the last check interval backs off
  /// (RolloutMemory::newton_backoff). 0 steps = off.
  int newton_steps = 20;
  double newton_trigger = 1e-3;
  double newton_kink_tolerance = 1e-6;
  double newton_max_flops = 2e9;
  /// The polish goes on while each accepted step lowers F by at least
  /// newton_gain_ratio × what the block steps gained over the last check interval
  /// (a step costs about as much as that interval on SP500, docs/rnn_bcd.md §8).
  double newton_gain_ratio = 1.0;
  double extrapolation_max = 1.0;
  double extrapolation_grow = 1.5;
  double extrapolation_shrink = 0.5;

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is RolloutOptions or const RolloutOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("gamma0", self.gamma0, "rollout: initial penalty gamma_0 * N");
    v("gamma_min", self.gamma_min, "rollout: smallest penalty gamma * N");
    v("gamma_max", self.gamma_max, "rollout: stop when gamma * N exceeds this (no decreasing step found)");
    v("accept_ratio", self.accept_ratio, "rollout: accept when (F_k - F(rollout)) >= accept_ratio (F_k - L(inner))");
    v("expand_ratio", self.expand_ratio, "rollout: decrease gamma when the ratio >= expand_ratio");
    v("gamma_decrease", self.gamma_decrease, "rollout: gamma <- gamma_decrease * gamma after a good step");
    v("gamma_increase", self.gamma_increase, "rollout: gamma <- gamma_increase * gamma after a rejected step");
    v("sweeps", self.sweeps, "rollout: BCD sweeps per outer iteration");
    v("tol_gradient", self.tol_gradient, "rollout: stop when |grad F|_inf <= this at the forward-pass point");
    v("tol_clarke", self.tol_clarke, "rollout: stop when the KKT residual with the best relu derivative at the kinks is <= this (negative: off)");
    v("clarke_check_every", self.clarke_check_every, "rollout: outer iterations between the tol_clarke checks");
    v("kink_tolerance", self.kink_tolerance, "rollout: |u| <= this * max(1,|U|_inf) counts as a kink (negative: none)");
    v("kink_selection", self.kink_selection, "rollout: derivative of relu used at kinks in the model's multipliers, in [0,1]");
    v("kink_hold", self.kink_hold, "rollout: the w step keeps |u| <= this * max(1,|U|_inf) on the kink (negative: off)");
    v("kink_hold_after_rejection", self.kink_hold_after_rejection, "rollout: hold the kinks only after a rejected step (false: every step)");
    v("w_proximal", self.w_proximal, "rollout: kappa of a proximal term on the w step, rho = kappa tr(gamma Z Z^T)/(m+d+1); 0 = off");
    v("damping", self.damping, "rollout: first Levenberg-Marquardt damping kappa of the w step after a rejection (0 = off: rejections raise gamma)");
    v("damping_increase", self.damping_increase, "rollout: kappa <- max(damping, damping_increase * kappa) after a rejected step");
    v("damping_decrease", self.damping_decrease, "rollout: kappa <- damping_decrease * kappa after an accepted step (0 below damping)");
    v("damping_max", self.damping_max, "rollout: above this kappa a rejected step raises gamma instead");
    v("kink_manifold", self.kink_manifold, "rollout: most U entries a rejected step moved across their kink that later w steps hold on it (0 = off)");
    v("kink_manifold_tolerance", self.kink_manifold_tolerance, "rollout: only crossed entries with |u| <= this * max(1,|U|_inf) are held");
    v("kink_manifold_release", self.kink_manifold_release, "rollout: a held entry is released when |u| > this * max(1,|U|_inf) at an accepted point");
    v("kink_manifold_newton", self.kink_manifold_newton, "rollout: held entries are pulled back to u = 0 to first order (true) or keep u (false)");
    v("kink_manifold_margin", self.kink_manifold_margin, "rollout: release a held entry when its implied relu derivative leaves [-margin, 1+margin]");
    v("anderson", self.anderson, "rollout: memory of the Anderson acceleration of the outer steps (0 = off)");
    v("newton_steps", self.newton_steps, "rollout: Gauss-Newton steps on the kink manifold when F falls by less than newton_trigger*|F| between checks (0 = off)");
    v("newton_trigger", self.newton_trigger, "rollout: relative decrease of F between checks below which the Gauss-Newton polish runs");
    v("newton_kink_tolerance", self.newton_kink_tolerance, "rollout: the polish holds |u| <= this * max(1,|U|_inf) on the kink");
    v("newton_gain_ratio", self.newton_gain_ratio, "rollout: the polish continues while a step gains >= this * the block steps' gain over the last check interval");
    v("newton_max_flops", self.newton_max_flops, "rollout: skip the polish when one Gauss-Newton step costs more flops than this");
    v("dead_unit_tolerance", self.dead_unit_tolerance, "rollout: units with u <= this * max(1,|U|_inf) at every step are zeroed when F does not increase");
    v("stall_descent_steps", self.stall_descent_steps, "rollout: when gamma*N > gamma_max, line searches along -g(s*) at the Clarke selection before stopping (0 = off)");
    v("stall_descent_armijo", self.stall_descent_armijo, "rollout: a stall descent step is kept when F decreases by >= this * alpha * |g|^2");
    v("stall_descent_min_step", self.stall_descent_min_step, "rollout: smallest step alpha of the stall descent's backtracking (1, 1/2, 1/4, ...)");
    v("dead_units", self.dead_units, "rollout: set the weights of units with h = 0 at every step to 0 at accepted points (an exact block minimizer of F)");
    v("extrapolation", self.extrapolation, "rollout: first extrapolation weight of accepted steps (0 = off); kept only when F decreases");
    v("extrapolation_max", self.extrapolation_max, "rollout: largest extrapolation weight");
    v("extrapolation_grow", self.extrapolation_grow, "rollout: weight <- grow * weight after a kept extrapolation");
    v("extrapolation_shrink", self.extrapolation_shrink, "rollout: weight <- shrink * weight after a rejected one");
  }

  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;

  /// The step without the kink manifold, Anderson acceleration, proximal
  /// term, dead-unit step, Gauss–Newton polish and Clarke stop test
  /// (kink_manifold = anderson = newton_steps = 0, w_proximal = 0,
  /// dead_units = false, tol_clarke = −1; every other field at
  /// its default): the default before the study of docs/rnn_bcd.md §8, what a
  /// distributed run executes (docs/parallel.md §3), `almkit train --preset
  /// plain` and compare's alm-bcd-plain.
  static RolloutOptions plain();
};

/// The policy's memory of earlier outer iterations beyond γ, β and κ_LM
/// (docs/interruption.md): what a checkpoint must hold for a resumed run to
/// continue bit for bit.
struct RolloutMemory {
  /// Anderson (RolloutOptions::anderson): the columns ΔΘ_j, ΔR_j, oldest first,
  /// and the last θ and r = θ̃ − θ (empty before the first step).
  std::vector<Vector> anderson_dtheta, anderson_dr;
  Vector anderson_theta, anderson_r;
  /// The kink manifold's held U entries (column-major indices into U), in order.
  std::vector<int> kinks_held;
  /// The held set was just enlarged by a rejected step (its retry is pending).
  bool kinks_retried = false;
  /// The last step was rejected (RolloutOptions::kink_hold_after_rejection).
  bool last_rejected = false;
  /// F at the previous check (every clarke_check_every iterations; NaN before
  /// the first): the slow-progress trigger of the Gauss–Newton polish.
  double F_last_check = std::numeric_limits<double>::quiet_NaN();
  /// Checks left to skip before the next polish, and the current back-off: a
  /// polish that lowers F less than the block steps did over the last check
  /// interval doubles the back-off (1, 2, 4, … checks); an effective one resets it.
  int newton_skip = 0;
  int newton_backoff = 0;
};

/// What one outer iteration of the rollout policy saw, beyond AlmIteration.
struct RolloutStep {
  double F_before = 0.0;     ///< F(θ_k)
  double F_trial = 0.0;      ///< F(θ̃), the rollout of the inner iterate
  double L_inner = 0.0;      ///< L_γ(x̃) after the sweeps
  double ratio = 0.0;        ///< ρ
  bool accepted = false;
  bool extrapolated = false; ///< the accepted step was extrapolated
  double grad_inf = 0.0;     ///< ‖∇F(θ_{k+1})‖∞
  double rollout_gap = 0.0;  ///< ‖H̃ − H(θ̃)‖_F / √(mT): inner iterate vs its own rollout
  double gamma_scaled_next = 0.0;  ///< γ·N the next outer iteration uses (checkpoints: RolloutResume)
  double extrapolation_next = 0.0; ///< β of the next extrapolation (checkpoints: RolloutResume)
  double damping_next = 0.0;       ///< κ_LM of the next w step (checkpoints: RolloutResume)
  int kinks_held = 0;              ///< U entries the kink manifold step held in this step
  /// The memory the next outer iteration starts from (checkpoints:
  /// RolloutResume::memory); valid during the callback only.
  const RolloutMemory* memory = nullptr;
};

/// The policy's whole state after outer iteration `iteration` of an earlier
/// run (docs/interruption.md): with the weights of that iterate as the
/// problem's initial weights and the same options, solve_rollout continues
/// bit for bit as the earlier run would have (the point is the forward pass
/// of the weights, F, ξ and ∇F are functions of it, and the kink manifold's
/// ∂u/∂Θ is recomputed there).
struct RolloutResume {
  int iteration = 0;               ///< outer iterations already done
  double gamma_scaled = 0.0;       ///< γ·N of the next outer iteration (RolloutStep::gamma_scaled_next)
  double extrapolation = 0.0;      ///< β of the next extrapolation (RolloutStep::extrapolation_next)
  double damping = 0.0;            ///< κ_LM of the next w step (RolloutStep::damping_next)
  EvaluationCounters evaluations;  ///< the earlier run's counters (the summary reports the sum)
  long inner_iterations = 0;       ///< the earlier run's inner iterations
  double seconds = 0.0;            ///< the earlier run's elapsed time, charged to alm.time_limit_seconds
  RolloutMemory memory;            ///< Anderson memory, held kinks (RolloutStep::memory)
};

/// Called after every outer iteration with the ALM-style record, the
/// rollout's own, and the current (feasible) point; return false to stop.
using RolloutCallback = std::function<bool(const AlmIteration&, const RolloutStep&, VectorCRef x)>;

/// Runs the policy from problem.initial_point() (made feasible) with the BCD
/// options `bcd` (max_sweeps is replaced by options.sweeps) and the limits
/// alm.max_outer_iterations and alm.time_limit_seconds. The summary's x is the
/// last accepted, feasible point, λ its BPTT multipliers, kkt its KKT report.
/// `excluded_seconds` (optional) returns the time the callback spent on
/// monitoring so far; it is not charged to alm.time_limit_seconds.
AlmSummary solve_rollout(const RnnTrainingProblem& problem, const RolloutOptions& options, const BcdOptions& bcd,
                         const AlmOptions& alm, const RolloutCallback& callback = {},
                         const std::function<double()>& excluded_seconds = {}, const RolloutResume* resume = nullptr);

/// Stationarity of (P) at a feasible point x that sits on or next to ReLU
/// kinks (docs/rnn_bcd.md §8, "Where it stops short"). With the BPTT
/// multipliers the weight rows of ∇f + J_cᵀξ are ∇F for the one-sided σ′(0) = 0;
/// the KKT conditions of (P) allow any σ′ ∈ [0, 1] at u = 0 (the Clarke
/// derivative). At the `kinks` entries with |u_{t,i}| ≤ tolerance the selection
/// s_k ∈ [0, 1] is chosen to minimize ‖g(s)‖₂ by cyclic coordinate descent
/// (g is affine in each s_k with the others fixed: ξ2 at step t depends only on
/// later steps), `rounds` passes; `best` is ‖g(s)‖∞ of the result.
struct KinkStationarity {
  int kinks = 0;             ///< entries with |u| ≤ tolerance at units with nonzero outgoing weights (at most max_kinks are optimized, the closest)
  double one_sided = 0.0;    ///< ‖∇F‖∞ with σ′(0) = 0 (what grad_inf reports)
  double best = 0.0;         ///< ‖g(s)‖∞ at the selection found
  std::vector<double> selection;
  std::vector<int> entries;  ///< the optimized kinks (column-major U indices), one per selection
};
/// |u| ≤ this counts as a kink in kink_stationarity by default (summary.json
/// kkt_bptt_kinks.kink_tolerance): ReLU inputs this close to 0 are rounding-level
/// zeros of the forward pass, not decided signs (docs/rnn_bcd.md §8).
inline constexpr double kKinkStationarityTolerance = 1e-8;
KinkStationarity kink_stationarity(const RnnTrainingProblem& problem, VectorCRef x,
                                   double tolerance = kKinkStationarityTolerance,
                                   int rounds = 3, int max_kinks = 200);

/// One step of the stall descent (RolloutOptions::stall_descent_steps,
/// docs/rnn_bcd.md §8): x feasible with F = f(x); g = ∇_Θ of the Lagrangian at
/// the multipliers of kink_stationarity(x)'s selection (the plain gradient where
/// x has no kinks). Backtracks α = 1, ½, … ≥ min_step until the rollout of
/// Θ − α g satisfies F ≤ F(x) − armijo α ‖g‖²; then x and F hold that point and
/// the result is true. False (x, F unchanged) when no step passes.
bool stall_descent_step(const RnnTrainingProblem& problem, Vector& x, double& F, double armijo, double min_step);

/// The w step of the kink manifold (RolloutOptions::kink_manifold,
/// docs/rnn_bcd.md §8): `trial` holds the unconstrained w step Θ̃ (after
/// minimize_w_block, whose matrix M it uses) and is replaced by the minimizer of
/// ½⟨(Θ − Θ̃)M, Θ − Θ̃⟩ subject to, for each held U entry q with
/// a_q = pre_activation_gradient(x_k, q) in `grads`,
///   newton:  u_q(x_k) + ⟨a_q, Θ − Θ_k⟩ = 0   (back onto the kink, to first order)
///   else:    ⟨a_q, Θ − Θ_k⟩ = 0             (u_q kept, to first order).
/// Θ = Θ̃ − Σ_q μ_q a_q M⁻¹ with (⟨a_q M⁻¹, a_r⟩) μ = the constraints' residual at
/// Θ̃ (minimum-norm μ); returns μ. Only W, V, b of `trial` change.
Vector kink_manifold_step(const RnnTrainingProblem& problem, VectorCRef x_k, const std::vector<int>& held,
                          const std::vector<Matrix>& grads, VectorRef trial, bool newton);

/// The dead-unit step (RolloutOptions::dead_units, docs/rnn_bcd.md §8): at a
/// feasible x, for every unit i with u_{t,i} ≤ tolerance · max(1, ‖U‖∞) at
/// every step, sets W_{i,:}, V_{i,:}, b_i, A_{:,i} and W_{:,i} to 0 and restores
/// feasibility. Returns the number of units whose weights changed (0: x
/// unchanged). With tolerance 0 (units with h_i ≡ 0) F cannot increase; with a
/// positive one the caller compares F.
int zero_dead_units(const RnnTrainingProblem& problem, VectorRef x, double tolerance = 0.0);

/// ‖H − H(θ)‖_F / √(m T): the RMS distance between the states stored in x and
/// the forward pass of the weights stored in x (0 at feasible points).
double rollout_gap(const RnnTrainingProblem& problem, VectorCRef x);

}  // namespace almkit::rnn
