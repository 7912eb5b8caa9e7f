// almkit train: trains a ReLU RNN by the ALM on a CSV time series and writes
// summary.json, history.csv, model.json, predictions.csv and plots
// (docs/rnn.md §7–8). With no arguments: data/clean_SP500.csv, target
// RV_SP500, the other 11 columns as inputs, 90/10 split, m = 20.
// This file parses and serialises only: the flags become one rnn::TrainRequest,
// resolved and run by study/rnn_train_request.h (docs/rnn.md §7 "One training request").
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "almkit/core/alm_json.h"
#include "almkit/core/io.h"
#include "almkit/core/record.h"
#include "almkit/core/run_control.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_data_checks.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/solvers/baselines/gradient_methods.h"
#include "almkit/study/forecast_baselines.h"
#include "almkit/study/rnn_checkpoint.h"
#include "almkit/study/rnn_distributed.h"
#include "almkit/study/rnn_train_outcome.h"
#include "almkit/study/rnn_train_request.h"
#include "almkit/study/rnn_trainer.h"
#include "commands.h"
#include "data_options.h"
#include "gnuplot_plots.h"
#include "option_binding.h"
#include "run_resume.h"

namespace almkit::cli {

namespace {

using rnn::TrainOptions;

struct TrainArgs {
  DataArgs data;  // --data, --target, … (apps/data_options.h)
  std::string policy = "time-parallel";
  std::string inner = "bcd";
  std::string preset;
  std::string init = "gaussian";
  std::string init_from;
  // The start counts as exploding above this forward-pass train MSE: the
  // gradient baselines' divergence threshold (docs/rnn.md §5).
  double divergence_value = baselines::GradientOptions{}.divergence_value;
  int outer = rnn::TrainOptions::defaults().alm.max_outer_iterations;  // --help shows what runs
  std::string out = "out/train";
  // Run control (docs/interruption.md): not part of the result.
  std::string resume;
  int checkpoint_every = kDefaultCheckpointEvery;
  double checkpoint_seconds = kDefaultCheckpointSeconds;
  int min_train_steps = rnn::kDefaultMinTrainSteps;
  bool rerun_marker = false;  // --rerun-with-checkpoint-arguments
  bool print_options = false;
  bool quiet = false;
  // Progress rows on stdout (docs/rnn.md §8): at most one every progress_seconds; --verbose: every row.
  double progress_seconds = kDefaultProgressSeconds;
  bool verbose = false;
  bool no_plots = false;
  bool test_continue = false;
  bool test_restart = false;
  // Under mpirun (docs/parallel.md §3): how the training columns are divided among the ranks.
  std::string rank_split = "sequences";
  // The flags' values; rnn::resolve applies them over the preset's when given.
  TrainOptions opt = TrainOptions::defaults();
  std::string lambda;  // --lambda auto | X
  forecast::BaselineOptions baselines;
};

// Flags that do not change the result: a bare `--resume DIR` may come with these.
// --threads too: the result does not depend on it (docs/parallel.md §3).
const std::vector<std::string> kRunFlags = {"--resume", "--out", "--quiet", "--no-plots", "--print-options",
                                            "--checkpoint-every", "--checkpoint-seconds", "--threads",
                                            "--progress-seconds", "--verbose"};

// Weights from a model.json ("weights") or a reference trace ("initial_weights"),
// read by the library's one weights reader (rnn::weights_from_json).
rnn::RnnWeights read_weights(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}: not valid JSON ({})", path, e.what()));
  }
  const char* key = j.contains("initial_weights") ? "initial_weights" : j.contains("weights") ? "weights" : nullptr;
  if (key == nullptr) throw UsageError(fmt::format("{}: no 'weights' or 'initial_weights' object", path));
  try {
    return rnn::weights_from_json(j[key], key);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: bad weights ({})", path, e.what()));
  }
}

std::string fmt_gamma(double g) { return std::isfinite(g) ? fmt::format("{:9.3g}", g) : fmt::format("{:>9}", "-"); }

// The training curve and the test predictions (docs/rnn.md §8). With p > 1
// targets the prediction plot shows the first one (predictions.csv holds t,
// target_1..p, prediction_1..p: rnn_trainer.h).
void make_plots(const std::string& dir, const std::vector<std::string>& targets) {
  const std::string label = first_target_label(targets);
  const std::string body = fmt::format(
      "set datafile separator ','\n"
      "set datafile missing ''\n"
      "set grid\n"
      "set output 'mse_vs_time.png.tmp'\n"
      "set title 'ALM training: forward-pass MSE against wall time'\n"
      "set xlabel 'seconds'\n"
      "set ylabel 'MSE (scaled units)'\n"
      "set logscale y\n"
      "set key top right\n"
      "plot 'history.csv' skip 1 using 2:3 with linespoints pt 7 ps 0.6 title 'train MSE', \\\n"
      "     'history.csv' skip 1 using 2:4 with linespoints pt 5 ps 0.6 title 'test MSE'\n"
      "unset logscale y\n"
      "set output 'predictions.png.tmp'\n"
      "set title 'Test part: prediction vs truth ({0})'\n"
      "set xlabel 'row'\n"
      "set ylabel '{0}'\n"
      "set key top left\n"
      "plot 'predictions.csv' skip 1 using 1:2 with lines lw 2 title 'truth', \\\n"
      "     'predictions.csv' skip 1 using 1:{1} with linespoints pt 7 ps 0.5 title 'prediction'\n"
      "set output\n",
      label, 2 + static_cast<int>(targets.size()));
  write_and_run_plots(dir, "almkit train plots (docs/rnn.md §8): run `gnuplot plots.gp` in this folder.", body,
                      {"mse_vs_time.png", "predictions.png"});
}

// The TrainRequest name of a flag given on the command line (rnn_train_request.h):
// the TrainOptions field or "group.field"; --validation … are selection's fields.
std::string request_name(const std::string& flag) {
  std::string name = flag.substr(2);
  if (name == "outer") return "alm.max_outer_iterations";
  if (name == "test-continue" || name == "test-restart") return "test_continues_from_train";
  if (name.find('.') != std::string::npos) return name;
  for (char& ch : name)
    if (ch == '-') ch = '_';
  for (const char* s : {"validation", "validation_every", "patience", "lambda_grid", "lambda_folds", "lambda_span"})
    if (name == s) return "selection." + name;
  return name;
}

// The flags as one training request: the data, the preset, the values and which were given.
rnn::TrainRequest make_request(const CLI::App* sub, const TrainArgs& a) {
  rnn::TrainRequest r;
  r.data = load_data(a.data, &r.spec);
  r.min_train_steps = a.min_train_steps;
  r.preset = a.preset;
  r.options = a.opt;
  for (const CLI::Option* opt : sub->get_options())
    if (opt->count() > 0 && opt->get_name().rfind("--", 0) == 0) r.given.insert(request_name(opt->get_name()));
  if (sub->count("--outer") > 0) r.options.alm.max_outer_iterations = a.outer;
  // Test MSE mode (docs/rnn.md §9): continued by default, restarted by --preset reference.
  if (a.test_continue && a.test_restart)
    throw UsageError("--test-continue and --test-restart: give at most one (the test MSE mode)");
  if (a.test_continue || a.test_restart) r.options.test_continues_from_train = a.test_continue;
  if (sub->count("--policy") > 0) r.policy = a.policy;
  if (sub->count("--inner") > 0) r.inner = a.inner;
  if (sub->count("--init") > 0) r.init = a.init;
  if (sub->count("--lambda") > 0) r.lambda = a.lambda;
  if (!a.init_from.empty()) r.initial_weights = read_weights(a.init_from);
  r.init_from = a.init_from;
  r.divergence_value = a.divergence_value;
  r.baselines = a.baselines;
  return r;
}

// The request resolved (rnn::resolve): a bad option is exit 2 naming its flag;
// the data warnings printed when `speak`.
rnn::ResolvedTrainRequest resolve_request(const CLI::App* sub, const TrainArgs& a, bool speak) {
  rnn::ResolvedTrainRequest r;
  try {
    r = rnn::resolve(make_request(sub, a));
  } catch (const rnn::TrainRequestError& e) {
    if (e.option().empty()) throw UsageError(e.what());
    throw UsageError(fmt::format("--{}: {}", e.option(), e.detail()));
  }
  if (speak)
    for (const auto& w : r.warnings) fmt::print("warning: {}\n", w);
  return r;
}

// Every option used with the run options `run` ("run": they do not change
// the result; a --resume may change them); printed for --print-options.
nlohmann::json run_options(const TrainArgs& a, const rnn::ResolvedTrainRequest& r, nlohmann::json run, bool speak) {
  nlohmann::json options = r.options_json();
  run["min_train_steps"] = a.min_train_steps;
  run["threads"] = r.options.threads;
  options["run"] = std::move(run);
  if (a.print_options && speak) fmt::print("{}\n", options.dump(2));
  return options;
}

void print_start_warning(const rnn::InitDiagnostics& start) {
  if (start.explodes)
    fmt::print("warning: the start explodes at theta0: forward-pass train MSE {:.3e} (threshold {:g}), "
               "spectral radius of W {:.3g}, max |h_t| {:.3e} (docs/rnn.md §5)\n",
               start.train_mse, start.divergence_value, start.spectral_radius, start.max_abs_state);
}

// The progress rows on stdout (docs/rnn.md §8 "Progress on the terminal"):
// throttled by time, so what is printed never changes what is computed.
struct ProgressRows {
  double seconds;
  ProgressThrottle throttle;
  explicit ProgressRows(const TrainArgs& a)
      : seconds(a.verbose ? 0.0 : a.progress_seconds), throttle(seconds, [](const std::string& line) {
          fmt::print("{}", line);
          std::fflush(stdout);
        }) {}
};

// A failed run (rnn::training_failed; docs/interruption.md §4), after every
// output was written: exit code 3 with one line naming the likely cause.
void throw_if_failed(const TrainArgs& a, const rnn::TrainOutputs& out) {
  if (!out.failed) return;
  throw TrainingFailed(fmt::format("training failed: status {} ({}); likely cause: {}; the outputs are in {} "
                                   "(docs/interruption.md §4)",
                                   to_string(out.result.summary.status), out.result.summary.message,
                                   out.failure_cause, a.out));
}

// What train_logged needs for progress on disk and --resume (docs/interruption.md).
struct RunControl {
  const nlohmann::json* options = nullptr;
  std::vector<std::string> arguments;  // the flags a bare --resume reuses
  const rnn::TrainResume* resume = nullptr;
  bool has_checkpoint = false;         // set: a checkpoint was written
};

// The run's first lines and the progress table's header (docs/rnn.md §8).
void print_run_header(const rnn::ResolvedTrainRequest& r, const RunControl& ctl, double progress_seconds) {
  const TrainOptions& o = r.options;
  const rnn::RnnDataset& data = r.data;
  fmt::print("almkit train: {} ({} train + {} test steps, d = {}, target {}), m = {}, policy {}, inner {}\n",
             r.spec.path, ctl.options->at("data").at("train_steps").get<int>(), data.test.T(), data.train.d(),
             fmt::join(data.target_columns, ","), o.hidden, o.policy_name(),
             o.policy == rnn::TrainPolicy::kTimeParallel ? o.parallel.inner_solver : rnn::to_string(o.inner));
  if (progress_seconds > 0)
    fmt::print("progress: the first row, one every {:g} s and the last (--verbose: every row; history.csv has all)\n",
               progress_seconds);
  fmt::print("{:>5} {:>9} {:>12} {:>12} {:>11} {:>11} {:>9} {:>7} {:>10} {:>10}\n", "outer", "seconds", "train_mse",
             "test_mse", "|C1|_2", "|C2|_2", "gamma", "sweeps", "|gradF|", "gap");
}

// The training run with its per-iteration log line; history.csv grows line
// by line, checkpoint.json is replaced atomically on the schedule and at the end.
// `runner` trains with the hooks and assembles the outputs (default:
// rnn::run_training; under mpirun, rank 0's share of the distributed run).
using OutputsRunner = std::function<rnn::TrainOutputs(const rnn::TrainHooks&)>;
rnn::TrainOutputs train_logged(const TrainArgs& a, const rnn::ResolvedTrainRequest& r, RunControl& ctl,
                               const OutputsRunner& runner = {}) {
  const std::string& dir = a.out;
  const std::string history_header = rnn::history_csv({}), checkpoint_path = dir + "/checkpoint.json";
  LineAppender history;
  history.open(dir + "/history.csv", ctl.resume == nullptr ? history_header : rnn::history_csv(ctl.resume->history));
  CheckpointSchedule schedule(a.checkpoint_every, a.checkpoint_seconds);
  ProgressRows progress(a);
  auto write_checkpoint = [&](const rnn::TrainState& st, const std::string& status) {
    nlohmann::json c = rnn::train_checkpoint_to_json(st, *ctl.options, status, r.options.seed);
    c["arguments"] = ctl.arguments;
    write_file_atomically(checkpoint_path, c.dump() + "\n");
    ctl.has_checkpoint = true;
  };
  if (!a.quiet) print_run_header(r, ctl, progress.seconds);
  auto log = [&](const rnn::TrainHistoryRow& row) {
    if (!a.quiet)
      progress.throttle.line(fmt::format("{:5d} {:9.3f} {:12.6e} {:12.6e} {:11.3e} {:11.3e} {} {:7d} {:10.3e} {:10.3e}{}\n",
                                         row.iteration, row.seconds, row.train_mse, row.test_mse, row.violation_c1,
                                         row.violation_c2, fmt_gamma(row.gamma), row.sweeps, row.grad_inf,
                                         row.rollout_gap, row.accepted == 0 ? " rejected" : ""));
    history.append(rnn::history_csv({row}).substr(history_header.size()));
    return !interrupt_requested();
  };
  rnn::TrainHooks hooks;
  hooks.on_row = log;
  hooks.on_state = [&](const rnn::TrainState& st) {
    if (schedule.due(st.iteration)) write_checkpoint(st, "running");
  };
  hooks.resume = ctl.resume;
  install_interrupt_handlers();
  rnn::TrainOutputs out = runner ? runner(hooks) : rnn::run_training(r, hooks);
  progress.throttle.finish();
  history.close();
  if (const auto st = out.checkpoint_state()) write_checkpoint(*st, interrupt_requested() ? "interrupted" : "complete");
  return out;
}

// summary.json (docs/rnn.md §8).
nlohmann::json summary_json(const TrainOptions& o, const rnn::TrainResult& res, const rnn::InitDiagnostics& start,
                            const nlohmann::json& options) {
  nlohmann::json s = record_to_json(rnn::train_summary(o, res));  // the flat fields (core/record.h)
  s["kkt"] = kkt_to_json(res.kkt_alm);
  s["kkt"]["multipliers"] = "ALM (last iterate)";
  s["kkt_bptt"] = kkt_to_json(res.kkt_bptt);
  s["kkt_bptt"]["multipliers"] = "BPTT adjoints at the forward-pass point of the final weights";
  s["kkt_bptt_kinks"] = {{"kinks", res.kink_stationarity.kinks},
                         {"kink_tolerance", rnn::kKinkStationarityTolerance},
                         {"one_sided_stationarity", res.kink_stationarity.one_sided},
                         {"best_selection_stationarity", res.kink_stationarity.best}};
  s["start"] = {{"spectral_radius", start.spectral_radius},
                {"max_abs_state", start.max_abs_state},
                {"train_mse", start.train_mse},
                {"divergence_value", start.divergence_value},
                {"explodes", start.explodes}};
  s["options"] = options;
  rnn::add_selection_json(res, &s);
  return s;
}

// summary.json, history.csv, model.json, predictions.csv and the plots;
// `options`: every option used with the run options (model.json "options").
void write_outputs(const TrainArgs& a, const rnn::TrainOutputs& out, const nlohmann::json& summary,
                   const nlohmann::json& options) {
  const std::string& dir = a.out;
  write_file_atomically(dir + "/summary.json", summary.dump(2) + "\n");
  write_file_atomically(dir + "/history.csv", rnn::history_csv(out.result.history));
  rnn::RnnModel model = out.model;
  model.options = options;
  rnn::save_model(model, dir + "/model.json");
  const rnn::TrainPredictions& p = out.predictions;
  write_file_atomically(dir + "/predictions.csv", rnn::predictions_csv(p.rows, p.truth, p.predictions));
  if (!a.no_plots) make_plots(dir, model.target_columns);
}

void print_result(const TrainArgs& a, const TrainOptions& o, const rnn::TrainResult& res, const nlohmann::json& summary) {
  const std::string& dir = a.out;
  fmt::print("status: {} ({})\n", summary["status"].get<std::string>(), summary["message"].get<std::string>());
  fmt::print("train MSE {:.6e}   test MSE {:.6e} ({})   wall {:.3f} s   outer {}   sweeps {}\n",
             res.model_metrics().train_mse, res.model_metrics().test_mse,
             o.test_continues_from_train ? "continued from the training state" : "restarted from h_0 = 0",
             res.wall_seconds, res.summary.outer_iterations, res.total_sweeps);
  for (const std::string& line : rnn::selection_lines(res, summary)) fmt::print("{}\n", line);
  fmt::print("constraint violation |C1|_2 {:.3e}  |C2|_2 {:.3e}\n", res.history.back().violation_c1,
             res.history.back().violation_c2);
  fmt::print("KKT (ALM multipliers, last iterate):          stationarity {:.3e}  infeasibility {:.3e}\n",
             res.kkt_alm.stationarity, res.kkt_alm.infeasibility);
  fmt::print("KKT (BPTT multipliers, forward-pass point):   stationarity {:.3e}  infeasibility {:.3e}\n",
             res.kkt_bptt.stationarity, res.kkt_bptt.infeasibility);
  if (res.kink_stationarity.kinks > 0 && std::isnan(res.kink_stationarity.best))
    fmt::print("KKT at the {} kinks |u| <= 1e-8: the best relu derivative in [0,1] was not searched (distributed run)\n",
               res.kink_stationarity.kinks);
  else if (res.kink_stationarity.kinks > 0)
    fmt::print("KKT at the {} kinks |u| <= 1e-8 with the best relu derivative in [0,1]: stationarity {:.3e}\n",
               res.kink_stationarity.kinks, res.kink_stationarity.best);
  fmt::print("NNAMCQ: {}\n", res.certificate);
  fmt::print("wrote {}/{{summary.json, history.csv, model.json, predictions.csv{}}}\n", dir,
             a.no_plots ? "" : ", plots.gp, mse_vs_time.png, predictions.png");
}

// Under mpirun: the distributed trainer's rank layout and refusals (docs/parallel.md §3).
struct Ranks {
  Communicator* world = nullptr;  // nullptr: one process, rnn::train
  rnn::RankSplit split = rnn::RankSplit::kSequences;
  bool root() const { return world == nullptr || world->rank() == 0; }
  int size() const { return world == nullptr ? 1 : world->size(); }
};
Ranks distributed_ranks(const CLI::App* sub, const TrainArgs& a) {
  Ranks r;
  if (!rnn::parse(a.rank_split, &r.split))
    throw UsageError(fmt::format("--rank-split: unknown split '{}' (time | sequences)", a.rank_split));
  Communicator* world = mpi_world();
  if (world == nullptr || world->size() < 2) return r;
  r.world = world;
  if (!a.resume.empty())
    throw UsageError("--resume: a distributed run (mpirun) has no checkpoints to resume (docs/parallel.md §3)");
  if (sub->count("--checkpoint-every") > 0 || sub->count("--checkpoint-seconds") > 0)
    throw UsageError("--checkpoint-every/--checkpoint-seconds: a distributed run (mpirun) writes no checkpoints (docs/parallel.md §3)");
  return r;
}

// `mpirun -np P almkit train --policy time-parallel` (docs/parallel.md §8):
// every rank runs the one-process training with the ranks as its workers and
// gets the same bits; rank 0 logs and writes every output, as one process does.
void run_train_time_parallel(const CLI::App* sub, const TrainArgs& a, const rnn::ResolvedTrainRequest& r,
                             const Ranks& ranks) {
  const nlohmann::json options = run_options(
      a, r, {{"checkpoint_every", 0}, {"checkpoint_seconds", 0}, {"ranks", ranks.size()}}, ranks.root());
  if (parse_only() != ParseOnly::kOff) return;  // docs/cli.md "Checking a command line"
  Communicator& world = *ranks.world;
  auto on_ranks = [&](const rnn::TrainHooks& h) {
    rnn::TrainHooks mine = h;
    mine.workers = &world;
    return rnn::run_training(r, mine);
  };
  if (!ranks.root()) {
    on_ranks({});
    return;
  }
  if (!a.quiet) fmt::print("almkit train: policy time-parallel on {} MPI ranks (docs/parallel.md §8)\n", world.size());
  const FolderLock out_lock = lock_output_folder(a.out);
  RunControl ctl;
  ctl.options = &options;
  const rnn::TrainOutputs out = train_logged(a, r, ctl, on_ranks);
  print_start_warning(out.start);
  nlohmann::json summary = summary_json(r.options, out.result, out.start, options);
  if (out.baselines) summary["baselines"] = out.baselines->to_json();
  summary["resumed_from_iteration"] = nullptr;
  summary["distributed"] = {{"ranks", world.size()}, {"policy", "time-parallel"}};
  write_outputs(a, out, summary, options);
  print_result(a, r.options, out.result, summary);
  throw_if_failed(a, out);
}

// `mpirun -np P almkit train …` (docs/parallel.md §3): every rank reads the
// data and trains its share; rank 0 logs and writes every output.
void run_train_distributed(const CLI::App* sub, const TrainArgs& a, const Ranks& ranks) {
  const bool root = ranks.root();
  rnn::ResolvedTrainRequest r = resolve_request(sub, a, root);
  if (r.options.policy == rnn::TrainPolicy::kTimeParallel) {
    run_train_time_parallel(sub, a, r, ranks);
    return;
  }
  // The default (time-parallel) runs on the ranks as on one process; the
  // rollout policy runs distributed only as its plain step, asked for by name
  // (docs/parallel.md §3): no silent switch of method.
  if (r.options.policy == rnn::TrainPolicy::kRollout && a.preset != "plain")
    throw UsageError("option policy: under mpirun the rollout policy runs only as its plain step (docs/parallel.md §3): "
                     "give --preset plain for it (the same as --preset plain on one process), or leave --policy and "
                     "--inner out for the default, time-parallel (docs/parallel.md §8)");
  try {
    rnn::check_distributed_options(r.options);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const nlohmann::json options = run_options(a, r,
                                             {{"checkpoint_every", 0},
                                              {"checkpoint_seconds", 0},
                                              {"ranks", ranks.size()},
                                              {"rank_split", rnn::to_string(ranks.split)}},
                                             root);
  if (parse_only() != ParseOnly::kOff) return;  // docs/cli.md "Checking a command line"
  Communicator& world = *ranks.world;
  rnn::RnnDataset& data = r.data;
  const int d = data.train.d(), p = data.train.p();
  const double max_abs_value = rnn::max_abs_training_value(data.train);  // before the training part is dropped
  // This rank's columns; the whole training series is not kept (docs/parallel.md §3).
  const auto [first, last] = rnn::rank_ranges(data.train, world.size(), ranks.split)[static_cast<size_t>(world.rank())];
  rnn::RnnSliceData mine = rnn::slice_series(data.train, first, last);
  data.train = rnn::RnnSeries{};
  data.train.X.resize(d, 0);
  data.train.Y.resize(p, 0);
  data.train.omega.resize(0);
  const TrainOptions o = r.train_options();
  rnn::DistributedExtras extras;
  auto distributed = [&](const rnn::TrainCallback& on_row) {
    return rnn::train_distributed(std::move(mine), data.test, o, world, on_row, &extras);
  };
  if (!root) {
    distributed({});
    return;
  }
  if (!a.quiet)
    fmt::print("almkit train: distributed over {} ranks, columns split by {}, preset {} (docs/parallel.md §3)\n",
               world.size(), rnn::to_string(ranks.split), r.preset);
  const FolderLock out_lock = lock_output_folder(a.out);  // rank 0 writes every output
  RunControl ctl;
  ctl.options = &options;
  const rnn::TrainOutputs out = train_logged(a, r, ctl, [&](const rnn::TrainHooks& h) {
    rnn::TrainResult res = distributed(h.on_row);
    // θ0's diagnostics from the run's own distributed forward pass (row 0): no rank holds all states.
    rnn::InitDiagnostics start = rnn::diagnose_start(res.initial_weights, data.train, a.divergence_value);
    start.max_abs_state = extras.start_max_abs_state;
    start.train_mse = res.history.front().train_mse;
    start.explodes = !(std::isfinite(start.train_mse) && start.train_mse <= start.divergence_value);
    return rnn::train_outputs(r, std::move(res), start, &extras.h_last, max_abs_value);
  });
  print_start_warning(out.start);
  nlohmann::json summary = summary_json(r.options, out.result, out.start, options);
  summary["resumed_from_iteration"] = nullptr;
  summary["distributed"] = {{"ranks", world.size()},
                            {"rank_split", rnn::to_string(ranks.split)},
                            {"rank0_bytes_sent", world.bytes_sent()},
                            {"rank0_messages_sent", world.messages_sent()}};
  write_outputs(a, out, summary, options);
  print_result(a, r.options, out.result, summary);
  throw_if_failed(a, out);
}

// summary.json "status" and "message" of an interrupted run (docs/interruption.md).
void mark_interrupted(const TrainArgs& a, const RunControl& ctl, const rnn::TrainResult& res, nlohmann::json& summary) {
  summary["status"] = "interrupted";
  summary["message"] = ctl.has_checkpoint
                           ? fmt::format("interrupted by signal {} after outer iteration {}; continue with "
                                         "almkit train --resume {} (docs/interruption.md)",
                                         interrupt_signal(), res.history.back().iteration, a.out)
                           : fmt::format("interrupted by signal {} before the first outer iteration: no "
                                         "checkpoint, run the command again",
                                         interrupt_signal());
}

// One process (rnn::run_training), with checkpoints and --resume (docs/interruption.md).
void run_train_local(const CLI::App* sub, TrainArgs& a) {
  nlohmann::json checkpoint;
  if (parse_only() == ParseOnly::kOff &&
      handle_resume(sub, a.resume, a.out, rnn::kTrainCheckpointFormat, kRunFlags, "train", register_train, &checkpoint)) return;
  RunControl ctl;
  ctl.arguments = given_arguments(sub, {"--resume", "--out", "--print-options", "--rerun-with-checkpoint-arguments"});
  if (a.checkpoint_every < 0 || !(a.checkpoint_seconds >= 0))
    throw UsageError("--checkpoint-every and --checkpoint-seconds must be >= 0 (0: off)");
  const rnn::ResolvedTrainRequest r = resolve_request(sub, a, true);
  const nlohmann::json options =
      run_options(a, r, {{"checkpoint_every", a.checkpoint_every}, {"checkpoint_seconds", a.checkpoint_seconds}}, true);
  if (parse_only() != ParseOnly::kOff) return;  // docs/cli.md "Checking a command line"
  // --resume: the same options as the interrupted run (the schedule may change).
  rnn::TrainResume resume;
  if (!a.resume.empty()) {
    require_same_options(a.resume, checkpoint.value("options", nlohmann::json()), options, {"run"});
    try {
      resume = rnn::train_resume_from_json(checkpoint, r.options.hidden, r.data.train.d(), r.data.train.p());
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("--resume {}: {}", a.resume, e.what()));
    }
    ctl.resume = &resume;
  }
  ctl.options = &options;
  const FolderLock out_lock = lock_output_folder(a.out);  // held until the outputs are written
  print_start_warning(r.start);  // say before training when θ0 already explodes (docs/rnn.md §5)
  const rnn::TrainOutputs out = train_logged(a, r, ctl);
  nlohmann::json summary = summary_json(r.options, out.result, out.start, options);
  if (out.baselines) summary["baselines"] = out.baselines->to_json();
  const bool interrupted = interrupt_requested();
  if (interrupted) mark_interrupted(a, ctl, out.result, summary);
  summary["resumed_from_iteration"] = a.resume.empty() ? nlohmann::json(nullptr) : nlohmann::json(resume.rollout.iteration);
  write_outputs(a, out, summary, options);
  print_result(a, r.options, out.result, summary);
  if (interrupted) throw Interrupted("train interrupted");
  throw_if_failed(a, out);
}

void run_train(const CLI::App* sub, TrainArgs& a) {
  const Ranks ranks = distributed_ranks(sub, a);
  // ALMKIT_PARSE_ONLY=ranks checks a command line as mpirun would run it (docs/cli.md).
  if (ranks.world == nullptr && parse_only() != ParseOnly::kRanks) {
    run_train_local(sub, a);
    return;
  }
  run_train_distributed(sub, a, ranks);
}

// --data …, the model and its initialisation (docs/rnn.md §5–6).
void add_model_flags(CLI::App* sub, TrainArgs& a, const std::string& g_data) {
  TrainOptions& o = a.opt;
  const std::string g_model = "Model (docs/rnn.md §5)";
  sub->add_option("--hidden", o.hidden, "Hidden state size m")->capture_default_str()->group(g_model);
  sub->add_option("--init", a.init, fmt::format("Initialization: {} (docs/rnn.md §5)", rnn::init_scheme_names()))->capture_default_str()->group(g_model);
  sub->add_option("--init-std", o.init_std, "Standard deviation of --init gaussian")->capture_default_str()->group(g_model);
  sub->add_option("--irnn-scale", o.irnn_scale, "s of --init irnn: W = s I")->capture_default_str()->group(g_model);
  sub->add_option("--divergence-value", a.divergence_value,
                  "The start explodes when its forward-pass train MSE exceeds this (summary.json 'start')")
      ->capture_default_str()->group(g_model);
  sub->add_option("--seed", o.seed, "Seed of the initialization (std::mt19937_64)")->capture_default_str()->group(g_model);
  sub->add_option("--init-from", a.init_from, "Start from the weights in this JSON (model.json 'weights' or a reference trace's 'initial_weights')")->group(g_model);
  sub->add_option("--lambda1", o.regularization.lambda1, "Weight of |A|^2")->capture_default_str()->group(g_model);
  sub->add_option("--lambda2", o.regularization.lambda2, "Weight of |W|^2")->capture_default_str()->group(g_model);
  sub->add_option("--lambda3", o.regularization.lambda3, "Weight of |V|^2")->capture_default_str()->group(g_model);
  sub->add_option("--lambda4", o.regularization.lambda4, "Weight of |b|^2")->capture_default_str()->group(g_model);
  sub->add_option("--lambda5", o.regularization.lambda5, "Weight of |c|^2")->capture_default_str()->group(g_model);
  sub->add_option("--lambda6", o.regularization.lambda6, "Weight of |U|^2")->capture_default_str()->group(g_model);
}

// Validation, early stopping, λ and the forecast baselines (docs/rnn.md §9).
void add_selection_flags(CLI::App* sub, TrainArgs& a) {
  const std::string g_sel = "Model selection and baselines (docs/rnn.md §9)";
  rnn::SelectionOptions& sel = a.opt.selection;
  sub->add_option("--validation", sel.validation, "Hold out this fraction of the training range (its end) as validation; keep the best-validation weights (0: off)")->capture_default_str()->group(g_sel);
  sub->add_option("--validation-every", sel.validation_every, "Outer iterations between validation checks")->capture_default_str()->group(g_sel);
  sub->add_option("--patience", sel.patience, "Stop after this many validation checks without improvement (0: never)")->capture_default_str()->group(g_sel);
  sub->add_option("--lambda", a.lambda, "lambda1..5: a number, or auto (rolling-origin validation over --lambda-grid)")->group(g_sel);
  sub->add_option("--lambda-grid", sel.lambda_grid, "Candidates of --lambda auto (comma-separated)")->capture_default_str()->group(g_sel);
  sub->add_option("--lambda-folds", sel.lambda_folds, "Forecast origins of --lambda auto")->capture_default_str()->group(g_sel);
  sub->add_option("--lambda-span", sel.lambda_span, "Fraction of the training range the --lambda auto folds score")->capture_default_str()->group(g_sel);
  add_options(sub, "baselines", a.baselines, g_sel);
}

// The training run, its outputs and run control (docs/rnn.md §7–8, docs/interruption.md).
void add_run_flags(CLI::App* sub, TrainArgs& a, const std::string& g_data) {
  TrainOptions& o = a.opt;
  const std::string g_run = "Training (docs/rnn.md §7)";
  sub->add_option("--policy", a.policy, "Outer policy: rollout | reference | safeguarded | time-parallel (docs/rnn_bcd.md §8, docs/parallel.md §8)")->capture_default_str()->group(g_run);
  sub->add_option("--inner", a.inner,
                  "Inner solver of the rollout and the generic policies: bcd | lbfgs; without --policy, bcd selects the "
                  "rollout policy and lbfgs the reference policy (the default policy's is --parallel.inner_solver)")
      ->group(g_run);
  sub->add_option("--preset", a.preset, "reference: the reference study's demo settings; default: the defaults; plain: the rollout step without the kink manifold, Anderson and the proximal w step (docs/rnn_bcd.md §8; what mpirun runs); explicit flags override")->group(g_run);
  sub->add_option("--threads", o.threads,
                  "Threads of the time-parallel BCD block updates (default: all cores; the result does not depend on it; docs/parallel.md)")
      ->capture_default_str()->group(g_run);
  sub->add_option("--chunk-columns", o.chunk_columns,
                  "Time steps per parallel chunk of the block updates; 0 or T <= this: one chunk, the sequential path (docs/parallel.md)")
      ->capture_default_str()->group(g_run);
  sub->add_option("--outer", a.outer, "Outer iterations (= --alm.max_outer_iterations)")->capture_default_str()->group(g_run);
  sub->add_flag("--test-continue", a.test_continue,
                "Test MSE from a forward pass continued from the last training state (the default, except "
                "--preset reference; docs/rnn.md §9)")->group(g_run);
  sub->add_flag("--test-restart", a.test_restart,
                "Test MSE from a forward pass restarted from h_0 = 0 (the --preset reference setting; docs/rnn.md §9)")
      ->group(g_run);
  sub->add_option("--out", a.out, "Output folder")->capture_default_str()->group(g_run);
  sub->add_flag("--print-options", a.print_options, "Print every option with the value used, as JSON")->group(g_run);
  auto* quiet = sub->add_flag("--quiet", a.quiet, "Print only the final summary")->group(g_run);
  sub->add_option("--progress-seconds", a.progress_seconds,
                  "Print the first progress row, then at most one every this many seconds, and the last "
                  "(0: every row; history.csv has every row; docs/rnn.md §8)")
      ->capture_default_str()->check(CLI::NonNegativeNumber)->group(g_run);
  sub->add_flag("--verbose", a.verbose, "Print every progress row (= --progress-seconds 0)")->excludes(quiet)->group(g_run);
  sub->add_flag("--no-plots", a.no_plots, "Do not write plots.gp or run gnuplot")->group(g_run);
  const std::string g_ctl = "Interruption and resume (docs/interruption.md)";
  sub->add_option("--rank-split", a.rank_split,
                  "Under mpirun -np P: give each rank whole sequences (sequences) or cut at k*T/P (time) (docs/parallel.md §3)")
      ->capture_default_str()->group(g_run);
  sub->add_option("--resume", a.resume, "Continue the interrupted run in this output folder from its checkpoint.json")->group(g_ctl);
  sub->add_option("--checkpoint-every", a.checkpoint_every, "Write checkpoint.json every K outer iterations (0: off)")
      ->capture_default_str()->group(g_ctl);
  sub->add_option("--checkpoint-seconds", a.checkpoint_seconds, "... and when this many seconds passed since the last one (0: off)")
      ->capture_default_str()->group(g_ctl);
  sub->add_option("--min-train-steps", a.min_train_steps, "Refuse to train on fewer training steps (exit 2)")
      ->capture_default_str()->group(g_data);
  sub->add_flag("--rerun-with-checkpoint-arguments", a.rerun_marker,
                "(internal: a bare --resume runs again with the checkpoint's flags)")
      ->group("");
}

}  // namespace

void register_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* sub = app.add_subcommand(
      "train",
      "Train a ReLU RNN by the ALM on a CSV time series (default: data/clean_SP500.csv, target RV_SP500; docs/rnn.md)");
  TrainArgs& a = *args;
  TrainOptions& o = a.opt;
  const std::string g_data = "Data (docs/rnn.md §6)";
  add_data_options(sub, a.data, g_data);
  add_model_flags(sub, a, g_data);
  add_selection_flags(sub, a);
  add_run_flags(sub, a, g_data);
  add_options(sub, "alm", o.alm, "ALM options (docs/alm.md)");
  add_options(sub, "bcd", o.bcd, "BCD inner solver options (docs/rnn_bcd.md)");
  add_options(sub, "lbfgs", o.lbfgs, "L-BFGS inner solver options (docs/inner_solvers.md)");
  add_options(sub, "rollout", o.rollout, "Rollout policy options (docs/rnn_bcd.md §8)");
  add_options(sub, "parallel", o.parallel, "Policy time-parallel options (docs/parallel.md §8)");
  sub->callback([sub, args] { run_train(sub, *args); });
}

}  // namespace almkit::cli
