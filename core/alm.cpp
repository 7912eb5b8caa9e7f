#include "almkit/core/alm.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>


#include <fmt/core.h>

#include "almkit/core/alm_policy.h"
#include "almkit/core/block_problem.h"
#include "almkit/core/scaled_problem.h"
#include "almkit/core/singular_values.h"

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

namespace {

// The checks every options struct of the driver shares (docs/alm.md §4): each
// names the option by its CLI/JSON name.
[[noreturn]] void fail_option(const char* name, const std::string& expected, double value) {
  throw std::invalid_argument(fmt::format("option {}: expected {}, got {}", name, expected, value));
}

}  // namespace

void check_positive(const char* name, double v) {
  if (!(v > 0.0) || !std::isfinite(v)) fail_option(name, "a finite number > 0", v);
}
void check_nonnegative(const char* name, double v) {
  if (!(v >= 0.0) || !std::isfinite(v)) fail_option(name, "a finite number >= 0", v);
}
void check_open_unit(const char* name, double v) {
  if (!(v > 0.0 && v < 1.0)) fail_option(name, "a number in (0, 1)", v);
}
void check_option(bool ok, const char* name, const std::string& expected, double value) {
  if (!ok) fail_option(name, expected, value);
}

void AlmOptions::validate() const {
  check_option(max_outer_iterations >= 0, "max_outer_iterations", "an integer >= 0", max_outer_iterations);
  check_positive("time_limit_seconds", time_limit_seconds);
  check_nonnegative("tol_feasibility", tol_feasibility);
  check_nonnegative("tol_stationarity", tol_stationarity);
  check_nonnegative("tol_complementarity", tol_complementarity);
  check_positive("tol_multiplier_change", tol_multiplier_change);
  check_positive("degeneracy_multiplier_ratio", degeneracy_multiplier_ratio);
  check_positive("degeneracy_singular_ratio", degeneracy_singular_ratio);
  check_option(degeneracy_max_variables >= 0, "degeneracy_max_variables", "an integer >= 0", degeneracy_max_variables);
  check_option(constraint_scaling_spread >= 1.0, "constraint_scaling_spread", "a number >= 1", constraint_scaling_spread);
  check_positive("constraint_scaling_min", constraint_scaling_min);
  check_option(constraint_scaling_max >= constraint_scaling_min && std::isfinite(constraint_scaling_max),
               "constraint_scaling_max", "a finite number >= constraint_scaling_min", constraint_scaling_max);
  check_nonnegative("constraint_scaling_max_entries", constraint_scaling_max_entries);
  safeguarded.validate();
  reference.validate();
}

namespace {

using Clock = std::chrono::steady_clock;

double inf_norm(const Vector& v) { return v.size() ? v.lpNorm<Eigen::Infinity>() : 0.0; }

}  // namespace

AlmState::AlmState(const ConstrainedProblem& problem_, InnerSolver& inner_, const AlmOptions& options_,
                   const AlmStart& start, const AlmCallback& callback_)
    : problem(problem_), inner(inner_), options((options_.validate(), options_)), callback(callback_),
      bounds_in_inner(inner_.handles_bounds()), L(problem_, !bounds_in_inner),
      n(problem_.num_variables()), m_eq(problem_.num_equalities()), m_in(problem_.num_inequalities()),
      families(problem_.equality_family_sizes()) {
  x = start.x.size() ? start.x : problem.initial_point();
  if (x.size() != n)
    throw std::invalid_argument(fmt::format("start point has {} entries, problem '{}' has {} variables", x.size(),
                                            problem.name(), n));
  if (!x.allFinite()) throw std::invalid_argument("start point contains NaN or Inf");
  // A bound-constrained inner solver keeps x in the box; start there too.
  if (bounds_in_inner) x = x.cwiseMax(problem.lower_bounds()).cwiseMin(problem.upper_bounds());
  lambda = Vector::Zero(m_eq);
  if (start.lambda.size()) {
    if (start.lambda.size() != m_eq) throw std::invalid_argument("warm-start lambda has the wrong size");
    lambda = start.lambda;
  }
  mu = Vector::Zero(L.num_extended_inequalities());
  if (start.mu.size()) {
    if (start.mu.size() != m_in) throw std::invalid_argument("warm-start mu has the wrong size");
    mu.head(m_in) = start.mu.cwiseMax(0.0);
  }
  int total = 0;
  for (int size : families) total += size;
  if (total != m_eq) families = {m_eq};
  c.resize(m_eq);
  g.resize(L.num_extended_inequalities());
  summary.problem_name = problem.name();
  summary.inner_solver_name = inner.name();
  summary.options = options;
}

void AlmState::evaluate_constraints() {
  if (m_eq) problem.eval_c(x, c);
  if (g.size()) L.extended_inequalities(x, g);
}

std::vector<double> AlmState::family_norms(const Vector& v) const {
  std::vector<double> out;
  int offset = 0;
  for (int size : families) {
    out.push_back(v.segment(offset, size).norm());
    offset += size;
  }
  return out;
}

double AlmState::infeasibility_gradient_norm() const {
  Vector grad = Vector::Zero(n), tmp(n);
  if (m_eq) {
    problem.eval_jac_c_t_prod(x, c, tmp);
    grad += tmp;
  }
  if (g.size()) L.add_extended_jt_prod(x, g.cwiseMax(0.0), grad);
  return inf_norm(grad);
}

bool AlmState::stop(AlmStatus status, std::string message) {
  summary.status = status;
  summary.message = std::move(message);
  return false;
}

// Multipliers that grew by ≥ 10× over the last 5 iterations while feasible:
// the limit is most likely a point where NNAMCQ fails and no KKT point exists.
bool AlmState::multipliers_diverging() const {
  const auto& h = summary.history;
  if (h.size() < static_cast<size_t>(kDivergingMultiplierWindow) + 1) return false;
  const auto& last = h.back();
  const auto& before = h[h.size() - 1 - kDivergingMultiplierWindow];
  return last.infeasibility <= std::sqrt(std::max(options.tol_feasibility, 1e-300)) &&
         last.multiplier_norm >= kDivergingMultiplierGrowth * std::max(1.0, before.multiplier_norm);
}

bool AlmState::stop_at_limit(AlmStatus status, std::string message) {
  if (!multipliers_diverging()) return stop(status, std::move(message));
  const auto& h = summary.history;
  return stop(AlmStatus::kMultipliersDiverging,
              fmt::format("nearly feasible, but the multipliers grow without bound (‖λ,μ‖∞ {:.3g} → {:.3g} over the "
                          "last {} iterations): no KKT point is approached; NNAMCQ probably fails at the limit "
                          "(check with almkit verify). Stopped by: {}",
                          h[h.size() - 1 - kDivergingMultiplierWindow].multiplier_norm, h.back().multiplier_norm,
                          kDivergingMultiplierWindow, message));
}

double AlmState::seconds() const { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::unique_ptr<AlmOuterPolicy> make_alm_policy(const AlmOptions& options) {
  if (options.policy == AlmPolicy::kReference) return make_reference_policy(options.reference);
  return make_safeguarded_policy(options.safeguarded);
}

namespace {

// The driver loop of core/alm_policy.h: everything the policies share.
class AlmDriver {
 public:
  AlmDriver(AlmState& s, AlmOuterPolicy& policy) : s_(s), policy_(policy) {}

  AlmSummary run() {
    s_.t0 = Clock::now();
    s_.problem.reset_counters();
    // The inner solver's time limit is the ALM's remaining time during the
    // solve (docs/alm.md §4, time_limit_seconds) and is restored afterwards.
    struct RestoreTimeLimit {
      InnerSolver& inner;
      double seconds;
      ~RestoreTimeLimit() { inner.set_time_limit(seconds); }
    } restore{s_.inner, s_.inner.time_limit()};
    loop();
    finish();
    return std::move(s_.summary);
  }

 private:
  void loop() {
    const AlmOptions& opt = s_.options;
    policy_.start(s_);
    for (int k = 1;; ++k) {
      if (k > opt.max_outer_iterations) {
        s_.stop_at_limit(AlmStatus::kIterationLimit, fmt::format("{} outer iterations", opt.max_outer_iterations));
        return;
      }
      if (s_.seconds() >= opt.time_limit_seconds) {
        s_.stop(AlmStatus::kTimeLimit, fmt::format("time limit of {} s reached", opt.time_limit_seconds));
        return;
      }
      policy_.before_subproblem(s_);
      s_.L.set_parameters(s_.lambda_bar, s_.mu_bar, s_.penalty);
      // The remaining wall-clock time is a hard limit for inner solvers that honour it.
      s_.inner.set_time_limit(std::max(0.0, opt.time_limit_seconds - s_.seconds()));
      s_.last_inner = s_.inner.minimize(s_.L, s_.x, s_.inner_tolerance);
      if (!s_.x.allFinite()) {
        s_.stop(AlmStatus::kNonFinite, "the inner solver returned a non-finite point");
        return;
      }
      s_.evaluate_constraints();
      s_.lambda = s_.lambda_bar + s_.penalty * s_.c;
      s_.mu = (s_.mu_bar + s_.penalty * s_.g).cwiseMax(0.0);
      s_.multiplier_change = std::max(inf_norm(s_.lambda - s_.lambda_bar), inf_norm(s_.mu - s_.mu_bar));
      policy_.after_subproblem(s_);
      if (!record(k)) return;
      if (converged()) {
        stop_converged();
        return;
      }
      const InnerResult& inner = s_.last_inner;
      if (inner.status == InnerStatus::kFailure) {
        s_.stop(AlmStatus::kInnerFailure, "inner solver failed: " + inner.message);
        return;
      }
      if (inner.status == InnerStatus::kNonFinite) {
        s_.stop(AlmStatus::kNonFinite, "inner solver met non-finite values: " + inner.message);
        return;
      }
      if (!policy_.next(s_)) return;
    }
  }

  Vector nu() const {
    if (s_.bounds_in_inner) return s_.nu_projected.size() == s_.n ? s_.nu_projected : Vector::Zero(s_.n);
    return s_.L.bounds().bound_multipliers(s_.mu.tail(s_.L.bounds().size()), s_.n);
  }

  // Records iteration k; returns false when the solve must stop (status set).
  bool record(int k) {
    AlmSummary& sum = s_.summary;
    AlmIteration it;
    it.iteration = k;
    it.objective = s_.problem.eval_f(s_.x);
    // Bounds kept by the inner solver: ν from the projected Lagrangian gradient.
    sum.kkt = s_.bounds_in_inner
                  ? kkt_residuals_projected(s_.problem, s_.x, s_.lambda, s_.mu.head(s_.m_in), &s_.nu_projected)
                  : kkt_residuals(s_.problem, s_.x, s_.lambda, s_.mu.head(s_.m_in), nu());
    it.infeasibility = sum.kkt.infeasibility;
    it.stationarity = sum.kkt.stationarity;
    it.penalty = s_.penalty;
    it.multiplier_norm = std::max(inf_norm(s_.lambda), inf_norm(s_.mu));
    it.inner_tolerance = s_.inner_tolerance;
    it.inner = s_.last_inner;
    it.seconds = s_.seconds();
    it.family_violation = s_.family_norms(s_.c);
    sum.history.push_back(it);
    sum.outer_iterations = k;
    sum.inner_iterations += s_.last_inner.iterations;
    sum.objective = it.objective;
    sum.final_penalty = s_.penalty;
    if (!std::isfinite(it.objective) || !std::isfinite(it.infeasibility) || !std::isfinite(it.stationarity) ||
        !s_.lambda.allFinite() || !s_.mu.allFinite()) {
      return s_.stop(AlmStatus::kNonFinite, "non-finite objective, constraint or multiplier value");
    }
    if (it.infeasibility <= s_.options.tol_feasibility && it.objective < sum.best_feasible_objective) {
      sum.has_best_feasible = true;
      sum.best_feasible_x = s_.x;
      sum.best_feasible_objective = it.objective;
    }
    if (s_.callback && !s_.callback(it, s_.x))
      return s_.stop(AlmStatus::kStoppedByCallback, "the progress callback asked to stop");
    return true;
  }

  // Converged: KKT residuals within tolerance and the multiplier estimate
  // stable (relative change ≤ tol_multiplier_change). The second test keeps the
  // driver from declaring convergence where the multipliers grow without bound
  // (approximate KKT sequences at non-KKT points, docs/alm.md "Statuses").
  bool converged() const {
    const AlmOptions& opt = s_.options;
    const double scale = std::max({1.0, inf_norm(s_.lambda), inf_norm(s_.mu)});
    return s_.summary.kkt.satisfied(opt.tol_stationarity * policy_.stationarity_scale(s_), opt.tol_feasibility,
                                    opt.tol_complementarity) &&
           s_.multiplier_change <= opt.tol_multiplier_change * scale;
  }

  // Tolerances met. Approximate KKT points also exist where no KKT point does
  // (min x s.t. x² = 0): there the active constraint Jacobian is nearly
  // singular and the multipliers are O(1/σ_min). Such a point is reported as
  // kMultipliersDiverging, not as converged (docs/alm.md "Statuses").
  void stop_converged() {
    const AlmOptions& opt = s_.options;
    const int n = s_.n;
    if (opt.check_degeneracy && n <= opt.degeneracy_max_variables) {
      const double mult = std::max(inf_norm(s_.lambda), inf_norm(s_.mu));
      Vector grad(n);
      s_.problem.eval_grad_f(s_.x, grad);
      if (mult >= opt.degeneracy_multiplier_ratio * std::max(1.0, inf_norm(grad))) {
        const Matrix J = active_jacobian();
        if (J.rows() > 0 && J.rows() <= opt.degeneracy_max_variables) {
          const Vector sv = singular_values(J);
          const double smin = sv.size() ? sv.minCoeff() : 0.0, smax = sv.size() ? sv.maxCoeff() : 0.0;
          if (J.rows() <= n && smin <= opt.degeneracy_singular_ratio * std::max(1.0, smax)) {
            s_.stop(AlmStatus::kMultipliersDiverging,
                    fmt::format("KKT residuals within tolerance, but the multipliers are large (‖λ,μ‖∞ = {:.3g}) and "
                                "the active constraint Jacobian is nearly singular (σ_min = {:.3g}): an approximate "
                                "KKT point where NNAMCQ probably fails, not a KKT point (check with almkit verify)",
                                mult, smin));
            return;
          }
        }
      }
    }
    s_.stop(AlmStatus::kConverged, "KKT residuals within tolerance");
  }

  // Rows of the equalities, the active (or positive-multiplier) inequalities
  // and the bounds with a positive multiplier.
  Matrix active_jacobian() const {
    const int n = s_.n, m_in = s_.m_in;
    std::vector<Vector> rows;
    if (s_.m_eq) {
      const Matrix Jc = s_.problem.eval_jac_c(s_.x);
      for (int i = 0; i < Jc.rows(); ++i) rows.push_back(Jc.row(i).transpose());
    }
    if (m_in) {
      const Matrix Jg = s_.problem.eval_jac_g(s_.x);
      for (int j = 0; j < m_in; ++j)
        if (s_.mu[j] > 0 || s_.g[j] >= -s_.options.tol_feasibility) rows.push_back(Jg.row(j).transpose());
    }
    const auto& b = s_.L.bounds();
    int j = m_in;
    for (int k : b.lower) if (s_.mu[j++] > 0) rows.push_back(Vector::Unit(n, k));
    for (int k : b.upper) if (s_.mu[j++] > 0) rows.push_back(Vector::Unit(n, k));
    if (s_.bounds_in_inner)
      for (int k = 0; k < s_.nu_projected.size(); ++k)
        if (s_.nu_projected[k] != 0.0) rows.push_back(Vector::Unit(n, k));
    Matrix J(static_cast<Eigen::Index>(rows.size()), n);
    for (size_t i = 0; i < rows.size(); ++i) J.row(static_cast<Eigen::Index>(i)) = rows[i].transpose();
    return J;
  }

  void finish() {
    AlmSummary& sum = s_.summary;
    sum.x = s_.x;
    sum.lambda = s_.lambda;
    sum.mu = s_.mu.head(s_.m_in);
    sum.nu = nu();
    if (sum.history.empty()) {
      sum.objective = s_.problem.eval_f(s_.x);
      sum.kkt = kkt_residuals(s_.problem, s_.x, s_.lambda, sum.mu, sum.nu);
    }
    sum.seconds = s_.seconds();
    sum.evaluations = s_.problem.counters();
  }

  AlmState& s_;
  AlmOuterPolicy& policy_;
};

}  // namespace

namespace {

// The scales of docs/alm.md §7 when constraint_scaling applies to this
// problem and start, else nullopt.
std::optional<ConstraintScales> scales_for(const ConstrainedProblem& problem, const AlmOptions& options,
                                           const AlmStart& start, bool bounds_in_inner) {
  const int m = problem.num_equalities() + problem.num_inequalities();
  if (!options.constraint_scaling || m == 0 || dynamic_cast<const BlockProblem*>(&problem) != nullptr ||
      static_cast<double>(problem.num_variables()) * m > options.constraint_scaling_max_entries)
    return std::nullopt;
  Vector x0 = start.x.size() ? start.x : problem.initial_point();
  if (x0.size() != problem.num_variables() || !x0.allFinite()) return std::nullopt;  // AlmState reports it
  if (bounds_in_inner) x0 = x0.cwiseMax(problem.lower_bounds()).cwiseMin(problem.upper_bounds());
  ConstraintScales s =
      gradient_constraint_scales(problem, x0, options.constraint_scaling_min, options.constraint_scaling_max);
  if (!(s.spread > options.constraint_scaling_spread)) return std::nullopt;
  return s;
}

AlmSummary solve_maybe_scaled(const ConstrainedProblem& problem, InnerSolver& inner, AlmOuterPolicy* policy,
                              const AlmOptions& options, const AlmStart& start, const AlmCallback& callback) {
  options.validate();
  auto run = [&](const ConstrainedProblem& p, const AlmOptions& o, const AlmStart& st) {
    AlmState state(p, inner, o, st, callback);
    if (policy != nullptr) return AlmDriver(state, *policy).run();
    const std::unique_ptr<AlmOuterPolicy> own = make_alm_policy(state.options);
    return AlmDriver(state, *own).run();
  };
  const std::optional<ConstraintScales> scales = scales_for(problem, options, start, inner.handles_bounds());
  if (!scales) return run(problem, options, start);
  const ScaledProblem scaled(problem, *scales);
  AlmOptions o = options;
  o.tol_feasibility = options.tol_feasibility * scales->tolerance_factor();
  AlmStart st = start;
  if (st.lambda.size() == scales->equalities.size()) st.lambda = st.lambda.cwiseQuotient(scales->equalities);
  if (st.mu.size() == scales->inequalities.size()) st.mu = st.mu.cwiseQuotient(scales->inequalities);
  AlmSummary sum = run(scaled, o, st);
  // Back to the user's problem: multipliers, KKT residuals, options as given.
  sum.lambda = sum.lambda.cwiseProduct(scales->equalities);
  sum.mu = sum.mu.cwiseProduct(scales->inequalities);
  sum.kkt = inner.handles_bounds() ? kkt_residuals_projected(problem, sum.x, sum.lambda, sum.mu, &sum.nu)
                                   : kkt_residuals(problem, sum.x, sum.lambda, sum.mu, sum.nu);
  sum.options = options;
  sum.message += fmt::format(" (constraints scaled by {:.3g}..{:.3g}, docs/alm.md §7)", scales->min_scale(),
                             scales->max_scale());
  return sum;
}

}  // namespace

AlmSummary solve_alm(const ConstrainedProblem& problem, InnerSolver& inner, const AlmOptions& options,
                     const AlmStart& start, const AlmCallback& callback) {
  return solve_maybe_scaled(problem, inner, nullptr, options, start, callback);
}

AlmSummary solve_alm(const ConstrainedProblem& problem, InnerSolver& inner, AlmOuterPolicy& policy,
                     const AlmOptions& options, const AlmStart& start, const AlmCallback& callback) {
  return solve_maybe_scaled(problem, inner, &policy, options, start, callback);
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
