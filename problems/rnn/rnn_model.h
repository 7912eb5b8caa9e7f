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
// With ξ1_t = −δ_t and ξ2_t = −g_t these are exactly the KKT rows of (P) (docs/rnn.md §3).
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
/// The same two maps into existing storage (no allocation when `out` already
/// has the sizes): for callers that convert θ at every evaluation.
void flatten(const RnnWeights& w, Vector* theta);
void unflatten(VectorCRef theta, int m, int d, int p, RnnWeights* out);

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
  /// ∂φ/∂h_{t1−1} of a term φ(h_{t1−1}) outside the window, added to g at the
  /// window's last step before the backward sweep, so that the gradient is that
  /// of F_window + φ. Multiple shooting (problems/rnn/rnn_shooting.h) seeds
  /// the boundary gap's adjoint here. nullptr: none.
  const Vector* terminal_adjoint = nullptr;
  /// true: the caller's workspace already holds this window's forward pass for
  /// the same w and h_initial (from the previous call with that workspace), so
  /// only the residuals and the backward pass run. Needs a workspace.
  bool reuse_forward = false;
  /// Divisor of the loss; 0: Σ ω_t over the window (the full objective uses N).
  /// SGD over windows passes the window's own Σ ω_t or N/num_windows.
  double normalization = 0.0;
  /// Multiplies the λ1..λ5 weight penalties (1 for F; SGD may spread them over windows).
  double weight_penalty_scale = 1.0;
};

struct ReducedValue {
  double value = 0.0;    ///< F over the window
  double loss = 0.0;     ///< (1/N) Σ ω_t ‖r_t‖² part only
  Vector h_last;         ///< h_{t1−1}: the state to carry into the next window (empty with a workspace)
};

/// Storage for the m × len and p × len matrices of one evaluation
/// (docs/rnn.md §5). A caller that evaluates F many times (the gradient
/// baselines, SGD over windows) keeps one and passes it to reduced_objective:
/// the buffers grow to the largest window seen and are never shrunk, so
/// further calls allocate none of them, also when window lengths differ by a
/// step (Eigen's GEMM may still take blocking buffers of its own for large
/// products). Results are bit-identical with or without a workspace.
/// Not thread-safe: one workspace per concurrent caller.
struct ReducedWorkspace {
  // Buffers only (viewed as m × len or p × len inside reduced_objective);
  // their shapes carry no meaning.
  Matrix Hprev, U, H, R, Delta, G;
  Vector h_last;  ///< output: h_{t1−1} of the last call (ReducedValue::h_last stays empty)
};

/// F(θ) over a window; fills `gradient` (same shapes as w) when non-null and
/// ∂F/∂h_{t0−1} into `grad_h_initial` when non-null. Output matrices and
/// vectors already of the right size are overwritten in place. `workspace`
/// (optional) holds the intermediate matrices across calls; with one, the last
/// state is returned in workspace->h_last instead of ReducedValue::h_last.
ReducedValue reduced_objective(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg,
                               const ReducedWindow& window = {}, RnnWeights* gradient = nullptr,
                               Vector* grad_h_initial = nullptr, ReducedWorkspace* workspace = nullptr);

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
  /// PyTorch's default for nn.RNN(d, m) + nn.Linear(m, p): every entry of W,
  /// V, b, A, c ~ U(−1/√m, 1/√m). One bias b (PyTorch's b_ih + b_hh has
  /// variance 2/(3m); ours 1/(3m)).
  kPytorch,
  /// IRNN (Le, Jaitly & Hinton 2015): W = s·I (s = irnn_scale), b = c = 0,
  /// V ~ N(0, 1/d), A ~ N(0, 1/m) (LeCun for the non-recurrent weights).
  kIrnn,
};
const char* to_string(InitScheme scheme);
bool parse(const std::string& text, InitScheme* scheme);
/// "gaussian | he | glorot | lecun | pytorch | irnn", for help texts and errors.
const char* init_scheme_names();

/// Default of the IRNN scale s in W = s·I (the identity of Le et al. 2015).
inline constexpr double kDefaultIrnnScale = 1.0;

/// Seeded weights (std::mt19937_64), docs/rnn.md §5:
/// * gaussian, he, glorot, lecun: std::normal_distribution; draw order W, V,
///   A, each row by row (the row-major order of model.json); b, c = 0.
///   fan_in of W is m, of V is d, of A is m; fan_out is m, m, p.
/// * pytorch: std::uniform_real_distribution on [−1/√m, 1/√m); draw order W,
///   V, b, A, c, each row by row.
/// * irnn: W = irnn_scale·I (no draws), then V ~ N(0, 1/d) and A ~ N(0, 1/m)
///   row by row; b, c = 0.
/// `std_dev` is used by gaussian only, `irnn_scale` (finite) by irnn only.
RnnWeights initialize_weights(int m, int d, int p, InitScheme scheme, double std_dev, std::uint64_t seed,
                              double irnn_scale = kDefaultIrnnScale);

/// Whether a start already explodes at θ0 (docs/rnn.md §5): a forward pass of
/// the initial weights over the training series, before any training.
struct InitDiagnostics {
  double spectral_radius = 0.0;  ///< ρ(W) = max |λ_i(W)| (Eigen::EigenSolver); NaN for non-finite W
  double max_abs_state = 0.0;    ///< max_{t,i} |h_t,i| of the forward pass from h_0 = 0; +inf if any is not finite
  double train_mse = 0.0;        ///< forward-pass train MSE (docs/rnn.md §6) at θ0
  double divergence_value = 0.0; ///< the threshold used
  bool explodes = false;         ///< train_mse not finite or > divergence_value
};
/// `divergence_value`: pass the gradient baselines' threshold
/// (baselines::GradientOptions::divergence_value, default 1e20) so a start
/// flagged here is one the baselines count as diverged at θ0.
InitDiagnostics diagnose_start(const RnnWeights& w, const RnnSeries& train, double divergence_value);

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
/// The weights object {W, V, b, A, c}, matrices as lists of rows (model.json
/// "weights", a reference trace's "initial_weights"; the one reader of both,
/// used by model_from_json and `almkit train --init-from`). Sizes m, d, p are
/// checked when given (> 0) and otherwise taken from W (m × m), V (m × d) and
/// A (p × m). Throws std::invalid_argument "<where>.<field>: ..." naming the
/// missing or malformed field.
RnnWeights weights_from_json(const nlohmann::json& j, const std::string& where, int m = 0, int d = 0, int p = 0);
/// Atomic write (temp file + rename).
void save_model(const RnnModel& model, const std::string& path);
/// Throws std::invalid_argument on a missing file, bad JSON or a bad schema.
RnnModel load_model(const std::string& path);

/// Predictions of the model on a series (scaled units): forward pass from
/// h_0 = 0 (or from *h_initial), Ŷ = A H + c.
Matrix predict_series(const RnnWeights& w, const RnnSeries& data, const Vector* h_initial = nullptr);

}  // namespace almkit::rnn
