#include "almkit/core/alm.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include <Eigen/SVD>

#include <fmt/core.h>

#include "almkit/core/augmented_lagrangian.h"

namespace almkit {

const char* to_string(AlmPolicy policy) {
  return policy == AlmPolicy::kReference ? "reference" : "safeguarded";
}

bool parse(const std::string& text, AlmPolicy* policy) {
  if (text == "safeguarded") *policy = AlmPolicy::kSafeguarded;
  else if (text == "reference") *policy = AlmPolicy::kReference;
  else return false;
  return true;
}

const char* to_string(AlmStatus status) {
  switch (status) {
    case AlmStatus::kConverged: return "converged";
    case AlmStatus::kIterationLimit: return "iteration_limit";
    case AlmStatus::kTimeLimit: return "time_limit";
    case AlmStatus::kPenaltyTooLarge: return "penalty_too_large";
    case AlmStatus::kInfeasibleStationary: return "infeasible_stationary";
    case AlmStatus::kInnerFailure: return "inner_failure";
    case AlmStatus::kNonFinite: return "non_finite";
    case AlmStatus::kStoppedByCallback: return "stopped_by_callback";
    case AlmStatus::kToleranceExhausted: return "tolerance_exhausted";
    case AlmStatus::kMultipliersDiverging: return "multipliers_diverging";
    case AlmStatus::kConvergedAtNoiseLevel: return "converged_at_noise_level";
    case AlmStatus::kStagnated: return "stagnated";
  }
  return "unknown";
}

void AlmOptions::validate() const {
  auto fail = [](const char* name, const std::string& expected, double value) {
    throw std::invalid_argument(fmt::format("option {}: expected {}, got {}", name, expected, value));
  };
  auto positive = [&](const char* name, double v) {
    if (!(v > 0.0) || !std::isfinite(v)) fail(name, "a finite number > 0", v);
  };
  auto nonneg = [&](const char* name, double v) {
    if (!(v >= 0.0) || !std::isfinite(v)) fail(name, "a finite number >= 0", v);
  };
  auto open_unit = [&](const char* name, double v) {
    if (!(v > 0.0 && v < 1.0)) fail(name, "a number in (0, 1)", v);
  };
  if (max_outer_iterations < 0) fail("max_outer_iterations", "an integer >= 0", max_outer_iterations);
  positive("time_limit_seconds", time_limit_seconds);
  nonneg("tol_feasibility", tol_feasibility);
  nonneg("tol_stationarity", tol_stationarity);
  nonneg("tol_complementarity", tol_complementarity);
  positive("tol_multiplier_change", tol_multiplier_change);
  open_unit("tau", tau);
  if (!(penalty_increase > 1.0) || !std::isfinite(penalty_increase)) fail("penalty_increase", "a finite number > 1", penalty_increase);
  nonneg("initial_penalty", initial_penalty);
  positive("penalty_max", penalty_max);
  if (!(lambda_min <= 0.0)) fail("lambda_min", "a number <= 0", lambda_min);
  if (!(lambda_max >= 0.0)) fail("lambda_max", "a number >= 0", lambda_max);
  if (!(mu_max >= 0.0)) fail("mu_max", "a number >= 0", mu_max);
  positive("inner_tolerance_initial", inner_tolerance_initial);
  open_unit("inner_tolerance_factor", inner_tolerance_factor);
  positive("inner_tolerance_final", inner_tolerance_final);
  nonneg("inner_tolerance_progress", inner_tolerance_progress);
  nonneg("inner_tolerance_final_relative", inner_tolerance_final_relative);
  positive("infeasible_stationary_penalty", infeasible_stationary_penalty);
  nonneg("stagnation_tolerance", stagnation_tolerance);
  if (stagnation_iterations < 0) fail("stagnation_iterations", "an integer >= 0", stagnation_iterations);
  nonneg("tol_stationarity_noise", tol_stationarity_noise);
  positive("initial_penalty_factor", initial_penalty_factor);
  positive("ref_gamma0", ref_gamma0);
  open_unit("ref_eta1", ref_eta1);
  open_unit("ref_eta2", ref_eta2);
  nonneg("ref_eta3", ref_eta3);
  open_unit("ref_eta4", ref_eta4);
  positive("ref_eps0", ref_eps0);
  nonneg("ref_eps_min", ref_eps_min);
  positive("ref_gamma_max", ref_gamma_max);
  positive("ref_restart_threshold", ref_restart_threshold);
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double inf_norm(const Vector& v) { return v.size() ? v.lpNorm<Eigen::Infinity>() : 0.0; }

// Shared state of one solve; the two policies differ only in how they update
// the penalty, the multipliers and the inner tolerance (docs/alm.md §2, §3).
class AlmRun {
 public:
  AlmRun(const ConstrainedProblem& problem, InnerSolver& inner, const AlmOptions& options,
         const AlmStart& start, const AlmCallback& callback)
      : problem_(problem), inner_(inner), opt_(options), callback_(callback),
        bounds_in_inner_(inner.handles_bounds()), L_(problem, !bounds_in_inner_),
        n_(problem.num_variables()), m_eq_(problem.num_equalities()), m_in_(problem.num_inequalities()),
        families_(problem.equality_family_sizes()) {
    opt_.validate();
    x_ = start.x.size() ? start.x : problem.initial_point();
    if (x_.size() != n_)
      throw std::invalid_argument(fmt::format("start point has {} entries, problem '{}' has {} variables",
                                              x_.size(), problem.name(), n_));
    if (!x_.allFinite()) throw std::invalid_argument("start point contains NaN or Inf");
    // A bound-constrained inner solver keeps x in the box; start there too.
    if (bounds_in_inner_) x_ = x_.cwiseMax(problem.lower_bounds()).cwiseMin(problem.upper_bounds());
    lambda_ = Vector::Zero(m_eq_);
    if (start.lambda.size()) {
      if (start.lambda.size() != m_eq_) throw std::invalid_argument("warm-start lambda has the wrong size");
      lambda_ = start.lambda;
    }
    mu_ = Vector::Zero(L_.num_extended_inequalities());
    if (start.mu.size()) {
      if (start.mu.size() != m_in_) throw std::invalid_argument("warm-start mu has the wrong size");
      mu_.head(m_in_) = start.mu.cwiseMax(0.0);
    }
    int total = 0;
    for (int s : families_) total += s;
    if (total != m_eq_) families_ = {m_eq_};
    c_.resize(m_eq_);
    g_.resize(L_.num_extended_inequalities());
    s_.problem_name = problem.name();
    s_.inner_solver_name = inner.name();
    s_.options = opt_;
  }

  AlmSummary run() {
    t0_ = Clock::now();
    problem_.reset_counters();
    // The inner solver's time limit is the ALM's remaining time during the
    // solve (docs/alm.md §4, time_limit_seconds) and is restored afterwards.
    struct RestoreTimeLimit {
      InnerSolver& inner;
      double seconds;
      ~RestoreTimeLimit() { inner.set_time_limit(seconds); }
    } restore{inner_, inner_.time_limit()};
    if (opt_.policy == AlmPolicy::kReference) run_reference();
    else run_safeguarded();
    finish();
    return std::move(s_);
  }

 private:
  void evaluate_constraints() {
    if (m_eq_) problem_.eval_c(x_, c_);
    if (g_.size()) L_.extended_inequalities(x_, g_);
  }

  std::vector<double> family_norms(const Vector& v) const {
    std::vector<double> out;
    int offset = 0;
    for (int size : families_) {
      out.push_back(v.segment(offset, size).norm());
      offset += size;
    }
    return out;
  }

  Vector nu() const {
    if (bounds_in_inner_) return nu_.size() == n_ ? nu_ : Vector::Zero(n_);
    return L_.bounds().bound_multipliers(mu_.tail(L_.bounds().size()), n_);
  }

  // Records iteration k; returns false when the solve must stop (status set).
  bool record(int k, double penalty, double eps, const InnerResult& inner) {
    AlmIteration it;
    it.iteration = k;
    it.objective = problem_.eval_f(x_);
    // Bounds kept by the inner solver: ν from the projected Lagrangian gradient.
    s_.kkt = bounds_in_inner_ ? kkt_residuals_projected(problem_, x_, lambda_, mu_.head(m_in_), &nu_)
                              : kkt_residuals(problem_, x_, lambda_, mu_.head(m_in_), nu());
    it.infeasibility = s_.kkt.infeasibility;
    it.stationarity = s_.kkt.stationarity;
    it.penalty = penalty;
    it.multiplier_norm = std::max(inf_norm(lambda_), inf_norm(mu_));
    it.inner_tolerance = eps;
    it.inner = inner;
    it.seconds = seconds_since(t0_);
    it.family_violation = family_norms(c_);
    s_.history.push_back(it);
    s_.outer_iterations = k;
    s_.inner_iterations += inner.iterations;
    s_.objective = it.objective;
    s_.final_penalty = penalty;
    if (!std::isfinite(it.objective) || !std::isfinite(it.infeasibility) || !std::isfinite(it.stationarity) ||
        !lambda_.allFinite() || !mu_.allFinite()) {
      return stop(AlmStatus::kNonFinite, "non-finite objective, constraint or multiplier value");
    }
    if (it.infeasibility <= opt_.tol_feasibility && it.objective < s_.best_feasible_objective) {
      s_.has_best_feasible = true;
      s_.best_feasible_x = x_;
      s_.best_feasible_objective = it.objective;
    }
    if (callback_ && !callback_(it, x_)) return stop(AlmStatus::kStoppedByCallback, "the progress callback asked to stop");
    return true;
  }

  bool stop(AlmStatus status, std::string message) {
    s_.status = status;
    s_.message = std::move(message);
    return false;
  }

  bool time_left() {
    if (seconds_since(t0_) < opt_.time_limit_seconds) return true;
    return stop(AlmStatus::kTimeLimit, fmt::format("time limit of {} s reached", opt_.time_limit_seconds));
  }

  // Converged: KKT residuals within tolerance and the multiplier estimate
  // stable (relative change ≤ tol_multiplier_change). The second test keeps the
  // driver from declaring convergence where the multipliers grow without bound
  // (approximate KKT sequences at non-KKT points, docs/alm.md "Statuses").
  bool converged(double multiplier_change) const {
    const double scale = std::max({1.0, inf_norm(lambda_), inf_norm(mu_)});
    return s_.kkt.satisfied(opt_.tol_stationarity * stationarity_scale(), opt_.tol_feasibility,
                            opt_.tol_complementarity) &&
           multiplier_change <= opt_.tol_multiplier_change * scale;
  }

  // S of docs/alm.md §1 "Scaled stationarity" for the safeguarded policy with
  // relative_stationarity; 1 (the absolute test) for the reference policy.
  double stationarity_scale() const {
    if (opt_.policy == AlmPolicy::kReference || !opt_.relative_stationarity) return 1.0;
    return s_.kkt.stationarity_scale;
  }

  // The remaining wall-clock time handed to the inner solver (a hard limit for
  // solvers that honour InnerSolver::set_time_limit).
  void pass_time_limit() { inner_.set_time_limit(std::max(0.0, opt_.time_limit_seconds - seconds_since(t0_))); }

  // Tolerances met. Approximate KKT points also exist where no KKT point does
  // (min x s.t. x² = 0): there the active constraint Jacobian is nearly
  // singular and the multipliers are O(1/σ_min). Such a point is reported as
  // kMultipliersDiverging, not as converged (docs/alm.md "Statuses").
  void stop_converged() {
    if (opt_.check_degeneracy && n_ <= 2000) {
      const double mult = std::max(inf_norm(lambda_), inf_norm(mu_));
      Vector grad(n_);
      problem_.eval_grad_f(x_, grad);
      if (mult >= 1e3 * std::max(1.0, inf_norm(grad))) {
        std::vector<Vector> rows;
        if (m_eq_) {
          const Matrix Jc = problem_.eval_jac_c(x_);
          for (int i = 0; i < Jc.rows(); ++i) rows.push_back(Jc.row(i).transpose());
        }
        if (m_in_) {
          const Matrix Jg = problem_.eval_jac_g(x_);
          for (int j = 0; j < m_in_; ++j)
            if (mu_[j] > 0 || g_[j] >= -opt_.tol_feasibility) rows.push_back(Jg.row(j).transpose());
        }
        const auto& b = L_.bounds();
        int j = m_in_;
        for (int k : b.lower) if (mu_[j++] > 0) rows.push_back(Vector::Unit(n_, k));
        for (int k : b.upper) if (mu_[j++] > 0) rows.push_back(Vector::Unit(n_, k));
        if (bounds_in_inner_)
          for (int k = 0; k < nu_.size(); ++k) if (nu_[k] != 0.0) rows.push_back(Vector::Unit(n_, k));
        if (!rows.empty() && rows.size() <= 2000) {
          Matrix J(static_cast<Eigen::Index>(rows.size()), n_);
          for (size_t i = 0; i < rows.size(); ++i) J.row(static_cast<Eigen::Index>(i)) = rows[i].transpose();
          const Vector sv = Eigen::BDCSVD<Matrix>(J).singularValues();
          const double smin = sv.size() ? sv.minCoeff() : 0.0, smax = sv.size() ? sv.maxCoeff() : 0.0;
          if (J.rows() <= n_ && smin <= 1e-3 * std::max(1.0, smax)) {
            stop(AlmStatus::kMultipliersDiverging,
                 fmt::format("KKT residuals within tolerance, but the multipliers are large (‖λ,μ‖∞ = {:.3g}) and the "
                             "active constraint Jacobian is nearly singular (σ_min = {:.3g}): an approximate KKT "
                             "point where NNAMCQ probably fails, not a KKT point (check with almkit verify)",
                             mult, smin));
            return;
          }
        }
      }
    }
    stop(AlmStatus::kConverged, "KKT residuals within tolerance");
  }

  // Multipliers that grew by ≥ 10× over the last 5 iterations while feasible:
  // the limit is most likely a point where NNAMCQ fails and no KKT point exists.
  bool multipliers_diverging() const {
    const auto& h = s_.history;
    if (h.size() < 6) return false;
    const auto& last = h.back();
    const auto& before = h[h.size() - 6];
    return last.infeasibility <= std::sqrt(std::max(opt_.tol_feasibility, 1e-300)) &&
           last.multiplier_norm >= 10.0 * std::max(1.0, before.multiplier_norm);
  }

  void stop_at_limit(AlmStatus status, std::string message) {
    if (multipliers_diverging()) {
      const auto& h = s_.history;
      stop(AlmStatus::kMultipliersDiverging,
           fmt::format("nearly feasible, but the multipliers grow without bound (‖λ,μ‖∞ {:.3g} → {:.3g} over the "
                       "last 5 iterations): no KKT point is approached; NNAMCQ probably fails at the limit "
                       "(check with almkit verify). Stopped by: {}",
                       h[h.size() - 6].multiplier_norm, h.back().multiplier_norm, message));
    } else {
      stop(status, std::move(message));
    }
  }

  InnerResult solve_subproblem(double beta, double eps) {
    L_.set_parameters(lambda_bar_, mu_bar_, beta);
    pass_time_limit();
    InnerResult r = inner_.minimize(L_, x_, eps);
    return r;
  }

  // ‖∇(½‖c‖² + ½‖g̃₊‖²)‖∞ = ‖J_cᵀc + J_g̃ᵀg̃₊‖∞ at x: small while the
  // infeasibility is not means x is stationary for the infeasibility, where
  // no penalty increase helps.
  double infeasibility_gradient_norm() const {
    Vector grad = Vector::Zero(n_), tmp(n_);
    if (m_eq_) {
      problem_.eval_jac_c_t_prod(x_, c_, tmp);
      grad += tmp;
    }
    if (g_.size()) L_.add_extended_jt_prod(x_, g_.cwiseMax(0.0), grad);
    return inf_norm(grad);
  }

  // infeasible_stationary needs an infeasibility above √tol_feasibility (1e-4 by
  // default): a nearly feasible point where ‖Jᵀviol‖ vanishes is a degenerate
  // feasible point (hs013 with Ceres L-BFGS ended at infeasibility 2e-8), not
  // evidence that the problem is infeasible (docs/alm.md §5).
  bool clearly_infeasible() const {
    return s_.kkt.infeasibility > std::max(opt_.tol_feasibility, std::sqrt(opt_.tol_feasibility));
  }

  // Feasible, with stationarity ≤ tol_stationarity_noise · S and complementarity ≤ tol_complementarity · S.
  bool at_noise_level() const {
    const double S = stationarity_scale();
    const auto& kkt = s_.kkt;
    return kkt.infeasibility <= opt_.tol_feasibility && kkt.stationarity <= opt_.tol_stationarity_noise * S &&
           kkt.complementarity <= opt_.tol_complementarity * S && kkt.sign_violation <= opt_.tol_complementarity * S;
  }

  // Stagnation stop (docs/alm.md §5 "Stagnation"): converged_at_noise_level at
  // a feasible point whose KKT residuals are within the noise tolerances;
  // infeasible_stationary at an infeasible point that is stationary for the
  // infeasibility; stagnated otherwise.
  void stop_stagnated(const std::string& why) {
    const double S = stationarity_scale();
    const auto& kkt = s_.kkt;
    if (clearly_infeasible()) {
      const double r = infeasibility_gradient_norm();
      if (r <= 1e-8 * std::max(1.0, kkt.infeasibility)) {
        stop(AlmStatus::kInfeasibleStationary,
             fmt::format("{}; infeasibility stalls at {:.3g} with ‖Jᵀ viol‖∞ = {:.3g}: a stationary point of the "
                         "infeasibility, the problem may be infeasible",
                         why, kkt.infeasibility, r));
        return;
      }
    }
    if (at_noise_level()) {
      stop(AlmStatus::kConvergedAtNoiseLevel,
           fmt::format("{}; feasible ({:.3g}) with stationarity {:.3g} ≤ tol_stationarity_noise · S = {:.3g} "
                       "(S = {:.3g}): the KKT residual is at the rounding level of the gradient",
                       why, kkt.infeasibility, kkt.stationarity, opt_.tol_stationarity_noise * S, S));
    } else {
      stop_at_limit(AlmStatus::kStagnated,
                    fmt::format("{}; infeasibility {:.3g}, stationarity {:.3g} (S = {:.3g}), complementarity {:.3g}",
                                why, kkt.infeasibility, kkt.stationarity, S, kkt.complementarity));
    }
  }

  // ε_target: the outer stationarity test needs ‖∇L_β‖∞ ≤ tol_stationarity · S
  // (∇L_β is the Lagrangian gradient at the updated multipliers), no less.
  double inner_tolerance_target() const {
    const double S = s_.history.empty() ? 1.0 : stationarity_scale();
    return std::max(opt_.inner_tolerance_final, opt_.inner_tolerance_final_relative * opt_.tol_stationarity * S);
  }

  // ε_{k+1} = max(ε_target, min(θ ε_k, κ V_k)): tied to the outer progress as
  // in ALGENCAN/LANCELOT, so that a nearly feasible iterate gets a tight
  // subproblem at once instead of one more decade per outer iteration.
  double next_inner_tolerance(double eps) const {
    double next = opt_.inner_tolerance_factor * eps;
    if (opt_.inner_tolerance_progress > 0.0) next = std::min(next, opt_.inner_tolerance_progress * s_.kkt.infeasibility);
    return std::max(inner_tolerance_target(), next);
  }

  void run_safeguarded() {
    evaluate_constraints();
    const double f0 = problem_.eval_f(x_);
    double beta = opt_.initial_penalty;
    if (beta == 0.0) {
      const double viol2 = c_.squaredNorm() + g_.cwiseMax(0.0).squaredNorm();
      // ALGENCAN's balance of |f| against the squared violation, capped by the
      // size of ∇f: a large |f(x0)| says nothing about the curvature (hs113,
      // hs118: f0 ~ 1e3, β0 ~ 1e4 made the first subproblem cost 1.2–1.5k
      // evaluations; docs/alm.md §3 "Initial penalty").
      beta = opt_.initial_penalty_factor * std::max(1.0, std::abs(f0)) / std::max(1.0, 0.5 * viol2);
      if (opt_.initial_penalty_gradient_cap) {
        Vector grad0(n_);
        problem_.eval_grad_f(x_, grad0);
        if (grad0.allFinite())
          beta = std::min(beta, opt_.initial_penalty_factor * std::max(1.0, inf_norm(grad0)));
      }
      beta = std::clamp(beta, 1e-8, 1e8);
    }
    lambda_bar_ = lambda_.cwiseMax(opt_.lambda_min).cwiseMin(opt_.lambda_max);
    mu_bar_ = mu_.cwiseMax(0.0).cwiseMin(opt_.mu_max);
    double V_prev = std::max(inf_norm(c_), inf_norm(g_.cwiseMax(-mu_bar_ / beta)));
    // Inner tolerance schedule (docs/alm.md §3 "Inner tolerance schedule"):
    // nothing to penalize (bounds kept by the inner solver) → one solve at ε_target.
    double eps = m_eq_ + L_.num_extended_inequalities() == 0 ? inner_tolerance_target() : opt_.inner_tolerance_initial;
    // Stagnation bookkeeping (docs/alm.md §5 "Stagnation").
    Vector x_prev = x_;
    double f_prev = f0, infeas_prev = infeasibility(problem_, x_);
    int no_progress = 0;
    double beta_prev = beta;
    const double beta0 = beta;
    for (int k = 1;; ++k) {
      if (k > opt_.max_outer_iterations) {
        stop_at_limit(AlmStatus::kIterationLimit, fmt::format("{} outer iterations", opt_.max_outer_iterations));
        return;
      }
      if (!time_left()) return;
      const InnerResult inner = solve_subproblem(beta, eps);
      if (!x_.allFinite()) {
        stop(AlmStatus::kNonFinite, "the inner solver returned a non-finite point");
        return;
      }
      evaluate_constraints();
      const Vector lambda_old = lambda_bar_, mu_old = mu_bar_;
      lambda_ = lambda_bar_ + beta * c_;
      mu_ = (mu_bar_ + beta * g_).cwiseMax(0.0);
      const double V = std::max(inf_norm(c_), inf_norm(g_.cwiseMax(-mu_bar_ / beta)));
      const double change = std::max(inf_norm(lambda_ - lambda_old), inf_norm(mu_ - mu_old));
      if (!record(k, beta, eps, inner)) return;
      if (converged(change)) {
        stop_converged();
        return;
      }
      if (inner.status == InnerStatus::kFailure) {
        stop(AlmStatus::kInnerFailure, "inner solver failed: " + inner.message);
        return;
      }
      // The inner solver cannot decrease L_β any more (line search at the
      // rounding level) at a feasible point whose KKT residuals are within the
      // noise tolerances: further subproblems only repeat failing line
      // searches (docs/alm.md §5 "Stagnation").
      if (inner.status == InnerStatus::kNoProgress && at_noise_level()) {
        stop_stagnated(fmt::format("the inner solver made no progress ({})", inner.message));
        return;
      }
      if (inner.status == InnerStatus::kNonFinite) {
        stop(AlmStatus::kNonFinite, "inner solver met non-finite values: " + inner.message);
        return;
      }
      // The test uses the infeasibility of the KKT report (not V, which also
      // measures complementarity through max(g̃, −μ̄/β)): a feasible point is
      // never reported as a stationary point of the infeasibility.
      if (clearly_infeasible() && beta >= opt_.infeasible_stationary_penalty) {
        const double r = infeasibility_gradient_norm();
        if (r <= 1e-8 * std::max(1.0, s_.kkt.infeasibility)) {
          stop(AlmStatus::kInfeasibleStationary,
               fmt::format("infeasibility stalls at {:.3g} with ‖Jᵀ viol‖∞ = {:.3g}: a stationary point of the "
                           "infeasibility, the problem may be infeasible",
                           s_.kkt.infeasibility, r));
          return;
        }
      }
      // Multipliers that keep growing ≥ 10× per 5 iterations at a nearly feasible
      // point after β grew by 1e6: the limit is no KKT point (hs013); more
      // subproblems only push the multipliers and the cost up (docs/alm.md §5).
      if (beta >= 1e6 * beta0 && s_.kkt.infeasibility <= opt_.tol_feasibility && multipliers_diverging()) {
        stop_at_limit(AlmStatus::kMultipliersDiverging, fmt::format("penalty grew to {:.3g}", beta));
        return;
      }
      // Progress of this outer iteration in x, f or the infeasibility.
      const double f_k = s_.history.back().objective, infeas_k = s_.kkt.infeasibility;
      const double dx = inf_norm(x_ - x_prev);
      const bool x_moved = dx > opt_.stagnation_tolerance * std::max(1.0, inf_norm(x_));
      // A penalty increase at an infeasible point (step 5 below, decided by the
      // previous iteration) changes the subproblem: the driver is still acting.
      const bool progress = x_moved ||
                            std::abs(f_k - f_prev) > opt_.stagnation_tolerance * std::max(1.0, std::abs(f_k)) ||
                            (infeas_prev > opt_.tol_feasibility && infeas_k < 0.9 * infeas_prev) ||
                            (infeas_k > opt_.tol_feasibility && beta > beta_prev);
      beta_prev = beta;
      no_progress = progress ? 0 : no_progress + 1;
      x_prev = x_;
      f_prev = f_k;
      infeas_prev = infeas_k;
      if (opt_.stagnation_iterations > 0 && no_progress >= opt_.stagnation_iterations) {
        stop_stagnated(fmt::format("no progress in x, f or infeasibility over {} outer iterations", no_progress));
        return;
      }
      const Vector lambda_bar_old = lambda_bar_, mu_bar_old = mu_bar_;
      const double beta_old = beta, eps_old = eps;
      lambda_bar_ = lambda_.cwiseMax(opt_.lambda_min).cwiseMin(opt_.lambda_max);
      mu_bar_ = mu_.cwiseMin(opt_.mu_max);
      // No penalty increase once feasible to tolerance: V then sits at round-off
      // level, where "no decrease by τ" is noise and a growing β only ruins the
      // conditioning of the next subproblem.
      if (V > opt_.tau * V_prev && V > opt_.tol_feasibility) {
        if (beta >= opt_.penalty_max) {
          stop_at_limit(AlmStatus::kPenaltyTooLarge,
                        fmt::format("penalty reached penalty_max = {:.3g} without enough decrease of the "
                                    "infeasibility ({:.3g})",
                                    opt_.penalty_max, V));
          return;
        }
        beta = std::min(opt_.penalty_increase * beta, opt_.penalty_max);
      }
      V_prev = V;
      eps = next_inner_tolerance(eps);
      // The next subproblem would repeat this one: same start (x did not
      // move), same β and ε, multipliers equal up to δ max(1, ‖·‖∞). Its
      // answer is known, so stop now instead of paying for it again.
      if (opt_.stagnation_iterations > 0 && !x_moved && beta == beta_old && eps == eps_old) {
        const double dm = std::max(inf_norm(lambda_bar_ - lambda_bar_old), inf_norm(mu_bar_ - mu_bar_old));
        const double mscale = std::max({1.0, inf_norm(lambda_bar_), inf_norm(mu_bar_)});
        if (dm <= opt_.stagnation_tolerance * mscale) {
          stop_stagnated("the next subproblem would repeat the last one (x, penalty, inner tolerance and "
                         "multipliers unchanged)");
          return;
        }
      }
    }
  }

  double family_max(const std::vector<double>& v) const {
    return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
  }

  void run_reference() {
    double gamma = opt_.ref_gamma0;
    double eps = opt_.ref_eps0;
    evaluate_constraints();
    // V_hist[j + 1] = V_j, the violation after outer iteration j; V_hist[0] is the start's.
    std::vector<double> V_hist{family_max(family_norms(c_))};
    for (int k = 0;; ++k) {
      if (k >= opt_.max_outer_iterations) {
        stop_at_limit(AlmStatus::kIterationLimit, fmt::format("{} outer iterations", opt_.max_outer_iterations));
        return;
      }
      if (!time_left()) return;
      lambda_bar_ = lambda_;
      mu_bar_ = mu_;
      L_.set_parameters(lambda_bar_, mu_bar_, gamma);
      // Restart safeguard (docs/alm.md §3): a warm start whose AL value exploded
      // is replaced by the problem's feasible completion, then the start point.
      if (!(L_.value(x_) <= opt_.ref_restart_threshold)) {
        if (!problem_.restore_feasibility(x_) || !(L_.value(x_) <= opt_.ref_restart_threshold))
          x_ = problem_.initial_point();
      }
      pass_time_limit();
      const InnerResult inner = inner_.minimize(L_, x_, eps);
      if (!x_.allFinite()) {
        stop(AlmStatus::kNonFinite, "the inner solver returned a non-finite point");
        return;
      }
      evaluate_constraints();
      const Vector lambda_old = lambda_, mu_old = mu_;
      lambda_ += gamma * c_;
      mu_ = (mu_ + gamma * g_).cwiseMax(0.0);
      const double change = std::max(inf_norm(lambda_ - lambda_old), inf_norm(mu_ - mu_old));
      V_hist.push_back(family_max(family_norms(c_)));
      if (!record(k + 1, gamma, eps, inner)) return;
      if (converged(change)) {
        stop_converged();
        return;
      }
      if (inner.status == InnerStatus::kFailure || inner.status == InnerStatus::kNonFinite) {
        stop(inner.status == InnerStatus::kFailure ? AlmStatus::kInnerFailure : AlmStatus::kNonFinite,
             "inner solver: " + inner.message);
        return;
      }
      if (eps < opt_.ref_eps_min) {
        stop(AlmStatus::kToleranceExhausted, fmt::format("inner tolerance {:.3g} < ref_eps_min", eps));
        return;
      }
      if (gamma > opt_.ref_gamma_max) {
        stop_at_limit(AlmStatus::kPenaltyTooLarge, fmt::format("gamma = {:.3g} > ref_gamma_max", gamma));
        return;
      }
      // Penalty and tolerance update. Lagged (the reference code): at k ≥ 2
      // compare V_{k-1} with V_{k-2}; immediate: at k ≥ 1 compare V_k with V_{k-1}.
      const int lag = opt_.ref_immediate ? 0 : 1;
      if (k >= 1 + lag) {
        eps *= opt_.ref_eta4;
        const double V_new = V_hist[static_cast<size_t>(k + 1 - lag)];
        const double V_old = V_hist[static_cast<size_t>(k - lag)];
        if (V_new > opt_.ref_eta1 * V_old) {
          double next = gamma / opt_.ref_eta2;
          for (double norm : family_norms(lambda_)) next = std::max(next, std::pow(norm, 1.0 + opt_.ref_eta3));
          if (mu_.size()) next = std::max(next, std::pow(mu_.norm(), 1.0 + opt_.ref_eta3));
          gamma = next;
        }
      }
    }
  }

  void finish() {
    s_.x = x_;
    s_.lambda = lambda_;
    s_.mu = mu_.head(m_in_);
    s_.nu = nu();
    if (s_.history.empty()) {
      s_.objective = problem_.eval_f(x_);
      s_.kkt = kkt_residuals(problem_, x_, lambda_, s_.mu, s_.nu);
    }
    s_.seconds = seconds_since(t0_);
    s_.evaluations = problem_.counters();
  }

  const ConstrainedProblem& problem_;
  InnerSolver& inner_;
  AlmOptions opt_;
  const AlmCallback& callback_;
  const bool bounds_in_inner_;  ///< InnerSolver::handles_bounds(): bounds not in L_β
  AugmentedLagrangian L_;
  const int n_, m_eq_, m_in_;
  std::vector<int> families_;
  Vector x_, lambda_, mu_, lambda_bar_, mu_bar_, c_, g_;
  Vector nu_;  ///< bound multipliers when bounds_in_inner_ (from the last KKT report)
  AlmSummary s_;
  Clock::time_point t0_;
};

}  // namespace

AlmSummary solve_alm(const ConstrainedProblem& problem, InnerSolver& inner, const AlmOptions& options,
                     const AlmStart& start, const AlmCallback& callback) {
  return AlmRun(problem, inner, options, start, callback).run();
}

std::string alm_log_header() {
  return fmt::format("{:>5} {:>14} {:>10} {:>10} {:>9} {:>9} {:>6} {:>15} {:>9}", "iter", "objective", "infeas",
                     "stationar", "penalty", "|mult|", "inner", "inner status", "time[s]");
}

std::string alm_log_line(const AlmIteration& it) {
  return fmt::format("{:>5} {:>14.7e} {:>10.3e} {:>10.3e} {:>9.2e} {:>9.2e} {:>6} {:>15} {:>9.3f}", it.iteration,
                     it.objective, it.infeasibility, it.stationarity, it.penalty, it.multiplier_norm,
                     it.inner.iterations, to_string(it.inner.status), it.seconds);
}

std::string AlmSummary::BriefReport() const {
  return fmt::format("almkit ALM ({}, inner {}) on {}: {} after {} outer / {} inner iterations, f = {:.10g}, "
                     "infeasibility {:.2e}, stationarity {:.2e}, {:.3f} s",
                     to_string(options.policy), inner_solver_name, problem_name, to_string(status), outer_iterations,
                     inner_iterations, objective, kkt.infeasibility, kkt.stationarity, seconds);
}

std::string AlmSummary::FullReport() const {
  std::string r;
  r += fmt::format("almkit ALM summary\n");
  r += fmt::format("  problem                {}\n", problem_name);
  r += fmt::format("  policy / inner solver  {} / {}\n", to_string(options.policy), inner_solver_name);
  r += fmt::format("  status                 {}: {}\n", to_string(status), message);
  r += fmt::format("  objective              {:.12g}\n", objective);
  r += fmt::format("  infeasibility          {:.3e}   (tol {:.1e})\n", kkt.infeasibility, options.tol_feasibility);
  r += fmt::format("  stationarity           {:.3e}   (tol {:.1e})\n", kkt.stationarity, options.tol_stationarity);
  r += fmt::format("  scaled stationarity    {:.3e}\n", kkt.scaled_stationarity);
  r += fmt::format("  complementarity        {:.3e}   (tol {:.1e})\n", kkt.complementarity,
                   options.tol_complementarity);
  r += fmt::format("  multiplier sign viol.  {:.3e}\n", kkt.sign_violation);
  r += fmt::format("  ‖multipliers‖∞         {:.3e}\n", kkt.multiplier_norm);
  r += fmt::format("  final penalty          {:.3e}\n", final_penalty);
  r += fmt::format("  outer / inner iters    {} / {}\n", outer_iterations, inner_iterations);
  r += fmt::format("  evaluations            f {}  ∇f {}  c {}  g {}  Jcᵀy {}  Jgᵀy {}\n", evaluations.objective,
                   evaluations.gradient, evaluations.equalities, evaluations.inequalities,
                   evaluations.equality_jtprod, evaluations.inequality_jtprod);
  r += fmt::format("  best feasible f        {}\n",
                   has_best_feasible ? fmt::format("{:.12g}", best_feasible_objective) : std::string("none seen"));
  r += fmt::format("  time                   {:.3f} s\n", seconds);
  return r;
}

}  // namespace almkit
