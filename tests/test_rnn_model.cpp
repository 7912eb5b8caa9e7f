// The reduced RNN model (docs/rnn.md §5): BPTT gradient against central
// differences (several sequences, windows with carried state), KKT rows of
// (P) against BPTT, initializations, save/load bit for bit.
#include <cmath>
#include <filesystem>
#include <random>

#include <unistd.h>

#include <doctest/doctest.h>

#include "cli_test_helpers.h"

#include "rnn_test_helpers.h"
#include "almkit/problems/rnn/rnn_model.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

RnnSeries random_series(int d, int p, int T, std::vector<int> starts, std::uint64_t seed) {
  return almkit::rnn::testing::uniform_series(d, p, T, std::move(starts), seed, /*with_gaps=*/false);
}

RnnWeights random_weights(int m, int d, int p, std::uint64_t seed) {
  RnnWeights w = initialize_weights(m, d, p, InitScheme::kGaussian, 0.5, seed);
  std::mt19937_64 rng(seed + 7);
  std::normal_distribution<double> n(0.0, 0.3);
  for (int i = 0; i < m; ++i) w.b(i) = n(rng);
  for (int i = 0; i < p; ++i) w.c(i) = n(rng);
  return w;
}

// Max relative deviation of the BPTT gradient from central differences.
double gradient_error(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg,
                      const ReducedWindow& win) {
  const int m = w.m(), d = data.d(), p = data.p();
  RnnWeights g;
  reduced_objective(w, data, reg, win, &g);
  const Vector theta = flatten(w), grad = flatten(g);
  double worst = 0.0;
  const double h = 1e-6;
  for (int k = 0; k < theta.size(); ++k) {
    Vector tp = theta, tm = theta;
    tp(k) += h;
    tm(k) -= h;
    const double fd = (reduced_objective(unflatten(tp, m, d, p), data, reg, win).value -
                       reduced_objective(unflatten(tm, m, d, p), data, reg, win).value) /
                      (2 * h);
    worst = std::max(worst, std::abs(fd - grad(k)) / std::max(1.0, std::abs(fd)));
  }
  return worst;
}

}  // namespace

TEST_CASE("rnn model: flatten/unflatten round trip and layout") {
  const RnnWeights w = random_weights(3, 2, 2, 1);
  const Vector theta = flatten(w);
  CHECK(theta.size() == num_parameters(3, 2, 2));
  CHECK(theta(1) == w.W(1, 0));  // column-major vec(W) first
  CHECK(theta(9) == w.V(0, 0));
  const RnnWeights v = unflatten(theta, 3, 2, 2);
  CHECK(v.W == w.W);
  CHECK(v.V == w.V);
  CHECK(v.b == w.b);
  CHECK(v.A == w.A);
  CHECK(v.c == w.c);
}

TEST_CASE("rnn model: full-series value equals f at the forward pass") {
  const RnnSeries data = random_series(3, 2, 12, {0, 5}, 3);
  const RnnWeights w = random_weights(4, 3, 2, 4);
  RnnRegularization reg;
  reg.lambda6 = 0.05;
  const ReducedValue v = reduced_objective(w, data, reg);
  const RnnStates s = forward_pass(w, data);
  const double mse = mean_squared_error(predict(w, s.H), data);
  CHECK(v.loss == doctest::Approx(mse).epsilon(1e-14));
  const double f = mse + 0.01 * (w.A.squaredNorm() + w.W.squaredNorm() + w.V.squaredNorm() + w.b.squaredNorm() +
                                 w.c.squaredNorm()) +
                   0.05 * s.U.squaredNorm();
  CHECK(v.value == doctest::Approx(f).epsilon(1e-14));
}

TEST_CASE("rnn model: BPTT gradient matches central differences") {
  RnnRegularization reg;
  reg.lambda1 = 0.02;
  reg.lambda2 = 0.03;
  reg.lambda3 = 0.04;
  reg.lambda4 = 0.05;
  reg.lambda5 = 0.06;
  reg.lambda6 = 0.07;
  SUBCASE("one sequence") {
    const RnnSeries data = random_series(3, 2, 15, {0}, 11);
    CHECK(gradient_error(random_weights(5, 3, 2, 12), data, reg, {}) < 1e-6);
  }
  SUBCASE("several sequences, some targets unobserved") {
    RnnSeries data = random_series(2, 1, 20, {0, 6, 7, 14}, 13);
    data.omega(3) = 0.0;
    data.omega(13) = 0.0;
    data.Y(0, 3) = std::numeric_limits<double>::quiet_NaN();  // ignored where ω = 0
    CHECK(gradient_error(random_weights(4, 2, 1, 14), data, reg, {}) < 1e-6);
  }
  SUBCASE("windows with carried state") {
    const RnnSeries data = random_series(3, 2, 24, {0, 17}, 15);
    const RnnWeights w = random_weights(5, 3, 2, 16);
    const Vector h0 = Vector::LinSpaced(5, 0.1, 0.9);
    ReducedWindow win;
    win.t0 = 6;
    win.t1 = 20;  // crosses the sequence start at 17
    win.h_initial = &h0;
    win.normalization = 24.0;
    win.weight_penalty_scale = 0.25;
    CHECK(gradient_error(w, data, reg, win) < 1e-6);
    // ∂F/∂h_{t0−1} by central differences.
    Vector gh;
    reduced_objective(w, data, reg, win, nullptr, &gh);
    for (int i = 0; i < 5; ++i) {
      Vector hp = h0, hm = h0;
      hp(i) += 1e-6;
      hm(i) -= 1e-6;
      ReducedWindow wp = win, wm = win;
      wp.h_initial = &hp;
      wm.h_initial = &hm;
      const double fd =
          (reduced_objective(w, data, reg, wp).value - reduced_objective(w, data, reg, wm).value) / 2e-6;
      CHECK(gh(i) == doctest::Approx(fd).epsilon(1e-6));
    }
  }
}

TEST_CASE("rnn model: consecutive windows with carried state reproduce the full pass") {
  const RnnSeries data = random_series(2, 1, 30, {0}, 21);
  const RnnWeights w = random_weights(4, 2, 1, 22);
  RnnRegularization reg;
  reg.lambda6 = 0.0;
  const ReducedValue full = reduced_objective(w, data, reg);
  double loss = 0.0;
  Vector h;
  for (int t0 = 0; t0 < 30; t0 += 7) {
    ReducedWindow win;
    win.t0 = t0;
    win.t1 = std::min(30, t0 + 7);
    win.h_initial = t0 == 0 ? nullptr : &h;
    win.normalization = data.N();
    const ReducedValue v = reduced_objective(w, data, reg, win);
    loss += v.loss;
    h = v.h_last;
  }
  CHECK(loss == doctest::Approx(full.loss).epsilon(1e-13));
  CHECK((h - full.h_last).norm() < 1e-14);
}

TEST_CASE("rnn model: BPTT multipliers satisfy the KKT rows of (P) at a forward-pass point") {
  // Independent of the BPTT code path: the KKT rows of docs/rnn.md §3 written out.
  const RnnSeries data = random_series(3, 2, 16, {0, 9}, 31);
  const RnnWeights w = random_weights(4, 3, 2, 32);
  RnnRegularization reg;
  reg.lambda6 = 0.01;
  Matrix xi1, xi2;
  bptt_multipliers(w, data, reg, &xi1, &xi2);
  const RnnStates s = forward_pass(w, data);
  const double N = data.N();
  Matrix R = predict(w, s.H) - data.Y;
  // ∂h_t and ∂u_t rows vanish.
  for (int t = 0; t < data.T(); ++t) {
    Vector dh = (2.0 / N) * w.A.transpose() * R.col(t) + xi2.col(t);
    if (!data.is_sequence_end(t)) dh -= w.W.transpose() * xi1.col(t + 1);
    CHECK(dh.lpNorm<Eigen::Infinity>() < 1e-14);
    Vector du = 2.0 * reg.lambda6 * s.U.col(t) + xi1.col(t);
    for (int i = 0; i < w.m(); ++i) du(i) -= (s.U(i, t) > 0 ? 1.0 : 0.0) * xi2(i, t);
    CHECK(du.lpNorm<Eigen::Infinity>() < 1e-14);
  }
  // ∂W/∂V/∂b rows equal the reduced gradient.
  RnnWeights g;
  reduced_objective(w, data, reg, {}, &g);
  Matrix dW = 2 * reg.lambda2 * w.W, dV = 2 * reg.lambda3 * w.V;
  Vector db = 2 * reg.lambda4 * w.b;
  for (int t = 0; t < data.T(); ++t) {
    if (!data.is_sequence_start(t)) dW -= xi1.col(t) * s.H.col(t - 1).transpose();
    dV -= xi1.col(t) * data.X.col(t).transpose();
    db -= xi1.col(t);
  }
  CHECK((dW - g.W).lpNorm<Eigen::Infinity>() < 1e-13);
  CHECK((dV - g.V).lpNorm<Eigen::Infinity>() < 1e-13);
  CHECK((db - g.b).lpNorm<Eigen::Infinity>() < 1e-13);
}

TEST_CASE("rnn model: initializations are seeded, scaled by fan-in, with zero biases") {
  const RnnWeights a = initialize_weights(50, 30, 2, InitScheme::kGaussian, 1e-3, 7);
  const RnnWeights b = initialize_weights(50, 30, 2, InitScheme::kGaussian, 1e-3, 7);
  const RnnWeights c = initialize_weights(50, 30, 2, InitScheme::kGaussian, 1e-3, 8);
  CHECK(a.W == b.W);
  CHECK(a.V == b.V);
  CHECK(a.A == b.A);
  CHECK(a.W != c.W);
  CHECK(a.b.isZero(0));
  CHECK(a.c.isZero(0));
  auto sd = [](const Matrix& M) { return std::sqrt(M.squaredNorm() / static_cast<double>(M.size())); };
  CHECK(sd(a.W) == doctest::Approx(1e-3).epsilon(0.05));
  const RnnWeights he = initialize_weights(50, 30, 2, InitScheme::kHe, 0.0, 1);
  CHECK(sd(he.W) == doctest::Approx(std::sqrt(2.0 / 50)).epsilon(0.05));
  CHECK(sd(he.V) == doctest::Approx(std::sqrt(2.0 / 30)).epsilon(0.05));
  const RnnWeights gl = initialize_weights(50, 30, 2, InitScheme::kGlorot, 0.0, 1);
  CHECK(sd(gl.V) == doctest::Approx(std::sqrt(2.0 / 80)).epsilon(0.05));
  const RnnWeights lc = initialize_weights(50, 30, 2, InitScheme::kLecun, 0.0, 1);
  CHECK(sd(lc.W) == doctest::Approx(std::sqrt(1.0 / 50)).epsilon(0.05));
  InitScheme s;
  CHECK(parse("glorot", &s));
  CHECK(s == InitScheme::kGlorot);
  CHECK_FALSE(parse("xavier", &s));
}

TEST_CASE("rnn model: save then load reproduces predictions bit for bit") {
  RnnModel model;
  model.weights = random_weights(6, 3, 1, 41);
  model.weights.W *= 1.0 / 3.0;  // non-terminating binary fractions
  model.regularization.lambda6 = 1e-8;
  model.input_columns = {"a", "b", "c"};
  model.target_columns = {"y"};
  model.scaling.kind = Scaling::kStandardize;
  model.scaling.inputs.offset = Vector::Constant(3, 0.1);
  model.scaling.inputs.scale = Vector::Constant(3, 3.0);
  model.scaling.targets.offset = Vector::Constant(1, 1.0 / 7.0);
  model.scaling.targets.scale = Vector::Constant(1, 2.0 / 3.0);
  model.options = {{"hidden", 6}};
  const auto dir = almkit::testing::fresh_temp_dir("almkit_test_rnn_model", "save");
  const std::string path = (dir / "model.json").string();
  save_model(model, path);
  const RnnModel back = load_model(path);
  CHECK(back.weights.W == model.weights.W);
  CHECK(back.weights.V == model.weights.V);
  CHECK(back.weights.b == model.weights.b);
  CHECK(back.weights.A == model.weights.A);
  CHECK(back.weights.c == model.weights.c);
  CHECK(back.scaling.targets.scale == model.scaling.targets.scale);
  CHECK(back.input_columns == model.input_columns);
  CHECK(back.options["hidden"] == 6);
  const RnnSeries data = random_series(3, 1, 40, {0}, 42);
  const Matrix p1 = model.scaling.targets.invert(predict_series(model.weights, data));
  const Matrix p2 = back.scaling.targets.invert(predict_series(back.weights, data));
  CHECK(p1 == p2);  // bitwise

  CHECK_THROWS_AS(load_model((dir / "none.json").string()), std::invalid_argument);
  write_file_atomically((dir / "bad.json").string(), "{\"format\": \"almkit-rnn-model\", \"m\": 2}");
  CHECK_THROWS_WITH_AS(load_model((dir / "bad.json").string()), doctest::Contains("missing field"),
                       std::invalid_argument);
}
