#include "almkit/study/rnn_trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include <fmt/core.h>

#include "almkit/core/alm_json.h"
#include "almkit/core/record.h"
#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/study/forecast_baselines.h"

namespace almkit::rnn {

const char* to_string(InnerKind kind) { return kind == InnerKind::kLbfgs ? "lbfgs" : "bcd"; }

bool parse(const std::string& text, InnerKind* kind) {
  if (text == "bcd") *kind = InnerKind::kBcd;
  else if (text == "lbfgs") *kind = InnerKind::kLbfgs;
  else return false;
  return true;
}

const char* to_string(TrainPolicy policy) {
  switch (policy) {
    case TrainPolicy::kRollout: return "rollout";
    case TrainPolicy::kReference: return "reference";
    case TrainPolicy::kSafeguarded: return "safeguarded";
    case TrainPolicy::kTimeParallel: return "time-parallel";
  }
  return "unknown";
}

bool parse(const std::string& text, TrainPolicy* policy) {
  if (text == "rollout") *policy = TrainPolicy::kRollout;
  else if (text == "reference") *policy = TrainPolicy::kReference;
  else if (text == "safeguarded") *policy = TrainPolicy::kSafeguarded;
  else if (text == "time-parallel") *policy = TrainPolicy::kTimeParallel;
  else return false;
  return true;
}

TrainPolicy train_policy(AlmPolicy policy) {
  return policy == AlmPolicy::kReference ? TrainPolicy::kReference : TrainPolicy::kSafeguarded;
}

TrainOptions TrainOptions::defaults() {
  TrainOptions o;
  // Policy time-parallel (docs/parallel.md §8): every operation of an
  // iteration splits over time chunks, and one process, threads and mpirun's
  // ranks run it with the same bits. SP500, the study's 8 starts: all 8
  // certified, 5 in under 2.5 s (docs/parallel.md §8.4).
  o.policy = TrainPolicy::kTimeParallel;
  // For --policy rollout: the rollout policy stops on its own (‖∇F‖∞ ≤ rollout.tol_gradient, the
  // Clarke test at kinks, or no decreasing step at any penalty); the cap only
  // bounds a slow run. 10 000 cut the SP500 default (gaussian seed 0) 2 100
  // outer iterations before its certified stop (12 100, 5.8 s;
  // docs/rnn_bcd.md §8); an outer iteration costs about 0.5 ms there.
  o.alm.max_outer_iterations = 100000;
  // For --policy reference | safeguarded (the generic driver):
  o.alm.reference.eps0 = 1e-3;
  o.bcd.max_sweeps = 200;
  o.bcd.stop_test_enabled = true;
  o.bcd.change_measure = BcdChangeMeasure::kRelative;
  o.bcd.sigma_p = 1e-5;
  return o;
}

TrainOptions TrainOptions::reference_preset() {
  TrainOptions o;
  o.policy = TrainPolicy::kReference;
  o.hidden = 20;
  o.init = InitScheme::kGaussian;
  o.init_std = 1e-3;
  o.regularization = RnnRegularization{};  // λ1..λ5 = 0.01, λ6 = 1e-8
  o.inner = InnerKind::kBcd;
  o.test_continues_from_train = false;
  o.alm.reference.gamma0 = 1.0;
  o.alm.max_outer_iterations = 5;
  o.bcd.max_sweeps = 200;
  o.bcd.stop_test_enabled = false;
  o.bcd.change_measure = BcdChangeMeasure::kAbsolute;
  o.bcd.sigma_p = 1e-8;
  return o;
}

void SelectionOptions::validate() const {
  if (!(validation >= 0.0 && validation < 1.0))
    throw std::invalid_argument(fmt::format("option validation: expected a fraction in [0, 1), got {}", validation));
  if (validation_every < 1)
    throw std::invalid_argument(fmt::format("option validation-every: expected an integer >= 1, got {}", validation_every));
  if (patience < 0) throw std::invalid_argument(fmt::format("option patience: expected an integer >= 0, got {}", patience));
  if (lambda_folds < 1)
    throw std::invalid_argument(fmt::format("option lambda-folds: expected an integer >= 1, got {}", lambda_folds));
  if (!(lambda_span > 0.0 && lambda_span < 1.0))
    throw std::invalid_argument(fmt::format("option lambda-span: expected a fraction in (0, 1), got {}", lambda_span));
  forecast::parse_grid(lambda_grid, "lambda-grid");
}

void TrainOptions::validate() const {
  if (hidden < 1) throw std::invalid_argument(fmt::format("option hidden: expected an integer >= 1, got {}", hidden));
  if (init == InitScheme::kGaussian && !(init_std >= 0.0 && std::isfinite(init_std)))
    throw std::invalid_argument(fmt::format("option init-std: expected a finite number >= 0, got {}", init_std));
  if (!std::isfinite(irnn_scale))
    throw std::invalid_argument(fmt::format("option irnn-scale: expected a finite number, got {}", irnn_scale));
  const double lambdas[] = {regularization.lambda1, regularization.lambda2, regularization.lambda3,
                            regularization.lambda4, regularization.lambda5, regularization.lambda6};
  for (int i = 0; i < 6; ++i)
    if (!(lambdas[i] >= 0.0 && std::isfinite(lambdas[i])))
      throw std::invalid_argument(fmt::format("option lambda{}: expected a finite number >= 0, got {}", i + 1, lambdas[i]));
  alm.validate();
  bcd.validate();
  lbfgs.validate();
  rollout.validate();
  parallel.validate();
  selection.validate();
  if (threads < 1) throw std::invalid_argument(fmt::format("option threads: expected an integer >= 1, got {}", threads));
  if (chunk_columns < 0)
    throw std::invalid_argument(fmt::format("option chunk-columns: expected an integer >= 0, got {}", chunk_columns));
  if (policy == TrainPolicy::kRollout && inner != InnerKind::kBcd)
    throw std::invalid_argument("option policy: the rollout policy runs BCD sweeps; it needs inner = bcd");
}

std::string TrainOptions::policy_name() const { return to_string(policy); }

AlmOptions TrainOptions::driver_alm() const {
  AlmOptions a = alm;
  a.policy = policy == TrainPolicy::kSafeguarded ? AlmPolicy::kSafeguarded : AlmPolicy::kReference;
  return a;
}

nlohmann::json TrainOptions::to_json() const {
  nlohmann::json j;
  j["hidden"] = hidden;
  j["init"] = to_string(init);
  j["init_std"] = init_std;
  j["seed"] = seed;
  j["irnn_scale"] = irnn_scale;
  j["initial_weights_given"] = initial_weights.has_value();
  j["lambda1"] = regularization.lambda1;
  j["lambda2"] = regularization.lambda2;
  j["lambda3"] = regularization.lambda3;
  j["lambda4"] = regularization.lambda4;
  j["lambda5"] = regularization.lambda5;
  j["lambda6"] = regularization.lambda6;
  j["inner"] = to_string(inner);
  j["policy"] = policy_name();
  j["test_continues_from_train"] = test_continues_from_train;
  j["chunk_columns"] = chunk_columns;
  j["alm"] = options_to_json(driver_alm());
  j["bcd"] = options_to_json(bcd);
  j["lbfgs"] = options_to_json(lbfgs);
  nlohmann::json r;
  rollout.visit([&r](const char* name, const auto& field, const char*) { r[name] = field; });
  j["rollout"] = r;
  nlohmann::json tp;
  parallel.visit([&tp](const char* name, const auto& field, const char*) { tp[name] = field; });
  j["parallel"] = tp;
  nlohmann::json sel;
  selection.visit([&sel](const char* name, const auto& field, const char*) { sel[name] = field; });
  j["selection"] = sel;
  return j;
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

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
  const ShootingOptions& po = options.parallel;
  const int chunks = std::min(po.chunks, std::max(1, train_part.T() / po.min_chunk_steps));
  const int threads = std::min(options.threads, chunks);
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


}  // namespace

TrainResult train(const RnnDataset& data, const TrainOptions& options, const TrainCallback& callback) {
  TrainHooks hooks;
  hooks.on_row = callback;
  return train(data, options, hooks);
}

namespace {

// The fewest steps a model is fitted on when validation or λ auto holds part
// of the training range out (a forward pass and its last state need one; two
// give the weights something to fit).
constexpr int kMinFoldSteps = 2;

// Steps [t0, t1) of a series as a series of its own; the sequence starts
// inside the range are kept (step 0 is always one: `continues_state` of the
// caller says whether it really is).
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

TrainResult train_one(const RnnDataset& data, const TrainOptions& options, const TrainHooks& hooks);

// λ auto (docs/rnn.md §9): rolling-origin validation with expanding windows.
// Fold k fits on steps [0, o_k) with the run's options (validation and early
// stopping included) and scores the forecast of [o_k, o_k + L) as the test
// part is scored (continued or restarted, TrainOptions::test_continues_from_train).
LambdaSelection select_lambda(const RnnDataset& data, const TrainOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const SelectionOptions& sel = options.selection;
  LambdaSelection r;
  r.enabled = true;
  r.grid = forecast::parse_grid(sel.lambda_grid, "lambda-grid");
  const int T = data.train.T(), K = sel.lambda_folds;
  r.block_steps = static_cast<int>(std::floor(sel.lambda_span * T / K));
  if (r.block_steps < 1 || T - K * r.block_steps < kMinFoldSteps)
    throw std::invalid_argument(fmt::format(
        "option lambda-folds: {} folds over {} of {} training steps leave blocks of {} steps and {} steps to fit "
        "(need >= 1 and >= {})",
        K, sel.lambda_span, T, r.block_steps, T - K * r.block_steps, kMinFoldSteps));
  for (int k = 0; k < K; ++k) r.origins.push_back(T - (K - k) * r.block_steps);
  TrainOptions fold_options = options;
  fold_options.selection.lambda_auto = false;
  for (double lambda : r.grid) {
    RnnRegularization& reg = fold_options.regularization;
    reg.lambda1 = reg.lambda2 = reg.lambda3 = reg.lambda4 = reg.lambda5 = lambda;
    std::vector<double> mse;
    for (int origin : r.origins) {
      RnnDataset fold;
      fold.train = slice_steps(data.train, 0, origin);
      fold.test = slice_steps(data.train, origin, origin + r.block_steps);
      fold.scaling = data.scaling;
      const TrainResult fr = train_one(fold, fold_options, TrainHooks{});
      const double e = fr.model_metrics().test_mse;
      mse.push_back(std::isfinite(e) ? e : std::numeric_limits<double>::infinity());
    }
    double mean = 0.0;
    for (double e : mse) mean += e / static_cast<double>(mse.size());
    r.fold_mse.push_back(mse);
    r.score.push_back(mean);
  }
  // The least mean score; ties keep the earlier grid entry.
  size_t best = 0;
  for (size_t i = 1; i < r.score.size(); ++i)
    if (r.score[i] < r.score[best]) best = i;
  r.chosen = r.grid[best];
  r.seconds = seconds_since(t0);
  return r;
}

}  // namespace

TrainResult train(const RnnDataset& data, const TrainOptions& options, const TrainHooks& hooks) {
  options.validate();
  if (hooks.resume != nullptr && options.selection.active())
    throw std::invalid_argument(
        "resume: a run with validation or lambda auto cannot be resumed (its checkpoint does not hold the best "
        "weights or the lambda scores)");
  if (!options.selection.lambda_auto) return train_one(data, options, hooks);
  const LambdaSelection sel = select_lambda(data, options);
  TrainOptions o = options;
  RnnRegularization& reg = o.regularization;
  reg.lambda1 = reg.lambda2 = reg.lambda3 = reg.lambda4 = reg.lambda5 = sel.chosen;
  TrainResult res = train_one(data, o, hooks);
  res.lambda_selection = sel;
  return res;
}

namespace {

TrainResult train_one(const RnnDataset& data, const TrainOptions& options, const TrainHooks& hooks) {
  const TrainCallback& callback = hooks.on_row;
  const TrainResume* resume = hooks.resume;
  if (resume != nullptr && options.policy != TrainPolicy::kRollout && options.policy != TrainPolicy::kTimeParallel)
    throw std::invalid_argument(fmt::format(
        "resume: only the time-parallel and the rollout policies can be resumed (this run uses policy {})",
        options.policy_name()));
  const auto t0 = std::chrono::steady_clock::now();
  // The validation tail (docs/rnn.md §9): the model is fitted on `fit`, the
  // first T − T_v training steps; `val` continues from the fitted range's
  // final state (unless it starts a sequence), and the test part from the
  // end of `val` when TrainOptions::test_continues_from_train.
  const SelectionOptions& sel = options.selection;
  const bool validating = sel.validation > 0.0;
  RnnSeries fit_part, val_part;
  bool val_continues = true;
  if (validating) {
    const int T = data.train.T();
    const int Tv = std::max(1, static_cast<int>(std::floor(sel.validation * T)));
    if (T - Tv < kMinFoldSteps)
      throw std::invalid_argument(fmt::format("option validation: {} of {} training steps leaves {} steps to fit (need >= {})",
                                              sel.validation, T, T - Tv, kMinFoldSteps));
    fit_part = slice_steps(data.train, 0, T - Tv);
    val_part = slice_steps(data.train, T - Tv, T);
    val_continues = !data.train.is_sequence_start(T - Tv);
  }
  const RnnSeries& train_part = validating ? fit_part : data.train;
  const int m = options.hidden, d = train_part.d(), p = train_part.p();
  RnnTrainingProblem problem(train_part, m, options.regularization);
  problem.set_parallel(RnnParallelOptions{options.threads, options.chunk_columns});
  TrainResult result;
  result.regularization = options.regularization;
  if (options.initial_weights) {
    const RnnWeights& w = *options.initial_weights;
    if (w.m() != m || w.V.cols() != d || w.A.rows() != p || w.V.rows() != m || w.A.cols() != m || w.b.size() != m ||
        w.c.size() != p)
      throw std::invalid_argument(fmt::format("initial weights do not match m = {}, d = {}, p = {}", m, d, p));
    result.initial_weights = w;
  } else {
    result.initial_weights =
        initialize_weights(m, d, p, options.init, options.init_std, options.seed, options.irnn_scale);
  }
  problem.set_initial_weights(result.initial_weights);
  // The earlier run's clock: its last row's seconds (monitoring excluded).
  double seconds_before = 0.0;
  if (resume != nullptr) {
    const RnnWeights& w = resume->weights;
    if (w.m() != m || w.V.cols() != d || w.A.rows() != p || resume->history.empty())
      throw std::invalid_argument(fmt::format("resume: the checkpoint's weights do not match m = {}, d = {}, p = {}", m, d, p));
    result.initial_weights = resume->initial_weights;
    problem.set_initial_weights(w);
    result.history = resume->history;
    result.total_sweeps = resume->total_sweeps;
    seconds_before = resume->history.back().seconds;
  }

  std::unique_ptr<InnerSolver> inner;
  if (options.inner == InnerKind::kBcd) inner = std::make_unique<BcdSolver>(options.bcd);
  else inner = std::make_unique<CeresLbfgsSolver>(options.lbfgs);

  const int fam = m * train_part.T();
  // Validation and test MSE of weights `w` whose fitted range ends in state
  // `h_fit_last`: the validation pass only when asked for or needed to carry
  // the state to the test part.
  ValidationReport& vr = result.validation;
  vr.enabled = validating;
  vr.fit_steps = train_part.T();
  vr.validation_steps = val_part.T();
  auto heldout = [&](const RnnWeights& w, const Vector& h_fit_last, double* val_mse) {
    Vector h = h_fit_last;
    if (validating && (val_mse != nullptr || options.test_continues_from_train)) {
      const auto v0 = std::chrono::steady_clock::now();
      const RnnStates s = forward_pass(w, val_part, val_continues ? &h : nullptr);
      if (val_mse != nullptr) *val_mse = mean_squared_error(predict(w, s.H), val_part);
      h = s.H.col(val_part.T() - 1);
      vr.seconds += seconds_since(v0);
    }
    if (data.test.T() == 0) return 0.0;
    return mean_squared_error(predict_series(w, data.test, options.test_continues_from_train ? &h : nullptr), data.test);
  };
  // Early stopping (docs/rnn.md §9): the checked iterates' validation MSE; the
  // weights of the least one are kept. Returns false when patience ran out.
  int checks_since_best = 0;
  auto check = [&](const TrainHistoryRow& row, const RnnWeights& w, double val_mse) {
    vr.iterations.push_back(row.iteration);
    vr.mse.push_back(val_mse);
    const bool improved = vr.iterations.size() == 1 || val_mse < vr.best.validation_mse ||
                          (std::isnan(vr.best.validation_mse) && !std::isnan(val_mse));
    if (improved) {
      vr.best = ValidationPoint{row.iteration, row.objective, row.train_mse, val_mse, row.test_mse};
      vr.best_weights = w;
      checks_since_best = 0;
      return true;
    }
    ++checks_since_best;
    return !(sel.patience > 0 && checks_since_best >= sel.patience);
  };
  // Row of the history; the violations come from the driver (its ‖C1‖₂, ‖C2‖₂)
  // except for row 0, so the problem's evaluation counters stay the ALM's own.
  // Monitoring (test MSE, ‖∇F‖∞, the rollout gap, the validation pass) is not
  // charged to the method: row.seconds excludes it, as the gradient baselines' clock does.
  double monitor_seconds = 0.0;
  // `known` (the rollout policy): x is the feasible point of the row's weights
  // and F, ‖∇F‖∞ and the gap were computed by the policy itself.
  struct Known {
    double F, grad_inf, gap;
  };
  // The validation check of the last row made (early stopping), kept true
  // when the row was not a check.
  bool validation_go_on = true;
  auto make_row = [&](int iteration, double seconds, VectorCRef x, const std::vector<double>& viol, double gamma,
                      long sweeps, const Known* known = nullptr) {
    const auto m0 = std::chrono::steady_clock::now();
    const RnnWeights w = problem.weights(x);
    TrainHistoryRow row;
    row.iteration = iteration;
    Vector h_last;
    if (known != nullptr) {
      const auto v = problem.view(x);
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
      row.objective = reduced_objective(w, train_part, options.regularization, {}, &g).value;
      const Vector gv = flatten(g);
      row.grad_inf = gv.allFinite() ? gv.lpNorm<Eigen::Infinity>() : std::numeric_limits<double>::infinity();
      row.rollout_gap = rollout_gap(problem, x);
    }
    const bool is_check = validating && iteration % sel.validation_every == 0;
    double val_mse = std::numeric_limits<double>::quiet_NaN();
    row.test_mse = heldout(w, h_last, is_check ? &val_mse : nullptr);
    validation_go_on = is_check ? check(row, w, val_mse) : true;
    // `seconds` was read before this row's monitoring: subtract what came before.
    row.seconds = seconds - monitor_seconds;
    monitor_seconds += seconds_since(m0);
    // The families of RnnTrainingProblem::equality_family_sizes, by name.
    const auto family = [&viol](int f) { return viol.size() > static_cast<size_t>(f) ? viol[f] : 0.0; };
    row.violation_c1 = family(RnnTrainingProblem::kFamilyC1);
    row.violation_c2 = family(RnnTrainingProblem::kFamilyC2);
    row.gamma = gamma;
    row.sweeps = sweeps;
    return row;
  };

  bool keep_going = true;
  if (resume == nullptr) {
    const Vector x0 = problem.initial_point();
    Vector c(problem.num_equalities());
    problem.eval_c(x0, c);
    problem.reset_counters();
    const std::vector<double> viol0{c.head(fam).norm(), c.tail(fam).norm()};
    TrainHistoryRow row0 = make_row(0, 0.0, x0, viol0, std::numeric_limits<double>::quiet_NaN(), 0);
    result.history.push_back(row0);
    if (callback) keep_going = callback(row0);
  }
  AlmOptions alm = options.driver_alm();
  if (!keep_going || !validation_go_on) alm.max_outer_iterations = 0;
  auto state_of = [&](int iteration, VectorCRef x, double penalty) {
    TrainState st;
    st.iteration = iteration;
    st.weights = problem.weights(x);
    st.initial_weights = result.initial_weights;
    st.penalty = penalty;
    st.history = &result.history;
    st.total_sweeps = result.total_sweeps;
    return st;
  };

  auto on_iteration = [&](const AlmIteration& it, VectorCRef x) {
    TrainHistoryRow row = make_row(it.iteration, seconds_since(t0), x, it.family_violation, it.penalty,
                                   it.inner.iterations);
    result.history.push_back(row);
    result.total_sweeps += it.inner.iterations;
    const bool early_stop = !validation_go_on;
    const bool go_on = callback ? callback(row) : true;
    if (hooks.on_state) hooks.on_state(state_of(it.iteration, x, it.penalty));
    return go_on && !early_stop;
  };
  if (options.policy == TrainPolicy::kRollout) {
    const RolloutResume* rollout_resume = resume != nullptr ? &resume->rollout : nullptr;
    long inner_total = rollout_resume != nullptr ? rollout_resume->inner_iterations : 0;
    auto on_rollout = [&](const AlmIteration& it, const RolloutStep& st, VectorCRef x) {
      // The gap is the inner iterate's, before the restart.
      const Known known{it.objective, st.grad_inf, st.rollout_gap};
      TrainHistoryRow row = make_row(it.iteration, seconds_before + seconds_since(t0), x, it.family_violation,
                                     it.penalty, it.inner.iterations, &known);
      row.accepted = st.accepted ? 1 : 0;
      result.history.push_back(row);
      result.total_sweeps += it.inner.iterations;
      inner_total += it.inner.iterations;
      const bool early_stop = !validation_go_on;
      const bool go_on = (callback ? callback(row) : true) && !early_stop;
      if (hooks.on_state) {
        TrainState state = state_of(it.iteration, x, st.gamma_scaled_next / problem.data().N());
        state.resumable = true;
        state.rollout.iteration = it.iteration;
        state.rollout.gamma_scaled = st.gamma_scaled_next;
        state.rollout.extrapolation = st.extrapolation_next;
        state.rollout.damping = st.damping_next;
        state.rollout.evaluations = problem.counters();
        if (rollout_resume != nullptr) {
          const EvaluationCounters& b = rollout_resume->evaluations;
          EvaluationCounters& e = state.rollout.evaluations;
          e.objective += b.objective, e.gradient += b.gradient, e.equalities += b.equalities;
          e.inequalities += b.inequalities, e.equality_jtprod += b.equality_jtprod;
          e.inequality_jtprod += b.inequality_jtprod, e.jacobian += b.jacobian;
        }
        state.rollout.inner_iterations = inner_total;
        state.rollout.seconds = row.seconds;
        if (st.memory != nullptr) state.rollout.memory = *st.memory;
        hooks.on_state(state);
      }
      return go_on;
    };
    result.summary = solve_rollout(problem, options.rollout, options.bcd, alm, on_rollout,
                                   [&monitor_seconds] { return monitor_seconds; }, rollout_resume);
  } else if (options.policy == TrainPolicy::kTimeParallel) {
    // Rows are numbered on across the policy's restarts and a resume. A
    // resumed run starts the policy afresh from the checkpoint's weights (its
    // state between outer iterations is the weights, up to the driver's inner
    // tolerance and the restart counters: docs/interruption.md).
    int row_iteration = resume != nullptr ? resume->history.back().iteration : 0;
    TrainOptions o = options;
    o.alm.time_limit_seconds = std::max(1e-9, options.alm.time_limit_seconds - seconds_before);
    const RnnWeights& start = resume != nullptr ? resume->weights : result.initial_weights;
    result.summary = solve_time_parallel(problem, train_part, o, start, hooks.workers,
                                         [&](const AlmIteration& it, VectorCRef xf) {
      TrainHistoryRow row = make_row(++row_iteration, seconds_before + seconds_since(t0), xf, {0.0, 0.0}, it.penalty,
                                     it.inner.iterations);
      result.history.push_back(row);
      result.total_sweeps += it.inner.iterations;
      const bool go_on = (callback ? callback(row) : true) && validation_go_on;
      if (hooks.on_state) {
        TrainState state = state_of(row_iteration, xf, it.penalty);
        state.resumable = true;
        state.rollout.iteration = row_iteration;
        state.rollout.inner_iterations = result.total_sweeps;
        state.rollout.seconds = row.seconds;
        hooks.on_state(state);
      }
      return go_on;
    });
  } else {
    result.summary = solve_alm(problem, *inner, alm, AlmStart{}, on_iteration);
  }

  const Vector& x = result.summary.x.size() == problem.num_variables() ? result.summary.x : problem.initial_point();
  result.weights = problem.weights(x);
  {
    // The final point: train MSE on the fitted range, validation and test as the rows.
    const RnnStates s = forward_pass(result.weights, train_part);
    result.final_metrics.train_mse = mean_squared_error(predict(result.weights, s.H), train_part);
    double val_mse = std::numeric_limits<double>::quiet_NaN();
    result.final_metrics.test_mse =
        heldout(result.weights, s.H.col(train_part.T() - 1), validating ? &val_mse : nullptr);
    if (validating) {
      const TrainHistoryRow& last = result.history.back();
      vr.final = ValidationPoint{last.iteration, last.objective, result.final_metrics.train_mse, val_mse,
                                 result.final_metrics.test_mse};
      vr.stopped_early = result.summary.status == AlmStatus::kStoppedByCallback && sel.patience > 0 &&
                         checks_since_best >= sel.patience;
      // The final iterate is always a candidate (it may fall between checks).
      if (vr.iterations.empty() || vr.iterations.back() != last.iteration) {
        TrainHistoryRow r = last;
        r.train_mse = result.final_metrics.train_mse;
        r.test_mse = result.final_metrics.test_mse;
        check(r, result.weights, val_mse);
      }
      if (vr.stopped_early)
        result.summary.message = fmt::format(
            "early stopping: {} validation checks without a lower validation MSE (best {:.6g} at iteration {})",
            sel.patience, vr.best.validation_mse, vr.best.iteration);
    }
  }

  // KKT with the ALM's multipliers at the last iterate.
  const Vector no_mu(0);
  const Vector nu = Vector::Zero(problem.num_variables());
  Vector lambda = result.summary.lambda;
  if (lambda.size() != problem.num_equalities()) lambda = Vector::Zero(problem.num_equalities());
  result.kkt_alm = kkt_residuals(problem, x, lambda, no_mu, nu);
  // KKT with the BPTT adjoints at the forward-pass point of the final weights.
  Vector xf = x;
  problem.restore_feasibility(xf);
  result.kkt_bptt = kkt_residuals(problem, xf, problem.bptt_multipliers(xf), no_mu, nu);
  result.kink_stationarity = kink_stationarity(problem, xf);
  result.certificate = problem.structural_nnamcq_certificate();
  result.wall_seconds = seconds_before + seconds_since(t0);
  return result;
}

}  // namespace

void add_selection_json(const TrainResult& r, nlohmann::json* summary) {
  nlohmann::json& s = *summary;
  const ValidationReport& v = r.validation;
  if (v.enabled)
    s["validation"] = {{"fit_steps", v.fit_steps},
                       {"validation_steps", v.validation_steps},
                       {"stopped_early", v.stopped_early},
                       {"model", "best"},
                       {"best", record_to_json(v.best)},
                       {"final", record_to_json(v.final)},
                       {"seconds", v.seconds},
                       {"curve", {{"iteration", v.iterations}, {"validation_mse", v.mse}}}};
  else
    s["validation"] = nullptr;
  const LambdaSelection& l = r.lambda_selection;
  if (l.enabled)
    s["lambda_selection"] = {{"grid", l.grid},         {"origins", l.origins}, {"block_steps", l.block_steps},
                             {"fold_mse", l.fold_mse}, {"score", l.score},     {"chosen", l.chosen},
                             {"seconds", l.seconds}};
  else
    s["lambda_selection"] = nullptr;
}

std::vector<std::string> selection_lines(const TrainResult& r, const nlohmann::json& summary) {
  std::vector<std::string> out;
  const LambdaSelection& l = r.lambda_selection;
  if (l.enabled) {
    std::string scores;
    for (size_t i = 0; i < l.grid.size(); ++i) scores += fmt::format("{}{:g}: {:.4e}", i ? ", " : "", l.grid[i], l.score[i]);
    out.push_back(fmt::format("lambda auto: {:g} ({} folds of {} steps; mean validation MSE {}; {:.1f} s)", l.chosen,
                              l.origins.size(), l.block_steps, scores, l.seconds));
  }
  const ValidationReport& v = r.validation;
  if (v.enabled) {
    auto line = [](const char* name, const ValidationPoint& p) {
      return fmt::format("{} iteration {}: F {:.6e}  train MSE {:.6e}  validation MSE {:.6e}  test MSE {:.6e}", name,
                         p.iteration, p.objective, p.train_mse, p.validation_mse, p.test_mse);
    };
    out.push_back(fmt::format("validation: last {} of {} training steps held out{}; model.json holds the best",
                              v.validation_steps, v.fit_steps + v.validation_steps,
                              v.stopped_early ? ", stopped early" : ""));
    out.push_back(line("  best  ", v.best));
    out.push_back(line("  final ", v.final));
  }
  const auto b = summary.find("baselines");
  if (b != summary.end() && b->value("available", false))
    out.push_back(fmt::format("baselines (test MSE, same units): persistence {:.6e}  AR({}) {:.6e}  ridge(lambda {:g}) {:.6e}",
                              (*b)["persistence"]["test_mse"].get<double>(), (*b)["ar"]["order"].get<int>(),
                              (*b)["ar"]["test_mse"].get<double>(), (*b)["ridge"]["lambda"].get<double>(),
                              (*b)["ridge"]["test_mse"].get<double>()));
  return out;
}

std::string history_csv(const std::vector<TrainHistoryRow>& history) { return csv_table(history); }

TrainSummary train_summary(const TrainOptions& o, const TrainResult& res) {
  TrainSummary s;
  s.train_mse = res.model_metrics().train_mse;
  s.test_mse = res.model_metrics().test_mse;
  s.test_mse_mode = o.test_continues_from_train ? "continued" : "restart_h0";
  s.wall_seconds = res.wall_seconds;
  s.outer_iterations = res.summary.outer_iterations;
  s.sweeps = res.total_sweeps;
  s.status = res.summary.status;
  s.message = res.summary.message;
  s.final_gamma = res.summary.final_penalty;
  if (!res.history.empty()) {
    const TrainHistoryRow& last = res.history.back();
    s.violation_c1 = last.violation_c1;
    s.violation_c2 = last.violation_c2;
    s.rollout_gap = last.rollout_gap;
    s.grad_inf = last.grad_inf;
    s.objective = last.objective;
  }
  s.policy = o.policy_name();
  s.nnamcq_certificate = res.certificate;
  s.evaluations = res.summary.evaluations;
  return s;
}

}  // namespace almkit::rnn

namespace almkit::rnn {

std::string columns_csv(const std::vector<int>& rows, const std::vector<std::string>& names,
                        const std::vector<Matrix>& columns, CsvNumbers numbers) {
  auto num = [numbers](double v) {
    if (!std::isfinite(v)) return std::string();
    return numbers == CsvNumbers::kShortest ? fmt::format("{}", v) : fmt::format("{:.17g}", v);
  };
  std::string s = "t";
  for (size_t i = 0; i < columns.size(); ++i) {
    const int p = static_cast<int>(columns[i].rows());
    for (int k = 0; k < p; ++k) (s += ',') += p == 1 ? names[i] : fmt::format("{}_{}", names[i], k + 1);
  }
  s += "\n";
  const int T = columns.empty() ? 0 : static_cast<int>(columns[0].cols());
  for (int t = 0; t < T; ++t) {
    s += fmt::format("{}", t < static_cast<int>(rows.size()) ? rows[t] : t);
    // Appended piecewise: `"," + std::string` trips a GCC 12 -Wrestrict false positive here.
    for (const Matrix& c : columns)
      for (int k = 0; k < c.rows(); ++k) (s += ',') += num(c(k, t));
    s += "\n";
  }
  return s;
}

std::string predictions_csv(const std::vector<int>& rows, const Matrix& targets, const Matrix& predictions) {
  return columns_csv(rows, {"target", "prediction"}, {targets, predictions}, CsvNumbers::kFull17);
}

Matrix test_predictions(const RnnWeights& w, const RnnDataset& data, bool test_continues_from_train) {
  Vector h_last;
  if (test_continues_from_train && data.train.T() > 0) h_last = forward_pass(w, data.train).H.col(data.train.T() - 1);
  const Matrix yhat = predict_series(w, data.test, h_last.size() > 0 ? &h_last : nullptr);
  return data.scaling.targets.invert(yhat);
}

}  // namespace almkit::rnn
