#include "almkit/study/rnn_train_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>

#include <fmt/core.h>

#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/solvers/bcd/bcd_solver.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"
#include "almkit/core/clock.h"

namespace almkit::rnn {

namespace detail {

RnnSeries slice_steps(const RnnSeries& s, int t0, int t1) {
  RnnSeries r;
  r.X = s.X.middleCols(t0, t1 - t0);
  r.Y = s.Y.middleCols(t0, t1 - t0);
  r.omega = s.omega.segment(t0, t1 - t0);
  r.sequence_starts = {0};
  for (int st : s.sequence_starts)
    if (st > t0 && st < t1) r.sequence_starts.push_back(st - t0);
  return r;
}

}  // namespace detail

namespace {

// Policy time-parallel (docs/parallel.md §8): rnn::train_shooting on
// options.threads threads (one: this thread), or on `workers` (mpirun's
// ranks) when given. Rank 0 makes the history rows
// (`row`, at the forward-pass point of each outer iterate, in the layout of
// `problem`) and its answer is broadcast, so the workers stop together. The
// summary's x is the forward-pass point of the final weights; a stop by the
// Clarke certificate is reported as converged.
AlmSummary solve_time_parallel(const RnnTrainingProblem& problem, const RnnSeries& train_part,
                               const TrainOptions& options, const RnnWeights& initial, Communicator* workers,
                               const std::function<bool(const AlmIteration&, VectorCRef)>& row) {
  const int n_theta = problem.num_weights();
  auto full_point = [&](VectorCRef theta) {
    Vector xf = Vector::Zero(problem.num_variables());
    xf.head(n_theta) = theta.head(n_theta);
    problem.restore_feasibility(xf);
    return xf;
  };
  ShootingResult tp;
  const auto run_on = [&](Communicator& comm) {
    const AlmCallback on_outer = [&](const AlmIteration& it, VectorCRef x) {
      double go = 1.0;
      if (comm.rank() == 0) go = row(it, full_point(x)) ? 1.0 : 0.0;
      comm.broadcast(&go, 1, 0);
      return go != 0.0;
    };
    // The run's limits (--outer, --alm.time_limit_seconds) bound this policy too.
    ShootingOptions po = options.parallel;
    po.max_outer_iterations = std::min(po.max_outer_iterations, options.alm.max_outer_iterations);
    po.time_limit_seconds = std::min(po.time_limit_seconds, options.alm.time_limit_seconds);
    ShootingResult mine = train_shooting(train_part, options.regularization, initial, po, comm, on_outer);
    // Threads share `tp` (rank 0 writes it); ranks of their own each keep theirs (the same bits).
    if (comm.rank() == 0 || workers != nullptr) tp = std::move(mine);
  };
  // More threads than chunks would only wait at the exchanges (the result
  // does not depend on the count).
  const int threads = std::min(options.threads, options.parallel.chunks_for(train_part.T()));
  if (workers != nullptr) {
    run_on(*workers);
  } else if (threads > 1) {
    InProcessGroup group(threads);
    group.run(run_on);
  } else {
    SerialCommunicator comm;
    run_on(comm);
  }
  AlmSummary summary = tp.alm;
  summary.x = full_point(flatten(tp.weights));
  // The multipliers of (P) at the forward-pass point are the BPTT adjoints
  // (docs/rnn.md §3; the chunked problem's own do not fit (P)).
  summary.lambda = problem.bptt_multipliers(summary.x);
  summary.outer_iterations = tp.outer_iterations;
  summary.inner_iterations = tp.inner_iterations;
  if (tp.clarke_stop) {
    summary.status = AlmStatus::kConverged;
    summary.message = fmt::format("Clarke certificate on (P): stationarity {:.3g} <= {:.3g} at {} kinks",
                                  tp.stationarity, options.parallel.tol_stationarity, tp.kinks.kinks);
  }
  if (tp.restarts > 0)
    summary.message += fmt::format(" ({} restarts after stalls: {} kink polishes, {} split rescues, {} stall descents)",
                                   tp.restarts, tp.polishes, tp.rescues, tp.restarts - tp.polishes - tp.rescues);
  return summary;
}

// The validation tail (docs/rnn.md §9): the model is fitted on `fit`, the
// first T − T_v training steps; `val` continues from the fitted range's final
// state (unless it starts a sequence), and the test part from the end of `val`
// when TrainOptions::test_continues_from_train.
struct DataParts {
  bool validating = false;
  RnnSeries fit, val;
  bool val_continues = true;
};

DataParts split_validation(const RnnDataset& data, const SelectionOptions& sel) {
  DataParts parts;
  parts.validating = sel.validation > 0.0;
  if (!parts.validating) return parts;
  const int T = data.train.T();
  const int Tv = std::max(1, static_cast<int>(std::floor(sel.validation * T)));
  if (T - Tv < detail::kMinFoldSteps)
    throw std::invalid_argument(fmt::format("option validation: {} of {} training steps leaves {} steps to fit (need >= {})",
                                            sel.validation, T, T - Tv, detail::kMinFoldSteps));
  parts.fit = detail::slice_steps(data.train, 0, T - Tv);
  parts.val = detail::slice_steps(data.train, T - Tv, T);
  parts.val_continues = !data.train.is_sequence_start(T - Tv);
  return parts;
}

// θ0: TrainOptions::initial_weights (checked against m, d, p) or the seeded draw.
RnnWeights start_weights(const TrainOptions& options, int d, int p) {
  const int m = options.hidden;
  if (!options.initial_weights)
    return initialize_weights(m, d, p, options.init, options.init_std, options.seed, options.irnn_scale);
  const RnnWeights& w = *options.initial_weights;
  if (w.m() != m || w.V.cols() != d || w.A.rows() != p || w.V.rows() != m || w.A.cols() != m || w.b.size() != m ||
      w.c.size() != p)
    throw std::invalid_argument(fmt::format("initial weights do not match m = {}, d = {}, p = {}", m, d, p));
  return w;
}

// The history recorder: one row per outer iteration (train MSE, F, ‖∇F‖∞, the
// rollout gap, validation and test MSE) and early stopping on the validation
// MSE (docs/rnn.md §8–9). Its own time (monitoring) is kept out of the rows'
// seconds, as the gradient baselines' clock does.
class HistoryRecorder {
 public:
  // `known` (the rollout policy): x is the feasible point of the row's weights
  // and F, ‖∇F‖∞ and the gap were computed by the policy itself.
  struct Known {
    double F, grad_inf, gap;
  };

  HistoryRecorder(const RnnDataset& data, const DataParts& parts, const RnnTrainingProblem& problem,
                  const TrainOptions& options, ValidationReport& vr)
      : data_(data), parts_(parts), problem_(problem), options_(options), vr_(vr) {
    vr_.enabled = parts.validating;
    vr_.fit_steps = problem.data().T();
    vr_.validation_steps = parts.val.T();
  }

  // Validation and test MSE of weights `w` whose fitted range ends in state
  // `h_fit_last`: the validation pass only when asked for or needed to carry
  // the state to the test part.
  double heldout(const RnnWeights& w, const Vector& h_fit_last, double* val_mse) {
    Vector h = h_fit_last;
    if (parts_.validating && (val_mse != nullptr || options_.test_continues_from_train)) {
      const auto v0 = std::chrono::steady_clock::now();
      const RnnStates s = forward_pass(w, parts_.val, parts_.val_continues ? &h : nullptr);
      if (val_mse != nullptr) *val_mse = mean_squared_error(predict(w, s.H), parts_.val);
      h = s.H.col(parts_.val.T() - 1);
      vr_.seconds += seconds_since(v0);
    }
    if (data_.test.T() == 0) return 0.0;
    return mean_squared_error(predict_series(w, data_.test, options_.test_continues_from_train ? &h : nullptr),
                              data_.test);
  }

  // Early stopping (docs/rnn.md §9): the checked iterates' validation MSE; the
  // weights of the least one are kept. Returns false when patience ran out.
  bool check(const TrainHistoryRow& row, const RnnWeights& w, double val_mse) {
    vr_.iterations.push_back(row.iteration);
    vr_.mse.push_back(val_mse);
    const bool improved = vr_.iterations.size() == 1 || val_mse < vr_.best.validation_mse ||
                          (std::isnan(vr_.best.validation_mse) && !std::isnan(val_mse));
    if (improved) {
      vr_.best = ValidationPoint{row.iteration, row.objective, row.train_mse, val_mse, row.test_mse};
      vr_.best_weights = w;
      checks_since_best_ = 0;
      return true;
    }
    ++checks_since_best_;
    const int patience = options_.selection.patience;
    return !(patience > 0 && checks_since_best_ >= patience);
  }

  // The row of x; `seconds` was read before this row's monitoring. The
  // violations come from the driver (its ‖C1‖₂, ‖C2‖₂), so the problem's
  // evaluation counters stay the ALM's own.
  TrainHistoryRow make_row(int iteration, double seconds, VectorCRef x, const std::vector<double>& viol, double gamma,
                           long sweeps, const Known* known = nullptr) {
    const auto m0 = std::chrono::steady_clock::now();
    const RnnWeights w = problem_.weights(x);
    const RnnSeries& train_part = problem_.data();
    TrainHistoryRow row;
    row.iteration = iteration;
    Vector h_last;
    if (known != nullptr) {
      const auto v = problem_.view(x);
      row.train_mse = mean_squared_error(predict(w, v.H), train_part);
      h_last = v.H.col(train_part.T() - 1);
      row.objective = known->F;
      row.grad_inf = known->grad_inf;
      row.rollout_gap = known->gap;
    } else {
      const RnnStates s = forward_pass(w, train_part);
      row.train_mse = mean_squared_error(predict(w, s.H), train_part);
      h_last = s.H.col(train_part.T() - 1);
      RnnWeights g;
      row.objective = reduced_objective(w, train_part, options_.regularization, {}, &g).value;
      const Vector gv = flatten(g);
      row.grad_inf = gv.allFinite() ? gv.lpNorm<Eigen::Infinity>() : std::numeric_limits<double>::infinity();
      row.rollout_gap = rollout_gap(problem_, x);
    }
    const SelectionOptions& sel = options_.selection;
    const bool is_check = parts_.validating && iteration % sel.validation_every == 0;
    double val_mse = std::numeric_limits<double>::quiet_NaN();
    row.test_mse = heldout(w, h_last, is_check ? &val_mse : nullptr);
    validation_go_on_ = is_check ? check(row, w, val_mse) : true;
    row.seconds = seconds - monitor_seconds_;
    monitor_seconds_ += seconds_since(m0);
    // The families of RnnTrainingProblem::equality_family_sizes, by name.
    const auto family = [&viol](int f) { return viol.size() > static_cast<size_t>(f) ? viol[f] : 0.0; };
    row.violation_c1 = family(RnnTrainingProblem::kFamilyC1);
    row.violation_c2 = family(RnnTrainingProblem::kFamilyC2);
    row.gamma = gamma;
    row.sweeps = sweeps;
    return row;
  }

  /// The validation check of the last row made (early stopping); true when the row was not a check.
  bool validation_go_on() const { return validation_go_on_; }
  double monitor_seconds() const { return monitor_seconds_; }
  int checks_since_best() const { return checks_since_best_; }

 private:
  const RnnDataset& data_;
  const DataParts& parts_;
  const RnnTrainingProblem& problem_;
  const TrainOptions& options_;
  ValidationReport& vr_;
  int checks_since_best_ = 0;
  bool validation_go_on_ = true;
  double monitor_seconds_ = 0.0;
};

// One run: the set-up (parts, θ0, a resume), row 0, the policy's loop with its
// rows and checkpoint states, and the final reports.
class TrainRun {
 public:
  TrainRun(const RnnDataset& data, const TrainOptions& options, const TrainHooks& hooks)
      : data_(data),
        options_(options),
        hooks_(hooks),
        resume_(hooks.resume),
        t0_(std::chrono::steady_clock::now()),
        parts_(split_validation(data, options.selection)),
        problem_(parts_.validating ? parts_.fit : data.train, options.hidden, options.regularization),
        recorder_(data, parts_, problem_, options, result_.validation) {
    if (resume_ != nullptr && options.policy != TrainPolicy::kRollout && options.policy != TrainPolicy::kTimeParallel)
      throw std::invalid_argument(fmt::format(
          "resume: only the time-parallel and the rollout policies can be resumed (this run uses policy {})",
          options.policy_name()));
    problem_.set_parallel(RnnParallelOptions{options.threads, options.chunk_columns});
    result_.regularization = options.regularization;
    const int m = options.hidden, d = problem_.data().d(), p = problem_.data().p();
    result_.initial_weights = start_weights(options, d, p);
    problem_.set_initial_weights(result_.initial_weights);
    if (resume_ != nullptr) {
      // The earlier run's clock: its last row's seconds (monitoring excluded).
      const RnnWeights& w = resume_->weights;
      if (w.m() != m || w.V.cols() != d || w.A.rows() != p || resume_->history.empty())
        throw std::invalid_argument(
            fmt::format("resume: the checkpoint's weights do not match m = {}, d = {}, p = {}", m, d, p));
      result_.initial_weights = resume_->initial_weights;
      problem_.set_initial_weights(w);
      result_.history = resume_->history;
      result_.total_sweeps = resume_->total_sweeps;
      seconds_before_ = resume_->history.back().seconds;
    }
  }

  TrainResult run() {
    const bool keep_going = resume_ != nullptr || record_initial_row();
    AlmOptions alm = options_.driver_alm();
    if (!keep_going || !recorder_.validation_go_on()) alm.max_outer_iterations = 0;
    if (options_.policy == TrainPolicy::kRollout) run_rollout(alm);
    else if (options_.policy == TrainPolicy::kTimeParallel) run_time_parallel(alm);
    else run_generic(alm);
    const Vector x =
        result_.summary.x.size() == problem_.num_variables() ? result_.summary.x : problem_.initial_point();
    result_.weights = problem_.weights(x);
    final_metrics();
    final_kkt(x);
    result_.wall_seconds = seconds_before_ + seconds_since(t0_);
    return std::move(result_);
  }

 private:
  // Row 0 at the initial point; false when the callback stops the run.
  bool record_initial_row() {
    const int fam = options_.hidden * problem_.data().T();
    const Vector x0 = problem_.initial_point();
    Vector c(problem_.num_equalities());
    problem_.eval_c(x0, c);
    problem_.reset_counters();
    const std::vector<double> viol0{c.head(fam).norm(), c.tail(fam).norm()};
    const TrainHistoryRow row0 =
        recorder_.make_row(0, 0.0, x0, viol0, std::numeric_limits<double>::quiet_NaN(), 0);
    result_.history.push_back(row0);
    return hooks_.on_row ? hooks_.on_row(row0) : true;
  }

  TrainState state_of(int iteration, VectorCRef x, double penalty) const {
    TrainState st;
    st.iteration = iteration;
    st.weights = problem_.weights(x);
    st.initial_weights = result_.initial_weights;
    st.penalty = penalty;
    st.history = &result_.history;
    st.total_sweeps = result_.total_sweeps;
    return st;
  }

  // Appends `row`; the callback's answer and early stopping decide whether to go on.
  bool add_row(const TrainHistoryRow& row, long sweeps) {
    result_.history.push_back(row);
    result_.total_sweeps += sweeps;
    const bool early_stop = !recorder_.validation_go_on();
    return (hooks_.on_row ? hooks_.on_row(row) : true) && !early_stop;
  }

  // The rollout policy (study/rnn_rollout.h): resumable bit for bit.
  void run_rollout(const AlmOptions& alm) {
    const RolloutResume* rollout_resume = resume_ != nullptr ? &resume_->rollout : nullptr;
    long inner_total = rollout_resume != nullptr ? rollout_resume->inner_iterations : 0;
    auto on_rollout = [&](const AlmIteration& it, const RolloutStep& st, VectorCRef x) {
      // The gap is the inner iterate's, before the restart.
      const HistoryRecorder::Known known{it.objective, st.grad_inf, st.rollout_gap};
      TrainHistoryRow row = recorder_.make_row(it.iteration, seconds_before_ + seconds_since(t0_), x,
                                               it.family_violation, it.penalty, it.inner.iterations, &known);
      row.accepted = st.accepted ? 1 : 0;
      inner_total += it.inner.iterations;
      const bool go_on = add_row(row, it.inner.iterations);
      if (hooks_.on_state) hooks_.on_state(rollout_state(it.iteration, x, st, row.seconds, inner_total));
      return go_on;
    };
    result_.summary = solve_rollout(problem_, options_.rollout, options_.bcd, alm, on_rollout,
                                    [this] { return recorder_.monitor_seconds(); }, rollout_resume);
  }

  // The rollout policy's whole outer state after an iteration (docs/interruption.md).
  TrainState rollout_state(int iteration, VectorCRef x, const RolloutStep& st, double seconds, long inner_total) const {
    TrainState state = state_of(iteration, x, st.gamma_scaled_next / problem_.data().N());
    state.resumable = true;
    state.rollout.iteration = iteration;
    state.rollout.gamma_scaled = st.gamma_scaled_next;
    state.rollout.extrapolation = st.extrapolation_next;
    state.rollout.damping = st.damping_next;
    state.rollout.evaluations = problem_.counters();
    if (resume_ != nullptr) {
      const EvaluationCounters& b = resume_->rollout.evaluations;
      EvaluationCounters& e = state.rollout.evaluations;
      e.objective += b.objective, e.gradient += b.gradient, e.equalities += b.equalities;
      e.inequalities += b.inequalities, e.equality_jtprod += b.equality_jtprod;
      e.inequality_jtprod += b.inequality_jtprod, e.jacobian += b.jacobian;
    }
    state.rollout.inner_iterations = inner_total;
    state.rollout.seconds = seconds;
    if (st.memory != nullptr) state.rollout.memory = *st.memory;
    return state;
  }

  // Policy time-parallel (docs/parallel.md §8). Rows are numbered on across
  // the policy's restarts and a resume. A resumed run starts the policy afresh
  // from the checkpoint's weights (its state between outer iterations is the
  // weights, up to the driver's inner tolerance and the restart counters:
  // docs/interruption.md).
  void run_time_parallel(const AlmOptions& alm) {
    const RnnWeights& start = resume_ != nullptr ? resume_->weights : result_.initial_weights;
    if (alm.max_outer_iterations == 0) {  // stopped at row 0
      result_.summary.status = AlmStatus::kStoppedByCallback;
      result_.summary.x = problem_.initial_point();
      return;
    }
    int row_iteration = resume_ != nullptr ? resume_->history.back().iteration : 0;
    TrainOptions o = options_;
    o.alm.time_limit_seconds = std::max(1e-9, options_.alm.time_limit_seconds - seconds_before_);
    result_.summary = solve_time_parallel(problem_, problem_.data(), o, start, hooks_.workers,
                                          [&](const AlmIteration& it, VectorCRef xf) {
      const TrainHistoryRow row = recorder_.make_row(++row_iteration, seconds_before_ + seconds_since(t0_), xf,
                                                     {0.0, 0.0}, it.penalty, it.inner.iterations);
      const bool go_on = add_row(row, it.inner.iterations);
      if (hooks_.on_state) {
        TrainState state = state_of(row_iteration, xf, it.penalty);
        state.resumable = true;
        state.rollout.iteration = row_iteration;
        state.rollout.inner_iterations = result_.total_sweeps;
        state.rollout.seconds = row.seconds;
        hooks_.on_state(state);
      }
      return go_on;
    });
  }

  // The generic driver (core/alm.h) with the reference or the safeguarded strategy.
  void run_generic(const AlmOptions& alm) {
    std::unique_ptr<InnerSolver> inner;
    if (options_.inner == InnerKind::kBcd) inner = std::make_unique<BcdSolver>(options_.bcd);
    else inner = std::make_unique<CeresLbfgsSolver>(options_.lbfgs);
    auto on_iteration = [&](const AlmIteration& it, VectorCRef x) {
      const TrainHistoryRow row = recorder_.make_row(it.iteration, seconds_since(t0_), x, it.family_violation,
                                                     it.penalty, it.inner.iterations);
      const bool go_on = add_row(row, it.inner.iterations);
      if (hooks_.on_state) hooks_.on_state(state_of(it.iteration, x, it.penalty));
      return go_on;
    };
    result_.summary = solve_alm(problem_, *inner, alm, AlmStart{}, on_iteration);
  }

  // The final point: train MSE on the fitted range, validation and test as the rows.
  void final_metrics() {
    const RnnSeries& train_part = problem_.data();
    const RnnStates s = forward_pass(result_.weights, train_part);
    result_.final_metrics.train_mse = mean_squared_error(predict(result_.weights, s.H), train_part);
    double val_mse = std::numeric_limits<double>::quiet_NaN();
    result_.final_metrics.test_mse =
        recorder_.heldout(result_.weights, s.H.col(train_part.T() - 1), parts_.validating ? &val_mse : nullptr);
    if (!parts_.validating) return;
    ValidationReport& vr = result_.validation;
    const SelectionOptions& sel = options_.selection;
    const TrainHistoryRow& last = result_.history.back();
    vr.final = ValidationPoint{last.iteration, last.objective, result_.final_metrics.train_mse, val_mse,
                               result_.final_metrics.test_mse};
    vr.stopped_early = result_.summary.status == AlmStatus::kStoppedByCallback && sel.patience > 0 &&
                       recorder_.checks_since_best() >= sel.patience;
    // The final iterate is always a candidate (it may fall between checks).
    if (vr.iterations.empty() || vr.iterations.back() != last.iteration) {
      TrainHistoryRow r = last;
      r.train_mse = result_.final_metrics.train_mse;
      r.test_mse = result_.final_metrics.test_mse;
      recorder_.check(r, result_.weights, val_mse);
    }
    if (vr.stopped_early)
      result_.summary.message = fmt::format(
          "early stopping: {} validation checks without a lower validation MSE (best {:.6g} at iteration {})",
          sel.patience, vr.best.validation_mse, vr.best.iteration);
  }

  // KKT with the ALM's multipliers at the last iterate, and with the BPTT
  // adjoints at the forward-pass point of the final weights (docs/rnn.md §3).
  void final_kkt(const Vector& x) {
    const Vector no_mu(0);
    const Vector nu = Vector::Zero(problem_.num_variables());
    Vector lambda = result_.summary.lambda;
    if (lambda.size() != problem_.num_equalities()) lambda = Vector::Zero(problem_.num_equalities());
    result_.kkt_alm = kkt_residuals(problem_, x, lambda, no_mu, nu);
    Vector xf = x;
    problem_.restore_feasibility(xf);
    result_.kkt_bptt = kkt_residuals(problem_, xf, problem_.bptt_multipliers(xf), no_mu, nu);
    result_.kink_stationarity = kink_stationarity(problem_, xf);
    result_.certificate = problem_.structural_nnamcq_certificate();
  }

  const RnnDataset& data_;
  const TrainOptions& options_;
  const TrainHooks& hooks_;
  const TrainResume* resume_;
  const std::chrono::steady_clock::time_point t0_;
  const DataParts parts_;
  RnnTrainingProblem problem_;
  TrainResult result_;
  HistoryRecorder recorder_;
  double seconds_before_ = 0.0;
};

}  // namespace

TrainResult detail::train_one(const RnnDataset& data, const TrainOptions& options, const TrainHooks& hooks) {
  TrainRun run(data, options, hooks);
  return run.run();
}

}  // namespace almkit::rnn
