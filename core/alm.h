// The augmented Lagrangian method driver (docs/alm.md).
//
// Two policies share one driver:
//  * kSafeguarded — safeguarded PHR in the style of ALGENCAN (Birgin & Martínez),
//    docs/alm.md §2: multipliers clipped to a box, penalty multiplied by
//    `penalty_increase` when the infeasibility did not drop by `tau`,
//    inner tolerance ε_{k+1} = max(ε_final, θ ε_k).
//  * kReference — the outer loop of Wang, Zhang & Chen (2024) for the RNN,
//    docs/alm.md §3 and docs/rnn.md: one penalty γ, unclipped multipliers,
//    violation measured per equality family in the 2-norm, lagged test.
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "almkit/core/kkt.h"
#include "almkit/core/problem.h"
#include "almkit/solvers/inner_solver.h"

namespace almkit {

enum class AlmPolicy { kSafeguarded, kReference };
const char* to_string(AlmPolicy policy);
/// Parses "safeguarded" / "reference"; returns false on anything else.
bool parse(const std::string& text, AlmPolicy* policy);

/// Why the driver stopped (docs/alm.md "Statuses").
enum class AlmStatus {
  kConverged,             ///< infeasibility, stationarity, complementarity ≤ tolerances
  kIterationLimit,        ///< max_outer_iterations reached
  kTimeLimit,             ///< time_limit_seconds reached
  kPenaltyTooLarge,       ///< β would exceed penalty_max (reference: γ > gamma_max)
  kInfeasibleStationary,  ///< ‖c‖ stalls while ‖Jᵀc‖ → 0: a stationary point of the infeasibility
  kInnerFailure,          ///< the inner solver failed (not a mere iteration limit)
  kNonFinite,             ///< NaN/Inf in f, c, g or the multipliers
  kStoppedByCallback,     ///< the progress callback asked to stop
  kToleranceExhausted,    ///< reference policy: ε < ε_min
  kMultipliersDiverging,  ///< nearly feasible, multipliers grew ≥ 10× in 5 iterations: no KKT point approached
  /// Safeguarded: x, f and the infeasibility stopped changing (stagnation test) at a feasible
  /// point whose stationarity is within tol_stationarity_noise · S, but above tol_stationarity · S.
  kConvergedAtNoiseLevel,
  /// Safeguarded: x, f and the infeasibility stopped changing (stagnation test) elsewhere.
  kStagnated,
};
const char* to_string(AlmStatus status);

struct AlmOptions {
  AlmPolicy policy = AlmPolicy::kSafeguarded;  ///< outer-loop policy
  int max_outer_iterations = 100;              ///< outer iteration limit
  /// Wall-clock limit for the whole solve; each subproblem gets the remaining time
  /// (InnerSolver::set_time_limit), so it is a hard limit for inner solvers that honour it.
  double time_limit_seconds = 1e9;

  // ---- stopping tolerances (both policies report them; safeguarded stops on them)
  double tol_feasibility = 1e-8;      ///< ‖(c, g_+, bounds)‖∞ ≤ tol_feasibility
  /// ‖∇f + J_cᵀλ + J_gᵀμ + ν‖∞ ≤ tol_stationarity · S, where S = max(1, ‖∇f‖∞, ‖J_cᵀλ‖∞, ‖J_gᵀμ‖∞, ‖ν‖∞)
  /// with relative_stationarity (safeguarded policy), S = 1 otherwise (docs/alm.md §1 "Scaled stationarity").
  double tol_stationarity = 1e-8;
  /// Safeguarded: measure stationarity relative to S (above); false: absolute (S = 1).
  /// The reference policy always uses S = 1.
  bool relative_stationarity = true;
  double tol_complementarity = 1e-8;  ///< max_j |μ_j g_j| (bounds included) ≤ tol_complementarity
  /// Converged also needs a stable multiplier estimate:
  /// ‖(λ_{k+1}, μ_{k+1}) − (λ̄_k, μ̄_k)‖∞ ≤ tol_multiplier_change · max(1, ‖(λ_{k+1}, μ_{k+1})‖∞).
  double tol_multiplier_change = 0.1;
  /// At convergence, report kMultipliersDiverging instead when ‖(λ,μ)‖∞ ≥ 1e3·max(1,‖∇f‖∞) and the
  /// active constraint Jacobian has σ_min ≤ 1e-3·max(1, σ_max) (dense check, n ≤ 2000).
  bool check_degeneracy = true;

  // ---- stagnation (safeguarded policy, docs/alm.md §5 "Stagnation")
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

  // ---- safeguarded policy (docs/alm.md §2)
  /// β ← γ β when V_{k+1} > τ V_k. 0.25 by measurement (docs/benchmark.md; ALGENCAN uses 0.5).
  double tau = 0.25;
  double penalty_increase = 10.0; ///< γ, the penalty growth factor
  /// β_0; 0 means β_0 = initial_penalty_factor · max(1,|f(x0)|) / max(1, ½‖viol(x0)‖²) clamped to [1e-8, 1e8]
  double initial_penalty = 0.0;
  /// The factor of the β_0 formula above: 3 by measurement (docs/benchmark.md; ALGENCAN uses 10).
  double initial_penalty_factor = 3.0;
  /// β_0 (when initial_penalty = 0) ≤ initial_penalty_factor · max(1, ‖∇f(x0)‖∞) (one gradient).
  bool initial_penalty_gradient_cap = true;
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
  /// kInfeasibleStationary when V_k > tol_feasibility, β ≥ this, and ‖J_cᵀc + J_gᵀg_+‖∞ ≤ 1e-8 · max(1, V_k).
  double infeasible_stationary_penalty = 1e12;

  // ---- reference policy (docs/alm.md §3; constants of Wang, Zhang & Chen)
  double ref_gamma0 = 1.0;        ///< γ_0
  double ref_eta1 = 0.99;         ///< γ grows when V_{k-1} > η1 V_{k-2}
  double ref_eta2 = 5.0 / 6.0;    ///< γ ← max(γ/η2, ‖ξ_f‖^{1+η3})
  double ref_eta3 = 0.01;         ///< exponent slack in ‖ξ_f‖^{1+η3}
  double ref_eta4 = 5.0 / 6.0;    ///< ε ← η4 ε
  double ref_eps0 = 0.1;          ///< ε_0
  double ref_eps_min = 1e-20;     ///< stop when ε < ε_min
  double ref_gamma_max = 1e4;     ///< stop when γ > γ_max (a test, not a cap)
  bool ref_immediate = false;     ///< compare V_k with V_{k-1} from k ≥ 1 instead of the lagged test
  double ref_restart_threshold = 1e30;  ///< Υ: restart the subproblem from the problem's feasible point when L(x_warm) > Υ

  /// Calls v(name, field, description) for every option (CLI flags, JSON, docs).
  template <class Visitor>
  void visit(Visitor&& v) {
    v("policy", policy, "outer-loop policy: safeguarded | reference");
    v("max_outer_iterations", max_outer_iterations, "outer iteration limit");
    v("time_limit_seconds", time_limit_seconds, "wall-clock limit of the solve, seconds");
    v("tol_feasibility", tol_feasibility, "stop when infeasibility (inf-norm) <= this");
    v("tol_stationarity", tol_stationarity, "stop when KKT stationarity (inf-norm) <= this * S (S = 1 unless relative_stationarity)");
    v("relative_stationarity", relative_stationarity, "safeguarded: S = max(1, |grad f|, |Jc^T lambda|, |Jg^T mu|, |nu|) (inf-norms) instead of 1");
    v("tol_complementarity", tol_complementarity, "stop when max |mu_j g_j| <= this");
    v("tol_multiplier_change", tol_multiplier_change, "stop only when the relative multiplier change <= this");
    v("check_degeneracy", check_degeneracy, "refuse convergence at large multipliers with a nearly singular active Jacobian");
    v("stagnation_tolerance", stagnation_tolerance, "safeguarded: relative change of x and f below which an outer iteration made no progress");
    v("stagnation_iterations", stagnation_iterations, "safeguarded: stop after this many outer iterations without progress (0 = never)");
    v("tol_stationarity_noise", tol_stationarity_noise, "safeguarded: at a stagnation stop, converged_at_noise_level when stationarity <= this * S (and feasible)");
    v("tau", tau, "safeguarded: raise the penalty when V_{k+1} > tau V_k");
    v("penalty_increase", penalty_increase, "safeguarded: penalty growth factor gamma");
    v("initial_penalty", initial_penalty, "safeguarded: beta_0 (0 = factor max(1,|f0|)/max(1,|viol0|^2/2) in [1e-8,1e8])");
    v("initial_penalty_factor", initial_penalty_factor, "safeguarded: the factor of the beta_0 formula");
    v("initial_penalty_gradient_cap", initial_penalty_gradient_cap, "safeguarded: cap beta_0 at factor max(1, |grad f(x0)|) (inf-norm)");
    v("penalty_max", penalty_max, "safeguarded: largest penalty before stopping");
    v("lambda_min", lambda_min, "safeguarded: lower clip of equality multipliers");
    v("lambda_max", lambda_max, "safeguarded: upper clip of equality multipliers");
    v("mu_max", mu_max, "safeguarded: upper clip of inequality multipliers");
    v("inner_tolerance_initial", inner_tolerance_initial, "safeguarded: epsilon_0 of the inner solver");
    v("inner_tolerance_factor", inner_tolerance_factor, "safeguarded: theta, epsilon_{k+1} = max(eps_final, theta eps_k)");
    v("inner_tolerance_final", inner_tolerance_final, "safeguarded: eps_final");
    v("inner_tolerance_progress", inner_tolerance_progress, "safeguarded: eps_{k+1} = max(eps_target, min(theta eps_k, this * infeasibility_k)), 0 = off");
    v("inner_tolerance_final_relative", inner_tolerance_final_relative, "safeguarded: eps_target = max(eps_final, this * tol_stationarity * S), 0 = off");
    v("infeasible_stationary_penalty", infeasible_stationary_penalty, "safeguarded: penalty above which a stalled infeasibility is reported as stationary");
    v("ref_gamma0", ref_gamma0, "reference: initial penalty gamma_0");
    v("ref_eta1", ref_eta1, "reference: eta1, violation-decrease threshold");
    v("ref_eta2", ref_eta2, "reference: eta2, gamma <- gamma/eta2");
    v("ref_eta3", ref_eta3, "reference: eta3, exponent slack");
    v("ref_eta4", ref_eta4, "reference: eta4, epsilon <- eta4 epsilon");
    v("ref_eps0", ref_eps0, "reference: epsilon_0");
    v("ref_eps_min", ref_eps_min, "reference: stop when epsilon < this");
    v("ref_gamma_max", ref_gamma_max, "reference: stop when gamma > this");
    v("ref_immediate", ref_immediate, "reference: immediate instead of lagged violation test");
    v("ref_restart_threshold", ref_restart_threshold, "reference: restart from the feasible point when L(warm start) > this");
  }
  template <class Visitor>
  void visit(Visitor&& v) const { const_cast<AlmOptions*>(this)->visit(std::forward<Visitor>(v)); }

  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

/// One line of the outer-iteration log.
struct AlmIteration {
  int iteration = 0;             ///< k (1-based after the solve of subproblem k)
  double objective = 0.0;        ///< f(x_k)
  double infeasibility = 0.0;    ///< ‖viol(x_k)‖∞
  double stationarity = 0.0;     ///< KKT stationarity with (λ_k, μ_k)
  double penalty = 0.0;          ///< β (γ) used in subproblem k
  double multiplier_norm = 0.0;  ///< ‖(λ_k, μ_k)‖∞
  double inner_tolerance = 0.0;  ///< ε_k given to the inner solver
  InnerResult inner;             ///< what the inner solver reported
  double seconds = 0.0;          ///< elapsed since the start of the solve
  std::vector<double> family_violation;  ///< ‖c_family‖₂ per equality family
};

/// Return false to stop the solve (status kStoppedByCallback).
using AlmCallback = std::function<bool(const AlmIteration&, VectorCRef x)>;

/// Optional warm start: any empty vector falls back to the default.
struct AlmStart {
  Vector x;       ///< default: problem.initial_point()
  Vector lambda;  ///< default: 0
  Vector mu;      ///< default: 0 (problem inequalities only; bound multipliers start at 0)
};

struct AlmSummary {
  AlmStatus status = AlmStatus::kNonFinite;
  std::string message;           ///< one sentence on why it stopped
  std::string problem_name;
  std::string inner_solver_name;
  Vector x;                      ///< last iterate
  Vector lambda;                 ///< equality multipliers
  Vector mu;                     ///< inequality multipliers (problem's g)
  Vector nu;                     ///< bound multipliers ν = μ_upper − μ_lower
  double objective = 0.0;
  KktReport kkt;                 ///< at (x, λ, μ, ν)
  int outer_iterations = 0;
  long inner_iterations = 0;
  EvaluationCounters evaluations;
  double seconds = 0.0;
  double final_penalty = 0.0;
  std::vector<AlmIteration> history;
  bool has_best_feasible = false;  ///< a point with infeasibility ≤ tol_feasibility was seen
  Vector best_feasible_x;          ///< the one with the lowest f among them
  double best_feasible_objective = std::numeric_limits<double>::infinity();
  AlmOptions options;

  std::string BriefReport() const;
  std::string FullReport() const;
};

/// Solves problem by the ALM with the given inner solver.
AlmSummary solve_alm(const ConstrainedProblem& problem, InnerSolver& inner,
                     const AlmOptions& options = {}, const AlmStart& start = {},
                     const AlmCallback& callback = {});

/// Header and one formatted line of the per-iteration log.
std::string alm_log_header();
std::string alm_log_line(const AlmIteration& it);

}  // namespace almkit
