// Shared vocabulary of the ReLU RNN training problem (docs/rnn.md §1):
// data as column-per-time-step matrices, weights Θ = (W, V, b, A, c), the
// regularization λ1..λ6, and the forward pass that eliminates (H, U).
#pragma once

#include <vector>

#include "almkit/core/types.h"

namespace almkit::rnn {

/// One or more sequences laid end to end: column t is time step t.
/// A sequence starts at each index in `sequence_starts` (always contains 0);
/// h_{t-1} = 0 at every sequence start.
struct RnnSeries {
  Matrix X;      ///< d × T inputs x_t
  Matrix Y;      ///< p × T targets y_t (entries where ω_t = 0 are ignored)
  Vector omega;  ///< T observation weights ω_t ∈ {0, 1}
  std::vector<int> sequence_starts{0};

  int T() const { return static_cast<int>(X.cols()); }
  int d() const { return static_cast<int>(X.rows()); }
  int p() const { return static_cast<int>(Y.rows()); }
  /// N = Σ ω_t, the loss normalization.
  double N() const { return omega.sum(); }
  /// True when t starts a sequence (h_{t-1} = 0).
  bool is_sequence_start(int t) const;
  /// True when t is the last step of its sequence (no ξ1_{t+1} term).
  bool is_sequence_end(int t) const;
};

/// Θ = (W, V, b, A, c): h_t = σ(W h_{t-1} + V x_t + b), ŷ_t = A h_t + c.
struct RnnWeights {
  Matrix W;  ///< m × m recurrent
  Matrix V;  ///< m × d input
  Vector b;  ///< m bias
  Matrix A;  ///< p × m output
  Vector c;  ///< p output bias
  int m() const { return static_cast<int>(W.rows()); }
};

/// f = (1/N) Σ ω_t ‖A h_t + c − y_t‖² + λ1‖A‖² + λ2‖W‖² + λ3‖V‖² + λ4‖b‖² + λ5‖c‖² + λ6‖U‖².
struct RnnRegularization {
  double lambda1 = 0.01;  ///< ‖A‖²
  double lambda2 = 0.01;  ///< ‖W‖²
  double lambda3 = 0.01;  ///< ‖V‖²
  double lambda4 = 0.01;  ///< ‖b‖²
  double lambda5 = 0.01;  ///< ‖c‖²
  double lambda6 = 1e-8;  ///< ‖U‖²
};

/// States of a forward pass: column t holds h_t and u_t.
struct RnnStates {
  Matrix H;  ///< m × T
  Matrix U;  ///< m × T
};

/// Forward pass u_t = W h_{t-1} + V x_t + b, h_t = σ(u_t), h_{t-1} = 0 at
/// sequence starts unless `h_initial` (m entries) is given for the first one.
/// V X + b is one matrix product; only the W h_{t-1} recursion is per step.
RnnStates forward_pass(const RnnWeights& w, const RnnSeries& data, const Vector* h_initial = nullptr);

/// Predictions Ŷ = A H + c 1ᵀ (p × T).
Matrix predict(const RnnWeights& w, const Matrix& H);

/// (1/N) Σ ω_t ‖ŷ_t − y_t‖²: the mean squared error of docs/rnn.md §6.
double mean_squared_error(const Matrix& Yhat, const RnnSeries& data);

}  // namespace almkit::rnn
