// One training request (docs/rnn.md §7 "One training request"): what
// `almkit train` and the Python rnn.train() are asked to do, resolved in one
// place. The front ends only parse and serialise: they fill a TrainRequest
// (the data, a preset, the options the user gave), call resolve() — presets,
// policy inference, validation, the one weight initialisation — and
// run_training(), which returns every output in one TrainOutputs (what
// summary.json, model.json, predictions.csv and checkpoint.json hold).
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_data_checks.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/solvers/baselines/gradient_methods.h"
#include "almkit/study/forecast_baselines.h"
#include "almkit/study/rnn_trainer.h"

namespace almkit::rnn {

/// A bad training request. `option()` is the option's name as the CLI flag
/// spells it without the dashes ("preset", "lambda", "irnn-scale",
/// "baselines.ar_order"), empty when the message names it itself (the
/// options' own validate(), the data checks). almkit train exits 2 with
/// "--<option>: <detail>"; Python raises ValueError(what()).
class TrainRequestError : public std::invalid_argument {
 public:
  /// what() = "option <option>: <detail>", or `detail` alone when `option` is empty.
  TrainRequestError(std::string option, std::string detail);
  const std::string& option() const { return option_; }
  const std::string& detail() const { return detail_; }

 private:
  std::string option_, detail_;
};

/// The presets of a request (docs/rnn.md §7): "default" (TrainOptions::defaults()),
/// "reference" (TrainOptions::reference_preset()), "plain" (the defaults with
/// RolloutOptions::plain()). An empty name is no preset: `options` as given.
const std::vector<std::string>& train_preset_names();
/// The preset's options; throws TrainRequestError("preset", …) for an unknown name.
TrainOptions train_preset(const std::string& name);

/// What a training run is asked to do. `options` holds the values, starting
/// at TrainOptions::defaults(); `given` names the ones the user set (a
/// preset keeps them). Names: the TrainOptions fields ("hidden", "seed",
/// "init_std", "threads", "chunk_columns", "irnn_scale",
/// "test_continues_from_train", "lambda1".."lambda6") and the groups'
/// visit() names with the group ("alm.max_outer_iterations",
/// "bcd.max_sweeps", "lbfgs.…", "rollout.anderson", "selection.validation").
struct TrainRequest {
  /// The data (docs/rnn.md §6) in the units the model sees; `spec` says where
  /// it came from (almkit train: the CSV and its flags; Python: arrays, path empty).
  RnnDataset data;
  DataSpec spec;
  /// Refuse fewer training steps (rnn_data_checks.h; exit 2 in almkit train).
  int min_train_steps = kDefaultMinTrainSteps;

  std::string preset;  ///< "", "default", "reference" or "plain"
  TrainOptions options = TrainOptions::defaults();
  std::set<std::string> given;
  /// By name, parsed by resolve() (empty: not given, the preset's value).
  std::string policy;  ///< rollout | reference | safeguarded | time-parallel
  std::string inner;   ///< bcd | lbfgs
  std::string init;    ///< init_scheme_names()
  /// λ1..λ5 at once: "auto" (selection.lambda_auto) or a number; λk given by name keeps its value.
  std::optional<std::string> lambda;
  /// Start from these weights (overrides init and seed); `init_from` records their file.
  std::optional<RnnWeights> initial_weights;
  std::string init_from;
  /// The start counts as exploding above this forward-pass train MSE: the
  /// gradient baselines' divergence threshold (docs/rnn.md §5).
  double divergence_value = baselines::GradientOptions{}.divergence_value;
  /// The forecast baselines beside the model (docs/rnn.md §9); off: none computed.
  bool compute_baselines = true;
  forecast::BaselineOptions baselines;

  bool is_given(const std::string& name) const { return given.count(name) > 0; }
};

/// A request with every decision taken (TrainRequest::resolve).
struct ResolvedTrainRequest {
  RnnDataset data;
  DataSpec spec;
  std::string preset;
  /// The options the run uses; initial_weights set only when the user gave them
  /// (options.to_json() "initial_weights_given").
  TrainOptions options;
  /// θ0: the user's weights, or the one initialize_weights(hidden, d, p, init,
  /// init_std, seed, irnn_scale) of the request (docs/rnn.md §5).
  RnnWeights initial_weights;
  InitDiagnostics start;              ///< θ0's forward pass over the training part
  std::vector<std::string> warnings;  ///< the data checks' warnings (rnn_data_checks.h)
  std::string init_from;
  double divergence_value = 0.0;
  bool compute_baselines = true;
  forecast::BaselineOptions baselines;

  /// `options` with initial_weights = θ0: what rnn::train is given.
  TrainOptions train_options() const;
  /// Every option used (summary.json and model.json "options", --print-options):
  /// options.to_json() with "data", "preset", "init_from", "divergence_value"
  /// and (when computed) "baselines".
  nlohmann::json options_json() const;
};

/// Applies the preset (a given option keeps its value), the policy inference
/// (docs/rnn.md §7: --policy, else --alm.policy where the generic driver
/// runs, the reference policy for inner = lbfgs), λ, validation (a
/// TrainRequestError naming the option), the data checks, and initialises the
/// weights once.
ResolvedTrainRequest resolve(TrainRequest request);

/// predictions.csv (docs/rnn.md §8): the test part's data rows, targets and
/// predictions of the model weights, in original units.
struct TrainPredictions {
  std::vector<int> rows;
  Matrix truth;
  Matrix predictions;
};

/// Every output of a training run.
struct TrainOutputs {
  TrainResult result;          ///< the train outcome (history, KKT, selection, …): summary.json
  InitDiagnostics start;       ///< θ0's forward pass (summary.json "start")
  bool failed = false;         ///< training_failed (rnn_train_outcome.h): almkit train exits 3
  std::string failure_cause;   ///< failure_cause's sentence when failed
  std::optional<forecast::ForecastBaselines> baselines;
  RnnModel model;              ///< model.json: the model weights, regularization, scaling, columns, options
  TrainPredictions predictions;
  /// The state after the last outer iteration (checkpoint.json), when any ran.
  std::optional<TrainState> last_state;
  /// last_state with its history pointing at result.history.
  std::optional<TrainState> checkpoint_state() const;
};

/// Trains with hooks: `runner` trains (default rnn::train(data, train_options(), hooks)).
using TrainRunner = std::function<TrainResult(const TrainHooks&)>;

/// Runs a resolved request and assembles every output.
TrainOutputs run_training(const ResolvedTrainRequest& request, const TrainHooks& hooks = {},
                          const TrainRunner& runner = {});

/// The outputs of a finished training `result` (run_training's second half,
/// for a caller that trained by other means: the distributed trainer,
/// docs/parallel.md §3). `h_last`: the final weights' last training state when
/// the training series is gone (else recomputed); `max_abs_value`:
/// max_abs_training_value of the training part (NaN: computed from request.data).
TrainOutputs train_outputs(const ResolvedTrainRequest& request, TrainResult result, const InitDiagnostics& start,
                           const Vector* h_last = nullptr,
                           double max_abs_value = std::numeric_limits<double>::quiet_NaN());

}  // namespace almkit::rnn
