#include "almkit/study/rnn_rollout.h"
#include "almkit/study/rnn_manifold_newton.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <Eigen/Dense>
#include <fmt/core.h>

#include "almkit/core/kkt.h"

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

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

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

}  // namespace

AlmSummary solve_rollout(const RnnTrainingProblem& problem, const RolloutOptions& options, const BcdOptions& bcd_options,
                         const AlmOptions& alm, const RolloutCallback& callback,
                         const std::function<double()>& excluded_seconds, const RolloutResume* resume) {
  options.validate();
  const auto t0 = std::chrono::steady_clock::now();
  AlmSummary s;
  s.problem_name = problem.name();
  s.inner_solver_name = "bcd";
  s.options = alm;
  // sweeps − 1 full sweeps, then the w and a blocks only: the h and u blocks of
  // the last sweep cannot change θ̃, which the restart keeps alone.
  BcdOptions bo = bcd_options;
  bo.max_sweeps = std::max(1, options.sweeps - 1);
  bo.stop_test_enabled = false;
  BcdSolver bcd(bo);
  AugmentedLagrangian L(problem);
  const double N = problem.data().N();
  const int fam = problem.m() * problem.T();

  Vector x0 = problem.initial_point();
  problem.restore_feasibility(x0);
  const double F0 = problem.eval_f(x0);
  FeasiblePoint cur = at_feasible(problem, std::move(x0), options, F0);
  double gamma_hat = options.gamma0;  // γ·N
  double beta_e = options.extrapolation;
  double damping = 0.0;  // κ of the Levenberg–Marquardt damping of the w step (0 = undamped)
  RolloutMemory mem;  // Anderson memory, held kinks, last rejection (checkpointed: RolloutResume::memory)
  Vector aa_trial(problem.num_variables());
  int k_done = 0;
  double seconds_before = 0.0;
  EvaluationCounters counted_before;
  if (resume != nullptr) {
    gamma_hat = resume->gamma_scaled;
    beta_e = resume->extrapolation;
    damping = resume->damping;
    k_done = resume->iteration;
    seconds_before = resume->seconds;
    counted_before = resume->evaluations;
    s.inner_iterations = resume->inner_iterations;
    s.outer_iterations = k_done;
    mem = resume->memory;
    const Eigen::Index n_weights = problem.num_weights();
    auto size_ok = [n_weights](const Vector& v) { return v.size() == 0 || v.size() == n_weights; };
    bool ok = size_ok(mem.anderson_theta) && size_ok(mem.anderson_r) &&
              mem.anderson_dtheta.size() == mem.anderson_dr.size();
    for (size_t j = 0; ok && j < mem.anderson_dtheta.size(); ++j)
      ok = mem.anderson_dtheta[j].size() == n_weights && mem.anderson_dr[j].size() == n_weights;
    if (!ok)
      throw std::invalid_argument(fmt::format(
          "resume: the Anderson memory does not fit: as many columns dtheta as dr, each of {} weights", n_weights));
    for (int q : mem.kinks_held)
      if (q < 0 || q >= problem.m() * problem.T())
        throw std::invalid_argument(fmt::format("resume: held kink {} is not a U entry (0..{})", q, problem.m() * problem.T() - 1));
    // The evaluations of the restart point were counted by the earlier run.
    problem.reset_counters();
  }
  auto elapsed = [&] { return seconds_before + seconds_since(t0); };
  const int nw = problem.num_weights();
  Vector trial(problem.num_variables()), rolled(problem.num_variables()), c(problem.num_equalities());
  const Vector no_mu(0);
  std::vector<int> hold;
  std::vector<int>& manifold = mem.kinks_held;  // held U entries of the kink manifold step
  std::vector<Matrix> manifold_grads;  // their ∂u/∂Θ at cur.x (a function of cur.x and the entries)
  bool manifold_stale = true;  // manifold_grads must be recomputed (new point or new entries)
  int stall_descents = 0;  // in this process (reported in the final message)
  bool& manifold_retried = mem.kinks_retried;
  std::vector<Vector>& aa_dtheta = mem.anderson_dtheta;
  std::vector<Vector>& aa_dr = mem.anderson_dr;
  Vector& aa_theta = mem.anderson_theta;
  Vector& aa_r = mem.anderson_r;

  auto finish = [&](AlmStatus status, std::string message) {
    s.status = status;
    s.message = stall_descents > 0 ? fmt::format("{} (after {} stall descents)", message, stall_descents)
                                   : std::move(message);
    s.x = cur.x;
    s.lambda = problem.bptt_multipliers(cur.x);  // one-sided: the KKT report of the problem's own J
    s.mu = Vector(0);
    s.nu = Vector::Zero(problem.num_variables());
    s.objective = cur.F;
    s.kkt = kkt_residuals(problem, cur.x, s.lambda, no_mu, s.nu);
    s.final_penalty = gamma_hat / N;
    s.evaluations = problem.counters();
    s.evaluations.objective += counted_before.objective;
    s.evaluations.gradient += counted_before.gradient;
    s.evaluations.equalities += counted_before.equalities;
    s.evaluations.inequalities += counted_before.inequalities;
    s.evaluations.equality_jtprod += counted_before.equality_jtprod;
    s.evaluations.inequality_jtprod += counted_before.inequality_jtprod;
    s.evaluations.jacobian += counted_before.jacobian;
    s.seconds = elapsed();
    s.has_best_feasible = true;
    s.best_feasible_x = cur.x;
    s.best_feasible_objective = cur.F;
    return s;
  };

  if (!std::isfinite(cur.F) || !std::isfinite(cur.grad_inf))
    return finish(AlmStatus::kNonFinite, "the forward pass of the initial weights is not finite (the start explodes)");
  for (int k = k_done + 1;; ++k) {
    if (cur.grad_inf <= options.tol_gradient)
      return finish(AlmStatus::kConverged, fmt::format("|grad F|_inf = {:.3e} <= tol_gradient = {:.3g} at the "
                                                       "forward-pass point (a KKT point of (P))",
                                                       cur.grad_inf, options.tol_gradient));
    if ((k - 1) % options.clarke_check_every == 0) {
      const double block_gain = mem.F_last_check - cur.F;  // of the last check interval
      const bool crawling = std::isfinite(mem.F_last_check) && block_gain < options.newton_trigger * std::abs(cur.F);
      mem.F_last_check = cur.F;
      bool polished = false;
      if (options.newton_steps > 0 && crawling && mem.newton_skip > 0) {
        --mem.newton_skip;
      } else if (options.newton_steps > 0 && crawling) {
        const double F_before = cur.F;
        polished = polish(problem, options, block_gain, cur);
        const bool effective = polished && F_before - cur.F >= block_gain;
        mem.newton_backoff = effective ? 0 : std::max(1, 2 * mem.newton_backoff);
        mem.newton_skip = mem.newton_backoff;
      }
      if (polished) {
        // The outer map's history does not describe the jump: Anderson restarts.
        aa_dtheta.clear();
        aa_dr.clear();
        aa_theta.resize(0);
        manifold_stale = true;
        mem.F_last_check = cur.F;
        if (cur.grad_inf <= options.tol_gradient)
          return finish(AlmStatus::kConverged, fmt::format("|grad F|_inf = {:.3e} <= tol_gradient = {:.3g} after the "
                                                           "Gauss-Newton polish (a KKT point of (P))",
                                                           cur.grad_inf, options.tol_gradient));
      }
    }
    if (options.tol_clarke >= 0.0 && (k - 1) % options.clarke_check_every == 0) {
      const KinkStationarity ks = kink_stationarity(problem, cur.x);
      if (ks.kinks > 0 && ks.best <= options.tol_clarke)
        return finish(AlmStatus::kConverged,
                      fmt::format("KKT residual {:.3e} <= tol_clarke = {:.3g} with the best relu derivative at the {} "
                                  "kinks (one-sided |grad F|_inf = {:.3e}): a KKT point of (P) on kinks",
                                  ks.best, options.tol_clarke, ks.kinks, cur.grad_inf));
    }
    if (k > alm.max_outer_iterations)
      return finish(AlmStatus::kIterationLimit, fmt::format("{} outer iterations", alm.max_outer_iterations));
    if (elapsed() - (excluded_seconds ? excluded_seconds() : 0.0) >= alm.time_limit_seconds)
      return finish(AlmStatus::kTimeLimit, fmt::format("time limit of {} s reached", alm.time_limit_seconds));
    if (gamma_hat > options.gamma_max) {
      // Stall descent (docs/rnn_bcd.md §8): the Clarke direction the block
      // model cannot see; then the policy starts afresh from the new point.
      Vector x = cur.x;
      double F = cur.F;
      int taken = 0;
      while (taken < options.stall_descent_steps &&
             stall_descent_step(problem, x, F, options.stall_descent_armijo, options.stall_descent_min_step))
        ++taken;
      if (taken == 0)
        return finish(AlmStatus::kPenaltyTooLarge,
                      fmt::format("gamma * N = {:.3g} > rollout.gamma_max: no step decreases F (|grad F|_inf = {:.3e}){}",
                                  gamma_hat, cur.grad_inf,
                                  options.stall_descent_steps > 0 ? ", nor a stall descent step" : ""));
      cur = at_feasible(problem, std::move(x), options, F);
      ++stall_descents;
      gamma_hat = options.gamma0;
      damping = 0.0;
      manifold.clear();
      manifold_stale = true;
      manifold_retried = false;
      mem.last_rejected = false;
      aa_dtheta.clear();
      aa_dr.clear();
      aa_theta.resize(0);
    }

    const double gamma = gamma_hat / N;
    L.set_parameters(cur.xi, no_mu, gamma);
    trial = cur.x;
    InnerResult inner;
    if (options.sweeps > 1) inner = bcd.minimize(L, trial, 0.0);
    // The w and a steps form one more (partial) sweep on `trial` (core/block_problem.h "Hand-over contract").
    problem.begin_sweep(trial);
    hold.clear();
    if (options.kink_hold >= 0.0 && (!options.kink_hold_after_rejection || mem.last_rejected)) {
      const auto U = problem.view(cur.x).U;
      const double tol = options.kink_hold * std::max(1.0, U.lpNorm<Eigen::Infinity>());
      for (Eigen::Index q = 0; q < U.size(); ++q)
        if (std::abs(U.data()[q]) <= tol) hold.push_back(static_cast<int>(q));
    }
    problem.minimize_w_block(L.lambda(), gamma, options.w_proximal + damping, trial, hold);
    if (!manifold.empty()) {
      if (manifold_stale) {
        manifold_grads = problem.pre_activation_gradients(cur.x, manifold);
        manifold_stale = false;
      }
      // Active set: release the held entries whose implied Clarke selection
      // s_q = [u_q > 0] + μ_q / (−ξ2_q) leaves [0, 1] (crossing lowers F there),
      // and redo the step on the rest; the set shrinks on every pass.
      const Vector w_free = trial.head(nw);
      while (!manifold.empty()) {
        trial.head(nw) = w_free;
        const Vector mu = kink_manifold_step(problem, cur.x, manifold, manifold_grads, trial, options.kink_manifold_newton);
        const auto Xi2 = problem.multiplier_view(cur.xi).Xi2;
        const auto Uc = problem.view(cur.x).U;
        std::vector<int> keep;
        std::vector<Matrix> keep_g;
        for (size_t j = 0; j < manifold.size(); ++j) {
          const int qk = manifold[j];
          const double delta = -Xi2.data()[qk];
          const double s_q = (Uc.data()[qk] > 0.0 ? 1.0 : 0.0) + (delta != 0.0 ? mu(static_cast<Eigen::Index>(j)) / delta : 0.0);
          if (s_q >= -options.kink_manifold_margin && s_q <= 1.0 + options.kink_manifold_margin) {
            keep.push_back(qk);
            keep_g.push_back(manifold_grads[j]);
          }
        }
        if (keep.size() == manifold.size()) break;
        manifold = std::move(keep);
        manifold_grads = std::move(keep_g);
        if (manifold.empty()) trial.head(nw) = w_free;
      }
    }
    const int held_now = static_cast<int>(manifold.size());
    problem.minimize_block(RnnTrainingProblem::kBlockA, L.lambda(), L.mu(), gamma, bo.sigma_p, trial);
    inner.iterations += 1;
    inner.evaluations += 2;
    inner.final_value = L.value(trial);
    inner.status = InnerStatus::kIterationLimit;
    RolloutStep st;
    st.kinks_held = held_now;
    st.F_before = cur.F;
    st.L_inner = inner.final_value;
    problem.eval_c(trial, c);
    const std::vector<double> viol{c.head(fam).norm(), c.tail(fam).norm()};
    rolled = trial;
    problem.restore_feasibility(rolled);
    st.rollout_gap = state_distance(problem, trial, rolled);
    st.F_trial = problem.eval_f(rolled);
    const double predicted = cur.F - st.L_inner;
    st.ratio = predicted > 0.0 && std::isfinite(st.F_trial) ? (cur.F - st.F_trial) / predicted
                                                             : -std::numeric_limits<double>::infinity();
    if (options.anderson > 0) {
      const Vector r = trial.head(nw) - cur.x.head(nw);
      if (aa_theta.size() == nw) {
        const Vector dth = cur.x.head(nw) - aa_theta;
        if (dth.squaredNorm() > 0.0) {
          aa_dtheta.push_back(dth);
          aa_dr.push_back(r - aa_r);
          if (static_cast<int>(aa_dtheta.size()) > options.anderson) {
            aa_dtheta.erase(aa_dtheta.begin());
            aa_dr.erase(aa_dr.begin());
          }
        }
      }
      aa_theta = cur.x.head(nw);
      aa_r = r;
      if (!aa_dr.empty() && predicted > 0.0) {
        const int mm = static_cast<int>(aa_dr.size());
        Matrix DR(nw, mm), DT(nw, mm);
        for (int j = 0; j < mm; ++j) {
          DR.col(j) = aa_dr[j];
          DT.col(j) = aa_dtheta[j];
        }
        const Vector alpha = DR.colPivHouseholderQr().solve(r);
        if (alpha.allFinite()) {
          aa_trial = cur.x;
          aa_trial.head(nw) = trial.head(nw) - (DT + DR) * alpha;
          problem.restore_feasibility(aa_trial);
          const double F_aa = problem.eval_f(aa_trial);
          const double ratio_aa = (cur.F - F_aa) / predicted;
          if (std::isfinite(F_aa) && ratio_aa >= options.accept_ratio && !(F_aa >= st.F_trial)) {
            rolled = aa_trial;
            st.F_trial = F_aa;
            st.ratio = ratio_aa;
            st.extrapolated = true;
          }
        }
      }
    }
    if (st.ratio >= options.accept_ratio) {
      FeasiblePoint next = at_feasible(problem, rolled, options, st.F_trial);
      if (std::isfinite(next.grad_inf)) {
        st.accepted = true;
        if (beta_e > 0.0) {
          trial = next.x;
          trial.head(nw) += beta_e * (next.x.head(nw) - cur.x.head(nw));
          problem.restore_feasibility(trial);
          const double F_e = problem.eval_f(trial);
          if (F_e < next.F) {
            FeasiblePoint ext = at_feasible(problem, trial, options, F_e);
            if (std::isfinite(ext.grad_inf)) {
              next = std::move(ext);
              st.extrapolated = true;
            }
          }
          beta_e = st.extrapolated ? std::min(options.extrapolation_max, options.extrapolation_grow * beta_e)
                                   : std::max(options.extrapolation_shrink * beta_e, 1e-3 * options.extrapolation);
        }
        cur = std::move(next);
        if (options.dead_units) {
          trial = cur.x;
          if (zero_dead_units(problem, trial, options.dead_unit_tolerance) > 0) {
            const double F_d = problem.eval_f(trial);
            if (F_d <= cur.F) {
              FeasiblePoint dead = at_feasible(problem, trial, options, F_d);
              if (std::isfinite(dead.grad_inf)) cur = std::move(dead);
            }
          }
        }
        manifold_stale = true;
        manifold_retried = false;
        if (!manifold.empty()) {
          const auto U = problem.view(cur.x).U;
          const double tol = options.kink_manifold_release * std::max(1.0, U.lpNorm<Eigen::Infinity>());
          manifold.erase(std::remove_if(manifold.begin(), manifold.end(),
                                        [&](int q) { return !(std::abs(U.data()[q]) <= tol); }),
                         manifold.end());
        }
        if (damping > 0.0) {
          damping *= options.damping_decrease;
          if (damping < options.damping) damping = 0.0;
        } else if (st.ratio >= options.expand_ratio)
          gamma_hat = std::max(options.gamma_min, options.gamma_decrease * gamma_hat);
      }
    }
    if (!st.accepted && held_now > 0 && !(predicted > 0.0)) {
      // Holding costs the model more than the step gains (the Newton part of
      // the constraint does not shrink with 1/γ): release every held entry and
      // retry from the plain step at the same γ.
      manifold.clear();
      manifold_retried = true;
    } else if (!st.accepted && options.kink_manifold > 0 && !manifold_retried &&
        add_crossings(problem, cur.x, rolled, options.kink_manifold, options.kink_manifold_tolerance, manifold)) {
      // Retry once at the same γ with the crossed kinks held.
      manifold_retried = true;
      manifold_stale = true;
    } else if (!st.accepted) {
      manifold_retried = false;
      if (options.damping > 0.0 && damping < options.damping_max)
        damping = std::max(options.damping, options.damping_increase * damping);
      else
        gamma_hat *= options.gamma_increase;
    }
    mem.last_rejected = !st.accepted;
    st.grad_inf = cur.grad_inf;
    st.gamma_scaled_next = gamma_hat;
    st.extrapolation_next = beta_e;
    st.damping_next = damping;
    st.memory = &mem;

    AlmIteration it;
    it.iteration = k;
    it.objective = cur.F;
    it.infeasibility = c.lpNorm<Eigen::Infinity>();
    it.stationarity = cur.grad_inf;
    it.penalty = gamma;
    it.multiplier_norm = cur.xi.lpNorm<Eigen::Infinity>();
    it.inner = inner;
    it.seconds = elapsed();
    it.family_violation = viol;
    s.history.push_back(it);
    s.outer_iterations = k;
    s.inner_iterations += inner.iterations;
    if (callback && !callback(it, st, cur.x))
      return finish(AlmStatus::kStoppedByCallback, "the progress callback asked to stop");
  }
}

}  // namespace almkit::rnn
