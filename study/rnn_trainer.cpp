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
#include "almkit/study/rnn_train_run.h"
#include "almkit/core/clock.h"

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

TrainResult train(const RnnDataset& data, const TrainOptions& options, const TrainCallback& callback) {
  TrainHooks hooks;
  hooks.on_row = callback;
  return train(data, options, hooks);
}

namespace {

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
  if (r.block_steps < 1 || T - K * r.block_steps < detail::kMinFoldSteps)
    throw std::invalid_argument(fmt::format(
        "option lambda-folds: {} folds over {} of {} training steps leave blocks of {} steps and {} steps to fit "
        "(need >= 1 and >= {})",
        K, sel.lambda_span, T, r.block_steps, T - K * r.block_steps, detail::kMinFoldSteps));
  for (int k = 0; k < K; ++k) r.origins.push_back(T - (K - k) * r.block_steps);
  TrainOptions fold_options = options;
  fold_options.selection.lambda_auto = false;
  for (double lambda : r.grid) {
    RnnRegularization& reg = fold_options.regularization;
    reg.lambda1 = reg.lambda2 = reg.lambda3 = reg.lambda4 = reg.lambda5 = lambda;
    std::vector<double> mse;
    for (int origin : r.origins) {
      RnnDataset fold;
      fold.train = detail::slice_steps(data.train, 0, origin);
      fold.test = detail::slice_steps(data.train, origin, origin + r.block_steps);
      fold.scaling = data.scaling;
      const TrainResult fr = detail::train_one(fold, fold_options, TrainHooks{});
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
  if (!options.selection.lambda_auto) return detail::train_one(data, options, hooks);
  const LambdaSelection sel = select_lambda(data, options);
  TrainOptions o = options;
  RnnRegularization& reg = o.regularization;
  reg.lambda1 = reg.lambda2 = reg.lambda3 = reg.lambda4 = reg.lambda5 = sel.chosen;
  TrainResult res = detail::train_one(data, o, hooks);
  res.lambda_selection = sel;
  return res;
}

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
