// almkit compare: ALM variants against gradient baselines on the same reduced
// RNN problem, data, initializations and budget (docs/compare.md). Writes
// results.csv, curves.csv, results.md, results.json, predictions.csv and
// plots (gnuplot) to --out.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "almkit/core/alm_json.h"
#include "almkit/core/io.h"
#include "almkit/core/run_control.h"
#include "almkit/problems/rnn/rnn_data_checks.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/problems/rnn/rnn_trainer.h"
#include "almkit/solvers/baselines/gradient_methods.h"
#include "commands.h"
#include "data_options.h"
#include "gnuplot_plots.h"
#include "option_binding.h"
#include "run_resume.h"

namespace almkit::cli {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Thrown from a gradient method's objective once Ctrl-C was pressed.
struct RunInterrupted {};
constexpr double kInf = std::numeric_limits<double>::infinity();

struct CompareArgs {
  DataArgs data;  // --data, --target, … (apps/data_options.h)
  int hidden = 20;
  std::string methods = "alm-bcd,alm-lbfgs,gd,sgd,adam,lbfgs";
  std::string inits = "gaussian";
  double init_std = rnn::TrainOptions::defaults().init_std;  // std of the gaussian init (as almkit train)
  double irnn_scale = rnn::kDefaultIrnnScale;                 // s of the irnn init, W = s I (as almkit train)
  int seeds = 1;
  double budget_seconds = 5.0;
  double budget_evals = 0.0;
  std::string learning_rates = "1e-4,1e-3,1e-2,1e-1,1";
  double tune_fraction = 0.1;
  int windows = 10;
  int alm_outer = 0;  // 0: no cap with a seconds budget (the ALM uses the budget), train's 20 with --budget-evals
  double hybrid_fraction = 0.5;  // alm-bcd+lbfgs: budget share of the ALM-BCD phase (L-BFGS gets the rest)
  std::string out = "out/compare";
  // The gradient methods' fixed hyper-parameters (--grad.*); learning rate and
  // budget are set per run by the comparison itself.
  baselines::GradientOptions grad;
  bool print_options = false;
  bool no_plots = false;
  bool quiet = false;
  // Run control (docs/interruption.md): not part of the result.
  std::string resume;
  int min_train_steps = rnn::kDefaultMinTrainSteps;
  bool rerun_marker = false;  // --rerun-with-checkpoint-arguments
};

// One recorded point of a run. `violation` is ‖(C1, C2)‖₂ of the split problem
// (P) at the ALM iterate; the gradient methods keep the states from the forward
// pass, so their iterates are feasible by construction (0).
struct Point {
  double seconds, train_mse, test_mse, violation;
};

struct RunRecord {
  std::string method, init;
  int seed = 0;
  double learning_rate = kNaN;
  double train_mse = kNaN, test_mse = kNaN, seconds = kNaN, time_to_target = kNaN, kkt = kNaN;
  std::string status;
  double diverged_at = kNaN;
  std::vector<Point> curve;
  rnn::RnnWeights weights;
  rnn::InitDiagnostics start;  // θ0 of the run (docs/rnn.md §5): start.explodes = diverged before training
};

// alm-<inner>[-safeguarded]: the 2 × 2 of inner solvers and policies (docs/compare.md).
bool is_alm(const std::string& m) {
  return m == "alm-bcd" || m == "alm-lbfgs" || m == "alm-bcd-safeguarded" || m == "alm-lbfgs-safeguarded" ||
         m == "alm-bcd+lbfgs" || m == "alm-bcd-reference";
}

// ‖∇F(θ)‖∞ on the training series: the KKT stationarity of (P) with the BPTT adjoint multipliers (rnn_model.h).
double grad_inf(const rnn::RnnWeights& w, const rnn::RnnSeries& train, const rnn::RnnRegularization& reg) {
  rnn::RnnWeights g;
  rnn::reduced_objective(w, train, reg, {}, &g);
  const Vector v = rnn::flatten(g);
  return v.allFinite() ? v.lpNorm<Eigen::Infinity>() : kNaN;
}

std::string num(double v) { return std::isfinite(v) ? fmt::format("{}", v) : ""; }  // shortest round-trip
std::string short_num(double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : "—"; }

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The gradient methods' divergence rule (gradient_methods.h) on a run's
// forward-pass train MSE: not finite, or above divergence_value.
bool blown(double mse, const CompareArgs& a) { return !(std::isfinite(mse) && mse <= a.grad.divergence_value); }

// θ0 of every method for this init and seed: the weights the trainer draws (docs/compare.md).
rnn::RnnWeights start_weights(const CompareArgs& a, const rnn::RnnDataset& data, rnn::InitScheme init, int seed) {
  return rnn::initialize_weights(a.hidden, data.train.d(), data.train.p(), init, a.init_std,
                                 static_cast<std::uint64_t>(seed), a.irnn_scale);
}

// The ALM's outer-iteration cap: --alm-outer when given; otherwise none under
// a seconds budget (the ALM gets the same wall time as every other method and
// runs until it converges or the budget ends, docs/compare.md); under
// --budget-evals, one outer iteration per gradient evaluation (an outer
// iteration of the rollout policy costs one forward and one BPTT pass, as a
// gradient evaluation does, plus one w and one a block step).
int alm_outer_cap(const CompareArgs& a) {
  if (a.alm_outer > 0) return a.alm_outer;
  return a.budget_evals > 0 ? std::max(1, static_cast<int>(a.budget_evals)) : 1000000;
}

// The `almkit train` defaults with the variant's inner solver and policy, the
// run's init and seed, and the comparison's budget.
rnn::TrainOptions alm_options(const std::string& method, const CompareArgs& a, rnn::InitScheme init, int seed) {
  rnn::TrainOptions o = rnn::TrainOptions::defaults();
  o.hidden = a.hidden;
  o.init = init;
  o.seed = static_cast<std::uint64_t>(seed);
  o.init_std = a.init_std;
  // alm-bcd and alm-bcd+lbfgs: train's default policy (rollout); the others
  // name their policy, and the L-BFGS inner solver runs the generic driver.
  if (method.rfind("alm-lbfgs", 0) == 0) {
    o.inner = rnn::InnerKind::kLbfgs;
    o.rollout_policy = false;
  }
  if (method.size() > 12 && method.compare(method.size() - 12, 12, "-safeguarded") == 0) {
    o.rollout_policy = false;
    o.alm.policy = AlmPolicy::kSafeguarded;
  }
  if (method == "alm-bcd-reference") {
    o.rollout_policy = false;
    o.alm.policy = AlmPolicy::kReference;
  }
  o.alm.max_outer_iterations = alm_outer_cap(a);
  if (a.budget_evals <= 0) {
    o.alm.time_limit_seconds = method == "alm-bcd+lbfgs" ? a.hybrid_fraction * a.budget_seconds : a.budget_seconds;
    o.lbfgs.max_seconds = a.budget_seconds;
  }
  o.validate();
  return o;
}

baselines::GradientResult run_gradient(baselines::Method method, double lr, const rnn::RnnDataset& data,
                                       const CompareArgs& a, const Vector& x0, double seconds, double evals,
                                       bool monitor);

// alm-* variants; alm-bcd+lbfgs runs ALM-BCD for hybrid_fraction of the budget
// (or until it stops on its own), then L-BFGS on F from its weights for the rest.
RunRecord run_alm(const std::string& method, const rnn::RnnDataset& data, const CompareArgs& a, rnn::InitScheme init,
                  int seed) {
  rnn::TrainOptions o = alm_options(method, a, init, seed);
  // The IRNN scale is not a TrainOptions field (rnn_trainer.h): that start goes in as weights.
  if (init == rnn::InitScheme::kIrnn) o.initial_weights = start_weights(a, data, init, seed);
  RunRecord r;
  const bool by_time = a.budget_evals <= 0;
  const bool hybrid = method == "alm-bcd+lbfgs";
  const double alm_budget = hybrid ? a.hybrid_fraction * a.budget_seconds : a.budget_seconds;
  // The divergence rule on the forward-pass MSE of the ALM's weights: a
  // split-problem iterate can be nearly feasible while its weights blow up in
  // the forward recursion.
  const rnn::TrainResult res = rnn::train(data, o, [&](const rnn::TrainHistoryRow& row) {
    r.curve.push_back({row.seconds, row.train_mse, row.test_mse, std::hypot(row.violation_c1, row.violation_c2)});
    if (blown(row.train_mse, a) && !std::isfinite(r.diverged_at)) r.diverged_at = row.seconds;
    return !(by_time && row.seconds >= alm_budget) && !blown(row.train_mse, a) && !interrupt_requested();
  });
  r.weights = res.weights;
  r.train_mse = res.final_metrics.train_mse;
  r.test_mse = res.final_metrics.test_mse;
  // The method's own clock (monitoring excluded, as for the gradient methods).
  r.seconds = r.curve.empty() ? res.wall_seconds : r.curve.back().seconds;
  r.kkt = res.kkt_bptt.stationarity;
  r.status = to_string(res.summary.status);
  if (hybrid && !blown(r.train_mse, a)) {
    const double rest = std::max(0.0, a.budget_seconds - r.seconds);
    const double t_off = r.seconds;
    const int d = data.train.d(), p = data.train.p();
    const auto g = run_gradient(baselines::Method::kLbfgs, 1.0, data, a, rnn::flatten(res.weights),
                                by_time ? rest : 0.0, by_time ? 0.0 : a.budget_evals, true);
    for (const auto& h : g.history) r.curve.push_back({t_off + h.seconds, h.train_mse, h.test_mse, 0.0});
    if (!g.diverged) {
      r.weights = rnn::unflatten(g.x, a.hidden, d, p);
      const rnn::ForwardMetrics fm = rnn::forward_metrics(r.weights, data.train, data.test, false);
      r.train_mse = fm.train_mse;
      r.test_mse = fm.test_mse;
      r.kkt = grad_inf(r.weights, data.train, o.regularization);
    }
    r.seconds = t_off + g.seconds;
    r.status = fmt::format("alm: {}; lbfgs: {}", r.status, g.status);
  }
  if (blown(r.train_mse, a)) {
    r.status = "diverged";
    if (!std::isfinite(r.diverged_at)) r.diverged_at = res.wall_seconds;
  }
  return r;
}

baselines::GradientResult run_gradient(baselines::Method method, double lr, const rnn::RnnDataset& data,
                                       const CompareArgs& a, const Vector& x0, double seconds, double evals,
                                       bool monitor) {
  const rnn::RnnRegularization reg = rnn::TrainOptions::defaults().regularization;
  baselines::Objective f = baselines::make_rnn_objective(
      data.train, reg, a.hidden, method == baselines::Method::kSgd ? a.windows : 1);
  // Ctrl-C stops a gradient run at its next evaluation (docs/interruption.md).
  f.value_gradient = [inner = f.value_gradient](const Vector& x, int batch, Vector* grad) {
    if (interrupt_requested()) throw RunInterrupted();
    return inner(x, batch, grad);
  };
  baselines::GradientOptions o = a.grad;
  o.method = method;
  o.learning_rate = lr;
  o.max_seconds = seconds;
  o.max_evaluations = evals;
  if (evals > 0) {  // an evaluation budget: deterministic history, no time limit
    o.max_seconds = 1e9;
    o.record_every_seconds = kInf;
  }
  const baselines::Monitor mon = monitor ? baselines::make_rnn_monitor(data.train, data.test, a.hidden, false)
                                         : baselines::Monitor{};
  return baselines::minimize(f, x0, o, mon);
}

RunRecord run_baseline(const std::string& name, const rnn::RnnDataset& data, const CompareArgs& a,
                       rnn::InitScheme init, int seed, const std::vector<double>& rates) {
  baselines::Method method{};
  baselines::parse(name, &method);
  const int d = data.train.d(), p = data.train.p();
  const rnn::TrainOptions defaults = rnn::TrainOptions::defaults();
  const Vector x0 = rnn::flatten(start_weights(a, data, init, seed));
  RunRecord r;
  // Fair tuning: short runs over the grid, the rate with the lowest final training MSE.
  if (baselines::has_learning_rate(method)) {
    double best = kInf;
    for (double lr : rates) {
      const auto t = run_gradient(method, lr, data, a, x0, a.tune_fraction * a.budget_seconds,
                                  a.budget_evals > 0 ? std::max(1.0, std::floor(a.tune_fraction * a.budget_evals)) : 0.0,
                                  false);
      double mse = kInf;
      if (!t.diverged)
        mse = rnn::forward_metrics(rnn::unflatten(t.x, a.hidden, d, p), data.train, data.test, false).train_mse;
      if (std::isfinite(mse) && mse < best) {
        best = mse;
        r.learning_rate = lr;
      }
    }
    // Every rate diverged: the smallest one (it diverges in the full run too and is reported so).
    if (!std::isfinite(r.learning_rate)) r.learning_rate = *std::min_element(rates.begin(), rates.end());
  }
  const auto g = run_gradient(method, std::isfinite(r.learning_rate) ? r.learning_rate : 1.0, data, a, x0,
                              a.budget_seconds, a.budget_evals, true);
  for (const auto& h : g.history) r.curve.push_back({h.seconds, h.train_mse, h.test_mse, 0.0});
  r.weights = rnn::unflatten(g.x, a.hidden, d, p);
  const rnn::ForwardMetrics fm = rnn::forward_metrics(r.weights, data.train, data.test, false);
  r.train_mse = fm.train_mse;
  r.test_mse = fm.test_mse;
  r.seconds = g.seconds;
  r.status = g.status;
  r.diverged_at = g.diverged_at_seconds;
  // A start the method cannot leave (F(θ0) above the threshold: Ceres reports
  // "Initial cost and jacobian evaluation failed") is a divergence too.
  if (blown(r.train_mse, a) && r.status != "diverged") {
    r.status = "diverged";
    r.diverged_at = g.seconds;
  }
  r.kkt = grad_inf(r.weights, data.train, defaults.regularization);
  return r;
}

// Train MSE against time for the first init and seed 0, and the test
// predictions of each method's best run (docs/compare.md). With p > 1 targets
// the prediction plot shows the first one.
void make_plots(const std::string& dir, const std::vector<std::string>& methods, const std::string& init,
                const std::vector<std::string>& targets, double y_max) {
  const int p = static_cast<int>(targets.size());
  std::string list;
  for (const auto& m : methods) list += (list.empty() ? "" : " ") + m;
  std::string pred_plot;
  for (size_t i = 0; i < methods.size(); ++i)
    pred_plot += fmt::format(", \\\n     'predictions.csv' skip 1 using 1:{} with lines title '{}'", 2 + p * (1 + static_cast<int>(i)), methods[i]);
  const std::string body = fmt::format(
      "set datafile separator ','\n"
      "set grid\n"
      "set output 'mse_vs_time.png.tmp'\n"
      "set title 'Train MSE against wall time (init {1}, seed 0)'\n"
      "set xlabel 'seconds'\nset ylabel 'train MSE (scaled units)'\nset logscale y\nset key top right\n"
      "set yrange [*:{4:g}]  # 10 x the largest initial MSE: a diverging run leaves the top of the plot\n"
      "methods = \"{0}\"\n"
      "plot for [m in methods] 'curves.csv' skip 1 using ((strcol(1) eq m && strcol(2) eq '{1}' && $3 == 0) ? $4 : NaN):5 "
      "with lines lw 2 title m\n"
      "unset logscale y\nset autoscale y\n"
      "set output 'predictions.png.tmp'\n"
      "set title 'Test part: predictions of the best run of each method vs truth ({2})'\n"
      "set xlabel 'row'\nset ylabel '{2}'\nset key top left\n"
      "plot 'predictions.csv' skip 1 using 1:2 with lines lw 3 lc rgb 'black' title 'truth'{3}\n"
      "set output\n",
      list, init, first_target_label(targets), pred_plot, y_max);
  write_and_run_plots(dir, "almkit compare plots (docs/compare.md): run `gnuplot plots.gp` in this folder.", body,
                      {"mse_vs_time.png", "predictions.png"});
}

// Every setting a comparison uses (no hidden state): the comparison's own
// flags, the gradient methods' fixed hyper-parameters, and the options of each
// ALM variant (init and seed vary per run; shown for gaussian, seed 0).
nlohmann::json options_json(const CompareArgs& a, const std::vector<std::string>& methods,
                            const std::vector<double>& rates) {
  nlohmann::json j;
  j["compare"] = {{"methods", methods},         {"inits", split_comma_list(a.inits)},
                  {"init_std", a.init_std},     {"irnn_scale", a.irnn_scale}, {"seeds", a.seeds},
                  {"hidden", a.hidden},         {"budget_seconds", a.budget_evals > 0 ? nlohmann::json(nullptr) : nlohmann::json(a.budget_seconds)},
                  {"budget_evals", a.budget_evals}, {"learning_rates", rates},
                  {"tune_fraction", a.tune_fraction}, {"hybrid_fraction", a.hybrid_fraction}, {"windows", a.windows},
                  {"alm_outer", a.alm_outer},   {"out", a.out}};
  nlohmann::json g = options_to_json(a.grad);
  for (const char* set_per_run : {"learning_rate", "max_seconds", "max_evaluations"}) g.erase(set_per_run);
  j["gradient_methods"] = g;
  nlohmann::json alm = nlohmann::json::object();
  for (const auto& m : methods)
    if (is_alm(m)) alm[m] = alm_options(m, a, rnn::InitScheme::kGaussian, 0).to_json();
  j["alm"] = alm;
  return j;
}

// ---- checkpoint.json of compare (docs/interruption.md): the completed runs,
// every number bit for bit, so a resumed comparison skips them and ends with
// the tables an uninterrupted one writes.
constexpr const char* kCompareCheckpointFormat = "almkit-compare-checkpoint";

nlohmann::json run_to_checkpoint(const RunRecord& r) {
  nlohmann::json c = nlohmann::json::array();
  for (const auto& p : r.curve)
    c.push_back({exact_number(p.seconds), exact_number(p.train_mse), exact_number(p.test_mse), exact_number(p.violation)});
  nlohmann::json w = nlohmann::json::array();
  const Vector theta = r.weights.W.size() > 0 ? rnn::flatten(r.weights) : Vector();
  for (Eigen::Index i = 0; i < theta.size(); ++i) w.push_back(exact_number(theta[i]));
  return {{"method", r.method}, {"init", r.init}, {"seed", r.seed}, {"learning_rate", exact_number(r.learning_rate)},
          {"train_mse", exact_number(r.train_mse)}, {"test_mse", exact_number(r.test_mse)},
          {"seconds", exact_number(r.seconds)}, {"kkt", exact_number(r.kkt)}, {"status", r.status},
          {"diverged_at", exact_number(r.diverged_at)}, {"curve", c}, {"weights", w},
          {"start", {exact_number(r.start.spectral_radius), exact_number(r.start.max_abs_state),
                     exact_number(r.start.train_mse), exact_number(r.start.divergence_value), r.start.explodes}}};
}

RunRecord run_from_checkpoint(const nlohmann::json& j, int m, int d, int p) {
  RunRecord r;
  r.method = j.at("method").get<std::string>();
  r.init = j.at("init").get<std::string>();
  r.seed = j.at("seed").get<int>();
  r.learning_rate = exact_number_from_json(j.at("learning_rate"));
  r.train_mse = exact_number_from_json(j.at("train_mse"));
  r.test_mse = exact_number_from_json(j.at("test_mse"));
  r.seconds = exact_number_from_json(j.at("seconds"));
  r.kkt = exact_number_from_json(j.at("kkt"));
  r.status = j.at("status").get<std::string>();
  r.diverged_at = exact_number_from_json(j.at("diverged_at"));
  for (const auto& c : j.at("curve"))
    r.curve.push_back({exact_number_from_json(c.at(0)), exact_number_from_json(c.at(1)), exact_number_from_json(c.at(2)),
                       exact_number_from_json(c.at(3))});
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

std::string curve_lines(const RunRecord& r) {
  std::string out;
  for (const auto& p : r.curve)
    out += fmt::format("{},{},{},{},{},{}\n", r.method, r.init, r.seed, num(p.seconds), num(p.train_mse), num(p.test_mse));
  return out;
}

// Flags that do not change the result: a bare `--resume DIR` may come with these.
const std::vector<std::string> kCompareRunFlags = {"--resume", "--out", "--quiet", "--no-plots", "--print-options"};

void run_compare(const CLI::App* sub, CompareArgs& a) {
  // A bare `--resume DIR`: run again with the interrupted comparison's flags.
  nlohmann::json checkpoint;
  if (!a.resume.empty()) {
    checkpoint = read_checkpoint(a.resume, kCompareCheckpointFormat);
    if (sub->count("--out") > 0 && a.out != a.resume) throw UsageError("--out and --resume name different folders");
    if (only_flags_given(sub, kCompareRunFlags) && checkpoint.contains("arguments")) {
      std::vector<std::string> args = checkpoint["arguments"].get<std::vector<std::string>>();
      for (const auto& f : given_arguments(sub, {"--out"}))  // --resume DIR and the run flags given now
        if (f.rfind("--", 0) != 0 || std::find(args.begin(), args.end(), f) == args.end() || f == "--resume") args.push_back(f);
      args.push_back("--rerun-with-checkpoint-arguments");
      rerun_command("compare", register_compare, args);
      return;
    }
    a.out = a.resume;
  }
  const std::vector<std::string> arguments =
      given_arguments(sub, {"--resume", "--out", "--print-options", "--rerun-with-checkpoint-arguments"});
  // ---- options
  const std::vector<std::string> methods = split_comma_list(a.methods);
  if (methods.empty()) throw UsageError("--methods: empty list");
  for (const auto& m : methods) {
    baselines::Method bm;
    if (!is_alm(m) && !baselines::parse(m, &bm))
      throw UsageError(fmt::format(
          "--methods: unknown method '{}' (alm-bcd, alm-bcd+lbfgs, alm-bcd-reference, alm-lbfgs, alm-bcd-safeguarded, alm-lbfgs-safeguarded, gd, gd-clip, momentum, nesterov, "
          "sgd, adam, rmsprop, lbfgs)",
          m));
  }
  std::vector<rnn::InitScheme> inits;
  for (const auto& name : split_comma_list(a.inits)) {
    rnn::InitScheme s;
    if (!rnn::parse(name, &s)) throw UsageError(fmt::format("--inits: unknown initialization '{}' ({})", name, rnn::init_scheme_names()));
    inits.push_back(s);
  }
  if (inits.empty()) throw UsageError("--inits: empty list");
  std::vector<double> rates;
  for (const auto& t : split_comma_list(a.learning_rates)) {
    try {
      size_t used = 0;
      rates.push_back(std::stod(t, &used));
      if (used != t.size() || !(rates.back() > 0)) throw std::invalid_argument(t);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--learning-rates: bad value '{}'", t));
    }
  }
  if (rates.empty()) throw UsageError("--learning-rates: empty list");
  if (a.seeds < 1) throw UsageError("--seeds must be >= 1");
  if (!(a.budget_seconds > 0)) throw UsageError("--budget-seconds must be > 0");
  if (a.budget_evals < 0) throw UsageError("--budget-evals must be >= 0");
  if (!(a.tune_fraction > 0 && a.tune_fraction <= 1)) throw UsageError("--tune-fraction must be in (0, 1]");
  if (!(a.hybrid_fraction > 0 && a.hybrid_fraction < 1)) throw UsageError("--hybrid-fraction must be in (0, 1)");
  if (a.windows < 1) throw UsageError("--windows must be >= 1");
  if (a.hidden < 1) throw UsageError("--hidden must be >= 1");
  if (!(a.init_std > 0) || !std::isfinite(a.init_std)) throw UsageError("--init-std must be a finite number > 0");
  if (!std::isfinite(a.irnn_scale)) throw UsageError("--irnn-scale must be a finite number");
  if (a.alm_outer < 0) throw UsageError("--alm-outer must be >= 0 (0: until convergence or the budget)");
  try {
    a.grad.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{} (flags --grad.*)", e.what()));
  }

  rnn::DataSpec spec;
  const rnn::RnnDataset data = load_data(a.data, &spec);
  if (a.min_train_steps < 1) throw UsageError("--min-train-steps must be >= 1");
  try {
    for (const auto& w : rnn::check_training_data(data, a.hidden, a.min_train_steps)) fmt::print("warning: {}\n", w);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  nlohmann::json options = options_json(a, methods, rates);
  options["run"] = {{"min_train_steps", a.min_train_steps}, {"checkpoint", "after every completed run"}};
  if (a.print_options) fmt::print("{}\n", options.dump(2));
  // --resume: the same options as the interrupted comparison; its completed runs are kept.
  std::vector<RunRecord> runs;
  if (!a.resume.empty()) {
    nlohmann::json saved = checkpoint.value("options", nlohmann::json()), now = options;
    if (saved.contains("compare")) saved["compare"].erase("out");
    now["compare"].erase("out");
    require_same_options(a.resume, saved, now, {"run"});
    try {
      for (const auto& r : checkpoint.at("runs"))
        runs.push_back(run_from_checkpoint(r, a.hidden, data.train.d(), data.train.p()));
    } catch (const std::exception& e) {
      throw UsageError(fmt::format("--resume {}: bad checkpoint ({})", a.resume, e.what()));
    }
    fmt::print("resuming {}: {} runs done\n", a.resume, runs.size());
  }

  const std::string budget_text = a.budget_evals > 0
                                      ? fmt::format("{} gradient evaluations per gradient run (ALM: {} outer iterations, no gradient evaluations)",
                                                    a.budget_evals, alm_outer_cap(a))
                                      : fmt::format("{} s per run", a.budget_seconds);
  const size_t total = methods.size() * inits.size() * static_cast<size_t>(a.seeds);
  fmt::print("almkit compare: {} ({} train + {} test steps, d = {}, target {}), m = {}, budget {}, {} runs\n",
             spec.path, data.train.T(), data.test.T(), data.train.d(), fmt::join(data.target_columns, ","), a.hidden, budget_text,
             total);
  std::fflush(stdout);

  // ---- runs
  const auto t_start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };
  // Progress on disk: curves.csv grows by each completed run's lines,
  // checkpoint.json is replaced after every completed run.
  const std::string& dir = a.out;
  const std::string curves_header = "method,init,seed,seconds,train_mse,test_mse\n";
  LineAppender curves_out;
  {
    std::string initial = curves_header;
    for (const auto& r : runs) initial += curve_lines(r);
    curves_out.open(dir + "/curves.csv", initial);
  }
  auto save_checkpoint = [&](const std::string& status) {
    nlohmann::json c = {{"format", kCompareCheckpointFormat}, {"version", 1}, {"status", status},
                        {"completed", runs.size()}, {"total", total}, {"options", options}, {"arguments", arguments}};
    c["runs"] = nlohmann::json::array();
    for (const auto& r : runs) c["runs"].push_back(run_to_checkpoint(r));
    write_file_atomically(dir + "/checkpoint.json", c.dump() + "\n");
  };
  install_interrupt_handlers();
  const size_t done_before = runs.size();
  bool interrupted = false;
  size_t k = 0;
  for (const auto& m : methods)
    for (const auto init : inits)
      for (int seed = 0; seed < a.seeds; ++seed) {
        ++k;
        if (k <= done_before || interrupted) continue;
        if (!a.quiet) {
          fmt::print("[{}/{}] {:<20} init {:<8} seed {:<3} elapsed {:7.1f} s ...", k, total, m, rnn::to_string(init), seed,
                     elapsed());
          std::fflush(stdout);
        }
        RunRecord r;
        try {
          r = is_alm(m) ? run_alm(m, data, a, init, seed) : run_baseline(m, data, a, init, seed, rates);
        } catch (const RunInterrupted&) {
        }
        if (interrupt_requested()) {  // this run is incomplete: dropped, run again by --resume
          interrupted = true;
          if (!a.quiet) fmt::print(" interrupted\n");
          continue;
        }
        r.method = m;
        r.init = rnn::to_string(init);
        r.seed = seed;
        // The gradient methods' threshold, so a start flagged here is one they count as diverged at θ0.
        r.start = rnn::diagnose_start(start_weights(a, data, init, seed), data.train, a.grad.divergence_value);
        if (!a.quiet) {
          fmt::print(" train {}  test {}  {}{}{}\n", short_num(r.train_mse), short_num(r.test_mse), r.status,
                     std::isfinite(r.learning_rate) ? fmt::format("  (lr {:g})", r.learning_rate) : "",
                     r.start.explodes ? "  (start explodes)" : "");
          std::fflush(stdout);
        }
        runs.push_back(std::move(r));
        curves_out.append(curve_lines(runs.back()));
        save_checkpoint("running");
      }
  curves_out.close();
  save_checkpoint(interrupted ? "interrupted" : "complete");

  // ---- time to the common target: 1.1 × the best train MSE any run reached
  double best = kInf;
  for (const auto& r : runs)
    for (const auto& p : r.curve)
      if (std::isfinite(p.train_mse)) best = std::min(best, p.train_mse);
  const double target = 1.1 * best;
  for (auto& r : runs)
    for (const auto& p : r.curve)
      if (p.train_mse <= target) {
        r.time_to_target = p.seconds;
        break;
      }

  // ---- files
  std::string csv = "method,init,seed,learning_rate,train_mse,test_mse,seconds,time_to_target,kkt_stationarity,status,start_explodes\n";
  std::string curves = "method,init,seed,seconds,train_mse,test_mse\n";
  nlohmann::json jruns = nlohmann::json::array();
  auto jnum = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  for (const auto& r : runs) {
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", r.method, r.init, r.seed, num(r.learning_rate), num(r.train_mse),
                       num(r.test_mse), num(r.seconds), num(r.time_to_target), num(r.kkt), r.status, r.start.explodes);
    curves += curve_lines(r);
    jruns.push_back({{"method", r.method}, {"init", r.init}, {"seed", r.seed}, {"learning_rate", jnum(r.learning_rate)},
                     {"train_mse", jnum(r.train_mse)}, {"test_mse", jnum(r.test_mse)}, {"seconds", jnum(r.seconds)},
                     {"time_to_target", jnum(r.time_to_target)}, {"kkt_stationarity", jnum(r.kkt)},
                     {"status", r.status}, {"diverged_at_seconds", jnum(r.diverged_at)},
                     {"start_explodes", r.start.explodes},
                     {"start", {{"spectral_radius", jnum(r.start.spectral_radius)},
                                {"max_abs_state", jnum(r.start.max_abs_state)},
                                {"train_mse", jnum(r.start.train_mse)}}}});
    nlohmann::json jc = {{"seconds", nlohmann::json::array()}, {"train_mse", nlohmann::json::array()},
                         {"test_mse", nlohmann::json::array()}, {"violation", nlohmann::json::array()}};
    for (const auto& p : r.curve) {
      jc["seconds"].push_back(jnum(p.seconds));
      jc["train_mse"].push_back(jnum(p.train_mse));
      jc["test_mse"].push_back(jnum(p.test_mse));
      jc["violation"].push_back(jnum(p.violation));
    }
    jruns.back()["curve"] = std::move(jc);
  }
  write_file_atomically(dir + "/results.csv", csv);
  write_file_atomically(dir + "/curves.csv", curves);

  // Markdown summary per method.
  std::string md = fmt::format(
      "# almkit compare\n\n"
      "Data: `{}` ({} train + {} test steps, d = {}, target {}), m = {}, inits {} (gaussian std {:g}), seeds {}, budget {}.\n\n"
      "ALM variants (alm-*) run with `almkit train` defaults: no per-data-set tuning. Gradient methods: learning rate "
      "chosen from {{{}}} by the training MSE of short runs ({:g} of the budget); the same initial weights and objective "
      "F(θ) for every method. Time to target: first recorded time with train MSE ≤ 1.1 × {:.6g} (the best train MSE any "
      "run reached). KKT: ‖∇F‖∞ at the final weights (stationarity of (P) with the BPTT adjoint multipliers). "
      "Medians and ranges are over the runs that did not diverge (forward-pass train MSE not finite or above {:g}, "
      "also at the initial weights); the diverged runs are counted in the runs column.\n\n"
      "| method | runs | learning rate | train MSE median [min, max] | test MSE median [min, max] | time to target s "
      "median (reached) | KKT ‖∇F‖∞ median | status |\n"
      "|---|---|---|---|---|---|---|---|\n",
      spec.path, data.train.T(), data.test.T(), data.train.d(), fmt::join(data.target_columns, ","), a.hidden, a.inits, a.init_std, a.seeds,
      budget_text, a.learning_rates, a.tune_fraction, best, a.grad.divergence_value);
  nlohmann::json jmethods = nlohmann::json::object();
  std::vector<std::string> plot_methods;
  std::vector<const RunRecord*> best_runs;
  for (const auto& m : methods) {
    std::vector<double> tr, te, tt, kk, lr;
    std::map<std::string, int> statuses;
    const RunRecord* best_run = nullptr;
    int n_runs = 0, n_diverged = 0;
    for (const auto& r : runs) {
      if (r.method != m) continue;
      ++n_runs;
      ++statuses[r.status];
      lr.push_back(r.learning_rate);
      tt.push_back(r.time_to_target);
      // Medians and ranges over the runs that did not diverge; the diverged ones are counted.
      if (r.status == "diverged") {
        ++n_diverged;
        continue;
      }
      tr.push_back(r.train_mse);
      te.push_back(r.test_mse);
      kk.push_back(r.kkt);
      if (std::isfinite(r.train_mse) && (best_run == nullptr || r.train_mse < best_run->train_mse)) best_run = &r;
    }
    auto range = [](const std::vector<double>& v) {
      double lo = kInf, hi = -kInf;
      for (double x : v)
        if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
      return std::isfinite(lo) ? fmt::format("[{:.4g}, {:.4g}]", lo, hi) : std::string("—");
    };
    const int reached = static_cast<int>(std::count_if(tt.begin(), tt.end(), [](double x) { return std::isfinite(x); }));
    std::string st;
    for (const auto& [s, c] : statuses) st += (st.empty() ? "" : ", ") + fmt::format("{} ×{}", s, c);
    std::string lrs;
    {
      std::vector<double> u;
      for (double x : lr)
        if (std::isfinite(x) && std::find(u.begin(), u.end(), x) == u.end()) u.push_back(x);
      for (double x : u) lrs += (lrs.empty() ? "" : ", ") + fmt::format("{:g}", x);
      if (lrs.empty()) lrs = "—";
    }
    const std::string runs_text = n_diverged > 0 ? fmt::format("{} ({} diverged)", n_runs, n_diverged) : fmt::format("{}", n_runs);
    md += fmt::format("| {} | {} | {} | {} {} | {} {} | {} ({}/{}) | {} | {} |\n", m, runs_text, lrs, short_num(median(tr)),
                      range(tr), short_num(median(te)), range(te), short_num(median(tt)), reached, tt.size(),
                      short_num(median(kk)), st);
    jmethods[m] = {{"train_mse_median", jnum(median(tr))}, {"test_mse_median", jnum(median(te))},
                   {"time_to_target_median", jnum(median(tt))}, {"reached_target", reached},
                   {"kkt_stationarity_median", jnum(median(kk))}, {"learning_rates", lrs},
                   {"runs", n_runs}, {"diverged", n_diverged}};
    if (best_run != nullptr) {
      plot_methods.push_back(m);
      best_runs.push_back(best_run);
    }
  }
  // Several initializations: the medians over seeds per method × init, so an
  // init that suits one method and not another is visible (docs/compare.md).
  if (inits.size() > 1) {
    md += "\nBy initialization: train MSE / test MSE, median over the seeds that did not diverge.\n\n| method |";
    for (const auto init : inits) md += fmt::format(" {} |", rnn::to_string(init));
    md += "\n|---|";
    for (size_t i = 0; i < inits.size(); ++i) md += "---|";
    md += "\n";
    for (const auto& m : methods) {
      md += fmt::format("| {} |", m);
      for (const auto init : inits) {
        std::vector<double> tr, te;
        int diverged = 0, exploding = 0;
        for (const auto& r : runs) {
          if (r.method != m || r.init != rnn::to_string(init)) continue;
          if (r.start.explodes) ++exploding;
          if (r.status == "diverged") ++diverged;
          else tr.push_back(r.train_mse), te.push_back(r.test_mse);
        }
        md += (tr.empty() ? std::string(" diverged")
                          : fmt::format(" {} / {}{}", short_num(median(tr)), short_num(median(te)),
                                        diverged > 0 ? fmt::format(" ({} diverged)", diverged) : "")) +
              (exploding > 0 ? fmt::format(" (start explodes ×{})", exploding) : "") + " |";
      }
      md += "\n";
    }
  }
  // Starts that explode at θ0 (docs/rnn.md §5): no method is to blame for those runs.
  std::string exploding_starts;
  for (const auto& r : runs)
    if (r.method == methods.front() && r.start.explodes)
      exploding_starts += fmt::format("{}{} seed {} (train MSE {})", exploding_starts.empty() ? "" : ", ", r.init, r.seed,
                                      short_num(r.start.train_mse));
  if (!exploding_starts.empty())
    md += fmt::format("\nStarts that explode at θ0 (forward-pass train MSE not finite or above {:g}; results.csv "
                      "start_explodes): {}.\n",
                      a.grad.divergence_value, exploding_starts);
  if (interrupted)
    md += fmt::format("\n**Interrupted** after {} of {} runs (signal {}); continue with `almkit compare --resume {}` "
                      "(docs/interruption.md).\n",
                      runs.size(), total, interrupt_signal(), dir);
  fmt::print("\n{}", md);
  md += "\nFiles: results.csv, curves.csv, results.json, predictions.csv (best non-diverged run of each method, original units)";
  md += a.no_plots ? ".\n" : ", mse_vs_time.png, predictions.png.\n";
  write_file_atomically(dir + "/results.md", md);

  nlohmann::json j;
  j["data"] = {{"path", spec.path}, {"target", data.target_columns}, {"inputs", data.input_columns},
               {"univariate", data.univariate}, {"scaling", a.data.scaling}, {"train_fraction", a.data.train_fraction},
               {"train_steps", data.train.T()}, {"test_steps", data.test.T()}};
  j["hidden"] = a.hidden;
  j["status"] = interrupted ? "interrupted" : "complete";
  j["runs_completed"] = runs.size();
  j["runs_total"] = total;
  j["options"] = options;
  j["budget"] = {{"seconds", a.budget_evals > 0 ? kNaN : a.budget_seconds}, {"evaluations", a.budget_evals},
                 {"alm_outer_iterations", a.alm_outer}};
  j["budget"]["seconds"] = a.budget_evals > 0 ? nlohmann::json(nullptr) : nlohmann::json(a.budget_seconds);
  j["learning_rate_grid"] = rates;
  j["tune_fraction"] = a.tune_fraction;
  j["sgd_windows"] = a.windows;
  j["target_train_mse"] = jnum(target);
  j["best_train_mse"] = jnum(best);
  j["methods"] = jmethods;
  j["runs"] = jruns;
  write_file_atomically(dir + "/results.json", j.dump(2) + "\n");

  // Test predictions (original units) of each method's best run. One truth
  // column and one column per method for every target (p > 1: suffixed _1.._p).
  std::vector<Matrix> preds;
  for (const auto* r : best_runs) preds.push_back(rnn::test_predictions(r->weights, data, false));
  const Matrix truth = data.scaling.targets.invert(data.test.Y);
  const int p = data.train.p();
  auto col = [p](const std::string& name, int k) { return p == 1 ? name : fmt::format("{}_{}", name, k + 1); };
  std::string pc = "t";
  for (int k = 0; k < p; ++k) pc += "," + col("truth", k);
  for (const auto& m : plot_methods)
    for (int k = 0; k < p; ++k) pc += "," + col(m, k);
  pc += "\n";
  for (int t = 0; t < data.test.T(); ++t) {
    pc += fmt::format("{}", data.test_rows[t]);
    for (int k = 0; k < p; ++k) pc += "," + num(truth(k, t));
    for (const auto& P : preds)
      for (int k = 0; k < p; ++k) pc += "," + num(P(k, t));
    pc += "\n";
  }
  write_file_atomically(dir + "/predictions.csv", pc);
  double y_max = 0.0;
  for (const auto& r : runs)
    // Only the plotted runs (first init, seed 0), and only a start below the
    // divergence threshold: one exploding init must not flatten every curve.
    if (r.init == rnn::to_string(inits[0]) && r.seed == 0 && !r.curve.empty() && !blown(r.curve.front().train_mse, a))
      y_max = std::max(y_max, 10 * r.curve.front().train_mse);
  if (!(y_max > 0)) y_max = 1e3;
  if (!a.no_plots && !plot_methods.empty())
    make_plots(dir, plot_methods, rnn::to_string(inits[0]), data.target_columns, y_max);
  fmt::print("\nwrote {}/{{results.csv, curves.csv, results.md, results.json, predictions.csv{}}} in {:.1f} s\n", dir,
             a.no_plots ? "" : ", plots.gp, mse_vs_time.png, predictions.png", elapsed());
  if (interrupted) throw Interrupted("compare interrupted");
}

}  // namespace

void register_compare(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CompareArgs& a = *args;
  auto* sub = app.add_subcommand(
      "compare",
      "Compare the ALM with gradient baselines on the same RNN problem, data, inits and budget (docs/compare.md)");
  const std::string g_data = "Data (as in train, docs/rnn.md §6)", g_run = "Comparison (docs/compare.md)";
  add_data_options(sub, a.data, g_data);
  sub->add_option("--hidden", a.hidden, "Hidden state size m")->capture_default_str()->group(g_run);
  sub->add_option("--methods", a.methods,
                  "Comma-separated: alm-bcd, alm-bcd+lbfgs, alm-bcd-reference, alm-lbfgs, alm-bcd-safeguarded, alm-lbfgs-safeguarded, gd, gd-clip, momentum, nesterov, sgd, adam, rmsprop, lbfgs")
      ->capture_default_str()->group(g_run);
  sub->add_option("--inits", a.inits, "Comma-separated initializations: gaussian, he, glorot, lecun, pytorch, irnn (docs/rnn.md §5)")->capture_default_str()->group(g_run);
  sub->add_option("--init-std", a.init_std, "Standard deviation of the gaussian initialization")->capture_default_str()->group(g_run);
  sub->add_option("--irnn-scale", a.irnn_scale, "s of the irnn initialization: W = s I")->capture_default_str()->group(g_run);
  sub->add_option("--seeds", a.seeds, "Seeds 0..K-1 of every initialization")->capture_default_str()->group(g_run);
  auto* bs = sub->add_option("--budget-seconds", a.budget_seconds, "Wall-clock budget per run")->capture_default_str()->group(g_run);
  auto* be = sub->add_option("--budget-evals", a.budget_evals,
                             "Gradient-evaluation budget per gradient run instead of seconds (ALM: --alm-outer outer iterations)")
                 ->group(g_run);
  bs->excludes(be);
  sub->add_option("--learning-rates", a.learning_rates, "Learning-rate grid of the fair tuning")->capture_default_str()->group(g_run);
  sub->add_option("--tune-fraction", a.tune_fraction, "Budget fraction of each tuning run")->capture_default_str()->group(g_run);
  sub->add_option("--windows", a.windows, "SGD: contiguous time windows per epoch (truncated BPTT)")->capture_default_str()->group(g_run);
  sub->add_option("--hybrid-fraction", a.hybrid_fraction,
                  "alm-bcd+lbfgs: share of the budget for the ALM-BCD phase; L-BFGS on F gets the rest")
      ->capture_default_str()
      ->group(g_run);
  sub->add_option("--alm-outer", a.alm_outer,
                  "ALM outer-iteration cap; 0: none with --budget-seconds (the ALM runs until it converges or the budget ends), "
                  "train's 20 with --budget-evals")->capture_default_str()->group(g_run);
  sub->add_option("--out", a.out, "Output folder")->capture_default_str()->group(g_run);
  sub->add_flag("--print-options", a.print_options, "Print every option with the value used, as JSON")->group(g_run);
  sub->add_flag("--no-plots", a.no_plots, "Do not write plots.gp or run gnuplot")->group(g_run);
  sub->add_flag("--quiet", a.quiet, "No progress lines")->group(g_run);
  add_options(sub, "grad", a.grad, "Gradient methods' fixed hyper-parameters (docs/compare.md)",
              {"learning_rate", "max_seconds", "max_evaluations"});
  sub->add_option("--resume", a.resume, "Continue the interrupted comparison in this output folder (docs/interruption.md)")
      ->group(g_run);
  sub->add_option("--min-train-steps", a.min_train_steps, "Refuse to compare on fewer training steps (exit 2)")
      ->capture_default_str()->group(g_data);
  sub->add_flag("--rerun-with-checkpoint-arguments", a.rerun_marker, "(internal: a bare --resume runs again with the checkpoint's flags)")
      ->group("");
  sub->callback([sub, args] { run_compare(sub, *args); });
}

}  // namespace almkit::cli
