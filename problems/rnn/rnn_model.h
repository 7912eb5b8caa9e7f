// The reduced RNN model (docs/rnn.md §2, §5): the objective with the states
// eliminated by a forward pass,
//
//   F(θ) = f(θ, H(θ), U(θ))
//        = (1/N) Σ_t ω_t ‖A h_t + c − y_t‖² + λ1‖A‖² + λ2‖W‖² + λ3‖V‖² + λ4‖b‖² + λ5‖c‖² + λ6‖U‖²,
//
// its exact gradient by backpropagation through time (BPTT), seeded weight
// initializations, and model files (JSON) that reproduce predictions bit for bit.
//
// BPTT (docs/rnn.md §3, the same recursion as the KKT multipliers of (P)):
//   g_t  = (2ω_t/N) Aᵀ r_t + Wᵀ δ_{t+1}          (no δ_{t+1} at the end of a sequence or window)
//   δ_t  = D_t g_t + 2λ6 u_t                      (D_t = diag(1[u_t > 0]))
//   ∂W = 2λ2 W + Σ δ_t h_{t−1}ᵀ,  ∂V = 2λ3 V + Σ δ_t x_tᵀ,  ∂b = 2λ4 b + Σ δ_t,
//   ∂A = 2λ1 A + (2/N) Σ ω_t r_t h_tᵀ,  ∂c = 2λ5 c + (2/N) Σ ω_t r_t.
// With ξ1_t = −δ_t and ξ2_t = −g_t these are exactly the KKT rows of (P) (DESIGN §3.2).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_types.h"

namespace almkit::rnn {

// ------------------------------------------------------------ parameter vector

/// Number of entries of θ = (W, V, b, A, c): m² + m d + m + p m + p.
int num_parameters(int m, int d, int p);
/// θ as one vector: vec(W), vec(V), b, vec(A), c (column-major vec), the
/// leading part of RnnTrainingProblem's layout [W, V, b, A, c, H, U].
Vector flatten(const RnnWeights& w);
RnnWeights unflatten(VectorCRef theta, int m, int d, int p);

// ------------------------------------------------------------ reduced objective

/// Which part of the series one evaluation covers. The default is the whole
/// series with h = 0 at every sequence start. A window [t0, t1) starts from
/// the state `h_initial` (h_{t0−1}; nullptr = 0); sequence starts inside the
/// window still reset the state to 0. Truncated BPTT: the gradient does not
/// flow into h_initial (it is data), but `grad_h_initial` receives ∂F/∂h_{t0−1}
/// when asked for.
struct ReducedWindow {
  int t0 = 0;
  int t1 = -1;                       ///< -1: the end of the series
  const Vector* h_initial = nullptr; ///< h_{t0−1}; nullptr: zero state
  /// Divisor of the loss; 0: Σ ω_t over the window (the full objective uses N).
  /// SGD over windows passes the window's own Σ ω_t or N/num_windows.
  double normalization = 0.0;
  /// Multiplies the λ1..λ5 weight penalties (1 for F; SGD may spread them over windows).
  double weight_penalty_scale = 1.0;
};

struct ReducedValue {
  double value = 0.0;    ///< F over the window
  double loss = 0.0;     ///< (1/N) Σ ω_t ‖r_t‖² part only
  Vector h_last;         ///< h_{t1−1}: the state to carry into the next window
};

/// F(θ) over a window; fills `gradient` (same shapes as w) when non-null and
/// ∂F/∂h_{t0−1} into `grad_h_initial` when non-null.
ReducedValue reduced_objective(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg,
                               const ReducedWindow& window = {}, RnnWeights* gradient = nullptr,
                               Vector* grad_h_initial = nullptr);

/// The BPTT adjoints of a full-series forward pass, as KKT multipliers of (P):
/// ξ1_t = −δ_t, ξ2_t = −g_t (m × T each). Independent of RnnTrainingProblem.
void bptt_multipliers(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg, Matrix* xi1,
                      Matrix* xi2);

// ------------------------------------------------------------ initialization

enum class InitScheme {
  kGaussian,  ///< N(0, std²) for W, V, A (the reference: std = 1e-3)
  kHe,        ///< N(0, 2 / fan_in)
  kGlorot,    ///< N(0, 2 / (fan_in + fan_out))
  kLecun,     ///< N(0, 1 / fan_in)
};
const char* to_string(InitScheme scheme);
bool parse(const std::string& text, InitScheme* scheme);

/// Seeded weights (std::mt19937_64, std::normal_distribution), biases b, c = 0.
/// Draw order: W, V, A, each row by row (the row-major order of model.json).
/// fan_in of W is m, of V is d, of A is m; fan_out is m, m, p.
RnnWeights initialize_weights(int m, int d, int p, InitScheme scheme, double std_dev, std::uint64_t seed);

// ------------------------------------------------------------ metrics

/// Mean squared errors of forward passes (docs/rnn.md §6): train from h_0 = 0,
/// test either restarted from h_0 = 0 or continued from the last train state.
struct ForwardMetrics {
  double train_mse = 0.0;
  double test_mse = 0.0;
};
ForwardMetrics forward_metrics(const RnnWeights& w, const RnnSeries& train, const RnnSeries& test,
                               bool test_continues_from_train);

// ------------------------------------------------------------ model files

/// What a saved model holds: weights, the objective, the data mapping, and
/// the options of the run that produced it (free-form JSON).
struct RnnModel {
  RnnWeights weights;
  RnnRegularization regularization;
  DataScaling scaling;
  std::vector<std::string> input_columns;
  std::vector<std::string> target_columns;
  bool univariate = false;
  bool test_continues_from_train = false;  ///< how test metrics were measured
  nlohmann::json options = nlohmann::json::object();
};

/// model.json (schema in docs/rnn.md §8). Doubles are written in the shortest
/// form that reads back to the same bits.
nlohmann::json model_to_json(const RnnModel& model);
/// Throws std::invalid_argument naming the missing or malformed field.
RnnModel model_from_json(const nlohmann::json& j);
/// Atomic write (temp file + rename).
void save_model(const RnnModel& model, const std::string& path);
/// Throws std::invalid_argument on a missing file, bad JSON or a bad schema.
RnnModel load_model(const std::string& path);

/// Predictions of the model on a series (scaled units): forward pass from
/// h_0 = 0 (or from *h_initial), Ŷ = A H + c.
Matrix predict_series(const RnnWeights& w, const RnnSeries& data, const Vector* h_initial = nullptr);

}  // namespace almkit::rnn
