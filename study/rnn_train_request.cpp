#include "almkit/study/rnn_train_request.h"

#include <cmath>
#include <type_traits>
#include <utility>

#include <fmt/core.h>
#include <fmt/format.h>

#include "almkit/problems/rnn/rnn_data_checks.h"
#include "almkit/study/rnn_train_outcome.h"

namespace almkit::rnn {

TrainRequestError::TrainRequestError(std::string option, std::string detail)
    : std::invalid_argument(option.empty() ? detail : fmt::format("option {}: {}", option, detail)),
      option_(std::move(option)),
      detail_(std::move(detail)) {}

const std::vector<std::string>& train_preset_names() {
  static const std::vector<std::string> names = {"reference", "plain", "default"};
  return names;
}

TrainOptions train_preset(const std::string& name) {
  if (name == "reference") return TrainOptions::reference_preset();
  TrainOptions o = TrainOptions::defaults();
  if (name == "plain") {
    // The rollout policy with its plain step (docs/rnn_bcd.md §8): what the
    // distributed trainer of docs/parallel.md §3 runs.
    o.policy = TrainPolicy::kRollout;
    o.rollout = RolloutOptions::plain();
  } else if (name != "default") {
    throw TrainRequestError("preset", fmt::format("unknown preset '{}' (known: {})", name,
                                                  fmt::join(train_preset_names(), ", ")));
  }
  return o;
}

namespace {

// target.<group>.<field> := given.<group>.<field> for the fields named "<group>.<field>" in `request.given`.
template <class Options>
void keep_given_group(const TrainRequest& request, const char* group, Options& target, const Options& given) {
  std::vector<const void*> given_fields;
  given.visit([&](const char*, const auto& field, const char*) { given_fields.push_back(&field); });
  size_t i = 0;
  target.visit([&](const char* name, auto& field, const char*) {
    using T = std::decay_t<decltype(field)>;
    if (request.is_given(fmt::format("{}.{}", group, name))) field = *static_cast<const T*>(given_fields[i]);
    ++i;
  });
}

// The preset's options with every option the user gave by name.
TrainOptions preset_with_given(const TrainRequest& r) {
  if (r.preset.empty()) return r.options;
  TrainOptions o = train_preset(r.preset);
  const TrainOptions& g = r.options;
  auto keep = [&](const char* name, auto member) {
    if (r.is_given(name)) o.*member = g.*member;
  };
  keep("hidden", &TrainOptions::hidden);
  keep("seed", &TrainOptions::seed);
  keep("init_std", &TrainOptions::init_std);
  keep("irnn_scale", &TrainOptions::irnn_scale);
  keep("threads", &TrainOptions::threads);
  keep("chunk_columns", &TrainOptions::chunk_columns);
  keep("test_continues_from_train", &TrainOptions::test_continues_from_train);
  double RnnRegularization::*lambdas[] = {&RnnRegularization::lambda1, &RnnRegularization::lambda2,
                                          &RnnRegularization::lambda3, &RnnRegularization::lambda4,
                                          &RnnRegularization::lambda5, &RnnRegularization::lambda6};
  for (int i = 0; i < 6; ++i)
    if (r.is_given(fmt::format("lambda{}", i + 1))) o.regularization.*lambdas[i] = g.regularization.*lambdas[i];
  keep_given_group(r, "alm", o.alm, g.alm);
  keep_given_group(r, "bcd", o.bcd, g.bcd);
  keep_given_group(r, "lbfgs", o.lbfgs, g.lbfgs);
  keep_given_group(r, "rollout", o.rollout, g.rollout);
  keep_given_group(r, "parallel", o.parallel, g.parallel);
  keep_given_group(r, "selection", o.selection, g.selection);
  return o;
}

// The outer policy (docs/rnn.md §7) is TrainOptions::policy, set by `policy`;
// without it, alm.policy names the generic driver's strategy where the driver
// runs (the preset, or an L-BFGS inner solver, which the rollout policy cannot
// use: the reference policy unless alm.policy says otherwise). An inner
// solver given by name without a policy leaves the default policy
// time-parallel, whose inner solver is parallel.inner_solver: bcd selects the
// rollout policy (BCD), lbfgs the generic driver.
void resolve_policy(const TrainRequest& r, TrainOptions& o) {
  const bool alm_policy_given = r.is_given("alm.policy");
  if (!r.policy.empty()) {
    if (!parse(r.policy, &o.policy))
      throw TrainRequestError("policy", fmt::format("unknown policy '{}' (rollout | reference | safeguarded | time-parallel)", r.policy));
  } else if (alm_policy_given && o.policy != TrainPolicy::kRollout && o.policy != TrainPolicy::kTimeParallel) {
    o.policy = train_policy(o.alm.policy);
  }
  if (!r.inner.empty() && !parse(r.inner, &o.inner))
    throw TrainRequestError("inner", fmt::format("unknown inner solver '{}' (bcd | lbfgs)", r.inner));
  if (!r.inner.empty() && r.policy.empty() && o.policy == TrainPolicy::kTimeParallel) o.policy = TrainPolicy::kRollout;
  if (o.inner == InnerKind::kLbfgs && r.policy.empty() && o.policy == TrainPolicy::kRollout)
    o.policy = alm_policy_given ? train_policy(o.alm.policy) : TrainPolicy::kReference;
  if (!r.init.empty() && !parse(r.init, &o.init))
    throw TrainRequestError("init", fmt::format("unknown initialization '{}' ({})", r.init, init_scheme_names()));
  // An option of the rollout policy given to policy time-parallel would be
  // silently unused: refused by name (docs/rnn.md §7).
  if (o.policy == TrainPolicy::kTimeParallel)
    for (const std::string& name : r.given)
      if (name.rfind("rollout.", 0) == 0)
        throw TrainRequestError(name, "policy time-parallel (the default) does not use the rollout policy's options "
                                      "(its own are parallel.*): add --policy rollout to run the rollout policy");
}

// λ1..λ5 at once (docs/rnn.md §9): "auto" or a number; λk given by name keeps its value.
void resolve_lambda(const TrainRequest& r, TrainOptions& o) {
  if (!r.lambda) return;
  const std::string& text = *r.lambda;
  o.selection.lambda_auto = text == "auto";
  if (o.selection.lambda_auto) return;
  double v = 0.0;
  try {
    size_t used = 0;
    v = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    throw TrainRequestError("lambda", fmt::format("expected 'auto' or a number >= 0, got '{}'", text));
  }
  double RnnRegularization::*lambdas[] = {&RnnRegularization::lambda1, &RnnRegularization::lambda2,
                                          &RnnRegularization::lambda3, &RnnRegularization::lambda4,
                                          &RnnRegularization::lambda5};
  for (int i = 0; i < 5; ++i)
    if (!r.is_given(fmt::format("lambda{}", i + 1))) o.regularization.*lambdas[i] = v;
}

// The checks that name a request field rather than a TrainOptions field, then TrainOptions::validate.
void validate_request(const TrainRequest& r, const TrainOptions& o) {
  try {
    r.baselines.validate();
  } catch (const std::invalid_argument& e) {
    // "option NAME: …" → option baselines.NAME.
    const std::string what = e.what(), prefix = "option ";
    const size_t colon = what.find(": ");
    if (what.rfind(prefix, 0) != 0 || colon == std::string::npos) throw TrainRequestError("", what);
    throw TrainRequestError("baselines." + what.substr(prefix.size(), colon - prefix.size()), what.substr(colon + 2));
  }
  if (!std::isfinite(o.irnn_scale))
    throw TrainRequestError("irnn-scale", fmt::format("expected a finite number, got {}", o.irnn_scale));
  if (!(r.divergence_value > 0))
    throw TrainRequestError("divergence-value", fmt::format("expected a number > 0, got {}", r.divergence_value));
  if (o.threads < 1) throw TrainRequestError("threads", fmt::format("expected an integer >= 1, got {}", o.threads));
  if (o.chunk_columns < 0)
    throw TrainRequestError("chunk-columns", fmt::format("expected an integer >= 0, got {}", o.chunk_columns));
  if (r.min_train_steps < 1)
    throw TrainRequestError("min-train-steps", fmt::format("expected an integer >= 1, got {}", r.min_train_steps));
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    throw TrainRequestError("", e.what());  // names the option itself
  }
}

}  // namespace

ResolvedTrainRequest resolve(TrainRequest request) {
  const TrainRequest& r = request;
  TrainOptions o = preset_with_given(r);
  resolve_policy(r, o);
  resolve_lambda(r, o);
  validate_request(r, o);
  ResolvedTrainRequest out;
  try {
    out.warnings = check_training_data(r.data, o.hidden, r.min_train_steps);
  } catch (const std::invalid_argument& e) {
    throw TrainRequestError("", e.what());  // names --min-train-steps itself
  }
  const int m = o.hidden, d = r.data.train.d(), p = r.data.train.p();
  if (r.initial_weights) {
    const RnnWeights& w = *r.initial_weights;
    if (w.m() != m || w.V.rows() != m || w.V.cols() != d || w.A.rows() != p || w.A.cols() != m || w.b.size() != m ||
        w.c.size() != p)
      throw TrainRequestError(r.init_from.empty() ? "initial_weights" : "init-from",
                              fmt::format("weights of shapes for m = {}, d = {}, p = {} expected (hidden, the "
                                          "input and the target columns)",
                                          m, d, p));
    o.initial_weights = w;
    out.initial_weights = w;
  } else {
    // The one initialisation of the run (docs/rnn.md §5): train() is given these weights.
    o.initial_weights.reset();
    out.initial_weights = initialize_weights(m, d, p, o.init, o.init_std, o.seed, o.irnn_scale);
  }
  out.start = diagnose_start(out.initial_weights, r.data.train, r.divergence_value);
  out.options = std::move(o);
  out.preset = r.preset;
  out.init_from = r.init_from;
  out.divergence_value = r.divergence_value;
  out.compute_baselines = r.compute_baselines;
  out.baselines = r.baselines;
  out.spec = std::move(request.spec);
  out.data = std::move(request.data);
  return out;
}

TrainOptions ResolvedTrainRequest::train_options() const {
  TrainOptions o = options;
  o.initial_weights = initial_weights;
  return o;
}

nlohmann::json ResolvedTrainRequest::options_json() const {
  nlohmann::json j = options.to_json();
  j["data"] = {{"path", spec.path},
               {"target", data.target_columns},
               {"inputs", data.input_columns},
               {"univariate", data.univariate},
               {"scaling", to_string(spec.scaling)},
               {"train_fraction", spec.train_fraction},
               {"sequence_column", spec.sequence_column},
               {"train_sequences", data.train.sequence_starts.size()},
               {"test_sequences", data.test.sequence_starts.size()},
               {"train_steps", data.train.T()},
               {"test_steps", data.test.T()}};
  j["preset"] = preset;
  if (compute_baselines)
    baselines.visit([&j](const char* name, const auto& field, const char*) { j["baselines"][name] = field; });
  j["init_from"] = init_from;
  j["divergence_value"] = divergence_value;
  return j;
}

std::optional<TrainState> TrainOutputs::checkpoint_state() const {
  std::optional<TrainState> s = last_state;
  if (s) s->history = &result.history;
  return s;
}

TrainOutputs run_training(const ResolvedTrainRequest& request, const TrainHooks& hooks, const TrainRunner& runner) {
  std::optional<TrainState> last;
  TrainHooks h = hooks;
  h.on_state = [&](const TrainState& st) {
    last = st;
    last->history = nullptr;  // points into the result once it exists (TrainOutputs::checkpoint_state)
    if (hooks.on_state) hooks.on_state(st);
  };
  TrainResult res = runner ? runner(h) : train(request.data, request.train_options(), h);
  TrainOutputs out = train_outputs(request, std::move(res), request.start);
  out.last_state = std::move(last);
  return out;
}

TrainOutputs train_outputs(const ResolvedTrainRequest& request, TrainResult result, const InitDiagnostics& start,
                           const Vector* h_last, double max_abs_value) {
  const TrainOptions& o = request.options;
  const RnnDataset& data = request.data;
  TrainOutputs out;
  out.result = std::move(result);
  const TrainResult& res = out.result;
  out.start = start;
  out.failed = training_failed(res);
  if (out.failed)
    out.failure_cause = failure_cause(res, request.spec.scaling,
                                      std::isnan(max_abs_value) ? max_abs_training_value(data.train) : max_abs_value,
                                      start);
  if (request.compute_baselines) out.baselines = forecast::forecast_baselines(data, request.baselines);

  RnnModel& model = out.model;
  model.weights = res.model_weights();
  model.regularization = res.lambda_selection.enabled ? res.regularization : o.regularization;
  model.scaling = data.scaling;
  model.input_columns = data.input_columns;
  model.target_columns = data.target_columns;
  model.univariate = data.univariate;
  model.test_continues_from_train = o.test_continues_from_train;
  model.options = request.options_json();

  TrainPredictions& pr = out.predictions;
  pr.rows = data.test_rows;
  pr.predictions = h_last == nullptr
                       ? test_predictions(res.model_weights(), data, o.test_continues_from_train)
                       : data.scaling.targets.invert(predict_series(res.model_weights(), data.test,
                                                                    o.test_continues_from_train ? h_last : nullptr));
  pr.truth = data.scaling.targets.invert(data.test.Y);
  return out;
}

}  // namespace almkit::rnn
