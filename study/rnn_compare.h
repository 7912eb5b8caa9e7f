// The comparison harness of `almkit compare` as a library (docs/compare.md):
// ALM variants and gradient baselines on the same reduced RNN problem, data,
// initial weights and budget; the fair learning-rate tuning of the baselines,
// the divergence rule, time to a common target, and the per-method medians.
// Every method minimizes the same F(θ) (docs/compare.md "The problem every
// method solves"), so the tuning, the target, the medians, the ratios and the
// best run are all by F; train and test MSE are reported beside it
// (docs/compare.md "Ranking by F").
// apps/cmd_compare.cpp only parses arguments and writes the files; everything
// numerical is here and tested directly (tests/test_rnn_compare.cpp).
// Study layer (docs/architecture.md): uses problems/rnn, solvers and core.
#pragma once

#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/solvers/baselines/gradient_methods.h"
#include "almkit/study/rnn_trainer.h"

namespace almkit::compare {

/// The settings of a comparison that shape the runs (the CLI flags of docs/compare.md).
struct CompareSettings {
  int hidden = 20;
  double init_std = rnn::TrainOptions::defaults().init_std;  ///< std of the gaussian init (as almkit train)
  double irnn_scale = rnn::kDefaultIrnnScale;                 ///< s of the irnn init, W = s I (as almkit train)
  double budget_seconds = 5.0;
  double budget_evals = 0.0;     ///< > 0: a gradient-evaluation budget instead of seconds
  double tune_fraction = 0.1;    ///< budget share of each tuning run
  int windows = 10;              ///< SGD windows per epoch
  int alm_outer = 0;             ///< 0: no cap with a seconds budget, one per evaluation with budget_evals
  double hybrid_fraction = 0.5;  ///< alm-bcd+lbfgs: budget share of the ALM-BCD phase
  /// Every method's test MSE (curves, final, model.json): a forward pass over
  /// the test steps continued from the training range's final state (true, as
  /// almkit train's default) or restarted from h_0 = 0 (false, --test-restart).
  /// One setting for all methods so their rows are comparable (docs/compare.md
  /// "Fairness protocol", docs/rnn.md §9).
  bool test_continues_from_train = rnn::TrainOptions::defaults().test_continues_from_train;
  /// The common target of "time to target" (docs/compare.md "Fairness
  /// protocol"): F_target = target_factor × F_best, F_best the lowest finite F
  /// at any recorded point of any run; a run reaches it at its first recorded
  /// point with F ≤ F_target, i.e. within a relative gap (F − F_best)/F_best ≤
  /// target_factor − 1 (F > 0 with the λ of almkit train). 1 + 1e-4, not the
  /// 1.1 of the former train-MSE target: final F values differ far less than
  /// MSEs (sunspots, m = 50, 10 s: alm-bcd, lbfgs, gd and adam ended within
  /// 2e-4 relative of each other; 1.1 × F_best counted all four as reached,
  /// 1 + 1e-4 left out adam at 1.9e-4). Aggregation only: it changes no run.
  double target_factor = 1.0001;
  /// curves.csv keeps the recorded points keep_curve_point() selects with this
  /// resolution R (0: every point). The summaries and time to target use every point.
  double curve_resolution = 0.01;
  /// The gradient methods' fixed hyper-parameters; learning rate and budget
  /// are set per run by the comparison.
  baselines::GradientOptions grad;
};

/// One recorded point of a run. `violation` is ‖(C1, C2)‖₂ of the split
/// problem (P) at the ALM iterate; the gradient methods keep the states from
/// the forward pass, so their iterates are feasible by construction (0).
struct Point {
  double seconds, train_mse, test_mse, violation;
  /// F(θ) at the forward-pass point of the recorded weights (the gradient
  /// methods' HistoryPoint::objective, the ALM's TrainHistoryRow::objective);
  /// excluded from the budget as the MSEs are. NaN in checkpoints written
  /// before this column.
  double objective = std::numeric_limits<double>::quiet_NaN();
};

struct RunRecord {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::string method, init;
  int seed = 0;
  double learning_rate = kNaN;
  /// F(θ) of (P) at the final weights (objective_value on the training series):
  /// what every method minimizes and what the comparison ranks by. Computed
  /// after the run, outside its budget.
  double objective = kNaN;
  double train_mse = kNaN, test_mse = kNaN, seconds = kNaN, time_to_target = kNaN, kkt = kNaN;
  /// The KKT residual with the best ReLU derivative in [0, 1] at the kinks
  /// |u| ≤ 1e-8 of the final weights' forward pass (clarke_kkt); kkt is the
  /// one-sided σ′(0) = 0 value, so kkt_clarke ≤ kkt up to rounding. NaN for a
  /// diverged run.
  double kkt_clarke = kNaN;
  std::string status;
  double diverged_at = kNaN;
  std::vector<Point> curve;
  rnn::RnnWeights weights;
  rnn::InitDiagnostics start;  ///< θ0 of the run (docs/rnn.md §5): start.explodes = diverged before training
};

/// A finished run as JSON, for `almkit compare`'s checkpoint.json
/// (docs/interruption.md): every number bit for bit (NaN and ±inf included),
/// so a resumed comparison writes the tables an uninterrupted one does.
/// time_to_target is not stored: it is recomputed over all runs. A record
/// read from a checkpoint written before the F column has objective NaN (and
/// NaN curve objectives), as kkt_clarke.
nlohmann::json run_record_to_json(const RunRecord& r);
/// The inverse. Throws std::invalid_argument when the weights do not have
/// rnn::num_parameters(m, d, p) entries, nlohmann::json's exceptions on a
/// missing or mistyped field.
RunRecord run_record_from_json(const nlohmann::json& j, int m, int d, int p);

/// Every method name accepted, in the order of the --methods help.
const std::vector<std::string>& method_names();
/// alm-<inner>[-safeguarded|-reference] and alm-bcd+lbfgs (docs/compare.md).
bool is_alm(const std::string& method);
/// is_alm or a gradient method of solvers/baselines.
bool is_method(const std::string& method);

/// The λ of every method's F: the `almkit train` defaults (RnnRegularization).
rnn::RnnRegularization regularization();
/// F(θ) = rnn::reduced_objective(w, train, reg).value, the objective of (P) at
/// the forward-pass point of w; NaN when w is empty or F is not finite.
double objective_value(const rnn::RnnWeights& w, const rnn::RnnSeries& train, const rnn::RnnRegularization& reg);
/// ‖∇F(θ)‖∞ on the training series (NaN if not finite): the KKT stationarity of (P)
/// with the BPTT adjoint multipliers (rnn_model.h).
double grad_inf(const rnn::RnnWeights& w, const rnn::RnnSeries& train, const rnn::RnnRegularization& reg);
/// rnn::kink_stationarity(...).best at the forward-pass point of w (default
/// tolerance 1e-8, 3 rounds, the 200 closest kinks; docs/rnn_bcd.md §8): the
/// stationarity of (P) minimized over the Clarke selections at the kinks.
/// NaN when the forward pass is not finite.
double clarke_kkt(const rnn::RnnWeights& w, const rnn::RnnSeries& train, const rnn::RnnRegularization& reg);
/// Whether point i of a run's n recorded points goes to curves.csv: the last
/// one, and i a multiple of the largest power of 10 ≤ max(1, R·i) (R =
/// resolution; R ≤ 0: every point). Consecutive kept indices k₁ < k₂ are at
/// most max(1, R·k₂) apart: about 9/R points per decade of iterations instead
/// of every one (a 10 s ALM-BCD run on a short series records ~10⁵).
bool keep_curve_point(std::size_t i, std::size_t n, double resolution);
/// The points of `curve` that keep_curve_point() selects (curves.csv, results.json).
std::vector<Point> thinned_curve(const std::vector<Point>& curve, double resolution);
/// The median of the finite entries (NaN when there are none).
double median(std::vector<double> v);
/// The divergence rule of the gradient methods (gradient_methods.h) on a
/// forward-pass train MSE: not finite, or above divergence_value.
bool blown(double mse, double divergence_value);

/// θ0 of every method for this init and seed: the weights the trainer draws.
rnn::RnnWeights start_weights(const CompareSettings& s, const rnn::RnnDataset& data, rnn::InitScheme init, int seed);
/// The ALM's outer-iteration cap: alm_outer when > 0; otherwise none (10⁶) under a
/// seconds budget, and one outer iteration per gradient evaluation under budget_evals.
int alm_outer_cap(const CompareSettings& s);
/// The `almkit train` defaults with the variant's inner solver and policy, the
/// run's init and seed, and the comparison's budget.
rnn::TrainOptions alm_options(const std::string& method, const CompareSettings& s, rnn::InitScheme init, int seed);

/// One gradient-method run from x0 with learning rate lr and a budget of
/// `seconds` or (evals > 0) gradient evaluations; `monitor`: record the
/// forward-pass MSEs in the history.
baselines::GradientResult run_gradient(baselines::Method method, double lr, const rnn::RnnDataset& data,
                                       const CompareSettings& s, const Vector& x0, double seconds, double evals,
                                       bool monitor);
/// One short tuning run: its rate and the final F and train MSE of its weights.
struct TuningTrial {
  double learning_rate = RunRecord::kNaN;
  double objective = RunRecord::kNaN;  ///< F at the run's final weights
  double train_mse = RunRecord::kNaN;  ///< reported only; the choice ignores it
  bool diverged = false;
};
/// The short runs of the fair tuning: tune_fraction of the budget with every rate.
std::vector<TuningTrial> tuning_trials(baselines::Method method, const rnn::RnnDataset& data, const CompareSettings& s,
                                       const Vector& x0, const std::vector<double>& rates);
/// The rate of the trial with the lowest finite final F among those that did not
/// diverge (the first in grid order on ties); when there is none, the smallest
/// rate (it diverges in the full run too and is reported so). NaN for no trials.
double select_learning_rate(const std::vector<TuningTrial>& trials);
/// The fair tuning: select_learning_rate(tuning_trials(...)).
double tune_learning_rate(baselines::Method method, const rnn::RnnDataset& data, const CompareSettings& s,
                          const Vector& x0, const std::vector<double>& rates);
/// An alm-* variant; alm-bcd+lbfgs runs ALM-BCD for hybrid_fraction of the
/// budget (or until it stops), then L-BFGS on F from its weights for the rest.
RunRecord run_alm(const std::string& method, const rnn::RnnDataset& data, const CompareSettings& s,
                  rnn::InitScheme init, int seed);
/// A gradient method, its learning rate tuned over `rates` first.
RunRecord run_baseline(const std::string& method, const rnn::RnnDataset& data, const CompareSettings& s,
                       rnn::InitScheme init, int seed, const std::vector<double>& rates);
/// run_alm or run_baseline, with method, init, seed and the start diagnosis filled in.
RunRecord run_method(const std::string& method, const rnn::RnnDataset& data, const CompareSettings& s,
                     rnn::InitScheme init, int seed, const std::vector<double>& rates);

/// The common target on F: target = factor × best, best the lowest finite F
/// at any recorded point of any run (CompareSettings::target_factor).
struct Target {
  double best = std::numeric_limits<double>::infinity();
  double target = std::numeric_limits<double>::infinity();
};
/// Finds the target and sets every run's time_to_target: the first recorded
/// time with F ≤ target (NaN when never reached, and for points without F).
Target set_time_to_target(std::vector<RunRecord>& runs, double factor = CompareSettings{}.target_factor);

/// The aggregate of one method over its runs (results.md, results.json "methods").
struct MethodSummary {
  std::string method;
  int runs = 0, diverged = 0;
  int reached = 0;                ///< runs that reached the target
  std::vector<double> objective, train_mse, test_mse, kkt, kkt_clarke;  ///< of the runs that did not diverge
  std::vector<double> time_to_target;            ///< of every run (NaN: not reached)
  std::map<std::string, int> statuses;
  std::string learning_rates;     ///< the distinct tuned rates, "a, b" ("—" when none)
  const RunRecord* best_run = nullptr;  ///< the lowest finite F among the runs that did not diverge
  /// objective_median() / the best gradient method's (set by rank(); NaN when
  /// there is no gradient method with a finite F median).
  double ratio_to_best_gradient = RunRecord::kNaN;
  double objective_median() const { return median(objective); }
  double train_mse_median() const { return median(train_mse); }
  double test_mse_median() const { return median(test_mse); }
  double time_to_target_median() const { return median(time_to_target); }
  double kkt_median() const { return median(kkt); }
  double kkt_clarke_median() const { return median(kkt_clarke); }
};
/// Medians and ranges over the runs that did not diverge; diverged runs are counted.
MethodSummary summarize(const std::vector<RunRecord>& runs, const std::string& method);

/// The ranking of a comparison by F (docs/compare.md "Ranking by F").
struct Ranking {
  std::string best_method;    ///< lowest finite F median over all methods ("" when none)
  std::string best_gradient;  ///< lowest finite F median among the gradient methods (!is_alm; "" when none)
  double best_gradient_objective = RunRecord::kNaN;  ///< its F median
};
/// Sets every summary's ratio_to_best_gradient and returns the ranking. Ties:
/// the first method in the order given.
Ranking rank(std::vector<MethodSummary>& summaries);

/// Where run r's final weights go under the output folder:
/// "runs/<method>-<init>-seed<seed>/model.json" (relative, '/'-separated).
std::string run_model_path(const RunRecord& r);
/// Run r's final weights as a model.json model (the format `almkit train`
/// writes and `almkit predict` reads, docs/rnn.md §8): the comparison's λ and
/// the data set's scaling and columns; test_continues_from_train: the mode the
/// comparison measured the test MSE in (CompareSettings::test_continues_from_train).
/// `options`: stored as the model's options.
rnn::RnnModel run_model(const RunRecord& r, const rnn::RnnDataset& data, const nlohmann::json& options,
                        bool test_continues_from_train);

}  // namespace almkit::compare
