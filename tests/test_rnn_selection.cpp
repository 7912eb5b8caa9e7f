// Model selection in rnn::train (docs/rnn.md §9): the validation tail with
// best-weight keeping and early stopping, and λ auto by rolling-origin validation.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/forecast_baselines.h"
#include "almkit/study/rnn_trainer.h"
#include "cli_test_helpers.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

// x_t ~ N(0, 1); y_t = tanh(2 x_t) on the first `n_fit` steps and −tanh(2 x_t)
// after them: the better the model fits the first part, the worse it forecasts
// the rest, so the validation MSE rises while F falls.
RnnDataset flipped_dataset(int T, int n_fit, int n_test) {
  std::mt19937_64 gen(17);
  std::normal_distribution<double> nd(0.0, 1.0);
  const int n = T + n_test;
  Matrix X(1, n), Y(1, n);
  for (int t = 0; t < n; ++t) {
    X(0, t) = nd(gen);
    Y(0, t) = (t < n_fit ? 1.0 : -1.0) * std::tanh(2.0 * X(0, t));
  }
  RnnDataset data;
  data.train.X = X.leftCols(T);
  data.train.Y = Y.leftCols(T);
  data.train.omega = Vector::Ones(T);
  data.test.X = X.rightCols(n_test);
  data.test.Y = Y.rightCols(n_test);
  data.test.omega = Vector::Ones(n_test);
  return data;
}

TrainOptions small_options() {
  TrainOptions o = TrainOptions::defaults();
  o.hidden = 4;
  o.init_std = 0.3;
  o.alm.max_outer_iterations = 60;
  o.threads = 1;
  return o;
}

bool same(const RnnWeights& a, const RnnWeights& b) {
  return a.W == b.W && a.V == b.V && a.b == b.b && a.A == b.A && a.c == b.c;
}

// Validation MSE computed independently: one forward pass over the whole
// training range from h_0 = 0, scored on its last `n_val` steps.
double independent_validation_mse(const RnnWeights& w, const RnnSeries& train, int n_val) {
  const RnnStates s = forward_pass(w, train);
  const Matrix yhat = predict(w, s.H);
  double e = 0.0;
  for (int t = train.T() - n_val; t < train.T(); ++t) e += (yhat.col(t) - train.Y.col(t)).squaredNorm();
  return e / n_val;
}

}  // namespace

TEST_CASE("validation: the model is the checked iterate with the least validation MSE") {
  const RnnDataset data = flipped_dataset(100, 80, 10);
  TrainOptions o = small_options();
  o.selection.validation = 0.2;
  std::map<int, RnnWeights> seen;
  TrainHooks hooks;
  hooks.on_state = [&](const TrainState& st) { seen[st.iteration] = st.weights; };
  const TrainResult r = train(data, o, hooks);
  const ValidationReport& v = r.validation;
  REQUIRE(v.enabled);
  CHECK(v.fit_steps == 80);
  CHECK(v.validation_steps == 20);
  REQUIRE(v.iterations.size() == v.mse.size());
  REQUIRE(v.iterations.size() >= 3);
  double least = v.mse.front();
  for (double e : v.mse) least = std::min(least, e);
  CHECK(v.best.validation_mse == least);
  // The validation MSE rose after the best point: the model is not the final iterate.
  CHECK(v.best.iteration < v.final.iteration);
  CHECK(v.final.validation_mse > v.best.validation_mse);
  CHECK(same(r.model_weights(), v.best_weights));
  CHECK_FALSE(same(r.model_weights(), r.weights));
  if (v.best.iteration > 0) {
    REQUIRE(seen.count(v.best.iteration) == 1);
    CHECK(same(v.best_weights, seen[v.best.iteration]));
  } else {
    CHECK(same(v.best_weights, r.initial_weights));
  }
  CHECK(independent_validation_mse(v.best_weights, data.train, 20) == doctest::Approx(v.best.validation_mse).epsilon(1e-12));
  CHECK(independent_validation_mse(r.weights, data.train, 20) == doctest::Approx(v.final.validation_mse).epsilon(1e-12));
  // The fit used the first 80 steps only: F falls along the run.
  CHECK(v.final.objective < v.best.objective);
  CHECK(r.model_metrics().test_mse == v.best.test_mse);
}

TEST_CASE("validation: patience stops the run that many checks after the best one") {
  const RnnDataset data = flipped_dataset(100, 80, 10);
  TrainOptions o = small_options();
  o.policy = TrainPolicy::kRollout;  // many small steps: the validation MSE has a minimum inside the run
  o.selection.validation = 0.2;
  o.selection.patience = 3;
  const TrainResult r = train(data, o);
  const ValidationReport& v = r.validation;
  REQUIRE(v.stopped_early);
  CHECK(r.summary.status == AlmStatus::kStoppedByCallback);
  CHECK(v.final.iteration == v.best.iteration + 3);
  CHECK(r.summary.message.find("early stopping") != std::string::npos);
  // Checks every 2 iterations: the stop comes 3 checks = 6 iterations after the best.
  o.selection.validation_every = 2;
  const TrainResult q = train(data, o);
  REQUIRE(q.validation.stopped_early);
  CHECK(q.validation.best.iteration % 2 == 0);
  CHECK(q.validation.final.iteration == q.validation.best.iteration + 6);
}

TEST_CASE("lambda auto: the grid entry with the least rolling-origin score, deterministic, then the whole range") {
  std::mt19937_64 gen(5);
  std::normal_distribution<double> nd(0.0, 1.0);
  const int T = 90, n_test = 10;
  Matrix s(1, T + n_test + 1);
  s(0, 0) = 0.0;
  for (int t = 1; t < s.cols(); ++t) s(0, t) = 0.8 * s(0, t - 1) + 0.5 * nd(gen);
  RnnDataset data;
  data.train.X = s.leftCols(T);
  data.train.Y = s.middleCols(1, T);
  data.train.omega = Vector::Ones(T);
  data.test.X = s.middleCols(T, n_test);
  data.test.Y = s.middleCols(T + 1, n_test);
  data.test.omega = Vector::Ones(n_test);
  TrainOptions o = small_options();
  o.alm.max_outer_iterations = 30;
  o.selection.lambda_auto = true;
  o.selection.lambda_grid = "1e-3, 1";
  o.selection.lambda_folds = 2;
  o.selection.lambda_span = 0.2;
  const TrainResult r = train(data, o);
  const LambdaSelection& l = r.lambda_selection;
  REQUIRE(l.enabled);
  REQUIRE(l.grid == std::vector<double>{1e-3, 1.0});
  CHECK(l.block_steps == 9);
  CHECK(l.origins == std::vector<int>{72, 81});
  REQUIRE(l.score.size() == 2);
  CHECK(l.chosen == (l.score[1] < l.score[0] ? 1.0 : 1e-3));
  CHECK(r.regularization.lambda1 == l.chosen);
  CHECK(r.regularization.lambda5 == l.chosen);
  CHECK(r.regularization.lambda6 == o.regularization.lambda6);
  // One fold's score by an independent run on the fold's own data set.
  RnnDataset fold;
  fold.train.X = data.train.X.leftCols(81);
  fold.train.Y = data.train.Y.leftCols(81);
  fold.train.omega = Vector::Ones(81);
  fold.test.X = data.train.X.middleCols(81, 9);
  fold.test.Y = data.train.Y.middleCols(81, 9);
  fold.test.omega = Vector::Ones(9);
  TrainOptions fo = small_options();
  fo.alm.max_outer_iterations = 30;
  fo.regularization.lambda1 = fo.regularization.lambda2 = fo.regularization.lambda3 = fo.regularization.lambda4 =
      fo.regularization.lambda5 = 1.0;
  CHECK(train(fold, fo).final_metrics.test_mse == l.fold_mse[1][1]);
  CHECK(l.score[1] == doctest::Approx((l.fold_mse[1][0] + l.fold_mse[1][1]) / 2).epsilon(1e-15));
  // The final run is the plain run with the chosen λ.
  TrainOptions chosen = small_options();
  chosen.alm.max_outer_iterations = 30;
  chosen.regularization.lambda1 = chosen.regularization.lambda2 = chosen.regularization.lambda3 =
      chosen.regularization.lambda4 = chosen.regularization.lambda5 = l.chosen;
  CHECK(same(train(data, chosen).weights, r.weights));
  // Same seed, same choice and the same scores.
  const TrainResult again = train(data, o);
  CHECK(again.lambda_selection.score == l.score);
  CHECK(again.lambda_selection.chosen == l.chosen);
}

TEST_CASE("selection options: bad values are refused by name, resume is refused") {
  TrainOptions o = TrainOptions::defaults();
  o.selection.validation = 1.0;
  CHECK_THROWS_WITH(o.validate(), doctest::Contains("validation"));
  o.selection.validation = 0.2;
  o.selection.patience = -1;
  CHECK_THROWS_WITH(o.validate(), doctest::Contains("patience"));
  o.selection.patience = 0;
  o.selection.lambda_grid = "1e-3,x";
  CHECK_THROWS_WITH(o.validate(), doctest::Contains("lambda-grid"));
  o.selection.lambda_grid = "1e-3";
  o.selection.lambda_folds = 0;
  CHECK_THROWS_WITH(o.validate(), doctest::Contains("lambda-folds"));
  // Too short a training range for the validation tail.
  RnnDataset tiny = flipped_dataset(3, 3, 1);
  TrainOptions t = small_options();
  t.selection.validation = 0.7;
  CHECK_THROWS_WITH(train(tiny, t), doctest::Contains("option validation"));
  TrainResume resume;
  TrainHooks hooks;
  hooks.resume = &resume;
  CHECK_THROWS_WITH(train(flipped_dataset(50, 40, 5), t, hooks), doctest::Contains("cannot be resumed"));
}

// ------------------------------------------------------------ almkit train

TEST_CASE("almkit train --validation: model.json holds the best-validation weights, baselines in summary.json") {
  namespace fs = std::filesystem;
  const fs::path dir = almkit::testing::fresh_temp_dir("almkit_selection", "cli");
  const almkit::testing::CliRun r = almkit::testing::run_cli(
      fmt::format("train --validation 0.2 --patience 20 --outer 150 --hidden 6 --quiet --no-plots --out \"{}\"", dir.string()));
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("baselines (test MSE") != std::string::npos);
  CHECK(r.output.find("  best   iteration") != std::string::npos);
  const nlohmann::json s = nlohmann::json::parse(almkit::testing::slurp(dir / "summary.json"));
  const nlohmann::json& v = s.at("validation");
  CHECK(v.at("fit_steps").get<int>() == 393 - 78);
  CHECK(v.at("validation_steps").get<int>() == 78);
  const std::vector<double> curve = v.at("curve").at("validation_mse").get<std::vector<double>>();
  REQUIRE(!curve.empty());
  const double best = v.at("best").at("validation_mse").get<double>();
  CHECK(best == *std::min_element(curve.begin(), curve.end()));
  CHECK(s.at("test_mse").get<double>() == v.at("best").at("test_mse").get<double>());
  // The saved weights, scored independently on the held-out steps.
  const RnnModel model = load_model((dir / "model.json").string());
  DataSpec spec;
  spec.path = default_data_path();
  const RnnDataset data = load_dataset(spec);
  CHECK(independent_validation_mse(model.weights, data.train, 78) == doctest::Approx(best).epsilon(1e-12));
  // The baselines are those of the library on the same data.
  const forecast::ForecastBaselines b = forecast::forecast_baselines(data, {});
  const nlohmann::json& sb = s.at("baselines");
  REQUIRE(sb.at("available").get<bool>());
  CHECK(sb.at("persistence").at("test_mse").get<double>() == doctest::Approx(b.persistence_test_mse).epsilon(1e-12));
  CHECK(sb.at("ar").at("test_mse").get<double>() == doctest::Approx(b.ar_test_mse).epsilon(1e-12));
  CHECK(sb.at("ridge").at("test_mse").get<double>() == doctest::Approx(b.ridge_test_mse).epsilon(1e-12));
  CHECK(s.at("lambda_selection").is_null());
}

TEST_CASE("almkit train: --preset reference keeps no validation and lambda 0.01, bad --lambda is exit 2") {
  namespace fs = std::filesystem;
  const fs::path dir = almkit::testing::fresh_temp_dir("almkit_selection", "preset");
  const almkit::testing::CliRun r = almkit::testing::run_cli(
      fmt::format("train --preset reference --outer 1 --bcd.max_sweeps 3 --quiet --no-plots --out \"{}\"", dir.string()));
  INFO(r.output);
  REQUIRE(r.code == 0);
  const nlohmann::json s = nlohmann::json::parse(almkit::testing::slurp(dir / "summary.json"));
  CHECK(s.at("validation").is_null());
  CHECK(s.at("lambda_selection").is_null());
  CHECK(s.at("options").at("selection").at("validation").get<double>() == 0.0);
  CHECK_FALSE(s.at("options").at("selection").at("lambda_auto").get<bool>());
  CHECK(s.at("options").at("lambda1").get<double>() == 0.01);
  const almkit::testing::CliRun bad = almkit::testing::run_cli("train --lambda often --quiet --no-plots");
  CHECK(bad.code == 2);
  CHECK(bad.output.find("--lambda") != std::string::npos);
  const almkit::testing::CliRun badv = almkit::testing::run_cli("train --validation 1.5 --quiet --no-plots");
  CHECK(badv.code == 2);
  CHECK(badv.output.find("validation") != std::string::npos);
}
