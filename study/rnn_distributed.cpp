// The RNN trainer on P ranks (study/rnn_distributed.h, docs/parallel.md §3).
#include "almkit/study/rnn_distributed.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/core.h>

#include "almkit/core/alm_policy.h"
#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/core/clock.h"

namespace almkit::rnn {

void check_distributed_options(const TrainOptions& o) {
  o.validate();
  if (o.selection.validation > 0.0)
    throw std::invalid_argument("option validation: distributed training (mpirun) has no validation split (docs/rnn.md §9)");
  if (o.selection.lambda_auto)
    throw std::invalid_argument("option lambda: distributed training (mpirun) has no lambda auto (docs/rnn.md §9)");
  if (o.policy == TrainPolicy::kTimeParallel)
    throw std::invalid_argument(
        "option policy: the distributed trainer runs the rollout and the reference policy; policy time-parallel "
        "runs on the ranks through rnn::train with TrainHooks::workers (docs/parallel.md §8)");
  if (o.policy == TrainPolicy::kSafeguarded)
    throw std::invalid_argument(
        "option policy: distributed training (mpirun) runs the rollout and the reference policy, not 'safeguarded' "
        "(docs/parallel.md §3)");
  if (o.policy == TrainPolicy::kRollout) {
    const RolloutOptions& r = o.rollout;
    const RolloutOptions none = RolloutOptions::plain();
    auto refuse = [](const char* name) {
      throw std::invalid_argument(fmt::format(
          "option rollout.{}: distributed training (mpirun) runs the rollout policy with the plain step, "
          "RolloutOptions::plain() (sweeps 1, no damping, proximal term, extrapolation, Anderson or kink options; "
          "docs/parallel.md §3)",
          name));
    };
    if (r.sweeps != none.sweeps) refuse("sweeps");
    if (r.damping != none.damping) refuse("damping");
    if (r.w_proximal != none.w_proximal) refuse("w_proximal");
    if (r.extrapolation != none.extrapolation) refuse("extrapolation");
    if (r.anderson != none.anderson) refuse("anderson");
    if (r.kink_tolerance >= 0.0) refuse("kink_tolerance");
    if (r.kink_hold >= 0.0) refuse("kink_hold");
    if (r.kink_manifold != none.kink_manifold) refuse("kink_manifold");
    if (r.tol_clarke != none.tol_clarke) refuse("tol_clarke");  // kink_stationarity needs every state
    if (r.dead_units != none.dead_units) refuse("dead_units");
    if (r.newton_steps != none.newton_steps) refuse("newton_steps");
    if (r.stall_descent_steps != none.stall_descent_steps) refuse("stall_descent_steps");
  }
  if (o.inner != InnerKind::kBcd)
    throw std::invalid_argument("option inner: distributed training (mpirun) runs BCD sweeps only (docs/parallel.md §3)");
  if (o.bcd.extrapolation != 0.0)
    throw std::invalid_argument("option bcd.extrapolation: not available in distributed training (docs/parallel.md §3)");
}

namespace {

using Clock = std::chrono::steady_clock;

// The outer loop of core/alm.cpp with core/alm_reference.cpp's strategy, on the slice.
class DistributedRun {
 public:
  DistributedRun(RnnSliceData mine, const RnnSeries& test, const TrainOptions& o, Communicator& comm,
                 const TrainCallback& callback)
      : test_(test), o_(o), comm_(comm), callback_(callback), slice_(make_slice(std::move(mine), o, comm)) {}

  double start_max_abs_state() const { return start_max_abs_state_; }
  const Vector& h_last() const { return h_last_; }

  TrainResult run() {
    t0_ = Clock::now();
    result_.initial_weights = o_.initial_weights ? *o_.initial_weights
                                                 : initialize_weights(o_.hidden, slice_.d(), slice_.p(), o_.init,
                                                                      o_.init_std, o_.seed, o_.irnn_scale);
    const RnnWeights& w = result_.initial_weights;
    const int m = slice_.m(), d = slice_.d(), p = slice_.p();
    if (w.W.rows() != m || w.W.cols() != m || w.V.rows() != m || w.V.cols() != d || w.b.size() != m ||
        w.A.rows() != p || w.A.cols() != m || w.c.size() != p)
      throw std::invalid_argument(fmt::format("initial weights do not match m = {}, d = {}, p = {}", m, d, p));
    restart_from_initial();
    constraints();
    TrainHistoryRow row0 = row(0, 0.0, std::numeric_limits<double>::quiet_NaN(), 0);
    start_max_abs_state_ = last_max_abs_state_;
    result_.history.push_back(row0);
    const bool go_on = agree(callback_ ? callback_(row0) : true);
    AlmSummary& sum = result_.summary;
    sum.problem_name = "rnn_training";
    sum.inner_solver_name = "bcd";
    sum.options = o_.driver_alm();
    if (!go_on) stop(AlmStatus::kStoppedByCallback, "the progress callback asked to stop");
    else if (o_.policy == TrainPolicy::kRollout) loop_rollout();
    else loop();
    sum.seconds = seconds_since(t0_);
    finish();
    return std::move(result_);
  }

 private:
  static RnnSlice make_slice(RnnSliceData mine, const TrainOptions& o, Communicator& comm) {
    check_distributed_options(o);
    return RnnSlice(std::move(mine), o.hidden, o.regularization, comm);
  }

  // Collective: weights (replicated) and every rank's H, U finite.
  bool finite_iterate() {
    const RnnWeights& w = slice_.w;
    return agree(w.W.allFinite() && w.V.allFinite() && w.b.allFinite() && w.A.allFinite() && w.c.allFinite() &&
                 slice_.H.allFinite() && slice_.U.allFinite());
  }

  // Collective: rank 0's clock, so that every rank takes a time decision alike.
  double elapsed_agreed(double excluded = 0.0) {
    double t = seconds_since(t0_) - excluded;
    comm_.broadcast(&t, 1, 0);
    return t;
  }

  // Every rank takes the callback's answer of the most cautious rank.
  bool agree(bool go_on) { return comm_.max(go_on ? 0.0 : 1.0) == 0.0; }

  void restart_from_initial() {
    slice_.w = result_.initial_weights;
    slice_.forward_pass();
  }

  // C1, C2 of the iterate; their family norms ‖C1‖₂, ‖C2‖₂ and ‖c‖∞ over all ranks.
  void constraints() {
    slice_.constraints(C1_, C2_);
    double sq[2] = {C1_.squaredNorm(), C2_.squaredNorm()};
    comm_.sum(sq, 2);
    family_ = {std::sqrt(sq[0]), std::sqrt(sq[1])};
    double inf = std::max(C1_.lpNorm<Eigen::Infinity>(), C2_.lpNorm<Eigen::Infinity>());
    if (!C1_.allFinite() || !C2_.allFinite()) inf = std::numeric_limits<double>::quiet_NaN();
    infeasibility_ = comm_.max(inf);
  }

  // L(x) = f + Σ λ̄ᵀc + (β/2)‖c‖² with the current C1_, C2_ and multipliers.
  double augmented_lagrangian(double beta) {
    double parts[4] = {slice_.local_loss(), slice_.U.squaredNorm(),
                       (slice_.Xi1.cwiseProduct(C1_)).sum() + (slice_.Xi2.cwiseProduct(C2_)).sum(),
                       C1_.squaredNorm() + C2_.squaredNorm()};
    comm_.sum(parts, 4);
    return parts[0] / slice_.N() + slice_.weight_penalty() + slice_.regularization().lambda6 * parts[1] + parts[2] +
           0.5 * beta * parts[3];
  }

  // The forward-pass metrics of the current weights (one history row), leaving the iterate as it was.
  struct Forward {
    double train_mse, test_mse, objective, grad_inf, gap, infeasibility, max_abs_state;
    int kinks;
  };
  Forward forward_metrics_now() {
    const Matrix H = slice_.H, U = slice_.U;
    slice_.forward_pass();
    Forward f{};
    double parts[3] = {slice_.local_loss(), (H - slice_.H).squaredNorm(),
                       static_cast<double>((slice_.U.array().abs() <= kKinkStationarityTolerance).count())};
    comm_.sum(parts, 3);
    f.train_mse = parts[0] / slice_.N();
    f.gap = std::sqrt(parts[1] / (static_cast<double>(slice_.m()) * slice_.global_T()));
    f.kinks = static_cast<int>(parts[2]);
    f.max_abs_state = comm_.max(slice_.H.allFinite() ? slice_.H.cwiseAbs().maxCoeff()
                                                     : std::numeric_limits<double>::infinity());
    f.objective = slice_.objective();
    Matrix L1, L2;
    slice_.bptt(L1, L2);
    f.grad_inf = slice_.stationarity(L1, L2);
    Matrix c1, c2;
    slice_.constraints(c1, c2);
    f.infeasibility = comm_.max(std::max(c1.lpNorm<Eigen::Infinity>(), c2.lpNorm<Eigen::Infinity>()));
    f.test_mse = test_mse_now();
    slice_.H = H;
    slice_.U = U;
    slice_.exchange_halo();
    return f;
  }

  // Collective: the test MSE of the weights from h_0 = 0, or continued from the
  // last training state of the current (H, U) — the last rank's, kept in h_last_.
  double test_mse_now() {
    h_last_ = slice_.H.col(slice_.columns() - 1);
    comm_.broadcast(h_last_.data(), slice_.m(), comm_.size() - 1);
    if (test_.T() == 0) return 0.0;
    return mean_squared_error(predict_series(slice_.w, test_, o_.test_continues_from_train ? &h_last_ : nullptr),
                              test_);
  }

  // One history row. With `known` (the rollout policy) (H, U) already are the
  // forward pass of the weights and F, ‖∇F‖∞ and the gap are known
  // (rnn_trainer.cpp's make_row with Known); otherwise a forward pass and BPTT.
  struct Known {
    double F, grad_inf, gap;
  };
  TrainHistoryRow row(int iteration, double seconds, double gamma, long sweeps, const Known* known = nullptr) {
    const auto m0 = Clock::now();
    TrainHistoryRow r;
    r.iteration = iteration;
    if (known != nullptr) {
      r.train_mse = comm_.sum(slice_.local_loss()) / slice_.N();
      r.test_mse = test_mse_now();
      r.objective = known->F;
      r.grad_inf = known->grad_inf;
      r.rollout_gap = known->gap;
    } else {
      const Forward f = forward_metrics_now();
      last_max_abs_state_ = f.max_abs_state;
      r.train_mse = f.train_mse;
      r.test_mse = f.test_mse;
      r.objective = f.objective;
      r.grad_inf = f.grad_inf;
      r.rollout_gap = f.gap;
    }
    r.violation_c1 = family_[0];
    r.violation_c2 = family_[1];
    r.gamma = gamma;
    r.sweeps = sweeps;
    r.seconds = seconds - monitor_seconds_;
    monitor_seconds_ += seconds_since(m0);
    return r;
  }

  // study/rnn_rollout.cpp solve_rollout with its default step (check_distributed_options):
  // from the forward-pass point θ_k with its BPTT multipliers, one w and one a
  // block; the rollout of θ̃ is accepted when ρ = (F(θ_k) − F(θ̃)) / (F(θ_k) − L_γ(x̃)) ≥ accept_ratio.
  void loop_rollout() {
    const RolloutOptions& ro = o_.rollout;
    const AlmOptions& opt = o_.alm;
    AlmSummary& sum = result_.summary;
    const double N = slice_.N();
    const double total = slice_.m() * slice_.global_T();
    double F = slice_.objective();
    Matrix L1, L2;
    slice_.bptt(L1, L2);
    double grad_inf = slice_.stationarity(L1, L2);
    slice_.Xi1 = std::move(L1);
    slice_.Xi2 = std::move(L2);
    double gamma_hat = ro.gamma0;
    auto done = [&](AlmStatus status, std::string message) {
      stop(status, std::move(message));
      sum.objective = F;
      sum.kkt.stationarity = grad_inf;
      sum.final_penalty = gamma_hat / N;
      sum.has_best_feasible = true;
      sum.best_feasible_objective = F;
    };
    if (!std::isfinite(F) || !std::isfinite(grad_inf))
      return done(AlmStatus::kNonFinite, "the forward pass of the initial weights is not finite (the start explodes)");
    Matrix Hc, Uc;
    for (int k = 1;; ++k) {
      if (grad_inf <= ro.tol_gradient)
        return done(AlmStatus::kConverged, fmt::format("|grad F|_inf = {:.3e} <= tol_gradient = {:.3g} at the "
                                                       "forward-pass point (a KKT point of (P))",
                                                       grad_inf, ro.tol_gradient));
      if (k > opt.max_outer_iterations)
        return done(AlmStatus::kIterationLimit, fmt::format("{} outer iterations", opt.max_outer_iterations));
      if (elapsed_agreed(monitor_seconds_) >= opt.time_limit_seconds)
        return done(AlmStatus::kTimeLimit, fmt::format("time limit of {} s reached", opt.time_limit_seconds));
      if (gamma_hat > ro.gamma_max)
        return done(AlmStatus::kPenaltyTooLarge,
                    fmt::format("gamma * N = {:.3g} > rollout.gamma_max: no step decreases F (|grad F|_inf = {:.3e})",
                                gamma_hat, grad_inf));
      const double gamma = gamma_hat / N;
      const RnnWeights w_cur = slice_.w;
      Hc = slice_.H;
      Uc = slice_.U;
      slice_.weight_step(gamma);
      constraints();  // of x̃ = (θ̃, H_k, U_k)
      const double L_inner = augmented_lagrangian(gamma);
      slice_.forward_pass();
      const double gap = std::sqrt(comm_.sum((Hc - slice_.H).squaredNorm()) / total);
      const double F_trial = slice_.objective();
      const double predicted = F - L_inner;
      const double ratio = predicted > 0.0 && std::isfinite(F_trial) ? (F - F_trial) / predicted
                                                                     : -std::numeric_limits<double>::infinity();
      bool accepted = false;
      if (ratio >= ro.accept_ratio) {
        slice_.bptt(L1, L2);
        const double g = slice_.stationarity(L1, L2);
        if (std::isfinite(g)) {
          accepted = true;
          slice_.Xi1 = L1;
          slice_.Xi2 = L2;
          F = F_trial;
          grad_inf = g;
          if (ratio >= ro.expand_ratio) gamma_hat = std::max(ro.gamma_min, ro.gamma_decrease * gamma_hat);
        }
      }
      if (!accepted) {
        gamma_hat *= ro.gamma_increase;
        slice_.w = w_cur;
        slice_.H = Hc;
        slice_.U = Uc;
        slice_.exchange_halo();
      }
      AlmIteration it;
      it.iteration = k;
      it.objective = F;
      it.infeasibility = infeasibility_;
      it.stationarity = grad_inf;
      it.penalty = gamma;
      it.multiplier_norm =
          comm_.max(std::max(slice_.Xi1.lpNorm<Eigen::Infinity>(), slice_.Xi2.lpNorm<Eigen::Infinity>()));
      it.inner.iterations = 1;
      it.inner.evaluations = 2;
      it.inner.final_value = L_inner;
      it.inner.status = InnerStatus::kIterationLimit;
      it.seconds = seconds_since(t0_);
      it.family_violation = family_;
      sum.history.push_back(it);
      sum.outer_iterations = k;
      sum.inner_iterations += 1;
      const Known known{F, grad_inf, gap};
      TrainHistoryRow r = row(k, seconds_since(t0_), gamma, 1, &known);
      r.accepted = accepted ? 1 : 0;
      result_.history.push_back(r);
      result_.total_sweeps += 1;
      if (!agree(callback_ ? callback_(r) : true))
        return done(AlmStatus::kStoppedByCallback, "the progress callback asked to stop");
    }
  }

  bool stop(AlmStatus status, std::string message) {
    result_.summary.status = status;
    result_.summary.message = std::move(message);
    return false;
  }
  // core/alm.cpp stop_at_limit: the same window and growth.
  bool stop_at_limit(AlmStatus status, std::string message) {
    const auto& h = result_.summary.history;
    const size_t w = kDivergingMultiplierWindow;
    if (h.size() >= w + 1) {
      const auto &last = h.back(), &before = h[h.size() - 1 - w];
      if (last.infeasibility <= std::sqrt(std::max(o_.alm.tol_feasibility, 1e-300)) &&
          last.multiplier_norm >= kDivergingMultiplierGrowth * std::max(1.0, before.multiplier_norm))
        return stop(AlmStatus::kMultipliersDiverging,
                    fmt::format("nearly feasible, but the multipliers grow without bound (‖λ,μ‖∞ {:.3g} → {:.3g} over "
                                "the last {} iterations): no KKT point is approached. Stopped by: {}",
                                before.multiplier_norm, last.multiplier_norm, w, message));
    }
    return stop(status, std::move(message));
  }

  // BCD sweeps on the AL with multipliers Ξ (= λ̄) and penalty β: solvers/bcd's loop and stop test.
  InnerResult inner(double beta, double eps) {
    const BcdOptions& b = o_.bcd;
    InnerResult r;
    r.status = InnerStatus::kIterationLimit;
    const auto s0 = Clock::now();
    const bool relative = b.change_measure == BcdChangeMeasure::kRelative;
    double change = std::numeric_limits<double>::infinity();
    int sweep = 0;
    bool finite = true;
    while (sweep < b.max_sweeps) {
      change = 0.0;
      for (const auto& [dk, nk] : slice_.sweep(beta, b.sigma_p)) change += relative ? dk / std::max(1.0, nk) : dk;
      ++sweep;
      if (!std::isfinite(change)) {
        finite = false;
        break;
      }
      if (b.stop_test_enabled && change <= b.tolerance_scale * eps) {
        r.status = InnerStatus::kConverged;
        break;
      }
    }
    r.iterations = sweep;
    r.evaluations = 4L * sweep;
    r.final_measure = change;
    if (!finite || !finite_iterate()) {
      r.status = InnerStatus::kNonFinite;
      r.message = fmt::format("non-finite iterate after sweep {}", sweep);
    } else {
      r.message = r.status == InnerStatus::kConverged
                      ? fmt::format("{} change {:.3e} <= {:.3e} after {} sweeps", to_string(b.change_measure), change,
                                    b.tolerance_scale * eps, sweep)
                      : fmt::format("sweep limit {} reached ({} change {:.3e})", sweep, to_string(b.change_measure), change);
    }
    r.seconds = seconds_since(s0);
    return r;
  }

  void loop() {
    const AlmOptions& opt = o_.alm;
    const ReferenceOptions& ref = opt.reference;
    AlmSummary& sum = result_.summary;
    double gamma = ref.gamma0, eps = ref.eps0;
    std::vector<double> V_hist{std::max(family_[0], family_[1])};
    Matrix bar1, bar2;
    for (int k = 1;; ++k) {
      if (k > opt.max_outer_iterations) {
        stop_at_limit(AlmStatus::kIterationLimit, fmt::format("{} outer iterations", opt.max_outer_iterations));
        return;
      }
      if (elapsed_agreed() >= opt.time_limit_seconds) {
        stop(AlmStatus::kTimeLimit, fmt::format("time limit of {} s reached", opt.time_limit_seconds));
        return;
      }
      // before_subproblem: λ̄ = λ, and the restart safeguard on L(x_warm).
      bar1 = slice_.Xi1;
      bar2 = slice_.Xi2;
      if (!(augmented_lagrangian(gamma) <= ref.restart_threshold)) {
        slice_.forward_pass();
        constraints();
        if (!(augmented_lagrangian(gamma) <= ref.restart_threshold)) restart_from_initial();
      }
      const InnerResult in = inner(gamma, eps);
      if (in.status == InnerStatus::kNonFinite && !finite_iterate()) {
        stop(AlmStatus::kNonFinite, "the inner solver returned a non-finite point");
        return;
      }
      constraints();
      slice_.Xi1 = bar1 + gamma * C1_;
      slice_.Xi2 = bar2 + gamma * C2_;
      const double lambda_inf = comm_.max(std::max(slice_.Xi1.lpNorm<Eigen::Infinity>(), slice_.Xi2.lpNorm<Eigen::Infinity>()));
      const double change = comm_.max(std::max((slice_.Xi1 - bar1).lpNorm<Eigen::Infinity>(),
                                               (slice_.Xi2 - bar2).lpNorm<Eigen::Infinity>()));
      V_hist.push_back(std::max(family_[0], family_[1]));
      // record
      AlmIteration it;
      it.iteration = k;
      it.objective = slice_.objective();
      it.infeasibility = infeasibility_;
      it.stationarity = slice_.stationarity(slice_.Xi1, slice_.Xi2);
      it.penalty = gamma;
      it.multiplier_norm = lambda_inf;
      it.inner_tolerance = eps;
      it.inner = in;
      it.seconds = seconds_since(t0_);
      it.family_violation = family_;
      sum.history.push_back(it);
      sum.outer_iterations = k;
      sum.inner_iterations += in.iterations;
      sum.objective = it.objective;
      sum.final_penalty = gamma;
      sum.kkt.infeasibility = it.infeasibility;
      sum.kkt.stationarity = it.stationarity;
      sum.kkt.multiplier_norm = lambda_inf;
      if (!std::isfinite(it.objective) || !std::isfinite(it.infeasibility) || !std::isfinite(it.stationarity) ||
          !std::isfinite(lambda_inf)) {
        stop(AlmStatus::kNonFinite, "non-finite objective, constraint or multiplier value");
        return;
      }
      if (it.infeasibility <= opt.tol_feasibility && it.objective < sum.best_feasible_objective) {
        sum.has_best_feasible = true;  // best_feasible_x stays empty: no rank holds x
        sum.best_feasible_objective = it.objective;
      }
      TrainHistoryRow r = row(k, seconds_since(t0_), gamma, in.iterations);
      result_.history.push_back(r);
      result_.total_sweeps += in.iterations;
      if (!agree(callback_ ? callback_(r) : true)) {
        stop(AlmStatus::kStoppedByCallback, "the progress callback asked to stop");
        return;
      }
      // converged (the reference policy's scale S = 1)
      if (it.stationarity <= opt.tol_stationarity && it.infeasibility <= opt.tol_feasibility &&
          change <= opt.tol_multiplier_change * std::max(1.0, lambda_inf)) {
        stop(AlmStatus::kConverged, "KKT residuals within tolerance");
        return;
      }
      if (in.status == InnerStatus::kNonFinite) {
        stop(AlmStatus::kNonFinite, "inner solver met non-finite values: " + in.message);
        return;
      }
      // next (core/alm_reference.cpp)
      if (eps < ref.eps_min) {
        stop(AlmStatus::kToleranceExhausted, fmt::format("inner tolerance {:.3g} < ref_eps_min", eps));
        return;
      }
      if (gamma > ref.gamma_max) {
        stop_at_limit(AlmStatus::kPenaltyTooLarge, fmt::format("gamma = {:.3g} > ref_gamma_max", gamma));
        return;
      }
      const size_t done = V_hist.size() - 1, lag = ref.immediate ? 0 : 1;
      if (done >= 2 + lag) {
        eps *= ref.eta4;
        if (V_hist[done - lag] > ref.eta1 * V_hist[done - 1 - lag]) {
          double norms[2] = {slice_.Xi1.squaredNorm(), slice_.Xi2.squaredNorm()};
          comm_.sum(norms, 2);
          double next = gamma / ref.eta2;
          for (double n2 : norms) next = std::max(next, std::pow(std::sqrt(n2), 1.0 + ref.eta3));
          gamma = next;
        }
      }
    }
  }

  void finish() {
    TrainResult& res = result_;
    res.weights = slice_.w;
    const Forward f = forward_metrics_now();
    res.final_metrics.train_mse = f.train_mse;
    res.final_metrics.test_mse = f.test_mse;
    res.kkt_alm = res.summary.kkt;
    if (res.summary.history.empty()) {
      res.kkt_alm.infeasibility = infeasibility_;
      res.kkt_alm.stationarity = slice_.stationarity(slice_.Xi1, slice_.Xi2);
    }
    res.kkt_bptt.stationarity = f.grad_inf;
    res.kkt_bptt.infeasibility = f.infeasibility;
    if (o_.policy == TrainPolicy::kRollout) res.kkt_alm = res.kkt_bptt;  // its multipliers are the BPTT ones
    res.kink_stationarity.kinks = f.kinks;
    res.kink_stationarity.one_sided = f.grad_inf;
    res.kink_stationarity.best = std::numeric_limits<double>::quiet_NaN();
    res.certificate = RnnTrainingProblem::nnamcq_certificate_text();
    res.wall_seconds = seconds_since(t0_);
  }

  const RnnSeries& test_;
  const TrainOptions& o_;
  Communicator& comm_;
  const TrainCallback& callback_;
  RnnSlice slice_;
  TrainResult result_;
  Matrix C1_, C2_;
  std::vector<double> family_{0.0, 0.0};
  double infeasibility_ = 0.0;
  double monitor_seconds_ = 0.0;
  double last_max_abs_state_ = 0.0, start_max_abs_state_ = 0.0;
  Vector h_last_;
  Clock::time_point t0_;
};

}  // namespace

TrainResult train_distributed(RnnSliceData mine, const RnnSeries& test, const TrainOptions& options,
                              Communicator& comm, const TrainCallback& callback, DistributedExtras* extras) {
  DistributedRun run(std::move(mine), test, options, comm, callback);
  TrainResult r = run.run();
  if (extras != nullptr) *extras = DistributedExtras{run.start_max_abs_state(), run.h_last()};
  return r;
}

TrainResult train_distributed(const RnnDataset& data, const TrainOptions& options, Communicator& comm, RankSplit split,
                              const TrainCallback& callback, DistributedExtras* extras) {
  const auto ranges = rank_ranges(data.train, comm.size(), split);
  const auto [first, last] = ranges[static_cast<size_t>(comm.rank())];
  return train_distributed(slice_series(data.train, first, last), data.test, options, comm, callback, extras);
}

}  // namespace almkit::rnn
