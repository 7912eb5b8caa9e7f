#include "almkit/study/rnn_trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include <fmt/core.h>

#include "almkit/core/alm_json.h"
#include "almkit/problems/rnn/rnn_problem.h"

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
  }
  return "unknown";
}

bool parse(const std::string& text, TrainPolicy* policy) {
  if (text == "rollout") *policy = TrainPolicy::kRollout;
  else if (text == "reference") *policy = TrainPolicy::kReference;
  else if (text == "safeguarded") *policy = TrainPolicy::kSafeguarded;
  else return false;
  return true;
}

TrainPolicy train_policy(AlmPolicy policy) {
  return policy == AlmPolicy::kReference ? TrainPolicy::kReference : TrainPolicy::kSafeguarded;
}

TrainOptions TrainOptions::defaults() {
  TrainOptions o;
  o.policy = TrainPolicy::kRollout;
  // The rollout policy stops on its own (‖∇F‖∞ ≤ rollout.tol_gradient, or no
  // decreasing step at any penalty); the cap only bounds a slow run.
  o.alm.max_outer_iterations = 10000;
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

void TrainOptions::validate() const {
  if (hidden < 1) throw std::invalid_argument(fmt::format("option hidden: expected an integer >= 1, got {}", hidden));
  if (init == InitScheme::kGaussian && !(init_std >= 0.0 && std::isfinite(init_std)))
    throw std::invalid_argument(fmt::format("option init-std: expected a finite number >= 0, got {}", init_std));
  const double lambdas[] = {regularization.lambda1, regularization.lambda2, regularization.lambda3,
                            regularization.lambda4, regularization.lambda5, regularization.lambda6};
  for (int i = 0; i < 6; ++i)
    if (!(lambdas[i] >= 0.0 && std::isfinite(lambdas[i])))
      throw std::invalid_argument(fmt::format("option lambda{}: expected a finite number >= 0, got {}", i + 1, lambdas[i]));
  alm.validate();
  bcd.validate();
  lbfgs.validate();
  rollout.validate();
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
  return j;
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TrainResult train(const RnnDataset& data, const TrainOptions& options, const TrainCallback& callback) {
  TrainHooks hooks;
  hooks.on_row = callback;
  return train(data, options, hooks);
}

TrainResult train(const RnnDataset& data, const TrainOptions& options, const TrainHooks& hooks) {
  options.validate();
  const TrainCallback& callback = hooks.on_row;
  const TrainResume* resume = hooks.resume;
  if (resume != nullptr && options.policy != TrainPolicy::kRollout)
    throw std::invalid_argument(fmt::format("resume: only the rollout policy can be resumed (this run uses policy {})",
                                            options.policy_name()));
  const auto t0 = std::chrono::steady_clock::now();
  const int m = options.hidden, d = data.train.d(), p = data.train.p();
  RnnTrainingProblem problem(data.train, m, options.regularization);
  problem.set_parallel(RnnParallelOptions{options.threads, options.chunk_columns});
  TrainResult result;
  if (options.initial_weights) {
    const RnnWeights& w = *options.initial_weights;
    if (w.m() != m || w.V.cols() != d || w.A.rows() != p || w.V.rows() != m || w.A.cols() != m || w.b.size() != m ||
        w.c.size() != p)
      throw std::invalid_argument(fmt::format("initial weights do not match m = {}, d = {}, p = {}", m, d, p));
    result.initial_weights = w;
  } else {
    result.initial_weights = initialize_weights(m, d, p, options.init, options.init_std, options.seed);
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

  const int fam = m * data.train.T();
  // Row of the history; the violations come from the driver (its ‖C1‖₂, ‖C2‖₂)
  // except for row 0, so the problem's evaluation counters stay the ALM's own.
  // Monitoring (test MSE, ‖∇F‖∞, the rollout gap) is not charged to the
  // method: row.seconds excludes it, as the gradient baselines' clock does.
  double monitor_seconds = 0.0;
  // `known` (the rollout policy): x is the feasible point of the row's weights
  // and F, ‖∇F‖∞ and the gap were computed by the policy itself.
  struct Known {
    double F, grad_inf, gap;
  };
  auto make_row = [&](int iteration, double seconds, VectorCRef x, const std::vector<double>& viol, double gamma,
                      long sweeps, const Known* known = nullptr) {
    const auto m0 = std::chrono::steady_clock::now();
    const RnnWeights w = problem.weights(x);
    TrainHistoryRow row;
    row.iteration = iteration;
    if (known != nullptr) {
      const auto v = problem.view(x);
      row.train_mse = mean_squared_error(predict(w, v.H), data.train);
      if (data.test.T() > 0) {
        const Vector h_last = v.H.col(data.train.T() - 1);
        row.test_mse = mean_squared_error(
            predict_series(w, data.test, options.test_continues_from_train ? &h_last : nullptr), data.test);
      }
      row.objective = known->F;
      row.grad_inf = known->grad_inf;
      row.rollout_gap = known->gap;
    } else {
      const ForwardMetrics fm = forward_metrics(w, data.train, data.test, options.test_continues_from_train);
      row.train_mse = fm.train_mse;
      row.test_mse = fm.test_mse;
      RnnWeights g;
      row.objective = reduced_objective(w, data.train, options.regularization, {}, &g).value;
      const Vector gv = flatten(g);
      row.grad_inf = gv.allFinite() ? gv.lpNorm<Eigen::Infinity>() : std::numeric_limits<double>::infinity();
      row.rollout_gap = rollout_gap(problem, x);
    }
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
  if (!keep_going) alm.max_outer_iterations = 0;
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
    const bool go_on = callback ? callback(row) : true;
    if (hooks.on_state) hooks.on_state(state_of(it.iteration, x, it.penalty));
    return go_on;
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
      const bool go_on = callback ? callback(row) : true;
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
  } else {
    result.summary = solve_alm(problem, *inner, alm, AlmStart{}, on_iteration);
  }

  const Vector& x = result.summary.x.size() == problem.num_variables() ? result.summary.x : problem.initial_point();
  result.weights = problem.weights(x);
  result.final_metrics = forward_metrics(result.weights, data.train, data.test, options.test_continues_from_train);

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

std::string history_csv(const std::vector<TrainHistoryRow>& history) {
  std::string s =
      "iteration,seconds,train_mse,test_mse,violation_c1,violation_c2,gamma,sweeps,objective,grad_inf,rollout_gap,"
      "accepted\n";
  for (const auto& r : history) {
    s += fmt::format("{},{:.6f},{:.17g},{:.17g},{:.17g},{:.17g},{},{},{:.17g},{:.17g},{:.17g},{}\n", r.iteration,
                     r.seconds, r.train_mse, r.test_mse, r.violation_c1, r.violation_c2,
                     std::isfinite(r.gamma) ? fmt::format("{:.17g}", r.gamma) : std::string("nan"), r.sweeps,
                     r.objective, r.grad_inf, r.rollout_gap, r.accepted);
  }
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
