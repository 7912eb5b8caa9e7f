// Forecast baselines beside the RNN's test MSE (docs/rnn.md §9): persistence
// (ŷ_t = y_{t−1}), AR(p) by least squares on the target's own lags (with an
// intercept), and ridge regression on the RNN's inputs x_t. Every baseline is
// fitted on the training range only and scored on the test range with
// rnn::mean_squared_error, in the same (scaled) units as the RNN's test MSE.
// Closed forms via Eigen; one-step-ahead forecasts from the observed past, as
// the RNN's test forward pass sees the observed inputs.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "almkit/problems/rnn/rnn_data.h"

namespace almkit::forecast {

struct BaselineOptions {
  /// p of AR(p); 0: chosen by BIC on the training range over 1..ar_max_order
  /// (one common estimation sample t ≥ ar_max_order, docs/rnn.md §9).
  int ar_order = 0;
  int ar_max_order = 12;          ///< largest p BIC considers (capped at a quarter of the training steps)
  /// Ridge weight α of (1/N) Σ ω_t ‖B x_t + c − y_t‖² + α‖B‖² (c unpenalized,
  /// the λ convention of the RNN's F). Negative: chosen from ridge_grid on the
  /// last ridge_validation of the training range, then refitted on all of it.
  double ridge_lambda = -1.0;
  std::string ridge_grid = "1e-4,1e-3,1e-2,1e-1,1,10";  ///< candidate α (comma-separated)
  double ridge_validation = 0.2;  ///< fraction of the training range that scores the ridge grid

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is BaselineOptions or const BaselineOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("ar_order", self.ar_order, "p of the AR(p) baseline; 0: chosen by BIC on the training range");
    v("ar_max_order", self.ar_max_order, "Largest p that BIC considers");
    v("ridge_lambda", self.ridge_lambda, "Ridge weight of the ridge baseline; negative: chosen on a validation tail of the training range");
    v("ridge_grid", self.ridge_grid, "Candidate ridge weights (comma-separated)");
    v("ridge_validation", self.ridge_validation, "Fraction of the training range that scores the ridge grid");
  }
  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

/// "1e-4, 1e-3" -> {1e-4, 1e-3}; throws std::invalid_argument naming `option`
/// on a non-number, a negative or non-finite value or an empty list.
std::vector<double> parse_grid(const std::string& text, const std::string& option);

// ------------------------------------------------------------ building blocks

/// ŷ_t = y_{t−1} for t = t0..t1−1 (columns of Y, a p × n series); t0 ≥ 1.
Matrix persistence_forecast(const Matrix& Y, int t0, int t1);

/// y_t = a_0 + Σ_{k=1..p} a_k y_{t−k} by least squares over t = first..n−1
/// (first ≥ order; default: first = order). Returns [a_0, a_1, …, a_p].
Vector fit_ar(const Vector& y, int order, int first = -1);
/// Residual sum of squares of fit_ar's model over t = first..n−1.
double ar_rss(const Vector& y, const Vector& coefficients, int first);
/// One-step forecasts ŷ_t = a_0 + Σ a_k y_{t−k}, t = t0..t1−1 (t0 ≥ p).
Vector ar_forecast(const Vector& y, const Vector& coefficients, int t0, int t1);
/// The p ∈ 1..max_order with the least BIC n ln(RSS/n) + (p+1) ln n, summed
/// over the rows of Y (one order for every target), on the common sample
/// t = max_order..n−1 of the first n_fit columns.
int select_ar_order_bic(const Matrix& Y, int n_fit, int max_order);

/// B (p × d), c (p) minimizing (1/N) Σ ω_t ‖B x_t + c − y_t‖² + α‖B‖²_F,
/// N = Σ ω_t: c = ȳ − B x̄ (ω-weighted means), B (S_xx + α I) = S_yx with
/// S the ω-weighted covariances divided by N.
struct RidgeFit {
  Matrix B;
  Vector c;
  Matrix predict(const Matrix& X) const;
};
RidgeFit fit_ridge(const Matrix& X, const Matrix& Y, const Vector& omega, double alpha);

// ------------------------------------------------------------ the report

struct ForecastBaselines {
  bool available = false;      ///< false: several sequences (lags would cross their starts); `note` says why
  std::string note;
  double persistence_test_mse = 0.0;
  double ar_test_mse = 0.0;
  int ar_order = 0;
  std::string ar_order_rule;   ///< "option" | "bic"
  double ridge_test_mse = 0.0;
  double ridge_lambda = 0.0;
  std::string ridge_lambda_rule;  ///< "option" | "validation"
  std::vector<double> ridge_grid;
  std::vector<double> ridge_validation_mse;  ///< per grid entry (empty with "option")
  nlohmann::json to_json() const;
};

/// Fits on data.train, scores on data.test (scaled units). Single-sequence
/// data only (test directly after train); with several sequences `available`
/// is false. The target series is [train.Y, test.Y]; persistence and AR use
/// the observed past targets, ridge the inputs x_t the RNN sees.
ForecastBaselines forecast_baselines(const rnn::RnnDataset& data, const BaselineOptions& options);

}  // namespace almkit::forecast
