// Forecast baselines (study/forecast_baselines.h) against independent computation.
#include <cmath>
#include <random>

#include <Eigen/Dense>
#include <doctest/doctest.h>

#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/forecast_baselines.h"

using namespace almkit;
using namespace almkit::forecast;

namespace {

// y_t = a0 + a1 y_{t−1} + a2 y_{t−2} + e_t, e_t ~ N(0, sd²), seeded.
Vector ar2_series(int n, double a0, double a1, double a2, double sd, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> e(0.0, sd);
  Vector y(n);
  y(0) = 0.0, y(1) = 0.0;
  for (int t = 2; t < n; ++t) y(t) = a0 + a1 * y(t - 1) + a2 * y(t - 2) + e(gen);
  return y;
}

rnn::RnnSeries series_of(const Matrix& X, const Matrix& Y) {
  rnn::RnnSeries s;
  s.X = X;
  s.Y = Y;
  s.omega = Vector::Ones(X.cols());
  return s;
}

}  // namespace

TEST_CASE("forecast baselines: persistence is the previous target") {
  Matrix Y(1, 5);
  Y << 1, 2, 4, 7, 11;
  const Matrix f = persistence_forecast(Y, 3, 5);
  REQUIRE(f.cols() == 2);
  CHECK(f(0, 0) == 4.0);
  CHECK(f(0, 1) == 7.0);
  CHECK_THROWS(persistence_forecast(Y, 0, 2));
}

TEST_CASE("forecast baselines: least-squares AR(2) recovers the coefficients of a synthetic AR(2) series") {
  const Vector y = ar2_series(20000, 0.5, 0.6, -0.3, 0.1, 7);
  const Vector a = fit_ar(y, 2);
  REQUIRE(a.size() == 3);
  CHECK(a(0) == doctest::Approx(0.5).epsilon(0.02));
  CHECK(a(1) == doctest::Approx(0.6).epsilon(0.02));
  CHECK(a(2) == doctest::Approx(-0.3).epsilon(0.03));
  // The least-squares normal equations hold: Zᵀ (Z a − y) = 0, computed by a loop.
  double g0 = 0, g1 = 0, g2 = 0;
  for (int t = 2; t < y.size(); ++t) {
    const double r = a(0) + a(1) * y(t - 1) + a(2) * y(t - 2) - y(t);
    g0 += r, g1 += r * y(t - 1), g2 += r * y(t - 2);
  }
  CHECK(std::abs(g0) < 1e-8);
  CHECK(std::abs(g1) < 1e-8);
  CHECK(std::abs(g2) < 1e-8);
  // Forecasts by hand.
  const Vector f = ar_forecast(y, a, 100, 102);
  CHECK(f(0) == doctest::Approx(a(0) + a(1) * y(99) + a(2) * y(98)));
  CHECK(f(1) == doctest::Approx(a(0) + a(1) * y(100) + a(2) * y(99)));
}

TEST_CASE("forecast baselines: BIC picks order 2 for an AR(2) series, 1 for an AR(1) series") {
  const Vector y2 = ar2_series(3000, 0.0, 0.5, -0.4, 1.0, 11);
  CHECK(select_ar_order_bic(y2.transpose(), 3000, 8) == 2);
  const Vector y1 = ar2_series(3000, 0.0, 0.7, 0.0, 1.0, 12);
  CHECK(select_ar_order_bic(y1.transpose(), 3000, 8) == 1);
}

TEST_CASE("forecast baselines: ridge equals the augmented least-squares problem solved by QR") {
  std::mt19937_64 gen(3);
  std::normal_distribution<double> nd(0.0, 1.0);
  const int d = 4, p = 2, T = 60;
  Matrix X(d, T), Y(p, T);
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < d; ++i) X(i, t) = nd(gen) + 0.3 * i;
  Matrix Btrue(p, d);
  for (int k = 0; k < p; ++k)
    for (int i = 0; i < d; ++i) Btrue(k, i) = nd(gen);
  Y = Btrue * X;
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < p; ++k) Y(k, t) += 0.5 * nd(gen) + 2.0;
  Vector omega = Vector::Ones(T);
  for (int t = 0; t < T; t += 7) omega(t) = 0.0;  // ignored steps
  const double N = omega.sum();
  for (double alpha : {0.0, 1e-2, 0.7}) {
    const RidgeFit f = fit_ridge(X, Y, omega, alpha);
    // (1/N) Σ ω_t (β·[x_t; 1] − y_t)² + α‖β_x‖² = (1/N) ‖[Z; √(Nα) [I 0]] β − [y; 0]‖².
    Matrix Z = Matrix::Zero(T + d, d + 1);
    for (int t = 0; t < T; ++t) {
      const double s = std::sqrt(omega(t));
      Z.block(t, 0, 1, d) = s * X.col(t).transpose();
      Z(t, d) = s;
    }
    for (int i = 0; i < d; ++i) Z(T + i, i) = std::sqrt(N * alpha);
    for (int k = 0; k < p; ++k) {
      Vector rhs = Vector::Zero(T + d);
      for (int t = 0; t < T; ++t) rhs(t) = std::sqrt(omega(t)) * Y(k, t);
      const Vector beta = Z.householderQr().solve(rhs);
      for (int i = 0; i < d; ++i) CHECK(f.B(k, i) == doctest::Approx(beta(i)).epsilon(1e-9));
      CHECK(f.c(k) == doctest::Approx(beta(d)).epsilon(1e-9));
    }
  }
}

TEST_CASE("forecast baselines: the report scores each baseline on the test range by hand") {
  // Univariate-like: x_t = s_t, y_t = s_{t+1} of an AR(2) series.
  const Vector s = ar2_series(301, 0.2, 0.5, -0.2, 0.3, 5);
  const int n = 300, n_train = 240;
  Matrix X = s.head(n).transpose(), Y = s.segment(1, n).transpose();
  rnn::RnnDataset data;
  data.train = series_of(X.leftCols(n_train), Y.leftCols(n_train));
  data.test = series_of(X.rightCols(n - n_train), Y.rightCols(n - n_train));
  BaselineOptions o;
  o.ar_order = 2;
  o.ridge_lambda = 0.05;
  const ForecastBaselines r = forecast_baselines(data, o);
  REQUIRE(r.available);
  // Persistence: ŷ_t = y_{t−1} = x_t here.
  double pers = 0;
  for (int t = n_train; t < n; ++t) pers += (Y(0, t - 1) - Y(0, t)) * (Y(0, t - 1) - Y(0, t));
  CHECK(r.persistence_test_mse == doctest::Approx(pers / (n - n_train)).epsilon(1e-12));
  // AR(2) fitted on the training targets only, forecasts from the observed past.
  const Vector y = Y.row(0).transpose();
  const Vector a = fit_ar(y.head(n_train), 2);
  double ar = 0;
  for (int t = n_train; t < n; ++t) {
    const double e = a(0) + a(1) * y(t - 1) + a(2) * y(t - 2) - y(t);
    ar += e * e;
  }
  CHECK(r.ar_order == 2);
  CHECK(r.ar_order_rule == "option");
  CHECK(r.ar_test_mse == doctest::Approx(ar / (n - n_train)).epsilon(1e-12));
  // Ridge on x_t with the given α, fitted on the training range.
  const RidgeFit f = fit_ridge(data.train.X, data.train.Y, data.train.omega, 0.05);
  CHECK(r.ridge_test_mse == doctest::Approx(rnn::mean_squared_error(f.predict(data.test.X), data.test)).epsilon(1e-12));
  CHECK(r.ridge_lambda_rule == "option");

  // Chosen ridge weight: the grid entry with the least validation MSE, never the test set.
  o.ridge_lambda = -1;
  o.ar_order = 0;
  const ForecastBaselines q = forecast_baselines(data, o);
  REQUIRE(q.ridge_validation_mse.size() == q.ridge_grid.size());
  size_t best = 0;
  for (size_t i = 1; i < q.ridge_grid.size(); ++i)
    if (q.ridge_validation_mse[i] < q.ridge_validation_mse[best]) best = i;
  CHECK(q.ridge_lambda == q.ridge_grid[best]);
  CHECK(q.ar_order_rule == "bic");
  CHECK(q.ar_order == 2);
}

TEST_CASE("forecast baselines: several sequences are not scored, bad grids are refused by name") {
  rnn::RnnDataset data;
  data.train = series_of(Matrix::Ones(1, 20), Matrix::Ones(1, 20));
  data.train.sequence_starts = {0, 10};
  data.test = series_of(Matrix::Ones(1, 5), Matrix::Ones(1, 5));
  CHECK_FALSE(forecast_baselines(data, {}).available);
  CHECK(parse_grid("1e-4, 1e-3,0.1", "g") == std::vector<double>{1e-4, 1e-3, 0.1});
  CHECK_THROWS_WITH(parse_grid("1e-3,abc", "lambda-grid"), doctest::Contains("lambda-grid"));
  CHECK_THROWS(parse_grid("-1", "g"));
  CHECK_THROWS(parse_grid("", "g"));
}
