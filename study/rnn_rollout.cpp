#include "almkit/study/rnn_rollout.h"
#include "almkit/study/rnn_manifold_newton.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>

#include <Eigen/Dense>
#include <fmt/core.h>

#include "almkit/core/kkt.h"
#include "almkit/core/clock.h"

namespace almkit::rnn {

RolloutOptions RolloutOptions::plain() {
  RolloutOptions o;
  o.kink_manifold = 0;
  o.anderson = 0;
  o.w_proximal = 0.0;
  o.dead_units = false;
  o.newton_steps = 0;
  o.stall_descent_steps = 0;
  o.tol_clarke = -1.0;
  return o;
}

void RolloutOptions::validate() const {
  auto positive = [](const char* name, double v) {
    if (!(v > 0.0) || !std::isfinite(v))
      throw std::invalid_argument(fmt::format("option rollout.{}: expected a finite number > 0, got {}", name, v));
  };
  positive("gamma0", gamma0);
  positive("gamma_min", gamma_min);
  positive("gamma_max", gamma_max);
  if (!(gamma_min <= gamma0 && gamma0 <= gamma_max))
    throw std::invalid_argument(fmt::format("option rollout.gamma0: expected gamma_min <= gamma0 <= gamma_max, got {} <= {} <= {}",
                                            gamma_min, gamma0, gamma_max));
  if (!(accept_ratio > 0.0 && accept_ratio < 1.0))
    throw std::invalid_argument(fmt::format("option rollout.accept_ratio: expected a number in (0, 1), got {}", accept_ratio));
  if (!(expand_ratio >= accept_ratio && expand_ratio < 1.0))
    throw std::invalid_argument(
        fmt::format("option rollout.expand_ratio: expected a number in [accept_ratio, 1), got {}", expand_ratio));
  if (!(gamma_decrease > 0.0 && gamma_decrease <= 1.0))
    throw std::invalid_argument(fmt::format("option rollout.gamma_decrease: expected a number in (0, 1], got {}", gamma_decrease));
  if (!(gamma_increase > 1.0) || !std::isfinite(gamma_increase))
    throw std::invalid_argument(fmt::format("option rollout.gamma_increase: expected a finite number > 1, got {}", gamma_increase));
  if (!(damping >= 0.0) || !std::isfinite(damping))
    throw std::invalid_argument(fmt::format("option rollout.damping: expected a finite number >= 0, got {}", damping));
  if (!(damping_increase > 1.0) || !std::isfinite(damping_increase))
    throw std::invalid_argument(fmt::format("option rollout.damping_increase: expected a finite number > 1, got {}", damping_increase));
  if (!(damping_decrease > 0.0 && damping_decrease < 1.0))
    throw std::invalid_argument(fmt::format("option rollout.damping_decrease: expected a number in (0, 1), got {}", damping_decrease));
  if (!(damping_max >= damping) || !std::isfinite(damping_max))
    throw std::invalid_argument(fmt::format("option rollout.damping_max: expected a finite number >= damping, got {}", damping_max));
  if (anderson < 0) throw std::invalid_argument(fmt::format("option rollout.anderson: expected an integer >= 0, got {}", anderson));
  if (stall_descent_steps < 0)
    throw std::invalid_argument(fmt::format("option rollout.stall_descent_steps: expected an integer >= 0, got {}", stall_descent_steps));
  if (!(stall_descent_armijo > 0.0 && stall_descent_armijo < 1.0))
    throw std::invalid_argument(fmt::format("option rollout.stall_descent_armijo: expected a number in (0, 1), got {}", stall_descent_armijo));
  if (!(stall_descent_min_step > 0.0 && stall_descent_min_step <= 1.0))
    throw std::invalid_argument(fmt::format("option rollout.stall_descent_min_step: expected a number in (0, 1], got {}", stall_descent_min_step));
  if (sweeps < 1) throw std::invalid_argument(fmt::format("option rollout.sweeps: expected an integer >= 1, got {}", sweeps));
  if (!(extrapolation >= 0.0 && extrapolation <= extrapolation_max) || !std::isfinite(extrapolation_max))
    throw std::invalid_argument(fmt::format(
        "option rollout.extrapolation: expected a number in [0, extrapolation_max], got {}", extrapolation));
  if (!(extrapolation_grow >= 1.0) || !std::isfinite(extrapolation_grow))
    throw std::invalid_argument(
        fmt::format("option rollout.extrapolation_grow: expected a finite number >= 1, got {}", extrapolation_grow));
  if (!(extrapolation_shrink > 0.0 && extrapolation_shrink < 1.0))
    throw std::invalid_argument(
        fmt::format("option rollout.extrapolation_shrink: expected a number in (0, 1), got {}", extrapolation_shrink));
  if (!(w_proximal >= 0.0) || !std::isfinite(w_proximal))
    throw std::invalid_argument(fmt::format("option rollout.w_proximal: expected a finite number >= 0, got {}", w_proximal));
  if (!(kink_selection >= 0.0 && kink_selection <= 1.0))
    throw std::invalid_argument(fmt::format("option rollout.kink_selection: expected a number in [0, 1], got {}", kink_selection));
  if (!std::isfinite(kink_hold)) throw std::invalid_argument("option rollout.kink_hold: expected a finite number");
  if (!std::isfinite(kink_tolerance))
    throw std::invalid_argument("option rollout.kink_tolerance: expected a finite number");
  if (kink_manifold < 0)
    throw std::invalid_argument(fmt::format("option rollout.kink_manifold: expected an integer >= 0, got {}", kink_manifold));
  auto nonnegative = [](const char* name, double v) {
    if (!(v >= 0.0) || !std::isfinite(v))
      throw std::invalid_argument(fmt::format("option rollout.{}: expected a finite number >= 0, got {}", name, v));
  };
  nonnegative("kink_manifold_tolerance", kink_manifold_tolerance);
  nonnegative("kink_manifold_release", kink_manifold_release);
  nonnegative("kink_manifold_margin", kink_manifold_margin);
  if (newton_steps < 0)
    throw std::invalid_argument(fmt::format("option rollout.newton_steps: expected an integer >= 0, got {}", newton_steps));
  nonnegative("newton_trigger", newton_trigger);
  nonnegative("dead_unit_tolerance", dead_unit_tolerance);
  nonnegative("newton_gain_ratio", newton_gain_ratio);
  nonnegative("newton_kink_tolerance", newton_kink_tolerance);
  nonnegative("newton_max_flops", newton_max_flops);
  if (clarke_check_every < 1)
    throw std::invalid_argument(
        fmt::format("option rollout.clarke_check_every: expected an integer >= 1, got {}", clarke_check_every));
  if (std::isnan(tol_clarke)) throw std::invalid_argument("option rollout.tol_clarke: expected a number, got nan");
  if (!(tol_gradient >= 0.0))
    throw std::invalid_argument(fmt::format("option rollout.tol_gradient: expected a number >= 0, got {}", tol_gradient));
}

namespace {

// ‖H_a − H_b‖_F / √(mT) of two points.
double state_distance(const RnnTrainingProblem& problem, VectorCRef a, VectorCRef b) {
  const auto Ha = problem.view(a).H;
  return (Ha - problem.view(b).H).norm() / std::sqrt(static_cast<double>(Ha.size()));
}

}  // namespace

int zero_dead_units(const RnnTrainingProblem& problem, VectorRef x, double tolerance) {
  auto v = problem.mutable_view(x);
  const double tol = tolerance * std::max(1.0, v.U.lpNorm<Eigen::Infinity>());
  int changed = 0;
  for (Eigen::Index i = 0; i < v.U.rows(); ++i) {
    if ((v.U.row(i).array() > tol).any()) continue;
    if (v.W.row(i).isZero(0.0) && v.V.row(i).isZero(0.0) && v.b(i) == 0.0 && v.A.col(i).isZero(0.0) &&
        v.W.col(i).isZero(0.0))
      continue;
    v.W.row(i).setZero();
    v.V.row(i).setZero();
    v.b(i) = 0.0;
    v.A.col(i).setZero();
    v.W.col(i).setZero();
    ++changed;
  }
  if (changed > 0) problem.restore_feasibility(x);
  return changed;
}

double rollout_gap(const RnnTrainingProblem& problem, VectorCRef x) {
  Vector xf = x;
  problem.restore_feasibility(xf);
  return state_distance(problem, x, xf);
}

KinkStationarity kink_stationarity(const RnnTrainingProblem& problem, VectorCRef x, double tolerance, int rounds,
                                   int max_kinks) {
  KinkStationarity out;
  const auto U = problem.view(x).U;
  std::vector<int> kinks;
  // A unit whose outgoing weights A_{:,i}, W_{:,i} are 0 has ∂F/∂h_i = 0 (ξ2 = 0
  // in its row): the relu derivative at its kinks changes no residual, and a
  // zeroed dead unit (RolloutOptions::dead_units) would otherwise fill
  // max_kinks with T such entries and crowd out the kinks that matter.
  const auto v = problem.view(x);
  const int m = problem.m();
  for (Eigen::Index k = 0; k < U.size(); ++k)
    if (std::abs(U.data()[k]) <= tolerance && !(v.A.col(k % m).isZero(0.0) && v.W.col(k % m).isZero(0.0)))
      kinks.push_back(static_cast<int>(k));
  out.kinks = static_cast<int>(kinks.size());
  if (static_cast<int>(kinks.size()) > max_kinks) {
    std::partial_sort(kinks.begin(), kinks.begin() + max_kinks, kinks.end(),
                      [&](int a, int b) { return std::abs(U.data()[a]) < std::abs(U.data()[b]); });
    kinks.resize(static_cast<size_t>(max_kinks));
  }
  Vector g(problem.num_weights()), g0(problem.num_weights()), g1(problem.num_weights());
  auto gradient = [&](const std::vector<double>& s, Vector& out_g) {
    problem.weight_gradient(x, problem.bptt_multipliers(x, kinks, s), out_g);
  };
  std::vector<double> s(kinks.size());
  for (size_t k = 0; k < kinks.size(); ++k) s[k] = U.data()[kinks[k]] > 0.0 ? 1.0 : 0.0;
  problem.weight_gradient(x, problem.bptt_multipliers(x), g);
  out.one_sided = g.lpNorm<Eigen::Infinity>();
  for (int r = 0; r < rounds && !kinks.empty(); ++r) {
    for (size_t k = 0; k < kinks.size(); ++k) {
      s[k] = 0.0;
      gradient(s, g0);
      s[k] = 1.0;
      gradient(s, g1);
      const Vector d = g1 - g0;
      const double dd = d.squaredNorm();
      s[k] = dd > 0.0 ? std::clamp(-g0.dot(d) / dd, 0.0, 1.0) : 0.0;
    }
  }
  gradient(s, g);
  out.best = g.lpNorm<Eigen::Infinity>();
  out.selection = std::move(s);
  out.entries = std::move(kinks);
  return out;
}

bool stall_descent_step(const RnnTrainingProblem& problem, Vector& x, double& F, double armijo, double min_step) {
  const KinkStationarity ks = kink_stationarity(problem, x);
  const int n = problem.num_weights();
  Vector g(n);
  problem.weight_gradient(x, problem.bptt_multipliers(x, ks.entries, ks.selection), g);
  const double gg = g.squaredNorm();
  if (!(gg > 0.0) || !std::isfinite(gg)) return false;
  Vector y(x.size());
  for (double alpha = 1.0; alpha >= min_step; alpha *= 0.5) {
    y = x;
    y.head(n) -= alpha * g;
    problem.restore_feasibility(y);
    const double Fy = problem.eval_f(y);
    if (std::isfinite(Fy) && Fy <= F - armijo * alpha * gg) {
      x = std::move(y);
      F = Fy;
      return true;
    }
  }
  return false;
}

// The kink manifold step (RolloutOptions::kink_manifold, docs/rnn_bcd.md §8):
// replaces the unconstrained w step Θ̃ in `trial` by the minimizer of
// ½⟨(Θ − Θ̃)M, Θ − Θ̃⟩ subject to u_q + ⟨a_q, Θ − Θ_k⟩ = 0 for the held entries.
Vector kink_manifold_step(const RnnTrainingProblem& problem, VectorCRef x_k, const std::vector<int>& held,
                          const std::vector<Matrix>& grads, VectorRef trial, bool newton) {
  const int m = problem.m(), d = problem.d(), q = m + d + 1;
  const auto vk = problem.view(x_k);
  auto vt = problem.mutable_view(trial);
  Matrix theta_k(m, q), theta(m, q);
  theta_k << vk.W, vk.V, vk.b;
  theta << vt.W, vt.V, vt.b;
  const Eigen::LDLT<Matrix> M(problem.w_block_matrix());
  const auto K = static_cast<Eigen::Index>(held.size());
  std::vector<Matrix> B(held.size());
  Matrix S(K, K);
  Vector r(K);
  for (Eigen::Index j = 0; j < K; ++j) {
    B[static_cast<size_t>(j)] = M.solve(grads[static_cast<size_t>(j)].transpose()).transpose();
    r(j) = (newton ? vk.U.data()[held[static_cast<size_t>(j)]] : 0.0) +
           grads[static_cast<size_t>(j)].cwiseProduct(theta - theta_k).sum();
  }
  for (Eigen::Index j = 0; j < K; ++j)
    for (Eigen::Index l = 0; l < K; ++l)
      S(j, l) = B[static_cast<size_t>(j)].cwiseProduct(grads[static_cast<size_t>(l)]).sum();
  const Vector mu = S.completeOrthogonalDecomposition().solve(r);
  for (Eigen::Index j = 0; j < K; ++j) theta -= mu(j) * B[static_cast<size_t>(j)];
  vt.W = theta.leftCols(m);
  vt.V = theta.middleCols(m, d);
  vt.b = theta.col(q - 1);
  return mu;
}

namespace {

// The state of the policy at an accepted (feasible) point: F, the BPTT
// multipliers and ∇F = the θ rows of ∇f + J_cᵀξ (the H, U rows vanish).
struct FeasiblePoint {
  Vector x, xi;
  double F = 0.0;
  double grad_inf = 0.0;
};

// x must be feasible; F = f(x) = F(θ) when the caller already has it.
FeasiblePoint at_feasible(const RnnTrainingProblem& problem, Vector x, const RolloutOptions& o, double F) {
  FeasiblePoint p;
  p.x = std::move(x);
  p.F = F;
  p.xi = problem.bptt_multipliers(p.x);
  Vector g(problem.num_weights());
  problem.weight_gradient(p.x, p.xi, g);
  p.grad_inf = g.lpNorm<Eigen::Infinity>();
  if (o.kink_tolerance >= 0.0) {
    const double tol = o.kink_tolerance * std::max(1.0, problem.view(p.x).U.lpNorm<Eigen::Infinity>());
    p.xi = problem.bptt_multipliers(p.x, tol, o.kink_selection);
  }
  return p;
}

// Adds to `held` the U entries that moved across their kink from x_k to its
// rejected rollout, earliest crossing first, up to `capacity` entries in all.
bool add_crossings(const RnnTrainingProblem& problem, VectorCRef x_k, VectorCRef rolled, int capacity,
                   double tolerance, std::vector<int>& held) {
  const auto U0 = problem.view(x_k).U;
  const auto U1 = problem.view(rolled).U;
  const double tol = tolerance * std::max(1.0, U0.lpNorm<Eigen::Infinity>());
  std::vector<std::pair<double, int>> crossed;
  for (Eigen::Index k = 0; k < U0.size(); ++k) {
    const double a = U0.data()[k], b = U1.data()[k];
    if (!std::isfinite(b) || !((a > 0.0 && b <= 0.0) || (a <= 0.0 && b > 0.0)) || std::abs(a) > tol) continue;
    if (std::find(held.begin(), held.end(), static_cast<int>(k)) != held.end()) continue;
    crossed.emplace_back(std::abs(a) / std::abs(a - b), static_cast<int>(k));
  }
  std::sort(crossed.begin(), crossed.end());
  const size_t before = held.size();
  for (const auto& c : crossed) {
    if (static_cast<int>(held.size()) >= capacity) break;
    held.push_back(c.second);
  }
  return held.size() > before;
}

// The manifold Gauss–Newton polish (RolloutOptions::newton_steps): replaces
// cur when it lowered F; stops early once the point passes a stop test.
bool polish(const RnnTrainingProblem& problem, const RolloutOptions& o, double block_gain, FeasiblePoint& cur) {
  ManifoldNewtonOptions no;
  // A Gauss–Newton step costs about as much as a check interval of block
  // steps: continue only while each step gains at least what they gained.
  no.min_gain = std::max(0.0, o.newton_gain_ratio * block_gain);
  no.max_steps = o.newton_steps;
  no.kink_tolerance = o.newton_kink_tolerance;
  no.max_flops = o.newton_max_flops;
  Vector x = cur.x;
  Vector g(problem.num_weights());
  const auto done = [&](VectorCRef y) {
    problem.weight_gradient(y, problem.bptt_multipliers(y), g);
    if (g.lpNorm<Eigen::Infinity>() <= o.tol_gradient) return true;
    return o.tol_clarke >= 0.0 && kink_stationarity(problem, y).best <= o.tol_clarke;
  };
  const ManifoldNewtonResult r = manifold_newton(problem, x, no, done);
  if (r.accepted == 0 || !(r.F_after < cur.F)) return false;
  cur = at_feasible(problem, std::move(x), o, r.F_after);
  return true;
}

// One run of the rollout policy (docs/rnn_bcd.md §8), its state as members:
// the feasible iterate, γ·N, the extrapolation β, the damping κ and the
// memory (Anderson columns, held kinks) that a checkpoint holds. An outer
// iteration: the stop tests (and the Gauss–Newton polish), a stall descent
// when γ is too large, the block step, Anderson acceleration, the acceptance
// test on the rollout, and the adaptation of γ, κ and the held kinks.
class RolloutRun {
 public:
  RolloutRun(const RnnTrainingProblem& problem, const RolloutOptions& options, const BcdOptions& bcd_options,
             const AlmOptions& alm, const RolloutCallback& callback, const std::function<double()>& excluded_seconds)
      : problem_(problem),
        options_(options),
        alm_(alm),
        callback_(callback),
        excluded_seconds_(excluded_seconds),
        t0_(std::chrono::steady_clock::now()),
        bo_(sweeps_options(bcd_options, options)),
        bcd_(bo_),
        L_(problem),
        N_(problem.data().N()),
        fam_(problem.m() * problem.T()),
        nw_(problem.num_weights()),
        gamma_hat_(options.gamma0),
        beta_e_(options.extrapolation),
        aa_trial_(problem.num_variables()),
        trial_(problem.num_variables()),
        rolled_(problem.num_variables()),
        c_(problem.num_equalities()) {
    s_.problem_name = problem.name();
    s_.inner_solver_name = "bcd";
    s_.options = alm;
    Vector x0 = problem.initial_point();
    problem.restore_feasibility(x0);
    const double F0 = problem.eval_f(x0);
    cur_ = at_feasible(problem, std::move(x0), options, F0);
  }

  // The state of an earlier run after resume.iteration outer iterations.
  void restore(const RolloutResume& resume) {
    gamma_hat_ = resume.gamma_scaled;
    beta_e_ = resume.extrapolation;
    damping_ = resume.damping;
    k_done_ = resume.iteration;
    seconds_before_ = resume.seconds;
    counted_before_ = resume.evaluations;
    s_.inner_iterations = resume.inner_iterations;
    s_.outer_iterations = k_done_;
    mem_ = resume.memory;
    const Eigen::Index n_weights = nw_;
    auto size_ok = [n_weights](const Vector& v) { return v.size() == 0 || v.size() == n_weights; };
    bool ok = size_ok(mem_.anderson_theta) && size_ok(mem_.anderson_r) &&
              mem_.anderson_dtheta.size() == mem_.anderson_dr.size();
    for (size_t j = 0; ok && j < mem_.anderson_dtheta.size(); ++j)
      ok = mem_.anderson_dtheta[j].size() == n_weights && mem_.anderson_dr[j].size() == n_weights;
    if (!ok)
      throw std::invalid_argument(fmt::format(
          "resume: the Anderson memory does not fit: as many columns dtheta as dr, each of {} weights", n_weights));
    for (int q : mem_.kinks_held)
      if (q < 0 || q >= fam_)
        throw std::invalid_argument(fmt::format("resume: held kink {} is not a U entry (0..{})", q, fam_ - 1));
    // The evaluations of the restart point were counted by the earlier run.
    problem_.reset_counters();
  }

  AlmSummary run() {
    if (!std::isfinite(cur_.F) || !std::isfinite(cur_.grad_inf))
      return finish(AlmStatus::kNonFinite, "the forward pass of the initial weights is not finite (the start explodes)");
    for (int k = k_done_ + 1;; ++k) {
      if (std::optional<AlmSummary> stopped = stop_tests(k)) return std::move(*stopped);
      if (gamma_hat_ > options_.gamma_max && !stall_restart())
        return finish(AlmStatus::kPenaltyTooLarge,
                      fmt::format("gamma * N = {:.3g} > rollout.gamma_max: no step decreases F (|grad F|_inf = {:.3e}){}",
                                  gamma_hat_, cur_.grad_inf,
                                  options_.stall_descent_steps > 0 ? ", nor a stall descent step" : ""));
      const double gamma = gamma_hat_ / N_;
      RolloutStep st;
      InnerResult inner = block_step(gamma, st);
      problem_.eval_c(trial_, c_);
      const std::vector<double> viol{c_.head(fam_).norm(), c_.tail(fam_).norm()};
      rolled_ = trial_;
      problem_.restore_feasibility(rolled_);
      st.rollout_gap = state_distance(problem_, trial_, rolled_);
      st.F_trial = problem_.eval_f(rolled_);
      const double predicted = cur_.F - st.L_inner;
      st.ratio = predicted > 0.0 && std::isfinite(st.F_trial) ? (cur_.F - st.F_trial) / predicted
                                                               : -std::numeric_limits<double>::infinity();
      if (options_.anderson > 0) anderson(predicted, st);
      if (st.ratio >= options_.accept_ratio) accept(st);
      adapt(st, predicted);
      if (!record(k, gamma, inner, viol, st))
        return finish(AlmStatus::kStoppedByCallback, "the progress callback asked to stop");
    }
  }

 private:
  // sweeps − 1 full sweeps, then the w and a blocks only: the h and u blocks of
  // the last sweep cannot change θ̃, which the restart keeps alone.
  static BcdOptions sweeps_options(const BcdOptions& bcd, const RolloutOptions& o) {
    BcdOptions bo = bcd;
    bo.max_sweeps = std::max(1, o.sweeps - 1);
    bo.stop_test_enabled = false;
    return bo;
  }

  double elapsed() const { return seconds_before_ + seconds_since(t0_); }

  void clear_anderson() {
    mem_.anderson_dtheta.clear();
    mem_.anderson_dr.clear();
    mem_.anderson_theta.resize(0);
  }

  AlmSummary finish(AlmStatus status, std::string message) {
    s_.status = status;
    s_.message = stall_descents_ > 0 ? fmt::format("{} (after {} stall descents)", message, stall_descents_)
                                     : std::move(message);
    s_.x = cur_.x;
    s_.lambda = problem_.bptt_multipliers(cur_.x);  // one-sided: the KKT report of the problem's own J
    s_.mu = Vector(0);
    s_.nu = Vector::Zero(problem_.num_variables());
    s_.objective = cur_.F;
    s_.kkt = kkt_residuals(problem_, cur_.x, s_.lambda, no_mu_, s_.nu);
    s_.final_penalty = gamma_hat_ / N_;
    s_.evaluations = problem_.counters();
    s_.evaluations.objective += counted_before_.objective;
    s_.evaluations.gradient += counted_before_.gradient;
    s_.evaluations.equalities += counted_before_.equalities;
    s_.evaluations.inequalities += counted_before_.inequalities;
    s_.evaluations.equality_jtprod += counted_before_.equality_jtprod;
    s_.evaluations.inequality_jtprod += counted_before_.inequality_jtprod;
    s_.evaluations.jacobian += counted_before_.jacobian;
    s_.seconds = elapsed();
    s_.has_best_feasible = true;
    s_.best_feasible_x = cur_.x;
    s_.best_feasible_objective = cur_.F;
    return s_;
  }

  // The stop tests before outer iteration k: ‖∇F‖∞, the Gauss–Newton polish
  // when the block steps crawl, the Clarke test at kinks, the limits.
  std::optional<AlmSummary> stop_tests(int k) {
    if (cur_.grad_inf <= options_.tol_gradient)
      return finish(AlmStatus::kConverged, fmt::format("|grad F|_inf = {:.3e} <= tol_gradient = {:.3g} at the "
                                                       "forward-pass point (a KKT point of (P))",
                                                       cur_.grad_inf, options_.tol_gradient));
    const bool check = (k - 1) % options_.clarke_check_every == 0;
    if (check && polish_if_crawling() && cur_.grad_inf <= options_.tol_gradient)
      return finish(AlmStatus::kConverged, fmt::format("|grad F|_inf = {:.3e} <= tol_gradient = {:.3g} after the "
                                                       "Gauss-Newton polish (a KKT point of (P))",
                                                       cur_.grad_inf, options_.tol_gradient));
    if (options_.tol_clarke >= 0.0 && check) {
      const KinkStationarity ks = kink_stationarity(problem_, cur_.x);
      if (ks.kinks > 0 && ks.best <= options_.tol_clarke)
        return finish(AlmStatus::kConverged,
                      fmt::format("KKT residual {:.3e} <= tol_clarke = {:.3g} with the best relu derivative at the {} "
                                  "kinks (one-sided |grad F|_inf = {:.3e}): a KKT point of (P) on kinks",
                                  ks.best, options_.tol_clarke, ks.kinks, cur_.grad_inf));
    }
    if (k > alm_.max_outer_iterations)
      return finish(AlmStatus::kIterationLimit, fmt::format("{} outer iterations", alm_.max_outer_iterations));
    if (elapsed() - (excluded_seconds_ ? excluded_seconds_() : 0.0) >= alm_.time_limit_seconds)
      return finish(AlmStatus::kTimeLimit, fmt::format("time limit of {} s reached", alm_.time_limit_seconds));
    return std::nullopt;
  }

  // At a check: the Gauss–Newton polish when F fell by less than
  // newton_trigger·|F| over the last interval, with a back-off after polishes
  // that gained less than the block steps; true when it moved cur.
  bool polish_if_crawling() {
    const double block_gain = mem_.F_last_check - cur_.F;  // of the last check interval
    const bool crawling = std::isfinite(mem_.F_last_check) && block_gain < options_.newton_trigger * std::abs(cur_.F);
    mem_.F_last_check = cur_.F;
    bool polished = false;
    if (options_.newton_steps > 0 && crawling && mem_.newton_skip > 0) {
      --mem_.newton_skip;
    } else if (options_.newton_steps > 0 && crawling) {
      const double F_before = cur_.F;
      polished = polish(problem_, options_, block_gain, cur_);
      const bool effective = polished && F_before - cur_.F >= block_gain;
      mem_.newton_backoff = effective ? 0 : std::max(1, 2 * mem_.newton_backoff);
      mem_.newton_skip = mem_.newton_backoff;
    }
    if (!polished) return false;
    // The outer map's history does not describe the jump: Anderson restarts.
    clear_anderson();
    manifold_stale_ = true;
    mem_.F_last_check = cur_.F;
    return true;
  }

  // Stall descent (docs/rnn_bcd.md §8): the Clarke direction the block model
  // cannot see; then the policy starts afresh from the new point. False when
  // no step lowers F.
  bool stall_restart() {
    Vector x = cur_.x;
    double F = cur_.F;
    int taken = 0;
    while (taken < options_.stall_descent_steps &&
           stall_descent_step(problem_, x, F, options_.stall_descent_armijo, options_.stall_descent_min_step))
      ++taken;
    if (taken == 0) return false;
    cur_ = at_feasible(problem_, std::move(x), options_, F);
    ++stall_descents_;
    gamma_hat_ = options_.gamma0;
    damping_ = 0.0;
    mem_.kinks_held.clear();
    manifold_stale_ = true;
    mem_.kinks_retried = false;
    mem_.last_rejected = false;
    clear_anderson();
    return true;
  }

  // The block step from cur into trial_: sweeps − 1 BCD sweeps, the w step
  // (kinks held, the kink manifold's active set), the a step.
  InnerResult block_step(double gamma, RolloutStep& st) {
    L_.set_parameters(cur_.xi, no_mu_, gamma);
    trial_ = cur_.x;
    InnerResult inner;
    if (options_.sweeps > 1) inner = bcd_.minimize(L_, trial_, 0.0);
    // The w and a steps form one more (partial) sweep on `trial` (core/block_problem.h "Hand-over contract").
    problem_.begin_sweep(trial_);
    hold_.clear();
    if (options_.kink_hold >= 0.0 && (!options_.kink_hold_after_rejection || mem_.last_rejected)) {
      const auto U = problem_.view(cur_.x).U;
      const double tol = options_.kink_hold * std::max(1.0, U.lpNorm<Eigen::Infinity>());
      for (Eigen::Index q = 0; q < U.size(); ++q)
        if (std::abs(U.data()[q]) <= tol) hold_.push_back(static_cast<int>(q));
    }
    problem_.minimize_w_block(L_.lambda(), gamma, options_.w_proximal + damping_, trial_, hold_);
    if (!mem_.kinks_held.empty()) manifold_step();
    st.kinks_held = static_cast<int>(mem_.kinks_held.size());
    problem_.minimize_block(RnnTrainingProblem::kBlockA, L_.lambda(), L_.mu(), gamma, bo_.sigma_p, trial_);
    inner.iterations += 1;
    inner.evaluations += 2;
    inner.final_value = L_.value(trial_);
    inner.status = InnerStatus::kIterationLimit;
    st.F_before = cur_.F;
    st.L_inner = inner.final_value;
    return inner;
  }

  // The kink manifold step on the held entries. Active set: release the held
  // entries whose implied Clarke selection s_q = [u_q > 0] + μ_q / (−ξ2_q)
  // leaves [0, 1] (crossing lowers F there), and redo the step on the rest;
  // the set shrinks on every pass.
  void manifold_step() {
    std::vector<int>& manifold = mem_.kinks_held;
    if (manifold_stale_) {
      manifold_grads_ = problem_.pre_activation_gradients(cur_.x, manifold);
      manifold_stale_ = false;
    }
    const Vector w_free = trial_.head(nw_);
    while (!manifold.empty()) {
      trial_.head(nw_) = w_free;
      const Vector mu = kink_manifold_step(problem_, cur_.x, manifold, manifold_grads_, trial_,
                                           options_.kink_manifold_newton);
      const auto Xi2 = problem_.multiplier_view(cur_.xi).Xi2;
      const auto Uc = problem_.view(cur_.x).U;
      std::vector<int> keep;
      std::vector<Matrix> keep_g;
      for (size_t j = 0; j < manifold.size(); ++j) {
        const int qk = manifold[j];
        const double delta = -Xi2.data()[qk];
        const double s_q =
            (Uc.data()[qk] > 0.0 ? 1.0 : 0.0) + (delta != 0.0 ? mu(static_cast<Eigen::Index>(j)) / delta : 0.0);
        if (s_q >= -options_.kink_manifold_margin && s_q <= 1.0 + options_.kink_manifold_margin) {
          keep.push_back(qk);
          keep_g.push_back(manifold_grads_[j]);
        }
      }
      if (keep.size() == manifold.size()) break;
      manifold = std::move(keep);
      manifold_grads_ = std::move(keep_g);
      if (manifold.empty()) trial_.head(nw_) = w_free;
    }
  }

  // Anderson acceleration of the outer map θ ↦ θ̃: the extrapolated point
  // replaces the rollout when it is accepted and not worse.
  void anderson(double predicted, RolloutStep& st) {
    const Vector r = trial_.head(nw_) - cur_.x.head(nw_);
    if (mem_.anderson_theta.size() == nw_) {
      const Vector dth = cur_.x.head(nw_) - mem_.anderson_theta;
      if (dth.squaredNorm() > 0.0) {
        mem_.anderson_dtheta.push_back(dth);
        mem_.anderson_dr.push_back(r - mem_.anderson_r);
        if (static_cast<int>(mem_.anderson_dtheta.size()) > options_.anderson) {
          mem_.anderson_dtheta.erase(mem_.anderson_dtheta.begin());
          mem_.anderson_dr.erase(mem_.anderson_dr.begin());
        }
      }
    }
    mem_.anderson_theta = cur_.x.head(nw_);
    mem_.anderson_r = r;
    if (mem_.anderson_dr.empty() || !(predicted > 0.0)) return;
    const int mm = static_cast<int>(mem_.anderson_dr.size());
    Matrix DR(nw_, mm), DT(nw_, mm);
    for (int j = 0; j < mm; ++j) {
      DR.col(j) = mem_.anderson_dr[j];
      DT.col(j) = mem_.anderson_dtheta[j];
    }
    const Vector alpha = DR.colPivHouseholderQr().solve(r);
    if (!alpha.allFinite()) return;
    aa_trial_ = cur_.x;
    aa_trial_.head(nw_) = trial_.head(nw_) - (DT + DR) * alpha;
    problem_.restore_feasibility(aa_trial_);
    const double F_aa = problem_.eval_f(aa_trial_);
    const double ratio_aa = (cur_.F - F_aa) / predicted;
    if (std::isfinite(F_aa) && ratio_aa >= options_.accept_ratio && !(F_aa >= st.F_trial)) {
      rolled_ = aa_trial_;
      st.F_trial = F_aa;
      st.ratio = ratio_aa;
      st.extrapolated = true;
    }
  }

  // The accepted rollout becomes cur (after the extrapolation and the
  // dead-unit step when they lower F); γ or κ shrink.
  void accept(RolloutStep& st) {
    FeasiblePoint next = at_feasible(problem_, rolled_, options_, st.F_trial);
    if (!std::isfinite(next.grad_inf)) return;
    st.accepted = true;
    if (beta_e_ > 0.0) {
      trial_ = next.x;
      trial_.head(nw_) += beta_e_ * (next.x.head(nw_) - cur_.x.head(nw_));
      problem_.restore_feasibility(trial_);
      const double F_e = problem_.eval_f(trial_);
      if (F_e < next.F) {
        FeasiblePoint ext = at_feasible(problem_, trial_, options_, F_e);
        if (std::isfinite(ext.grad_inf)) {
          next = std::move(ext);
          st.extrapolated = true;
        }
      }
      beta_e_ = st.extrapolated ? std::min(options_.extrapolation_max, options_.extrapolation_grow * beta_e_)
                                : std::max(options_.extrapolation_shrink * beta_e_, 1e-3 * options_.extrapolation);
    }
    cur_ = std::move(next);
    if (options_.dead_units) {
      trial_ = cur_.x;
      if (zero_dead_units(problem_, trial_, options_.dead_unit_tolerance) > 0) {
        const double F_d = problem_.eval_f(trial_);
        if (F_d <= cur_.F) {
          FeasiblePoint dead = at_feasible(problem_, trial_, options_, F_d);
          if (std::isfinite(dead.grad_inf)) cur_ = std::move(dead);
        }
      }
    }
    manifold_stale_ = true;
    mem_.kinks_retried = false;
    std::vector<int>& manifold = mem_.kinks_held;
    if (!manifold.empty()) {
      const auto U = problem_.view(cur_.x).U;
      const double tol = options_.kink_manifold_release * std::max(1.0, U.lpNorm<Eigen::Infinity>());
      manifold.erase(std::remove_if(manifold.begin(), manifold.end(),
                                    [&](int q) { return !(std::abs(U.data()[q]) <= tol); }),
                     manifold.end());
    }
    if (damping_ > 0.0) {
      damping_ *= options_.damping_decrease;
      if (damping_ < options_.damping) damping_ = 0.0;
    } else if (st.ratio >= options_.expand_ratio) {
      gamma_hat_ = std::max(options_.gamma_min, options_.gamma_decrease * gamma_hat_);
    }
  }

  // After a rejection: release or add held kinks, else grow κ or γ.
  void adapt(const RolloutStep& st, double predicted) {
    if (!st.accepted && st.kinks_held > 0 && !(predicted > 0.0)) {
      // Holding costs the model more than the step gains (the Newton part of
      // the constraint does not shrink with 1/γ): release every held entry and
      // retry from the plain step at the same γ.
      mem_.kinks_held.clear();
      mem_.kinks_retried = true;
    } else if (!st.accepted && options_.kink_manifold > 0 && !mem_.kinks_retried &&
               add_crossings(problem_, cur_.x, rolled_, options_.kink_manifold, options_.kink_manifold_tolerance,
                             mem_.kinks_held)) {
      // Retry once at the same γ with the crossed kinks held.
      mem_.kinks_retried = true;
      manifold_stale_ = true;
    } else if (!st.accepted) {
      mem_.kinks_retried = false;
      if (options_.damping > 0.0 && damping_ < options_.damping_max)
        damping_ = std::max(options_.damping, options_.damping_increase * damping_);
      else
        gamma_hat_ *= options_.gamma_increase;
    }
    mem_.last_rejected = !st.accepted;
  }

  // The history entry of iteration k and the callback; false: stop.
  bool record(int k, double gamma, const InnerResult& inner, const std::vector<double>& viol, RolloutStep& st) {
    st.grad_inf = cur_.grad_inf;
    st.gamma_scaled_next = gamma_hat_;
    st.extrapolation_next = beta_e_;
    st.damping_next = damping_;
    st.memory = &mem_;
    AlmIteration it;
    it.iteration = k;
    it.objective = cur_.F;
    it.infeasibility = c_.lpNorm<Eigen::Infinity>();
    it.stationarity = cur_.grad_inf;
    it.penalty = gamma;
    it.multiplier_norm = cur_.xi.lpNorm<Eigen::Infinity>();
    it.inner = inner;
    it.seconds = elapsed();
    it.family_violation = viol;
    s_.history.push_back(it);
    s_.outer_iterations = k;
    s_.inner_iterations += inner.iterations;
    return !callback_ || callback_(it, st, cur_.x);
  }

  const RnnTrainingProblem& problem_;
  const RolloutOptions& options_;
  const AlmOptions& alm_;
  const RolloutCallback& callback_;
  const std::function<double()>& excluded_seconds_;
  const std::chrono::steady_clock::time_point t0_;
  const BcdOptions bo_;
  BcdSolver bcd_;
  AugmentedLagrangian L_;
  const double N_;
  const int fam_;
  const int nw_;
  const Vector no_mu_ = Vector(0);
  AlmSummary s_;
  FeasiblePoint cur_;
  double gamma_hat_;              // γ·N
  double beta_e_;                 // the extrapolation β
  double damping_ = 0.0;          // κ of the Levenberg–Marquardt damping of the w step (0 = undamped)
  RolloutMemory mem_;             // Anderson memory, held kinks, last rejection (RolloutResume::memory)
  Vector aa_trial_, trial_, rolled_, c_;
  int k_done_ = 0;
  double seconds_before_ = 0.0;
  EvaluationCounters counted_before_;
  std::vector<int> hold_;
  std::vector<Matrix> manifold_grads_;  // ∂u/∂Θ of the held entries at cur.x
  bool manifold_stale_ = true;          // manifold_grads_ must be recomputed (new point or new entries)
  int stall_descents_ = 0;              // in this process (reported in the final message)
};

}  // namespace

AlmSummary solve_rollout(const RnnTrainingProblem& problem, const RolloutOptions& options, const BcdOptions& bcd_options,
                         const AlmOptions& alm, const RolloutCallback& callback,
                         const std::function<double()>& excluded_seconds, const RolloutResume* resume) {
  options.validate();
  RolloutRun run(problem, options, bcd_options, alm, callback, excluded_seconds);
  if (resume != nullptr) run.restore(*resume);
  return run.run();
}

}  // namespace almkit::rnn
