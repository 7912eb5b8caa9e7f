#include "almkit/study/rnn_train_outcome.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

namespace almkit::rnn {

bool is_failure(AlmStatus status) { return status == AlmStatus::kNonFinite || status == AlmStatus::kInnerFailure; }

namespace {

bool weights_finite(const RnnWeights& w) {
  return w.W.allFinite() && w.V.allFinite() && w.b.allFinite() && w.A.allFinite() && w.c.allFinite();
}

double max_abs_finite(const Matrix& values) {
  double m = 0.0;
  for (Eigen::Index j = 0; j < values.cols(); ++j)
    for (Eigen::Index i = 0; i < values.rows(); ++i)
      if (std::isfinite(values(i, j))) m = std::max(m, std::abs(values(i, j)));
  return m;
}

}  // namespace

bool training_failed(const TrainResult& result) {
  return is_failure(result.summary.status) || !std::isfinite(result.final_metrics.train_mse) ||
         !weights_finite(result.weights);
}

double max_abs_training_value(const RnnSeries& train) {
  return std::max(max_abs_finite(train.X), max_abs_finite(train.Y));
}

std::string failure_cause(const TrainResult& result, Scaling scaling, double max_abs_value,
                          const InitDiagnostics& start) {
  const bool unscaled = scaling == Scaling::kNone;
  const char* try_scaling = "try --scaling standardize|minmax";
  // Data whose squares alone exceed the start's divergence threshold: a
  // prediction of 0 already has an "exploded" MSE there (docs/rnn.md §5).
  const double square = max_abs_value * max_abs_value;
  if (!std::isfinite(square) || square > start.divergence_value) {
    if (unscaled)
      return fmt::format("the data have values up to {:.3g} and are not scaled (--scaling none); {}", max_abs_value,
                         try_scaling);
    return fmt::format("the data have values up to {:.3g} even after --scaling {}; check the data for outliers",
                       max_abs_value, to_string(scaling));
  }
  if (start.explodes)
    return fmt::format("the start already explodes at theta0 (forward-pass train MSE {:.3g}, spectral radius of W "
                       "{:.3g}; docs/rnn.md §5): try a smaller --init-std or another --init{}",
                       start.train_mse, start.spectral_radius, unscaled ? ", or --scaling standardize|minmax" : "");
  if (result.summary.status == AlmStatus::kInnerFailure)
    return "the inner solver failed (the status message says why); every outer iteration is in history.csv";
  int last_finite = -1;
  for (const TrainHistoryRow& r : result.history)
    if (std::isfinite(r.train_mse) && std::isfinite(r.objective)) last_finite = r.iteration;
  return fmt::format("the iterates left the finite range after outer iteration {} (its row in history.csv is the last "
                     "finite one){}",
                     last_finite, unscaled ? fmt::format("; the data are not scaled: {}", try_scaling) : "");
}

}  // namespace almkit::rnn
