// The safeguarded PHR policy (docs/alm.md §3 "Safeguarded PHR", §5
// "Stagnation"): a strategy of core/alm_policy.h with the options of
// core/alm_safeguarded.h.
#include "almkit/core/alm_safeguarded.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "almkit/core/alm_policy.h"

namespace almkit {

namespace {
// β_0 of the formula is at least this (docs/alm.md §3 "Initial penalty"); the
// upper end is SafeguardedOptions::initial_penalty_max.
constexpr double kInitialPenaltyMin = 1e-8;
}  // namespace

void SafeguardedOptions::validate() const {
  check_open_unit("tau", tau);
  check_option(penalty_increase > 1.0 && std::isfinite(penalty_increase), "penalty_increase", "a finite number > 1",
               penalty_increase);
  check_nonnegative("initial_penalty", initial_penalty);
  check_positive("penalty_max", penalty_max);
  check_option(lambda_min <= 0.0, "lambda_min", "a number <= 0", lambda_min);
  check_option(lambda_max >= 0.0, "lambda_max", "a number >= 0", lambda_max);
  check_option(mu_max >= 0.0, "mu_max", "a number >= 0", mu_max);
  check_positive("inner_tolerance_initial", inner_tolerance_initial);
  check_open_unit("inner_tolerance_factor", inner_tolerance_factor);
  check_positive("inner_tolerance_final", inner_tolerance_final);
  check_nonnegative("inner_tolerance_progress", inner_tolerance_progress);
  check_nonnegative("inner_tolerance_final_relative", inner_tolerance_final_relative);
  check_positive("infeasible_stationary_penalty", infeasible_stationary_penalty);
  check_nonnegative("stagnation_tolerance", stagnation_tolerance);
  check_option(stagnation_iterations >= 0, "stagnation_iterations", "an integer >= 0", stagnation_iterations);
  check_nonnegative("tol_stationarity_noise", tol_stationarity_noise);
  check_positive("initial_penalty_factor", initial_penalty_factor);
  check_option(initial_penalty_max >= kInitialPenaltyMin && std::isfinite(initial_penalty_max), "initial_penalty_max",
               "a finite number >= 1e-8", initial_penalty_max);
  check_nonnegative("diverging_progress_tolerance", diverging_progress_tolerance);
  check_option(diverging_penalty_increase > 1.0 && std::isfinite(diverging_penalty_increase),
               "diverging_penalty_increase", "a finite number > 1", diverging_penalty_increase);
  check_positive("diverging_penalty_max", diverging_penalty_max);
}

namespace {

double inf_norm(const Vector& v) { return v.size() ? v.lpNorm<Eigen::Infinity>() : 0.0; }

// The multiplier-divergence stop inside the loop needs β to have grown by this
// factor first: at a moderate penalty large multipliers are still ordinary
// (docs/alm.md §5, hs013).
constexpr double kDivergingPenaltyGrowth = 1e6;
// An infeasibility that drops below this fraction of the previous one is progress (§5 "Stagnation").
constexpr double kInfeasibilityProgress = 0.9;

class SafeguardedPolicy final : public AlmOuterPolicy {
 public:
  explicit SafeguardedPolicy(const SafeguardedOptions& options) : opt_(options) {}

  void start(AlmState& s) override {
    s.evaluate_constraints();
    const double f0 = s.problem.eval_f(s.x);
    double beta = opt_.initial_penalty;
    if (beta == 0.0) {
      const double viol2 = s.c.squaredNorm() + s.g.cwiseMax(0.0).squaredNorm();
      // ALGENCAN's balance of |f| against the squared violation, capped by the
      // size of ∇f: a large |f(x0)| says nothing about the curvature (hs113,
      // hs118: f0 ~ 1e3, β0 ~ 1e4 made the first subproblem cost 1.2–1.5k
      // evaluations; docs/alm.md §3 "Initial penalty").
      beta = opt_.initial_penalty_factor * std::max(1.0, std::abs(f0)) / std::max(1.0, 0.5 * viol2);
      if (opt_.initial_penalty_gradient_cap) {
        Vector grad0(s.n);
        s.problem.eval_grad_f(s.x, grad0);
        if (grad0.allFinite()) beta = std::min(beta, opt_.initial_penalty_factor * std::max(1.0, inf_norm(grad0)));
      }
      beta = std::clamp(beta, kInitialPenaltyMin, opt_.initial_penalty_max);
    }
    s.penalty = beta;
    s.lambda_bar = s.lambda.cwiseMax(opt_.lambda_min).cwiseMin(opt_.lambda_max);
    s.mu_bar = s.mu.cwiseMax(0.0).cwiseMin(opt_.mu_max);
    V_prev_ = violation(s);
    // Inner tolerance schedule (docs/alm.md §3 "Inner tolerance schedule"):
    // nothing to penalize (bounds kept by the inner solver) → one solve at ε_target.
    s.inner_tolerance = s.m_eq + s.L.num_extended_inequalities() == 0 ? inner_tolerance_target(s)
                                                                      : opt_.inner_tolerance_initial;
    // Stagnation bookkeeping (docs/alm.md §5 "Stagnation").
    x_prev_ = s.x;
    f_prev_ = f0;
    infeas_prev_ = infeasibility(s.problem, s.x);
    no_progress_ = 0;
    continuing_ = false;
    beta_prev_ = beta0_ = beta;
  }

  // V of the penalty test, measured with μ̄ before the update.
  void after_subproblem(AlmState& s) override { V_ = violation(s); }

  double stationarity_scale(const AlmState& s) const override {
    return opt_.relative_stationarity ? s.summary.kkt.stationarity_scale : 1.0;
  }

  bool next(AlmState& s) override {
    const AlmOptions& common = s.options;
    const KktReport& kkt = s.summary.kkt;
    const double beta = s.penalty;
    // The inner solver cannot decrease L_β any more (line search at the
    // rounding level) at a feasible point whose KKT residuals are within the
    // noise tolerances: further subproblems only repeat failing line
    // searches (docs/alm.md §5 "Stagnation").
    // Not under the penalty continuation: there β grows every iteration, so the
    // next subproblem differs, and S (the noise level) holds the diverging
    // multipliers.
    if (!continuing_ && s.last_inner.status == InnerStatus::kNoProgress && at_noise_level(s))
      return stop_stagnated(s, fmt::format("the inner solver made no progress ({})", s.last_inner.message));
    // The test uses the infeasibility of the KKT report (not V, which also
    // measures complementarity through max(g̃, −μ̄/β)): a feasible point is
    // never reported as a stationary point of the infeasibility.
    if (clearly_infeasible(s) && beta >= opt_.infeasible_stationary_penalty) {
      const double r = s.infeasibility_gradient_norm();
      if (r <= kInfeasibleStationaryRatio * std::max(1.0, kkt.infeasibility))
        return s.stop(AlmStatus::kInfeasibleStationary,
                      fmt::format("infeasibility stalls at {:.3g} with ‖Jᵀ viol‖∞ = {:.3g}: a stationary point of the "
                                  "infeasibility, the problem may be infeasible",
                                  kkt.infeasibility, r));
    }
    // Progress of this outer iteration in x, f or the infeasibility.
    const double f_k = s.summary.history.back().objective, infeas_k = kkt.infeasibility;
    const double dx = inf_norm(s.x - x_prev_);
    // Multipliers that keep growing ≥ 10× per 5 iterations at a nearly feasible
    // point after β grew by 1e6: the limit is no KKT point (hs013); more
    // subproblems only push the multipliers and the cost up (docs/alm.md §5).
    // With diverging_continuation the run goes on as a penalty method, whose
    // iterates still approach the minimizer as β grows (Birgin & Martínez's
    // view of the ALM at non-KKT limits), until x and f settle.
    if (beta >= kDivergingPenaltyGrowth * beta0_ && kkt.infeasibility <= common.tol_feasibility &&
        s.multipliers_diverging()) {
      const double rho = opt_.diverging_progress_tolerance;
      const bool settled = dx <= rho * std::max(1.0, inf_norm(s.x)) &&
                           std::abs(f_k - f_prev_) <= rho * std::max(1.0, std::abs(f_k));
      if (!opt_.diverging_continuation || settled)
        return s.stop_at_limit(AlmStatus::kMultipliersDiverging, fmt::format("penalty grew to {:.3g}", beta));
      continuing_ = true;
    }
    const bool x_moved = dx > opt_.stagnation_tolerance * std::max(1.0, inf_norm(s.x));
    // A penalty increase at an infeasible point (decided by the previous
    // iteration) changes the subproblem: the driver is still acting.
    const bool progress = x_moved ||
                          std::abs(f_k - f_prev_) > opt_.stagnation_tolerance * std::max(1.0, std::abs(f_k)) ||
                          (infeas_prev_ > common.tol_feasibility && infeas_k < kInfeasibilityProgress * infeas_prev_) ||
                          (infeas_k > common.tol_feasibility && beta > beta_prev_);
    beta_prev_ = beta;
    no_progress_ = progress ? 0 : no_progress_ + 1;
    x_prev_ = s.x;
    f_prev_ = f_k;
    infeas_prev_ = infeas_k;
    if (opt_.stagnation_iterations > 0 && no_progress_ >= opt_.stagnation_iterations)
      return stop_stagnated(s, fmt::format("no progress in x, f or infeasibility over {} outer iterations", no_progress_));
    const Vector lambda_bar_old = s.lambda_bar, mu_bar_old = s.mu_bar;
    const double eps_old = s.inner_tolerance;
    s.lambda_bar = s.lambda.cwiseMax(opt_.lambda_min).cwiseMin(opt_.lambda_max);
    s.mu_bar = s.mu.cwiseMin(opt_.mu_max);
    // No penalty increase once feasible to tolerance: V then sits at round-off
    // level, where "no decrease by τ" is noise and a growing β only ruins the
    // conditioning of the next subproblem.
    // Penalty continuation (diverging_continuation): no KKT point is approached,
    // so only a growing β moves x toward the minimizer (docs/alm.md §5).
    if (continuing_) {
      if (beta >= opt_.diverging_penalty_max)
        return s.stop_at_limit(AlmStatus::kMultipliersDiverging,
                               fmt::format("penalty reached diverging_penalty_max = {:.3g} during the penalty "
                                           "continuation", opt_.diverging_penalty_max));
      s.penalty = std::min(opt_.diverging_penalty_increase * beta, opt_.diverging_penalty_max);
    } else if (V_ > opt_.tau * V_prev_ && V_ > common.tol_feasibility) {
      if (beta >= opt_.penalty_max)
        return s.stop_at_limit(AlmStatus::kPenaltyTooLarge,
                               fmt::format("penalty reached penalty_max = {:.3g} without enough decrease of the "
                                           "infeasibility ({:.3g})",
                                           opt_.penalty_max, V_));
      s.penalty = std::min(opt_.penalty_increase * beta, opt_.penalty_max);
    }
    V_prev_ = V_;
    s.inner_tolerance = next_inner_tolerance(s, s.inner_tolerance);
    // The next subproblem would repeat this one: same start (x did not
    // move), same β and ε, multipliers equal up to δ max(1, ‖·‖∞). Its
    // answer is known, so stop now instead of paying for it again.
    if (opt_.stagnation_iterations > 0 && !x_moved && s.penalty == beta && s.inner_tolerance == eps_old) {
      const double dm = std::max(inf_norm(s.lambda_bar - lambda_bar_old), inf_norm(s.mu_bar - mu_bar_old));
      const double mscale = std::max({1.0, inf_norm(s.lambda_bar), inf_norm(s.mu_bar)});
      if (dm <= opt_.stagnation_tolerance * mscale)
        return stop_stagnated(s, "the next subproblem would repeat the last one (x, penalty, inner tolerance and "
                                 "multipliers unchanged)");
    }
    return true;
  }

 private:
  // ε_target: the outer stationarity test needs ‖∇L_β‖∞ ≤ tol_stationarity · S
  // (∇L_β is the Lagrangian gradient at the updated multipliers), no less.
  // Under the penalty continuation S = 1: S then measures the diverging
  // multipliers' terms, which cancel each other (hs013: J_gᵀμ against the
  // bound multiplier of x₂ ≥ 0), not the accuracy x needs (docs/alm.md §5).
  double inner_tolerance_target(const AlmState& s) const {
    const double S = s.summary.history.empty() || continuing_ ? 1.0 : stationarity_scale(s);
    return std::max(opt_.inner_tolerance_final, opt_.inner_tolerance_final_relative * s.options.tol_stationarity * S);
  }

  // ε_{k+1} = max(ε_target, min(θ ε_k, κ V_k)): tied to the outer progress as
  // in ALGENCAN/LANCELOT, so that a nearly feasible iterate gets a tight
  // subproblem at once instead of one more decade per outer iteration.
  double next_inner_tolerance(const AlmState& s, double eps) const {
    double next = opt_.inner_tolerance_factor * eps;
    if (opt_.inner_tolerance_progress > 0.0)
      next = std::min(next, opt_.inner_tolerance_progress * s.summary.kkt.infeasibility);
    return std::max(inner_tolerance_target(s), next);
  }

  // infeasible_stationary needs an infeasibility above √tol_feasibility (1e-4 by
  // default): a nearly feasible point where ‖Jᵀviol‖ vanishes is a degenerate
  // feasible point (hs013 with Ceres L-BFGS ended at infeasibility 2e-8), not
  // evidence that the problem is infeasible (docs/alm.md §5).
  bool clearly_infeasible(const AlmState& s) const {
    const double tol = s.options.tol_feasibility;
    return s.summary.kkt.infeasibility > std::max(tol, std::sqrt(tol));
  }

  // Feasible, with stationarity ≤ tol_stationarity_noise · S and complementarity ≤ tol_complementarity · S.
  bool at_noise_level(const AlmState& s) const {
    const AlmOptions& common = s.options;
    const double S = stationarity_scale(s);
    const KktReport& kkt = s.summary.kkt;
    return kkt.infeasibility <= common.tol_feasibility && kkt.stationarity <= opt_.tol_stationarity_noise * S &&
           kkt.complementarity <= common.tol_complementarity * S && kkt.sign_violation <= common.tol_complementarity * S;
  }

  double violation(const AlmState& s) const {
    return std::max(inf_norm(s.c), inf_norm(s.g.cwiseMax(-s.mu_bar / s.penalty)));
  }

  // Stagnation stop (docs/alm.md §5 "Stagnation"): converged_at_noise_level at
  // a feasible point whose KKT residuals are within the noise tolerances;
  // infeasible_stationary at an infeasible point that is stationary for the
  // infeasibility; stagnated otherwise. Returns false (the solve stops).
  bool stop_stagnated(AlmState& s, const std::string& why) const {
    const double S = stationarity_scale(s);
    const KktReport& kkt = s.summary.kkt;
    if (clearly_infeasible(s)) {
      const double r = s.infeasibility_gradient_norm();
      if (r <= kInfeasibleStationaryRatio * std::max(1.0, kkt.infeasibility))
        return s.stop(AlmStatus::kInfeasibleStationary,
                      fmt::format("{}; infeasibility stalls at {:.3g} with ‖Jᵀ viol‖∞ = {:.3g}: a stationary point "
                                  "of the infeasibility, the problem may be infeasible",
                                  why, kkt.infeasibility, r));
    }
    // Under penalty continuation no KKT point is approached: the residuals are
    // small only because the multipliers are huge (S), so no convergence claim.
    if (continuing_)
      return s.stop(AlmStatus::kMultipliersDiverging,
                    fmt::format("{}; during the penalty continuation after diverging multipliers (β = {:.3g}): "
                                "no KKT point is approached",
                                why, s.penalty));
    if (at_noise_level(s))
      return s.stop(AlmStatus::kConvergedAtNoiseLevel,
                    fmt::format("{}; feasible ({:.3g}) with stationarity {:.3g} ≤ tol_stationarity_noise · S = {:.3g} "
                                "(S = {:.3g}): the KKT residual is at the rounding level of the gradient",
                                why, kkt.infeasibility, kkt.stationarity, opt_.tol_stationarity_noise * S, S));
    return s.stop_at_limit(AlmStatus::kStagnated,
                           fmt::format("{}; infeasibility {:.3g}, stationarity {:.3g} (S = {:.3g}), complementarity {:.3g}",
                                       why, kkt.infeasibility, kkt.stationarity, S, kkt.complementarity));
  }

  const SafeguardedOptions opt_;
  double V_ = 0.0, V_prev_ = 0.0;
  Vector x_prev_;
  double f_prev_ = 0.0, infeas_prev_ = 0.0, beta_prev_ = 0.0, beta0_ = 0.0;
  int no_progress_ = 0;
  bool continuing_ = false;  ///< penalty continuation after diverging multipliers
};

}  // namespace

std::unique_ptr<AlmOuterPolicy> make_safeguarded_policy(const SafeguardedOptions& options) {
  return std::make_unique<SafeguardedPolicy>(options);
}

}  // namespace almkit
