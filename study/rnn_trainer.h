// The RNN trainer (docs/rnn.md §7): builds RnnTrainingProblem on the training
// part, runs the ALM (core/alm.h) with the BCD (solvers/bcd) or Ceres L-BFGS
// inner solver, and records after every outer iteration the forward-pass
// metrics of docs/rnn.md §6 (train/test MSE of the current weights), both
// constraint violations ‖C1‖₂, ‖C2‖₂, the penalty γ and the inner sweeps.
// After the solve: KKT residuals with the ALM's multipliers and with the BPTT
// adjoint multipliers, and the structural NNAMCQ certificate.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "almkit/core/alm.h"
#include "almkit/core/kkt.h"
#include "almkit/core/parallel.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_rollout.h"
#include "almkit/study/rnn_shooting_train.h"
#include "almkit/solvers/bcd/bcd_solver.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"

namespace almkit::rnn {

enum class InnerKind { kBcd, kLbfgs };
const char* to_string(InnerKind kind);
bool parse(const std::string& text, InnerKind* kind);

/// The outer loop of a training run (docs/rnn.md §7): the rollout-consistent
/// policy of study/rnn_rollout.h (BCD only), or the generic ALM driver with
/// the reference or the safeguarded strategy (core/alm_policy.h). The one
/// place the choice is made: TrainOptions::alm.policy is set from it.
/// kTimeParallel: rnn::train_shooting (docs/parallel.md §8), every evaluation
/// split over time chunks and `threads` threads; options in TrainOptions::parallel.
enum class TrainPolicy { kRollout, kReference, kSafeguarded, kTimeParallel };
const char* to_string(TrainPolicy policy);
/// "rollout" | "reference" | "safeguarded".
bool parse(const std::string& text, TrainPolicy* policy);
/// The TrainPolicy that runs the generic driver with `policy`.
TrainPolicy train_policy(AlmPolicy policy);

/// Model selection on the training range (docs/rnn.md §9), as Keras users
/// know it: a validation tail with early stopping, and λ by rolling-origin
/// validation. Off by default (docs/rnn.md §9 has the measurement).
struct SelectionOptions {
  /// Fraction of the training range held out as validation (its last steps):
  /// the model is fitted on the rest, and the weights with the least
  /// validation MSE are kept. 0: off.
  double validation = 0.0;
  int validation_every = 1;   ///< outer iterations between validation checks (row 0 is always checked)
  /// Stop after this many checks without a lower validation MSE (Keras'
  /// EarlyStopping patience). 0: never stop early (the best weights are still kept).
  int patience = 0;
  /// Choose λ1..λ5 (one value λ) from lambda_grid by rolling-origin validation
  /// on the training range, then train on the whole training range with it.
  bool lambda_auto = false;
  std::string lambda_grid = "1e-4,1e-3,1e-2,1e-1";  ///< candidate λ (comma-separated)
  int lambda_folds = 3;          ///< forecast origins (expanding windows)
  /// Fraction of the training range that the folds' validation blocks cover
  /// (the last lambda_span·T steps, cut in lambda_folds equal blocks).
  double lambda_span = 0.2;

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is SelectionOptions or const SelectionOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("validation", self.validation, "Fraction of the training range held out as validation (its last steps); 0: off");
    v("validation_every", self.validation_every, "Outer iterations between validation checks");
    v("patience", self.patience, "Stop after this many validation checks without improvement; 0: never stop early");
    v("lambda_auto", self.lambda_auto, "Choose lambda1..5 from lambda_grid by rolling-origin validation on the training range");
    v("lambda_grid", self.lambda_grid, "Candidate lambda values (comma-separated)");
    v("lambda_folds", self.lambda_folds, "Forecast origins of the rolling-origin validation");
    v("lambda_span", self.lambda_span, "Fraction of the training range the folds' validation blocks cover");
  }
  bool active() const { return validation > 0.0 || lambda_auto; }
  void validate() const;
};

/// Every knob of a training run (defaults: docs/rnn.md §7 says why).
struct TrainOptions {
  int hidden = 20;                             ///< m
  InitScheme init = InitScheme::kGaussian;     ///< weight initialization
  double init_std = 1e-3;                      ///< std of the Gaussian initialization
  std::uint64_t seed = 0;                      ///< std::mt19937_64 seed of the initialization
  /// s of init irnn: W = s·I (docs/rnn.md §5); an option like the others, so
  /// that the one initialisation (rnn_train_request.h) and train() draw the same θ0.
  double irnn_scale = kDefaultIrnnScale;
  std::optional<RnnWeights> initial_weights;   ///< overrides init/seed when set
  RnnRegularization regularization;            ///< λ1..λ6
  InnerKind inner = InnerKind::kBcd;
  /// Test MSE from a forward pass continued from the last training state
  /// (true, the default: a forecaster keeps the series' context; docs/rnn.md §9)
  /// or restarted from h_0 = 0 (false, the reference code's choice and reference_preset()).
  bool test_continues_from_train = true;
  /// The outer loop. kRollout takes its limits from alm.max_outer_iterations
  /// and alm.time_limit_seconds; the other two run solve_alm with driver_alm().
  TrainPolicy policy = TrainPolicy::kSafeguarded;
  /// Options of the generic driver; alm.policy is ignored (driver_alm() sets it from `policy`).
  AlmOptions alm;
  BcdOptions bcd;
  LbfgsOptions lbfgs;
  RolloutOptions rollout;
  /// Options of policy time-parallel (docs/parallel.md §8).
  ShootingOptions parallel;
  SelectionOptions selection;  ///< validation, early stopping, λ auto (docs/rnn.md §9)
  /// Threads of the time-parallel block updates (docs/parallel.md §2); all
  /// cores by default. The result does not depend on it (partial sums are
  /// added in chunk order), so to_json() leaves it out and a --resume may
  /// change it; almkit train records it under options.run.threads.
  int threads = hardware_threads();
  /// Time steps per chunk of the block updates (RnnParallelOptions): part of
  /// the result's rounding for T > chunk_columns, so it is in to_json().
  /// 0: one chunk, the sequential code path.
  int chunk_columns = RnnParallelOptions{}.chunk_columns;
  /// Name of the outer policy in use: "reference", "safeguarded" or "rollout".
  std::string policy_name() const;
  /// `alm` with alm.policy set from `policy` (reference for kRollout, unused there).
  AlmOptions driver_alm() const;

  /// The defaults of `almkit train` (docs/rnn.md §7, chosen by the study of
  /// docs/rnn_bcd.md §8): the rollout policy with one BCD w/a step per outer
  /// iteration and RolloutOptions' defaults (kink manifold 64, Anderson 5,
  /// proximal term 10), at most 10000 outer iterations. For --policy reference |
  /// safeguarded: ε0 = 1e-3, the relative BCD stop test with at most 200
  /// sweeps, σp = 1e-5.
  static TrainOptions defaults();
  /// The reference study's demo (`--preset reference`): reference policy,
  /// γ0 = 1, λ1..λ5 = 0.01, λ6 = 1e-8, σp = 1e-8, 5 outer × 200 sweeps with
  /// the stop test off, N(0, 1e-3²) initialization, test restarted from h_0 = 0.
  static TrainOptions reference_preset();
  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
  /// Every option with its value (summary.json "options", model.json "options").
  nlohmann::json to_json() const;
};

/// One row of history.csv.
struct TrainHistoryRow {
  int iteration = 0;        ///< outer iteration; 0 is the initial point
  double seconds = 0.0;     ///< wall time since the start of the solve
  double train_mse = 0.0;   ///< forward pass from h_0 = 0
  double test_mse = 0.0;    ///< forward pass restarted or continued (TrainOptions)
  double violation_c1 = 0.0;///< ‖C1‖₂ over all T·m entries
  double violation_c2 = 0.0;///< ‖C2‖₂
  double gamma = 0.0;       ///< penalty used in this outer iteration (NaN for row 0)
  long sweeps = 0;          ///< inner iterations (BCD sweeps, L-BFGS iterations) of this outer iteration
  double objective = 0.0;   ///< F(θ): f at the forward-pass point of the row's weights
  double grad_inf = 0.0;    ///< ‖∇F(θ)‖∞ (BPTT): the KKT stationarity of (P) at the forward-pass point
  /// ‖H − H(θ)‖_F / √(mT): the iterate's states against the forward pass of its
  /// own weights (docs/rnn_bcd.md §7). The rollout policy reports the inner
  /// iterate's gap before it restores feasibility.
  double rollout_gap = 0.0;
  int accepted = -1;        ///< rollout policy: 1 step accepted, 0 rejected; -1 other policies

  /// Calls v(name, field, description) for every column, in history.csv's
  /// order (docs/rnn.md §8): the CSV, the checkpoint's rows and the Python
  /// history dicts come from this one list (core/record.h).
  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("iteration", self.iteration, "outer iteration; 0 is the initial point");
    v("seconds", self.seconds, "wall time since the start of the solve");
    v("train_mse", self.train_mse, "training MSE, forward pass from h_0 = 0");
    v("test_mse", self.test_mse, "test MSE, forward pass restarted or continued");
    v("violation_c1", self.violation_c1, "|C1|_2 over all T*m entries");
    v("violation_c2", self.violation_c2, "|C2|_2");
    v("gamma", self.gamma, "penalty of this outer iteration (nan for row 0)");
    v("sweeps", self.sweeps, "inner iterations of this outer iteration");
    v("objective", self.objective, "F(theta) at the forward-pass point");
    v("grad_inf", self.grad_inf, "|grad F(theta)|_inf (BPTT)");
    v("rollout_gap", self.rollout_gap, "|H - H(theta)|_F / sqrt(mT)");
    v("accepted", self.accepted, "rollout policy: 1 step accepted, 0 rejected; -1 other policies");
  }
};

/// A validation run's two stops (docs/rnn.md §9): the optimizer's final point
/// and the point with the least validation MSE among the checked iterates.
struct ValidationPoint {
  int iteration = 0;
  double objective = 0.0;       ///< F on the fitted range
  double train_mse = 0.0;       ///< on the fitted range
  double validation_mse = 0.0;
  double test_mse = 0.0;

  /// summary.json validation.best / .final (core/record.h).
  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("iteration", self.iteration, "outer iteration of the point");
    v("objective", self.objective, "F on the fitted range");
    v("train_mse", self.train_mse, "MSE on the fitted range");
    v("validation_mse", self.validation_mse, "MSE on the validation tail");
    v("test_mse", self.test_mse, "MSE on the test part");
  }
};
struct ValidationReport {
  bool enabled = false;
  int fit_steps = 0, validation_steps = 0;
  bool stopped_early = false;   ///< patience ran out
  ValidationPoint best, final;
  RnnWeights best_weights;
  std::vector<int> iterations;  ///< the checked iterations
  std::vector<double> mse;      ///< their validation MSE
  double seconds = 0.0;         ///< time of the validation passes (monitoring, not in the rows' seconds)
};
/// λ auto (docs/rnn.md §9): the rolling-origin scores of every grid entry.
struct LambdaSelection {
  bool enabled = false;
  std::vector<double> grid;
  std::vector<int> origins;                   ///< fold k fits on steps [0, origins[k])
  int block_steps = 0;                        ///< and scores on [origins[k], origins[k] + block_steps)
  std::vector<std::vector<double>> fold_mse;  ///< [grid entry][fold]
  std::vector<double> score;                  ///< mean over the folds
  double chosen = 0.0;
  double seconds = 0.0;
};

struct TrainResult {
  RnnWeights weights;                   ///< the last iterate's weights (the optimizer's final point)
  RnnWeights initial_weights;
  std::vector<TrainHistoryRow> history; ///< row 0 = initial point
  AlmSummary summary;                   ///< the ALM's own summary
  ForwardMetrics final_metrics;         ///< of `weights`
  /// KKT residuals of (P) at the last iterate with the ALM's multipliers.
  KktReport kkt_alm;
  /// KKT residuals of (P) at the forward-pass point of `weights` (feasible)
  /// with the BPTT adjoint multipliers: stationarity = ‖∇F(θ)‖∞.
  KktReport kkt_bptt;
  /// At the same point: the best σ′ ∈ [0, 1] at the kinks |u| ≤ 1e-8 (a
  /// Clarke-type KKT residual of (P); rnn_rollout.h kink_stationarity).
  KinkStationarity kink_stationarity;
  std::string certificate;              ///< structural NNAMCQ certificate of (P)
  long total_sweeps = 0;
  double wall_seconds = 0.0;
  ValidationReport validation;
  LambdaSelection lambda_selection;
  /// The regularization of the final training (λ auto's choice, else the option's).
  RnnRegularization regularization;
  /// The model to keep: the best-validation weights with --validation, else `weights`.
  const RnnWeights& model_weights() const { return validation.enabled ? validation.best_weights : weights; }
  /// Train/test MSE of model_weights() (train: over the fitted range).
  ForwardMetrics model_metrics() const {
    return validation.enabled ? ForwardMetrics{validation.best.train_mse, validation.best.test_mse} : final_metrics;
  }
};

/// Return false to stop training (ALM status kStoppedByCallback).
using TrainCallback = std::function<bool(const TrainHistoryRow&)>;

/// Trains on data.train (evaluating on data.test) with the given options.
TrainResult train(const RnnDataset& data, const TrainOptions& options, const TrainCallback& callback = {});

/// The run's state after an outer iteration, for checkpoints (docs/interruption.md).
struct TrainState {
  int iteration = 0;                 ///< outer iterations done
  RnnWeights weights;                ///< the current iterate's weights
  RnnWeights initial_weights;        ///< θ0
  double penalty = 0.0;              ///< γ of the next outer iteration (rollout) or of the last one
  /// The rollout policy: `rollout` is the whole outer state. Policy
  /// time-parallel: the weights are (rollout.iteration and .seconds number the
  /// rows and charge the clock; the rest stays zero).
  bool resumable = false;
  RolloutResume rollout;             ///< (rollout policy) the state a resumed run starts from
  const std::vector<TrainHistoryRow>* history = nullptr;  ///< rows 0..iteration
  long total_sweeps = 0;
};

/// A run continued from a checkpoint. The rollout policy: its whole outer
/// state is RolloutResume plus the weights, and with the same options the
/// result is bit for bit the uninterrupted run's (seconds aside). Policy
/// time-parallel: a new run of the policy from the weights, its rows numbered
/// on (the driver's inner tolerance, the L-BFGS memory and the restart
/// counters start afresh, so not bit for bit; docs/interruption.md).
struct TrainResume {
  RnnWeights weights;                     ///< the iterate after rollout.iteration outer iterations
  RnnWeights initial_weights;             ///< θ0 of the earlier run (TrainResult::initial_weights)
  RolloutResume rollout;
  std::vector<TrainHistoryRow> history;   ///< rows 0..rollout.iteration of the earlier run
  long total_sweeps = 0;
};

/// Optional hooks of a training run: `on_row` as TrainCallback; `on_state`
/// after every outer iteration (after on_row); `resume` continues a run.
struct TrainHooks {
  TrainCallback on_row;
  std::function<void(const TrainState&)> on_state;
  const TrainResume* resume = nullptr;
  /// Policy time-parallel (docs/parallel.md §8): run on these workers (the
  /// ranks of mpirun: every rank calls train with the same arguments, rank 0's
  /// rows and decisions count) instead of TrainOptions::threads threads.
  Communicator* workers = nullptr;
};
TrainResult train(const RnnDataset& data, const TrainOptions& options, const TrainHooks& hooks);

/// summary.json "validation" and "lambda_selection" (docs/rnn.md §9): null when off.
void add_selection_json(const TrainResult& result, nlohmann::json* summary);
/// The console lines of the two stops, λ auto's choice and the baselines
/// (summary["baselines"], when present) beside the model's test MSE.
std::vector<std::string> selection_lines(const TrainResult& result, const nlohmann::json& summary);

/// The flat scalars of a training run's outcome: summary.json's top level
/// (docs/rnn.md §8) and the dict of the Python rnn.train, from one field list
/// (core/record.h). The KKT reports, the start diagnostics, the selection
/// blocks and the options have their own writers.
struct TrainSummary {
  double train_mse = 0.0;       ///< of the model's weights (TrainResult::model_metrics)
  double test_mse = 0.0;
  std::string test_mse_mode;    ///< "continued" | "restart_h0" (TrainOptions::test_continues_from_train)
  double wall_seconds = 0.0;
  int outer_iterations = 0;
  long sweeps = 0;              ///< over all outer iterations
  AlmStatus status = AlmStatus::kNonFinite;
  std::string message;
  double final_gamma = 0.0;     ///< the penalty of the last outer iteration
  double violation_c1 = 0.0;    ///< of the last history row
  double violation_c2 = 0.0;
  std::string policy;           ///< TrainOptions::policy_name()
  double rollout_gap = 0.0;     ///< of the last history row
  double grad_inf = 0.0;
  double objective = 0.0;
  std::string nnamcq_certificate;
  EvaluationCounters evaluations;

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("train_mse", self.train_mse, "training MSE of the model's weights");
    v("test_mse", self.test_mse, "test MSE of the model's weights");
    v("test_mse_mode", self.test_mse_mode, "continued | restart_h0: the test forward pass's start");
    v("wall_seconds", self.wall_seconds, "wall time of the run, seconds");
    v("outer_iterations", self.outer_iterations, "outer iterations");
    v("sweeps", self.sweeps, "inner iterations over all outer iterations");
    v("status", self.status, "the ALM status");
    v("message", self.message, "why it stopped, one sentence");
    v("final_gamma", self.final_gamma, "penalty of the last outer iteration");
    v("violation_c1", self.violation_c1, "|C1|_2 of the last row");
    v("violation_c2", self.violation_c2, "|C2|_2 of the last row");
    v("policy", self.policy, "outer policy: rollout | reference | safeguarded | time-parallel");
    v("rollout_gap", self.rollout_gap, "|H - H(theta)|_F / sqrt(mT) of the last row");
    v("grad_inf", self.grad_inf, "|grad F(theta)|_inf of the last row");
    v("objective", self.objective, "F(theta) of the last row");
    v("nnamcq_certificate", self.nnamcq_certificate, "structural NNAMCQ certificate of (P)");
    v("evaluations", self.evaluations, "evaluation counters of the training problem");
  }
};
TrainSummary train_summary(const TrainOptions& options, const TrainResult& result);

/// history.csv content: header
/// `iteration,seconds,train_mse,test_mse,violation_c1,violation_c2,gamma,sweeps,objective,grad_inf,rollout_gap,accepted`
/// (TrainHistoryRow::visit, core/record.h csv_table).
std::string history_csv(const std::vector<TrainHistoryRow>& history);

}  // namespace almkit::rnn

namespace almkit::rnn {

/// Numbers of columns_csv: "{:.17g}" (almkit train) or the shortest
/// round-trip form (almkit compare); both read back exactly.
enum class CsvNumbers { kFull17, kShortest };
/// A CSV with a row-index column `t` (rows[t], or t past its end) and, for
/// every named matrix (p × T), one column per row: `name`, or `name_1..name_p`
/// when p > 1. A non-finite entry is written empty. The one writer of
/// predictions.csv for almkit train (predictions_csv) and almkit compare.
std::string columns_csv(const std::vector<int>& rows, const std::vector<std::string>& names,
                        const std::vector<Matrix>& columns, CsvNumbers numbers);

/// predictions.csv content, original units: header `t,target,prediction`
/// (t = data-row index of the target, 0-based, header excluded); with p > 1
/// columns `target_k,prediction_k`. A NaN target (none in the file) is written empty.
std::string predictions_csv(const std::vector<int>& rows, const Matrix& targets, const Matrix& predictions);

/// Test-part predictions of a trained model in original units (forward pass
/// restarted or continued from the training state, as the metrics).
Matrix test_predictions(const RnnWeights& w, const RnnDataset& data, bool test_continues_from_train);

}  // namespace almkit::rnn
