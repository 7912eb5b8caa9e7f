// Forecast baselines (study/forecast_baselines.h; docs/rnn.md §9).
#include "almkit/study/forecast_baselines.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <Eigen/Dense>
#include <fmt/core.h>

#include "almkit/problems/rnn/rnn_model.h"

namespace almkit::forecast {

void BaselineOptions::validate() const {
  if (ar_order < 0) throw std::invalid_argument(fmt::format("option ar_order: expected an integer >= 0, got {}", ar_order));
  if (ar_max_order < 1)
    throw std::invalid_argument(fmt::format("option ar_max_order: expected an integer >= 1, got {}", ar_max_order));
  if (!std::isfinite(ridge_lambda))
    throw std::invalid_argument(fmt::format("option ridge_lambda: expected a finite number, got {}", ridge_lambda));
  if (!(ridge_validation > 0.0 && ridge_validation < 1.0))
    throw std::invalid_argument(
        fmt::format("option ridge_validation: expected a fraction in (0, 1), got {}", ridge_validation));
  parse_grid(ridge_grid, "ridge_grid");
}

std::vector<double> parse_grid(const std::string& text, const std::string& option) {
  std::vector<double> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    const size_t a = item.find_first_not_of(' '), b = item.find_last_not_of(' ');
    item = a == std::string::npos ? std::string() : item.substr(a, b - a + 1);
    if (!item.empty()) {
      size_t used = 0;
      double v = std::numeric_limits<double>::quiet_NaN();
      try {
        v = std::stod(item, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != item.size() || !std::isfinite(v) || v < 0.0)
        throw std::invalid_argument(
            fmt::format("option {}: expected comma-separated finite numbers >= 0, got '{}'", option, item));
      out.push_back(v);
    }
    start = end + 1;
  }
  if (out.empty()) throw std::invalid_argument(fmt::format("option {}: expected at least one number", option));
  return out;
}

Matrix persistence_forecast(const Matrix& Y, int t0, int t1) {
  if (t0 < 1 || t1 > Y.cols() || t1 < t0) throw std::invalid_argument("persistence_forecast: bad range");
  return Y.middleCols(t0 - 1, t1 - t0);
}

namespace {

// Rows t = first..n−1 of the lag design [1, y_{t−1}, …, y_{t−p}].
Matrix lag_design(const Vector& y, int order, int first) {
  const int n = static_cast<int>(y.size());
  Matrix Z(n - first, order + 1);
  for (int t = first; t < n; ++t) {
    Z(t - first, 0) = 1.0;
    for (int k = 1; k <= order; ++k) Z(t - first, k) = y(t - k);
  }
  return Z;
}

}  // namespace

Vector fit_ar(const Vector& y, int order, int first) {
  if (first < 0) first = order;
  const int n = static_cast<int>(y.size());
  if (order < 1 || first < order || n - first < order + 1)
    throw std::invalid_argument(fmt::format("fit_ar: {} values are too few for AR({}) from t = {}", n, order, first));
  const Matrix Z = lag_design(y, order, first);
  // Column-pivoted QR: the least-squares solution without forming ZᵀZ.
  return Z.colPivHouseholderQr().solve(y.tail(n - first));
}

double ar_rss(const Vector& y, const Vector& coefficients, int first) {
  const int order = static_cast<int>(coefficients.size()) - 1;
  const int n = static_cast<int>(y.size());
  return (lag_design(y, order, first) * coefficients - y.tail(n - first)).squaredNorm();
}

Vector ar_forecast(const Vector& y, const Vector& coefficients, int t0, int t1) {
  const int order = static_cast<int>(coefficients.size()) - 1;
  if (t0 < order || t1 > y.size() || t1 < t0) throw std::invalid_argument("ar_forecast: bad range");
  Vector out(t1 - t0);
  for (int t = t0; t < t1; ++t) {
    double v = coefficients(0);
    for (int k = 1; k <= order; ++k) v += coefficients(k) * y(t - k);
    out(t - t0) = v;
  }
  return out;
}

int select_ar_order_bic(const Matrix& Y, int n_fit, int max_order) {
  int best = 1;
  double best_bic = std::numeric_limits<double>::infinity();
  const int n = n_fit - max_order;
  for (int order = 1; order <= max_order; ++order) {
    double bic = 0.0;
    for (int r = 0; r < Y.rows(); ++r) {
      const Vector y = Y.row(r).head(n_fit).transpose();
      const Vector a = fit_ar(y, order, max_order);
      // A perfect fit (RSS 0) would give −inf: floor at the rounding level.
      const double rss = std::max(ar_rss(y, a, max_order), 1e-300);
      bic += n * std::log(rss / n) + (order + 1) * std::log(static_cast<double>(n));
    }
    if (bic < best_bic) best_bic = bic, best = order;
  }
  return best;
}

Matrix RidgeFit::predict(const Matrix& X) const { return (B * X).colwise() + c; }

RidgeFit fit_ridge(const Matrix& X, const Matrix& Y, const Vector& omega, double alpha) {
  const double N = omega.sum();
  if (!(N > 0)) throw std::invalid_argument("fit_ridge: no observed step");
  const Vector xbar = X * omega / N, ybar = Y * omega / N;
  const Matrix Xc = X.colwise() - xbar, Yc = Y.colwise() - ybar;
  const Matrix Sxx = Xc * omega.asDiagonal() * Xc.transpose() / N;
  const Matrix Syx = Yc * omega.asDiagonal() * Xc.transpose() / N;
  const Matrix M = Sxx + alpha * Matrix::Identity(X.rows(), X.rows());
  RidgeFit f;
  // B M = S_yx with M symmetric: Mᵀ Bᵀ = S_xyᵀ. LDLT also handles α = 0 with a
  // semidefinite S_xx (a constant input column) as well as it can.
  f.B = M.ldlt().solve(Syx.transpose()).transpose();
  f.c = ybar - f.B * xbar;
  return f;
}

nlohmann::json ForecastBaselines::to_json() const {
  nlohmann::json j;
  j["available"] = available;
  if (!available) {
    j["note"] = note;
    return j;
  }
  j["persistence"] = {{"test_mse", persistence_test_mse}};
  j["ar"] = {{"test_mse", ar_test_mse}, {"order", ar_order}, {"order_rule", ar_order_rule}};
  j["ridge"] = {{"test_mse", ridge_test_mse},
                {"lambda", ridge_lambda},
                {"lambda_rule", ridge_lambda_rule},
                {"grid", ridge_grid},
                {"validation_mse", ridge_validation_mse}};
  return j;
}

namespace {

// The first `n` steps of a single-sequence series.
rnn::RnnSeries head_of(const rnn::RnnSeries& s, int n) {
  rnn::RnnSeries h;
  h.X = s.X.leftCols(n);
  h.Y = s.Y.leftCols(n);
  h.omega = s.omega.head(n);
  return h;
}

}  // namespace

ForecastBaselines forecast_baselines(const rnn::RnnDataset& data, const BaselineOptions& options) {
  options.validate();
  ForecastBaselines r;
  const rnn::RnnSeries& tr = data.train;
  const rnn::RnnSeries& te = data.test;
  const int n_train = tr.T(), n_test = te.T(), p = tr.p();
  if (tr.sequence_starts.size() > 1 || te.sequence_starts.size() > 1) {
    r.note = "several sequences: the lags of persistence and AR would cross sequence starts";
    return r;
  }
  if ((tr.omega.array() != 1.0).any() || (te.omega.array() != 1.0).any()) {
    r.note = "unobserved steps (omega = 0): the lags of persistence and AR would use them";
    return r;
  }
  if (n_test < 1 || n_train < 8) {
    r.note = fmt::format("too few steps ({} train, {} test): the baselines need at least 8 and 1", n_train, n_test);
    return r;
  }
  r.available = true;
  Matrix Y(p, n_train + n_test);
  Y << tr.Y, te.Y;
  const int t0 = n_train, t1 = n_train + n_test;

  r.persistence_test_mse = rnn::mean_squared_error(persistence_forecast(Y, t0, t1), te);

  // AR(p): one order for every target; BIC on the training range unless given.
  // At most a quarter of the training steps, so every fit has 3 rows per coefficient.
  const int max_order = std::max(1, std::min(options.ar_max_order, n_train / 4));
  if (options.ar_order > 0) {
    r.ar_order = std::min(options.ar_order, max_order);
    r.ar_order_rule = "option";
  } else {
    r.ar_order = select_ar_order_bic(Y, n_train, max_order);
    r.ar_order_rule = "bic";
  }
  Matrix ar_pred(p, n_test);
  for (int k = 0; k < p; ++k) {
    const Vector y = Y.row(k).transpose();
    const Vector a = fit_ar(y.head(n_train), r.ar_order);
    ar_pred.row(k) = ar_forecast(y, a, t0, t1).transpose();
  }
  r.ar_test_mse = rnn::mean_squared_error(ar_pred, te);

  // Ridge on the RNN's inputs: α given, or the best of the grid on the
  // training range's last ridge_validation (fitted on the steps before it).
  if (options.ridge_lambda >= 0.0) {
    r.ridge_lambda = options.ridge_lambda;
    r.ridge_lambda_rule = "option";
  } else {
    r.ridge_grid = parse_grid(options.ridge_grid, "ridge_grid");
    const int n_val = std::max(1, static_cast<int>(std::floor(options.ridge_validation * n_train)));
    const int n_fit = n_train - n_val;
    const rnn::RnnSeries fit = head_of(tr, n_fit);
    rnn::RnnSeries val;
    val.X = tr.X.rightCols(n_val);
    val.Y = tr.Y.rightCols(n_val);
    val.omega = tr.omega.tail(n_val);
    double best = std::numeric_limits<double>::infinity();
    for (double alpha : r.ridge_grid) {
      const double mse = rnn::mean_squared_error(fit_ridge(fit.X, fit.Y, fit.omega, alpha).predict(val.X), val);
      r.ridge_validation_mse.push_back(mse);
      // Ties (and non-finite scores) keep the earlier, smaller α.
      if (mse < best) best = mse, r.ridge_lambda = alpha;
    }
    if (!std::isfinite(best)) r.ridge_lambda = r.ridge_grid.front();
    r.ridge_lambda_rule = "validation";
  }
  r.ridge_test_mse =
      rnn::mean_squared_error(fit_ridge(tr.X, tr.Y, tr.omega, r.ridge_lambda).predict(te.X), te);
  return r;
}

}  // namespace almkit::forecast
