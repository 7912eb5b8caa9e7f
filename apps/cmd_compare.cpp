// almkit compare: ALM variants against gradient baselines on the same reduced
// RNN problem, data, initializations and budget (docs/compare.md). Writes
// results.csv, curves.csv, results.md, results.json, predictions.csv, one
// runs/<method>-<init>-seed<k>/model.json per run and plots (gnuplot) to
// --out. Methods are ranked by the objective F they all minimize. The runs,
// the tuning, the time to target, the medians and the ranking are the library
// harness study/rnn_compare.h; this file parses the flags and writes the files.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "almkit/core/alm_json.h"
#include "almkit/core/io.h"
#include "almkit/core/json_util.h"
#include "almkit/core/run_control.h"
#include "almkit/problems/rnn/rnn_data_checks.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_compare.h"
#include "almkit/study/rnn_trainer.h"
#include "commands.h"
#include "data_options.h"
#include "gnuplot_plots.h"
#include "option_binding.h"
#include "run_resume.h"

namespace almkit::cli {

namespace {

using compare::RunRecord;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The flags: the harness settings (study/rnn_compare.h) plus what only the
// command line has (data, lists, output).
struct CompareArgs : compare::CompareSettings {
  DataArgs data;  // --data, --target, … (apps/data_options.h)
  std::string methods = "alm-bcd,alm-lbfgs,gd,sgd,adam,lbfgs";
  std::string inits = "gaussian";
  int seeds = 1;
  std::string learning_rates = "1e-4,1e-3,1e-2,1e-1,1";
  std::string out = "out/compare";
  bool print_options = false;
  bool no_plots = false;
  bool quiet = false;
  bool test_restart = false;  // --test-restart: test_continues_from_train = false
  // Run control (docs/interruption.md): not part of the result.
  std::string resume;
  int min_train_steps = rnn::kDefaultMinTrainSteps;
  bool rerun_marker = false;  // --rerun-with-checkpoint-arguments
};

// The parsed lists of a comparison.
struct CompareLists {
  std::vector<std::string> methods;
  std::vector<rnn::InitScheme> inits;
  std::vector<double> rates;
};

std::string csv_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : ""; }  // shortest round-trip
std::string short_num(double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : "—"; }
// F and its ratios with 6 digits: runs at the same KKT point agree to many
// digits, and the ranking is decided in the digits 4 would round away.
std::string f_num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : "—"; }

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
      "plot for [m in methods] 'curves.csv' skip 1 using ((strcol(1) eq m && strcol(2) eq '{1}' && $3 == 0) ? $4 : NaN):6 "
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
                  {"curve_resolution", a.curve_resolution}, {"target_factor", a.target_factor},
                  {"alm_outer", a.alm_outer},   {"test_continues_from_train", a.test_continues_from_train},
                  {"out", a.out}};
  nlohmann::json g = options_to_json(a.grad);
  for (const char* set_per_run : {"learning_rate", "max_seconds", "max_evaluations"}) g.erase(set_per_run);
  j["gradient_methods"] = g;
  nlohmann::json alm = nlohmann::json::object();
  for (const auto& m : methods)
    if (compare::is_alm(m)) alm[m] = compare::alm_options(m, a, rnn::InitScheme::kGaussian, 0).to_json();
  j["alm"] = alm;
  return j;
}

// Flags → lists, with one-line usage errors (exit code 2).
CompareLists parse_lists(CompareArgs& a) {
  CompareLists l;
  l.methods = split_comma_list(a.methods);
  if (l.methods.empty()) throw UsageError("--methods: empty list");
  for (const auto& m : l.methods) {
    if (!compare::is_method(m))
      throw UsageError(fmt::format("--methods: unknown method '{}' ({})", m, fmt::join(compare::method_names(), ", ")));
    // Its budget would be counted in outer iterations, each of which holds
    // many gradient evaluations: not the others' unit.
    if (m == "time-parallel" && a.budget_evals > 0)
      throw UsageError("--methods time-parallel: --budget-evals is not supported for it (one outer iteration of its "
                       "driver holds many gradient evaluations); give --budget-seconds");
  }
  for (const auto& name : split_comma_list(a.inits)) {
    rnn::InitScheme s;
    if (!rnn::parse(name, &s)) throw UsageError(fmt::format("--inits: unknown initialization '{}' ({})", name, rnn::init_scheme_names()));
    l.inits.push_back(s);
  }
  if (l.inits.empty()) throw UsageError("--inits: empty list");
  for (const auto& t : split_comma_list(a.learning_rates)) {
    try {
      size_t used = 0;
      l.rates.push_back(std::stod(t, &used));
      if (used != t.size() || !(l.rates.back() > 0)) throw std::invalid_argument(t);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--learning-rates: bad value '{}'", t));
    }
  }
  if (l.rates.empty()) throw UsageError("--learning-rates: empty list");
  return l;
}

void validate_settings(CompareArgs& a) {
  if (a.seeds < 1) throw UsageError("--seeds must be >= 1");
  if (!(a.budget_seconds > 0)) throw UsageError("--budget-seconds must be > 0");
  if (a.budget_evals < 0) throw UsageError("--budget-evals must be >= 0");
  if (!(a.tune_fraction > 0 && a.tune_fraction <= 1)) throw UsageError("--tune-fraction must be in (0, 1]");
  if (!(a.hybrid_fraction > 0 && a.hybrid_fraction < 1)) throw UsageError("--hybrid-fraction must be in (0, 1)");
  if (a.windows < 1) throw UsageError("--windows must be >= 1");
  if (!(a.curve_resolution >= 0 && a.curve_resolution < 1)) throw UsageError("--curve-resolution must be in [0, 1)");
  if (!(a.target_factor >= 1) || !std::isfinite(a.target_factor))
    throw UsageError("--target-factor must be a finite number >= 1");
  if (a.hidden < 1) throw UsageError("--hidden must be >= 1");
  if (!(a.init_std > 0) || !std::isfinite(a.init_std)) throw UsageError("--init-std must be a finite number > 0");
  if (!std::isfinite(a.irnn_scale)) throw UsageError("--irnn-scale must be a finite number");
  if (a.alm_outer < 0) throw UsageError("--alm-outer must be >= 0 (0: until convergence or the budget)");
  try {
    a.grad.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{} (flags --grad.*)", e.what()));
  }
}

// ---- checkpoint.json of compare (docs/interruption.md): the completed runs
// (compare::run_record_to_json), so a resumed comparison skips them and ends
// with the tables an uninterrupted one writes.
constexpr const char* kCompareCheckpointFormat = "almkit-compare-checkpoint";

std::string curve_lines(const RunRecord& r, double resolution) {
  std::string out;
  for (const auto& p : compare::thinned_curve(r.curve, resolution))
    out += fmt::format("{},{},{},{},{},{},{}\n", r.method, r.init, r.seed, csv_number(p.seconds), csv_number(p.objective),
                       csv_number(p.train_mse), csv_number(p.test_mse));
  return out;
}

constexpr const char* kCurvesHeader = "method,init,seed,seconds,objective,train_mse,test_mse\n";

// Flags that do not change the result: a bare `--resume DIR` may come with these.
const std::vector<std::string> kCompareRunFlags = {"--resume", "--out", "--quiet", "--no-plots", "--print-options"};

// Progress on disk and --resume state of run_all.
struct CompareControl {
  const nlohmann::json* options = nullptr;
  std::vector<std::string> arguments;
  bool interrupted = false;
};

// Every method × init × seed, with a progress line per run. `runs` holds the
// runs restored by --resume (skipped); curves.csv grows by each completed
// run's lines and checkpoint.json is replaced after every run.
std::vector<RunRecord> run_all(const CompareArgs& a, const CompareLists& l, const rnn::RnnDataset& data,
                               const std::function<double()>& elapsed, std::vector<RunRecord> runs,
                               CompareControl& ctl) {
  const size_t total = l.methods.size() * l.inits.size() * static_cast<size_t>(a.seeds);
  const std::string& dir = a.out;
  LineAppender curves_out;
  {
    std::string initial = std::string(kCurvesHeader);
    for (const auto& r : runs) initial += curve_lines(r, a.curve_resolution);
    curves_out.open(dir + "/curves.csv", initial);
  }
  auto save_checkpoint = [&](const std::string& status) {
    nlohmann::json c = {{"format", kCompareCheckpointFormat}, {"version", 1}, {"status", status},
                        {"completed", runs.size()}, {"total", total}, {"options", *ctl.options},
                        {"arguments", ctl.arguments}};
    c["runs"] = nlohmann::json::array();
    for (const auto& r : runs) c["runs"].push_back(compare::run_record_to_json(r));
    write_file_atomically(dir + "/checkpoint.json", c.dump() + "\n");
  };
  install_interrupt_handlers();
  const size_t done_before = runs.size();
  size_t k = 0;
  for (const auto& m : l.methods)
    for (const auto init : l.inits)
      for (int seed = 0; seed < a.seeds; ++seed) {
        ++k;
        if (k <= done_before || ctl.interrupted) continue;
        if (!a.quiet) {
          fmt::print("[{}/{}] {:<20} init {:<8} seed {:<3} elapsed {:7.1f} s ...", k, total, m, rnn::to_string(init), seed,
                     elapsed());
          std::fflush(stdout);
        }
        RunRecord r;
        try {
          r = compare::run_method(m, data, a, init, seed, l.rates);
        } catch (const RunInterrupted&) {
        }
        if (interrupt_requested()) {  // this run is incomplete: dropped, run again by --resume
          ctl.interrupted = true;
          if (!a.quiet) fmt::print(" interrupted\n");
          continue;
        }
        if (!a.quiet) {
          fmt::print(" F {}  train {}  test {}  {}{}{}\n", f_num(r.objective), short_num(r.train_mse),
                     short_num(r.test_mse), r.status,
                     std::isfinite(r.learning_rate) ? fmt::format("  (lr {:g})", r.learning_rate) : "",
                     r.start.explodes ? "  (start explodes)" : "");
          std::fflush(stdout);
        }
        runs.push_back(std::move(r));
        curves_out.append(curve_lines(runs.back(), a.curve_resolution));
        save_checkpoint("running");
      }
  curves_out.close();
  save_checkpoint(ctl.interrupted ? "interrupted" : "complete");
  return runs;
}

// A run's model.json path relative to --out, or null when the run has no weights.
nlohmann::json model_path_json(const RunRecord& r) {
  return r.weights.W.size() > 0 ? nlohmann::json(compare::run_model_path(r)) : nlohmann::json(nullptr);
}

nlohmann::json run_json(const RunRecord& r, double resolution) {
  nlohmann::json j = {{"method", r.method}, {"init", r.init}, {"seed", r.seed}, {"learning_rate", json_number(r.learning_rate)},
                      {"objective", json_number(r.objective)}, {"model", model_path_json(r)},
                      {"train_mse", json_number(r.train_mse)}, {"test_mse", json_number(r.test_mse)}, {"seconds", json_number(r.seconds)},
                      {"time_to_target", json_number(r.time_to_target)}, {"kkt_stationarity", json_number(r.kkt)}, {"kkt_clarke", json_number(r.kkt_clarke)},
                      {"status", r.status}, {"diverged_at_seconds", json_number(r.diverged_at)},
                      {"start_explodes", r.start.explodes},
                      {"start", {{"spectral_radius", json_number(r.start.spectral_radius)},
                                 {"max_abs_state", json_number(r.start.max_abs_state)},
                                 {"train_mse", json_number(r.start.train_mse)}}}};
  nlohmann::json jc = {{"seconds", nlohmann::json::array()}, {"objective", nlohmann::json::array()},
                       {"train_mse", nlohmann::json::array()},
                       {"test_mse", nlohmann::json::array()}, {"violation", nlohmann::json::array()}};
  for (const auto& p : compare::thinned_curve(r.curve, resolution)) {
    jc["seconds"].push_back(json_number(p.seconds));
    jc["objective"].push_back(json_number(p.objective));
    jc["train_mse"].push_back(json_number(p.train_mse));
    jc["test_mse"].push_back(json_number(p.test_mse));
    jc["violation"].push_back(json_number(p.violation));
  }
  j["curve"] = std::move(jc);
  return j;
}

// results.csv and curves.csv.
void write_tables(const std::string& dir, const std::vector<RunRecord>& runs, double resolution) {
  std::string csv =
      "method,init,seed,learning_rate,objective,train_mse,test_mse,seconds,time_to_target,kkt_stationarity,kkt_clarke,status,"
      "start_explodes\n";
  std::string curves = kCurvesHeader;
  for (const auto& r : runs) {
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.method, r.init, r.seed, csv_number(r.learning_rate),
                       csv_number(r.objective), csv_number(r.train_mse), csv_number(r.test_mse), csv_number(r.seconds), csv_number(r.time_to_target),
                       csv_number(r.kkt), csv_number(r.kkt_clarke), r.status, r.start.explodes);
    curves += curve_lines(r, resolution);
  }
  write_file_atomically(dir + "/results.csv", csv);
  write_file_atomically(dir + "/curves.csv", curves);
}

std::string range_text(const std::vector<double>& v, int digits = 4) {
  double lo = kInf, hi = -kInf;
  for (double x : v)
    if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  return std::isfinite(lo) ? fmt::format("[{:.{}g}, {:.{}g}]", lo, digits, hi, digits) : std::string("—");
}

std::string markdown_intro(const CompareArgs& a, const rnn::DataSpec& spec, const rnn::RnnDataset& data,
                           const std::string& budget_text, double best) {
  // Ranking by F (docs/compare.md "Ranking by F"): every method minimizes it,
  // so a lower train MSE bought with larger weights does not rank higher.
  return fmt::format(
      "# almkit compare\n\n"
      "Data: `{}` ({} train + {} test steps, d = {}, target {}), m = {}, inits {} (gaussian std {:g}), seeds {}, budget {}.\n\n"
      "ALM variants (alm-*: the rollout policy and the generic driver) and time-parallel (train's default policy) run with `almkit train` defaults (alm-bcd-plain: `--preset plain`): no per-data-set tuning. Gradient methods: learning rate "
      "chosen from {{{}}} by the final F of short runs ({:g} of the budget); the same initial weights and objective "
      "F(θ) for every method. Ranking by F, the objective of (P) every method minimizes (loss + regularization, "
      "docs/compare.md): F median, its ratio to the best gradient method's F median, best run = lowest F; train and "
      "test MSE are reported beside it. Time to target: first recorded time with F ≤ {:g} × {:.6g} (the best F any "
      "run reached). KKT: ‖∇F‖∞ at the final weights (stationarity of (P) with the BPTT adjoint multipliers, σ′(0) = 0); Clarke KKT: the "
      "same with the best relu derivative in [0, 1] at the kinks |u| ≤ 1e-8 (docs/rnn_bcd.md §8), the KKT measure for points on kinks. "
      "Medians and ranges are over the runs that did not diverge (forward-pass train MSE not finite or above {:g}, "
      "also at the initial weights); the diverged runs are counted in the runs column. Test MSE (every method): {}.\n\n"
      "| method | runs | learning rate | F median [min, max] | F / best gradient | train MSE median [min, max] | "
      "test MSE median [min, max] | time to target s median (reached) | KKT ‖∇F‖∞ median | Clarke KKT median | status |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n",
      spec.path, data.train.T(), data.test.T(), data.train.d(), fmt::join(data.target_columns, ","), a.hidden, a.inits, a.init_std, a.seeds,
      budget_text, a.learning_rates, a.tune_fraction, a.target_factor, best, a.grad.divergence_value,
      a.test_continues_from_train
          ? "a forward pass over the test steps continued from the training range's final state (docs/rnn.md §9)"
          : "a forward pass over the test steps restarted from h_0 = 0 (--test-restart; docs/rnn.md §9)");
}

std::string method_row(const compare::MethodSummary& m) {
  std::string st;
  for (const auto& [s, c] : m.statuses) st += (st.empty() ? "" : ", ") + fmt::format("{} ×{}", s, c);
  const std::string runs_text = m.diverged > 0 ? fmt::format("{} ({} diverged)", m.runs, m.diverged) : fmt::format("{}", m.runs);
  return fmt::format("| {} | {} | {} | {} {} | {} | {} {} | {} {} | {} ({}/{}) | {} | {} | {} |\n", m.method, runs_text,
                     m.learning_rates, f_num(m.objective_median()), range_text(m.objective, 6), f_num(m.ratio_to_best_gradient),
                     short_num(m.train_mse_median()), range_text(m.train_mse), short_num(m.test_mse_median()),
                     range_text(m.test_mse), short_num(m.time_to_target_median()), m.reached, m.time_to_target.size(),
                     short_num(m.kkt_median()), short_num(m.kkt_clarke_median()), st);
}

std::string ranking_text(const compare::Ranking& k) {
  if (k.best_method.empty()) return "\nNo run with a finite F.\n";
  return fmt::format("\nLowest F median: {}.{}\n", k.best_method,
                     k.best_gradient.empty() ? std::string()
                                             : fmt::format(" Best gradient method (the ratios' reference): {}, F median {}.",
                                                           k.best_gradient, f_num(k.best_gradient_objective)));
}

nlohmann::json method_json(const compare::MethodSummary& m) {
  return {{"objective_median", json_number(m.objective_median())},
          {"objective_ratio_to_best_gradient", json_number(m.ratio_to_best_gradient)},
          {"train_mse_median", json_number(m.train_mse_median())}, {"test_mse_median", json_number(m.test_mse_median())},
          {"time_to_target_median", json_number(m.time_to_target_median())}, {"reached_target", m.reached},
          {"kkt_stationarity_median", json_number(m.kkt_median())},
          {"kkt_clarke_median", json_number(m.kkt_clarke_median())}, {"learning_rates", m.learning_rates},
          {"runs", m.runs}, {"diverged", m.diverged}};
}

// Several initializations: the medians over seeds per method × init, so an
// init that suits one method and not another is visible (docs/compare.md).
std::string by_init_table(const std::vector<RunRecord>& runs, const CompareLists& l) {
  std::string md = "\nBy initialization: F / train MSE / test MSE, median over the seeds that did not diverge.\n\n| method |";
  for (const auto init : l.inits) md += fmt::format(" {} |", rnn::to_string(init));
  md += "\n|---|";
  for (size_t i = 0; i < l.inits.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& m : l.methods) {
    md += fmt::format("| {} |", m);
    for (const auto init : l.inits) {
      std::vector<double> f, tr, te;
      int diverged = 0, exploding = 0;
      for (const auto& r : runs) {
        if (r.method != m || r.init != rnn::to_string(init)) continue;
        if (r.start.explodes) ++exploding;
        if (r.status == "diverged") ++diverged;
        else f.push_back(r.objective), tr.push_back(r.train_mse), te.push_back(r.test_mse);
      }
      md += (tr.empty() ? std::string(" diverged")
                        : fmt::format(" {} / {} / {}{}", f_num(compare::median(f)), short_num(compare::median(tr)),
                                      short_num(compare::median(te)),
                                      diverged > 0 ? fmt::format(" ({} diverged)", diverged) : "")) +
            (exploding > 0 ? fmt::format(" (start explodes ×{})", exploding) : "") + " |";
    }
    md += "\n";
  }
  return md;
}

// Starts that explode at θ0 (docs/rnn.md §5): no method is to blame for those runs.
std::string exploding_starts_text(const std::vector<RunRecord>& runs, const CompareLists& l, double divergence_value) {
  std::string starts;
  for (const auto& r : runs)
    if (r.method == l.methods.front() && r.start.explodes)
      starts += fmt::format("{}{} seed {} (train MSE {})", starts.empty() ? "" : ", ", r.init, r.seed,
                            short_num(r.start.train_mse));
  if (starts.empty()) return {};
  return fmt::format("\nStarts that explode at θ0 (forward-pass train MSE not finite or above {:g}; results.csv "
                     "start_explodes): {}.\n",
                     divergence_value, starts);
}

// Test predictions (original units) of each method's best run. One truth
// column and one column per method for every target (p > 1: suffixed _1.._p).
void write_predictions(const std::string& dir, const rnn::RnnDataset& data,
                       const std::vector<compare::MethodSummary>& plotted, bool test_continues_from_train) {
  std::vector<std::string> names{"truth"};
  std::vector<Matrix> columns{data.scaling.targets.invert(data.test.Y)};
  for (const auto& m : plotted) {
    names.push_back(m.method);
    columns.push_back(rnn::test_predictions(m.best_run->weights, data, test_continues_from_train));
  }
  write_file_atomically(dir + "/predictions.csv",
                        rnn::columns_csv(data.test_rows, names, columns, rnn::CsvNumbers::kShortest));
}

void write_results_json(const std::string& dir, const CompareArgs& a, const rnn::DataSpec& spec,
                        const rnn::RnnDataset& data, const nlohmann::json& options, const std::vector<double>& rates,
                        const compare::Target& target, const compare::Ranking& ranking,
                        const nlohmann::json& jmethods, const std::vector<RunRecord>& runs) {
  nlohmann::json j;
  j["data"] = {{"path", spec.path}, {"target", data.target_columns}, {"inputs", data.input_columns},
               {"univariate", data.univariate}, {"scaling", a.data.scaling}, {"train_fraction", a.data.train_fraction},
               {"train_steps", data.train.T()}, {"test_steps", data.test.T()}};
  j["hidden"] = a.hidden;
  j["status"] = interrupt_requested() ? "interrupted" : "complete";
  j["runs_completed"] = runs.size();
  j["runs_total"] = a.seeds * static_cast<int>(options["compare"]["methods"].size() * options["compare"]["inits"].size());
  j["options"] = options;
  j["budget"] = {{"seconds", a.budget_evals > 0 ? kNaN : a.budget_seconds}, {"evaluations", a.budget_evals},
                 {"alm_outer_iterations", a.alm_outer}};
  j["budget"]["seconds"] = a.budget_evals > 0 ? nlohmann::json(nullptr) : nlohmann::json(a.budget_seconds);
  j["learning_rate_grid"] = rates;
  j["tune_fraction"] = a.tune_fraction;
  j["sgd_windows"] = a.windows;
  j["target_factor"] = a.target_factor;
  j["test_mse_mode"] = a.test_continues_from_train ? "continued" : "restart_h0";
  j["target_objective"] = json_number(target.target);
  j["best_objective"] = json_number(target.best);
  j["ranking"] = {{"by", "objective"}, {"best_method", ranking.best_method},
                  {"best_gradient_method", ranking.best_gradient},
                  {"best_gradient_objective_median", json_number(ranking.best_gradient_objective)}};
  j["methods"] = jmethods;
  nlohmann::json jruns = nlohmann::json::array();
  for (const auto& r : runs) jruns.push_back(run_json(r, a.curve_resolution));
  j["runs"] = jruns;
  write_file_atomically(dir + "/results.json", j.dump(2) + "\n");
}

// runs/<method>-<init>-seed<k>/model.json: each run's final weights in the
// format of `almkit train` (compare::run_model), for `almkit predict`.
void write_run_models(const std::string& dir, const std::vector<RunRecord>& runs, const rnn::RnnDataset& data,
                      const nlohmann::json& options, bool test_continues_from_train) {
  for (const auto& r : runs) {
    if (r.weights.W.size() == 0) continue;
    const std::string path = dir + "/" + compare::run_model_path(r);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    const nlohmann::json method_options = compare::is_alm(r.method) ? options["alm"].value(r.method, nlohmann::json())
                                                                    : options["gradient_methods"];
    const nlohmann::json model_options = {
        {"command", "compare"},
        {"run", {{"method", r.method}, {"init", r.init}, {"seed", r.seed}, {"learning_rate", json_number(r.learning_rate)},
                 {"status", r.status}}},
        {"compare", options["compare"]},
        {"method_options", method_options}};
    rnn::save_model(compare::run_model(r, data, model_options, test_continues_from_train), path);
  }
}

// The plots of the first init and seed 0; the y range stops at 10 × the
// largest plotted initial MSE below the divergence threshold, so one
// exploding init does not flatten every curve.
void write_plots(const CompareArgs& a, const CompareLists& l, const std::vector<RunRecord>& runs,
                 const std::vector<compare::MethodSummary>& plotted, const rnn::RnnDataset& data) {
  if (a.no_plots || plotted.empty()) return;
  double y_max = 0.0;
  for (const auto& r : runs)
    if (r.init == rnn::to_string(l.inits[0]) && r.seed == 0 && !r.curve.empty() &&
        !compare::blown(r.curve.front().train_mse, a.grad.divergence_value))
      y_max = std::max(y_max, 10 * r.curve.front().train_mse);
  if (!(y_max > 0)) y_max = 1e3;
  std::vector<std::string> methods;
  for (const auto& m : plotted) methods.push_back(m.method);
  make_plots(a.out, methods, rnn::to_string(l.inits[0]), data.target_columns, y_max);
}

// The completed runs of the checkpoint, after checking that the options are the same.
std::vector<RunRecord> restored_runs(const CompareArgs& a, const nlohmann::json& checkpoint,
                                     const nlohmann::json& options, const rnn::RnnDataset& data) {
  std::vector<RunRecord> runs;
  if (a.resume.empty()) return runs;
  nlohmann::json saved = checkpoint.value("options", nlohmann::json()), now = options;
  // target_factor changes no run (the target is recomputed over all of them).
  for (const char* key : {"out", "target_factor"}) {
    if (saved.contains("compare")) saved["compare"].erase(key);
    now["compare"].erase(key);
  }
  // A checkpoint written before the test MSE mode was a setting measured every
  // test MSE from h_0 = 0: it resumes with --test-restart only (as other settings).
  if (saved.contains("compare") && saved["compare"].is_object() && !saved["compare"].contains("test_continues_from_train"))
    saved["compare"]["test_continues_from_train"] = false;
  require_same_options(a.resume, saved, now, {"run"});
  try {
    for (const auto& r : checkpoint.at("runs")) runs.push_back(compare::run_record_from_json(r, a.hidden, data.train.d(), data.train.p()));
    // A checkpoint written before the F column: F at the stored final weights,
    // as run_method computes it (same weights, same bits); the curves keep NaN.
    for (auto& r : runs)
      if (std::isnan(r.objective)) r.objective = compare::objective_value(r.weights, data.train, compare::regularization());
  } catch (const std::exception& e) {
    throw UsageError(fmt::format("--resume {}: bad checkpoint ({})", a.resume, e.what()));
  }
  fmt::print("resuming {}: {} runs done\n", a.resume, runs.size());
  return runs;
}

void run_compare(const CLI::App* sub, CompareArgs& a) {
  nlohmann::json checkpoint;
  if (parse_only() == ParseOnly::kOff &&
      handle_resume(sub, a.resume, a.out, kCompareCheckpointFormat, kCompareRunFlags, "compare", register_compare, &checkpoint)) return;
  CompareControl ctl;
  ctl.arguments = given_arguments(sub, {"--resume", "--out", "--print-options", "--rerun-with-checkpoint-arguments"});
  const CompareLists l = parse_lists(a);
  validate_settings(a);
  a.test_continues_from_train = !a.test_restart;  // one test MSE mode for every method (docs/compare.md)
  rnn::DataSpec spec;
  const rnn::RnnDataset data = load_data(a.data, &spec);
  if (a.min_train_steps < 1) throw UsageError("--min-train-steps must be >= 1");
  try {
    for (const auto& w : rnn::check_training_data(data, a.hidden, a.min_train_steps)) fmt::print("warning: {}\n", w);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  nlohmann::json options = options_json(a, l.methods, l.rates);
  options["run"] = {{"min_train_steps", a.min_train_steps}, {"checkpoint", "after every completed run"}};
  if (a.print_options) fmt::print("{}\n", options.dump(2));
  if (parse_only() != ParseOnly::kOff) return;  // docs/cli.md "Checking a command line"
  std::vector<RunRecord> restored = restored_runs(a, checkpoint, options, data);
  ctl.options = &options;
  const FolderLock out_lock = lock_output_folder(a.out);  // held until the outputs are written

  const std::string budget_text = a.budget_evals > 0
                                      ? fmt::format("{} gradient evaluations per gradient run (ALM: {} outer iterations, no gradient evaluations)",
                                                    a.budget_evals, compare::alm_outer_cap(a))
                                      : fmt::format("{} s per run", a.budget_seconds);
  const size_t total = l.methods.size() * l.inits.size() * static_cast<size_t>(a.seeds);
  fmt::print("almkit compare: {} ({} train + {} test steps, d = {}, target {}), m = {}, budget {}, {} runs\n",
             spec.path, data.train.T(), data.test.T(), data.train.d(), fmt::join(data.target_columns, ","), a.hidden, budget_text,
             total);
  std::fflush(stdout);
  const auto t_start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };
  std::vector<RunRecord> runs = run_all(a, l, data, elapsed, std::move(restored), ctl);
  const compare::Target target = compare::set_time_to_target(runs, a.target_factor);

  const std::string& dir = a.out;
  write_tables(dir, runs, a.curve_resolution);
  std::string md = markdown_intro(a, spec, data, budget_text, target.best);
  nlohmann::json jmethods = nlohmann::json::object();
  std::vector<compare::MethodSummary> summaries, plotted;
  for (const auto& m : l.methods) summaries.push_back(compare::summarize(runs, m));
  const compare::Ranking ranking = compare::rank(summaries);
  for (const auto& sum : summaries) {
    md += method_row(sum);
    jmethods[sum.method] = method_json(sum);
    if (sum.best_run != nullptr) plotted.push_back(sum);
  }
  md += ranking_text(ranking);
  if (l.inits.size() > 1) md += by_init_table(runs, l);
  md += exploding_starts_text(runs, l, a.grad.divergence_value);
  if (ctl.interrupted)
    md += fmt::format("\n**Interrupted** after {} of {} runs (signal {}); continue with `almkit compare --resume {}` "
                      "(docs/interruption.md).\n",
                      runs.size(), total, interrupt_signal(), dir);
  fmt::print("\n{}", md);
  md += "\nFiles: results.csv, curves.csv, results.json, runs/<method>-<init>-seed<k>/model.json (final weights of every run), "
        "predictions.csv (lowest-F non-diverged run of each method, original units)";
  md += a.no_plots ? ".\n" : ", mse_vs_time.png, predictions.png.\n";
  write_file_atomically(dir + "/results.md", md);
  write_results_json(dir, a, spec, data, options, l.rates, target, ranking, jmethods, runs);
  write_run_models(dir, runs, data, options, a.test_continues_from_train);
  write_predictions(dir, data, plotted, a.test_continues_from_train);
  write_plots(a, l, runs, plotted, data);
  fmt::print("\nwrote {}/{{results.csv, curves.csv, results.md, results.json, predictions.csv, runs/*/model.json{}}} in {:.1f} s\n", dir,
             a.no_plots ? "" : ", plots.gp, mse_vs_time.png, predictions.png", elapsed());
  if (ctl.interrupted) throw Interrupted("compare interrupted");
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
  sub->add_option("--methods", a.methods, fmt::format("Comma-separated: {}", fmt::join(compare::method_names(), ", ")))
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
  sub->add_option("--target-factor", a.target_factor,
                  "Time to target: first recorded time with F <= factor x the lowest F of any run (>= 1; docs/compare.md)")
      ->capture_default_str()
      ->group(g_run);
  sub->add_option("--curve-resolution", a.curve_resolution,
                  "curves.csv keeps point i of a run when i is a multiple of the largest power of 10 <= max(1, R i), "
                  "and the last point (0: every point; docs/compare.md)")
      ->capture_default_str()
      ->group(g_run);
  sub->add_option("--alm-outer", a.alm_outer,
                  "ALM outer-iteration cap; 0: none with --budget-seconds (the ALM runs until it converges or the budget ends), "
                  "train's 20 with --budget-evals")->capture_default_str()->group(g_run);
  sub->add_flag("--test-restart", a.test_restart,
                "Every method's test MSE from h_0 = 0 instead of the default, a forward pass continued from the "
                "training range's final state (docs/compare.md)")->group(g_run);
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
  sub->add_flag("--rerun-with-checkpoint-arguments", a.rerun_marker,
                "(internal: a bare --resume runs again with the checkpoint's flags)")
      ->group("");
  sub->callback([sub, args] { run_compare(sub, *args); });
}

}  // namespace almkit::cli
