// The comparison harness (study/rnn_compare.h, docs/compare.md).
#include "almkit/study/rnn_compare.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/core.h>
#include <fmt/format.h>

#include "almkit/core/run_control.h"
#include "almkit/study/rnn_baselines.h"
#include "almkit/study/rnn_rollout.h"

namespace almkit::compare {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
// "No cap" on the ALM's outer iterations under a seconds budget: the budget ends the run.
constexpr int kUncappedOuterIterations = 1000000;
}  // namespace

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = {
      "alm-bcd", "alm-bcd-plain", "alm-bcd+lbfgs", "alm-bcd-reference", "alm-lbfgs", "alm-bcd-safeguarded",
      "alm-lbfgs-safeguarded", "time-parallel", "gd", "gd-clip", "momentum", "nesterov", "sgd", "adam", "rmsprop", "lbfgs"};
  return names;
}

bool is_alm(const std::string& m) {
  return m == "alm-bcd" || m == "alm-bcd-plain" || m == "alm-lbfgs" || m == "alm-bcd-safeguarded" || m == "alm-lbfgs-safeguarded" ||
         m == "alm-bcd+lbfgs" || m == "alm-bcd-reference" || m == "time-parallel";
}

bool is_method(const std::string& m) {
  baselines::Method bm;
  return is_alm(m) || baselines::parse(m, &bm);
}

rnn::RnnRegularization regularization() { return rnn::TrainOptions::defaults().regularization; }

double objective_value(const rnn::RnnWeights& w, const rnn::RnnSeries& train, const rnn::RnnRegularization& reg) {
  if (w.W.size() == 0) return kNaN;
  const double f = rnn::reduced_objective(w, train, reg).value;
  return std::isfinite(f) ? f : kNaN;
}

double grad_inf(const rnn::RnnWeights& w, const rnn::RnnSeries& train, const rnn::RnnRegularization& reg) {
  rnn::RnnWeights g;
  rnn::reduced_objective(w, train, reg, {}, &g);
  const Vector v = rnn::flatten(g);
  return v.allFinite() ? v.lpNorm<Eigen::Infinity>() : kNaN;
}

double clarke_kkt(const rnn::RnnWeights& w, const rnn::RnnSeries& train, const rnn::RnnRegularization& reg) {
  const rnn::RnnTrainingProblem problem(train, w.m(), reg);
  const Vector x = problem.make_point(w);
  if (!x.allFinite()) return kNaN;
  const double best = rnn::kink_stationarity(problem, x).best;
  return std::isfinite(best) ? best : kNaN;
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool blown(double mse, double divergence_value) { return !(std::isfinite(mse) && mse <= divergence_value); }

rnn::RnnWeights start_weights(const CompareSettings& s, const rnn::RnnDataset& data, rnn::InitScheme init, int seed) {
  return rnn::initialize_weights(s.hidden, data.train.d(), data.train.p(), init, s.init_std,
                                 static_cast<std::uint64_t>(seed), s.irnn_scale);
}

// Under budget_evals, one outer iteration per gradient evaluation: an outer
// iteration of the rollout policy costs one forward and one BPTT pass, as a
// gradient evaluation does, plus one w and one a block step (docs/compare.md).
int alm_outer_cap(const CompareSettings& s) {
  if (s.alm_outer > 0) return s.alm_outer;
  return s.budget_evals > 0 ? std::max(1, static_cast<int>(s.budget_evals)) : kUncappedOuterIterations;
}

rnn::TrainOptions alm_options(const std::string& method, const CompareSettings& s, rnn::InitScheme init, int seed) {
  rnn::TrainOptions o = rnn::TrainOptions::defaults();
  o.hidden = s.hidden;
  o.init = init;
  o.seed = static_cast<std::uint64_t>(seed);
  o.init_std = s.init_std;
  o.policy = rnn::TrainPolicy::kRollout;
  o.test_continues_from_train = s.test_continues_from_train;  // the comparison's one test MSE mode
  // alm-bcd and alm-bcd+lbfgs: the rollout policy (train --policy rollout); the others
  // name their policy, and the L-BFGS inner solver runs the generic driver.
  if (method.rfind("alm-lbfgs", 0) == 0) {
    o.inner = rnn::InnerKind::kLbfgs;
    o.policy = rnn::TrainPolicy::kReference;
  }
  if (method.size() > 12 && method.compare(method.size() - 12, 12, "-safeguarded") == 0)
    o.policy = rnn::TrainPolicy::kSafeguarded;
  if (method == "alm-bcd-reference") o.policy = rnn::TrainPolicy::kReference;
  if (method == "alm-bcd-plain") o.rollout = rnn::RolloutOptions::plain();  // train --preset plain
  if (method == "time-parallel") o.policy = rnn::TrainPolicy::kTimeParallel;  // train's default (docs/parallel.md §8)
  o.alm.max_outer_iterations = alm_outer_cap(s);
  if (s.budget_evals <= 0) {
    o.alm.time_limit_seconds = method == "alm-bcd+lbfgs" ? s.hybrid_fraction * s.budget_seconds : s.budget_seconds;
    o.lbfgs.max_seconds = s.budget_seconds;
  }
  o.validate();
  return o;
}

baselines::GradientResult run_gradient(baselines::Method method, double lr, const rnn::RnnDataset& data,
                                       const CompareSettings& s, const Vector& x0, double seconds, double evals,
                                       bool monitor) {
  const rnn::RnnRegularization reg = regularization();
  baselines::Objective f =
      baselines::make_rnn_objective(data.train, reg, s.hidden, method == baselines::Method::kSgd ? s.windows : 1);
  // Ctrl-C stops a gradient run at its next evaluation (docs/interruption.md).
  f.value_gradient = [inner = f.value_gradient](const Vector& x, int batch, Vector* grad) {
    if (interrupt_requested()) throw RunInterrupted();
    return inner(x, batch, grad);
  };
  baselines::GradientOptions o = s.grad;
  o.method = method;
  o.learning_rate = lr;
  o.max_seconds = seconds;
  o.max_evaluations = evals;
  if (evals > 0) {  // an evaluation budget: deterministic history, no time limit
    o.max_seconds = 1e9;
    o.record_every_seconds = kInf;
  }
  const baselines::Monitor mon =
      monitor ? baselines::make_rnn_monitor(data.train, data.test, s.hidden, s.test_continues_from_train) : baselines::Monitor{};
  return baselines::minimize(f, x0, o, mon);
}

std::vector<TuningTrial> tuning_trials(baselines::Method method, const rnn::RnnDataset& data, const CompareSettings& s,
                                       const Vector& x0, const std::vector<double>& rates) {
  const int d = data.train.d(), p = data.train.p();
  std::vector<TuningTrial> trials;
  for (double lr : rates) {
    const auto t = run_gradient(method, lr, data, s, x0, s.tune_fraction * s.budget_seconds,
                                s.budget_evals > 0 ? std::max(1.0, std::floor(s.tune_fraction * s.budget_evals)) : 0.0,
                                false);
    TuningTrial trial;
    trial.learning_rate = lr;
    trial.diverged = t.diverged;
    // F and the MSE of the final weights by forward passes, outside the run's clock.
    const rnn::RnnWeights w = rnn::unflatten(t.x, s.hidden, d, p);
    trial.objective = objective_value(w, data.train, regularization());
    trial.train_mse = rnn::forward_metrics(w, data.train, data.test, s.test_continues_from_train).train_mse;
    trials.push_back(trial);
  }
  return trials;
}

// By F, the objective every method minimizes (docs/compare.md "Ranking by F"):
// a rate that buys a lower train MSE with larger weights is not the better one.
double select_learning_rate(const std::vector<TuningTrial>& trials) {
  double best = kInf, rate = kNaN;
  for (const auto& t : trials)
    if (!t.diverged && std::isfinite(t.objective) && t.objective < best) {
      best = t.objective;
      rate = t.learning_rate;
    }
  // None usable: the smallest rate (it diverges in the full run too and is reported so).
  if (!std::isfinite(rate))
    for (const auto& t : trials)
      if (!(t.learning_rate >= rate)) rate = t.learning_rate;
  return rate;
}

double tune_learning_rate(baselines::Method method, const rnn::RnnDataset& data, const CompareSettings& s,
                          const Vector& x0, const std::vector<double>& rates) {
  return select_learning_rate(tuning_trials(method, data, s, x0, rates));
}

RunRecord run_alm(const std::string& method, const rnn::RnnDataset& data, const CompareSettings& s,
                  rnn::InitScheme init, int seed) {
  rnn::TrainOptions o = alm_options(method, s, init, seed);
  // The IRNN scale is not a TrainOptions field (rnn_trainer.h): that start goes in as weights.
  if (init == rnn::InitScheme::kIrnn) o.initial_weights = start_weights(s, data, init, seed);
  RunRecord r;
  const bool by_time = s.budget_evals <= 0;
  const bool hybrid = method == "alm-bcd+lbfgs";
  const double alm_budget = hybrid ? s.hybrid_fraction * s.budget_seconds : s.budget_seconds;
  const double limit = s.grad.divergence_value;
  // The divergence rule on the forward-pass MSE of the ALM's weights: a
  // split-problem iterate can be nearly feasible while its weights blow up in
  // the forward recursion.
  const rnn::TrainResult res = rnn::train(data, o, [&](const rnn::TrainHistoryRow& row) {
    r.curve.push_back(
        {row.seconds, row.train_mse, row.test_mse, std::hypot(row.violation_c1, row.violation_c2), row.objective});
    if (blown(row.train_mse, limit) && !std::isfinite(r.diverged_at)) r.diverged_at = row.seconds;
    return !(by_time && row.seconds >= alm_budget) && !blown(row.train_mse, limit) && !interrupt_requested();
  });
  r.weights = res.weights;
  r.train_mse = res.final_metrics.train_mse;
  r.test_mse = res.final_metrics.test_mse;
  // The method's own clock (monitoring excluded, as for the gradient methods).
  r.seconds = r.curve.empty() ? res.wall_seconds : r.curve.back().seconds;
  r.kkt = res.kkt_bptt.stationarity;
  r.kkt_clarke = res.kink_stationarity.best;  // rnn::train's, at res.weights
  r.status = to_string(res.summary.status);
  if (hybrid && !blown(r.train_mse, limit)) {
    const double rest = std::max(0.0, s.budget_seconds - r.seconds);
    const double t_off = r.seconds;
    const int d = data.train.d(), p = data.train.p();
    const auto g = run_gradient(baselines::Method::kLbfgs, 1.0, data, s, rnn::flatten(res.weights),
                                by_time ? rest : 0.0, by_time ? 0.0 : s.budget_evals, true);
    for (const auto& h : g.history) r.curve.push_back({t_off + h.seconds, h.train_mse, h.test_mse, 0.0, h.objective});
    if (!g.diverged) {
      r.weights = rnn::unflatten(g.x, s.hidden, d, p);
      const rnn::ForwardMetrics fm = rnn::forward_metrics(r.weights, data.train, data.test, s.test_continues_from_train);
      r.train_mse = fm.train_mse;
      r.test_mse = fm.test_mse;
      r.kkt = grad_inf(r.weights, data.train, o.regularization);
      r.kkt_clarke = kNaN;  // new weights: run_method computes it
    }
    r.seconds = t_off + g.seconds;
    r.status = fmt::format("alm: {}; lbfgs: {}", r.status, g.status);
  }
  if (blown(r.train_mse, limit)) {
    r.status = "diverged";
    if (!std::isfinite(r.diverged_at)) r.diverged_at = res.wall_seconds;
  }
  return r;
}

RunRecord run_baseline(const std::string& name, const rnn::RnnDataset& data, const CompareSettings& s,
                       rnn::InitScheme init, int seed, const std::vector<double>& rates) {
  baselines::Method method{};
  baselines::parse(name, &method);
  const int d = data.train.d(), p = data.train.p();
  const Vector x0 = rnn::flatten(start_weights(s, data, init, seed));
  RunRecord r;
  if (baselines::has_learning_rate(method)) r.learning_rate = tune_learning_rate(method, data, s, x0, rates);
  const auto g = run_gradient(method, std::isfinite(r.learning_rate) ? r.learning_rate : 1.0, data, s, x0,
                              s.budget_seconds, s.budget_evals, true);
  for (const auto& h : g.history) r.curve.push_back({h.seconds, h.train_mse, h.test_mse, 0.0, h.objective});
  r.weights = rnn::unflatten(g.x, s.hidden, d, p);
  const rnn::ForwardMetrics fm = rnn::forward_metrics(r.weights, data.train, data.test, s.test_continues_from_train);
  r.train_mse = fm.train_mse;
  r.test_mse = fm.test_mse;
  r.seconds = g.seconds;
  r.status = g.status;
  r.diverged_at = g.diverged_at_seconds;
  // A start the method cannot leave (F(θ0) above the threshold: Ceres reports
  // "Initial cost and jacobian evaluation failed") is a divergence too.
  if (blown(r.train_mse, s.grad.divergence_value) && r.status != "diverged") {
    r.status = "diverged";
    r.diverged_at = g.seconds;
  }
  r.kkt = grad_inf(r.weights, data.train, regularization());
  return r;
}

RunRecord run_method(const std::string& method, const rnn::RnnDataset& data, const CompareSettings& s,
                     rnn::InitScheme init, int seed, const std::vector<double>& rates) {
  RunRecord r = is_alm(method) ? run_alm(method, data, s, init, seed) : run_baseline(method, data, s, init, seed, rates);
  r.method = method;
  r.init = rnn::to_string(init);
  r.seed = seed;
  // The gradient methods' threshold, so a start flagged here is one they count as diverged at θ0.
  r.start = rnn::diagnose_start(start_weights(s, data, init, seed), data.train, s.grad.divergence_value);
  // After the run, outside its budget, unless rnn::train has it at the final
  // weights; the regularization is every method's (run_baseline, alm_options).
  // F for a diverged run too (its last finite iterate); the summaries skip it.
  r.objective = objective_value(r.weights, data.train, regularization());
  if (r.status == "diverged")
    r.kkt_clarke = kNaN;
  else if (std::isnan(r.kkt_clarke) && r.weights.W.size() > 0)
    r.kkt_clarke = clarke_kkt(r.weights, data.train, regularization());
  return r;
}

bool keep_curve_point(std::size_t i, std::size_t n, double resolution) {
  if (!(resolution > 0.0) || i + 1 >= n) return true;
  std::size_t stride = 1;
  const double reach = resolution * static_cast<double>(i);
  while (static_cast<double>(stride) * 10.0 <= reach) stride *= 10;
  return i % stride == 0;
}

std::vector<Point> thinned_curve(const std::vector<Point>& curve, double resolution) {
  std::vector<Point> out;
  for (std::size_t i = 0; i < curve.size(); ++i)
    if (keep_curve_point(i, curve.size(), resolution)) out.push_back(curve[i]);
  return out;
}

Target set_time_to_target(std::vector<RunRecord>& runs, double factor) {
  Target t;
  for (const auto& r : runs)
    for (const auto& p : r.curve)
      if (std::isfinite(p.objective)) t.best = std::min(t.best, p.objective);
  t.target = factor * t.best;
  for (auto& r : runs)
    for (const auto& p : r.curve)
      if (p.objective <= t.target) {
        r.time_to_target = p.seconds;
        break;
      }
  return t;
}

MethodSummary summarize(const std::vector<RunRecord>& runs, const std::string& method) {
  MethodSummary m;
  m.method = method;
  std::vector<double> rates;
  for (const auto& r : runs) {
    if (r.method != method) continue;
    ++m.runs;
    ++m.statuses[r.status];
    rates.push_back(r.learning_rate);
    m.time_to_target.push_back(r.time_to_target);
    // Medians and ranges over the runs that did not diverge; the diverged ones are counted.
    if (r.status == "diverged") {
      ++m.diverged;
      continue;
    }
    m.objective.push_back(r.objective);
    m.train_mse.push_back(r.train_mse);
    m.test_mse.push_back(r.test_mse);
    m.kkt.push_back(r.kkt);
    m.kkt_clarke.push_back(r.kkt_clarke);
    if (std::isfinite(r.objective) && (m.best_run == nullptr || r.objective < m.best_run->objective)) m.best_run = &r;
  }
  m.reached = static_cast<int>(
      std::count_if(m.time_to_target.begin(), m.time_to_target.end(), [](double x) { return std::isfinite(x); }));
  std::vector<double> distinct;
  for (double x : rates)
    if (std::isfinite(x) && std::find(distinct.begin(), distinct.end(), x) == distinct.end()) distinct.push_back(x);
  for (double x : distinct) m.learning_rates += (m.learning_rates.empty() ? "" : ", ") + fmt::format("{:g}", x);
  if (m.learning_rates.empty()) m.learning_rates = "—";
  return m;
}

Ranking rank(std::vector<MethodSummary>& summaries) {
  Ranking k;
  double best = kInf;
  for (const auto& m : summaries) {
    const double f = m.objective_median();
    if (std::isfinite(f) && f < best) best = f, k.best_method = m.method;
    if (!is_alm(m.method) && std::isfinite(f) && !(f >= k.best_gradient_objective))
      k.best_gradient_objective = f, k.best_gradient = m.method;
  }
  for (auto& m : summaries)
    m.ratio_to_best_gradient = k.best_gradient_objective > 0 ? m.objective_median() / k.best_gradient_objective : kNaN;
  return k;
}

std::string run_model_path(const RunRecord& r) {
  return fmt::format("runs/{}-{}-seed{}/model.json", r.method, r.init, r.seed);
}

rnn::RnnModel run_model(const RunRecord& r, const rnn::RnnDataset& data, const nlohmann::json& options,
                        bool test_continues_from_train) {
  rnn::RnnModel model;
  model.weights = r.weights;
  model.regularization = regularization();
  model.scaling = data.scaling;
  model.input_columns = data.input_columns;
  model.target_columns = data.target_columns;
  model.univariate = data.univariate;
  model.test_continues_from_train = test_continues_from_train;  // the mode of the runs' test MSE
  model.options = options;
  return model;
}

// Every number through exact_number (core/run_control.h): bit for bit, NaN and ±inf included.
nlohmann::json run_record_to_json(const RunRecord& r) {
  nlohmann::json c = nlohmann::json::array();
  for (const auto& p : r.curve)
    c.push_back({exact_number(p.seconds), exact_number(p.train_mse), exact_number(p.test_mse), exact_number(p.violation),
                 exact_number(p.objective)});
  nlohmann::json w = nlohmann::json::array();
  const Vector theta = r.weights.W.size() > 0 ? rnn::flatten(r.weights) : Vector();
  for (Eigen::Index i = 0; i < theta.size(); ++i) w.push_back(exact_number(theta[i]));
  return {{"method", r.method}, {"init", r.init}, {"seed", r.seed}, {"learning_rate", exact_number(r.learning_rate)},
          {"objective", exact_number(r.objective)}, {"train_mse", exact_number(r.train_mse)}, {"test_mse", exact_number(r.test_mse)},
          {"seconds", exact_number(r.seconds)}, {"kkt", exact_number(r.kkt)},
          {"kkt_clarke", exact_number(r.kkt_clarke)}, {"status", r.status},
          {"diverged_at", exact_number(r.diverged_at)}, {"curve", c}, {"weights", w},
          {"start", {exact_number(r.start.spectral_radius), exact_number(r.start.max_abs_state),
                     exact_number(r.start.train_mse), exact_number(r.start.divergence_value), r.start.explodes}}};
}

RunRecord run_record_from_json(const nlohmann::json& j, int m, int d, int p) {
  RunRecord r;
  r.method = j.at("method").get<std::string>();
  r.init = j.at("init").get<std::string>();
  r.seed = j.at("seed").get<int>();
  r.learning_rate = exact_number_from_json(j.at("learning_rate"));
  // Checkpoints written before the F column have none: NaN (as kkt_clarke).
  r.objective = j.contains("objective") ? exact_number_from_json(j.at("objective")) : kNaN;
  r.train_mse = exact_number_from_json(j.at("train_mse"));
  r.test_mse = exact_number_from_json(j.at("test_mse"));
  r.seconds = exact_number_from_json(j.at("seconds"));
  r.kkt = exact_number_from_json(j.at("kkt"));
  // Checkpoints written before the Clarke column have none: NaN.
  r.kkt_clarke = j.contains("kkt_clarke") ? exact_number_from_json(j.at("kkt_clarke")) : kNaN;
  r.status = j.at("status").get<std::string>();
  r.diverged_at = exact_number_from_json(j.at("diverged_at"));
  for (const auto& c : j.at("curve"))
    r.curve.push_back({exact_number_from_json(c.at(0)), exact_number_from_json(c.at(1)), exact_number_from_json(c.at(2)),
                       exact_number_from_json(c.at(3)), c.size() > 4 ? exact_number_from_json(c.at(4)) : kNaN});
  const auto& w = j.at("weights");
  if (!w.empty()) {
    Vector theta(static_cast<Eigen::Index>(w.size()));
    for (size_t i = 0; i < w.size(); ++i) theta[static_cast<Eigen::Index>(i)] = exact_number_from_json(w[i]);
    if (theta.size() != rnn::num_parameters(m, d, p)) throw std::invalid_argument("checkpoint: weights of the wrong size");
    r.weights = rnn::unflatten(theta, m, d, p);
  }
  const auto& st = j.at("start");
  r.start = {exact_number_from_json(st.at(0)), exact_number_from_json(st.at(1)), exact_number_from_json(st.at(2)),
             exact_number_from_json(st.at(3)), st.at(4).get<bool>()};
  return r;
}

}  // namespace almkit::compare
