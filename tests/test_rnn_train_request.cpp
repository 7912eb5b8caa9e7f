// One training request (study/rnn_train_request.h, docs/rnn.md §7): presets
// keep the options given by name, the policy is inferred in one place, bad
// requests name their option, and the weights are initialised exactly once —
// the resolved θ0 is the one train() starts from.
#include <string>

#include <doctest/doctest.h>

#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_train_request.h"
#include "almkit/study/rnn_trainer.h"
#include "rnn_test_helpers.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

// A small data set: d = 2 inputs, p = 1 target, 40 train and 10 test steps, original units = scaled.
RnnDataset small_data() {
  RnnDataset data;
  data.train = testing::uniform_series(2, 1, 40, {0}, 11, false);
  data.test = testing::uniform_series(2, 1, 10, {0}, 12, false);
  data.scaling.inputs = ColumnScaling::identity(2);
  data.scaling.targets = ColumnScaling::identity(1);
  data.input_columns = {"a", "b"};
  data.target_columns = {"y"};
  for (int t = 40; t < 50; ++t) data.test_rows.push_back(t);
  return data;
}

TrainRequest small_request() {
  TrainRequest r;
  r.data = small_data();
  r.options.hidden = 3;
  r.options.alm.max_outer_iterations = 3;
  r.given = {"hidden", "alm.max_outer_iterations"};
  return r;
}

bool same(const RnnWeights& a, const RnnWeights& b) {
  return a.W == b.W && a.V == b.V && a.b == b.b && a.A == b.A && a.c == b.c;
}

}  // namespace

TEST_CASE("train request: a preset keeps the options given by name") {
  TrainRequest r = small_request();
  r.preset = "reference";
  r.options.bcd.max_sweeps = 7;  // not given: the preset's 200 stays
  r.options.regularization.lambda2 = 0.5;
  r.given.insert("lambda2");
  r.options.rollout.anderson = 2;
  r.given.insert("rollout.anderson");
  const ResolvedTrainRequest res = resolve(r);
  // The reference preset with the given values merged, and nothing else changed.
  TrainOptions expected = TrainOptions::reference_preset();
  expected.hidden = 3;
  expected.alm.max_outer_iterations = 3;
  expected.regularization.lambda2 = 0.5;
  expected.rollout.anderson = 2;
  CHECK(res.options.to_json() == expected.to_json());
  CHECK(res.options.bcd.max_sweeps == 200);
  CHECK(res.options.policy == TrainPolicy::kReference);
  CHECK_FALSE(res.options.test_continues_from_train);
  CHECK(res.options_json().at("preset") == "reference");

  // Without a preset the options are taken as given; "default" is TrainOptions::defaults() with the given ones
  // (whose policy, time-parallel, refuses a rollout option given by name).
  r.preset = "";
  CHECK_THROWS_WITH_AS(resolve(r), doctest::Contains("option rollout.anderson: policy time-parallel"), TrainRequestError);
  r.given.erase("rollout.anderson");
  CHECK(resolve(r).options.bcd.max_sweeps == 7);
  r.preset = "default";
  CHECK(resolve(r).options.bcd.max_sweeps == TrainOptions::defaults().bcd.max_sweeps);
  CHECK(resolve(r).options.regularization.lambda2 == 0.5);
  // plain: only the rollout step changes; rollout.anderson was given by name.
  r.preset = "plain";
  r.given.insert("rollout.anderson");
  const TrainOptions plain = resolve(r).options;
  CHECK(plain.rollout.kink_manifold == RolloutOptions::plain().kink_manifold);
  CHECK(plain.rollout.anderson == 2);
  CHECK(plain.policy == TrainPolicy::kRollout);
}

TEST_CASE("train request: an unknown preset or a bad option is a TrainRequestError naming the option") {
  TrainRequest r = small_request();
  r.preset = "kkt";
  try {
    resolve(r);
    FAIL("no error");
  } catch (const TrainRequestError& e) {
    CHECK(e.option() == "preset");
    CHECK(std::string(e.what()).find("option preset: unknown preset 'kkt' (known: reference, plain, default)") !=
          std::string::npos);
  }
  auto option_of = [](TrainRequest q) {
    try {
      resolve(std::move(q));
    } catch (const TrainRequestError& e) {
      return e.option();
    }
    return std::string("(none)");
  };
  TrainRequest q = small_request();
  q.policy = "nope";
  CHECK(option_of(q) == "policy");
  q = small_request();
  q.inner = "adam";
  CHECK(option_of(q) == "inner");
  q = small_request();
  q.init = "orthogonal";
  CHECK(option_of(q) == "init");
  q = small_request();
  q.lambda = "often";
  CHECK(option_of(q) == "lambda");
  q = small_request();
  q.options.irnn_scale = std::numeric_limits<double>::infinity();
  CHECK(option_of(q) == "irnn-scale");
  q = small_request();
  q.baselines.ar_order = -3;
  CHECK(option_of(q).rfind("baselines.", 0) == 0);
  q = small_request();
  q.options.hidden = 0;  // TrainOptions::validate names it in the message
  CHECK_THROWS_WITH_AS(resolve(q), doctest::Contains("option hidden"), TrainRequestError);
  q = small_request();
  q.min_train_steps = 100;  // the data checks: 40 training steps
  CHECK_THROWS_WITH_AS(resolve(q), doctest::Contains("--min-train-steps"), TrainRequestError);
}

TEST_CASE("train request: the policy is inferred in one place, as `almkit train --policy` documents") {
  auto policy_of = [](const std::string& preset, const std::string& inner, const std::string& policy,
                      std::optional<AlmPolicy> alm_policy) {
    TrainRequest r = small_request();
    r.preset = preset;
    r.inner = inner;
    r.policy = policy;
    if (alm_policy) {
      r.options.alm.policy = *alm_policy;
      r.given.insert("alm.policy");
    }
    return resolve(r).options.policy_name();
  };
  CHECK(policy_of("", "", "", std::nullopt) == "time-parallel");
  CHECK(policy_of("", "bcd", "", std::nullopt) == "rollout");
  CHECK(policy_of("plain", "", "", std::nullopt) == "rollout");
  CHECK(policy_of("", "", "safeguarded", std::nullopt) == "safeguarded");
  CHECK(policy_of("", "lbfgs", "", std::nullopt) == "reference");
  CHECK(policy_of("", "lbfgs", "", AlmPolicy::kSafeguarded) == "safeguarded");
  CHECK(policy_of("reference", "", "", AlmPolicy::kSafeguarded) == "safeguarded");
  CHECK(policy_of("", "", "", AlmPolicy::kSafeguarded) == "time-parallel");
}

TEST_CASE("train request: --lambda sets lambda1..5 except those given by name; auto turns on the selection") {
  TrainRequest r = small_request();
  r.lambda = "0.25";
  r.options.regularization.lambda3 = 0.125;
  r.given.insert("lambda3");
  const RnnRegularization reg = resolve(r).options.regularization;
  CHECK(reg.lambda1 == 0.25);
  CHECK(reg.lambda3 == 0.125);
  CHECK(reg.lambda5 == 0.25);
  CHECK(reg.lambda6 == RnnRegularization{}.lambda6);
  r.lambda = "auto";
  CHECK(resolve(r).options.selection.lambda_auto);
}

TEST_CASE("train request: the weights are initialised once; train() starts from them") {
  for (const InitScheme scheme : {InitScheme::kIrnn, InitScheme::kPytorch}) {
    TrainRequest r = small_request();
    r.init = to_string(scheme);
    r.options.seed = 17;
    r.options.irnn_scale = 0.5;
    r.given.insert("seed");
    r.given.insert("irnn_scale");
    const ResolvedTrainRequest res = resolve(r);
    INFO(to_string(scheme));
    // The one initialisation equals an independent call with the same seed and IRNN scale.
    const RnnWeights independent = initialize_weights(3, 2, 1, scheme, res.options.init_std, 17, 0.5);
    CHECK(same(res.initial_weights, independent));
    if (scheme == InitScheme::kIrnn) CHECK(res.initial_weights.W == Matrix(0.5 * Matrix::Identity(3, 3)));
    CHECK_FALSE(res.options.initial_weights.has_value());  // options.to_json(): "initial_weights_given": false
    CHECK(res.options_json().at("initial_weights_given") == false);
    CHECK(res.options_json().at("irnn_scale") == 0.5);
    // The run starts from them, and train() initialising by itself draws the same θ0.
    const TrainOutputs out = run_training(res);
    CHECK(same(out.result.initial_weights, res.initial_weights));
    CHECK(same(train(res.data, res.options).initial_weights, res.initial_weights));
    // θ0's diagnostics are the resolved ones.
    CHECK(out.start.train_mse == diagnose_start(independent, res.data.train, res.divergence_value).train_mse);
  }
}

TEST_CASE("train request: run_training returns the model, the predictions and the checkpoint state") {
  const ResolvedTrainRequest res = resolve(small_request());
  int states = 0;
  TrainHooks hooks;
  hooks.on_state = [&](const TrainState&) { ++states; };
  const TrainOutputs out = run_training(res, hooks);
  CHECK(states >= 1);  // the caller's hook still runs, once per outer iteration
  CHECK(states == out.result.summary.outer_iterations);
  CHECK(states <= 3);  // --outer 3 bounds the default policy, its restarts included
  CHECK(same(out.model.weights, out.result.model_weights()));
  CHECK(out.model.target_columns == std::vector<std::string>{"y"});
  CHECK(out.model.test_continues_from_train == res.options.test_continues_from_train);
  CHECK(out.model.options == res.options_json());
  CHECK(out.predictions.rows == res.data.test_rows);
  CHECK(out.predictions.truth == res.data.test.Y);
  CHECK(out.predictions.predictions ==
        test_predictions(out.result.model_weights(), res.data, res.options.test_continues_from_train));
  REQUIRE(out.baselines.has_value());
  CHECK(out.baselines->available);
  CHECK_FALSE(out.failed);
  const auto st = out.checkpoint_state();
  REQUIRE(st.has_value());
  CHECK(st->iteration == states);
  CHECK(st->history == &out.result.history);
}
