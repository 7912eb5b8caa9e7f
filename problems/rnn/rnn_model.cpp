#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/core/json_util.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

#include <Eigen/Eigenvalues>
#include <fmt/core.h>

namespace almkit::rnn {

// ------------------------------------------------------------ parameter vector

int num_parameters(int m, int d, int p) { return m * m + m * d + m + p * m + p; }

Vector flatten(const RnnWeights& w) {
  Vector theta;
  flatten(w, &theta);
  return theta;
}

void flatten(const RnnWeights& w, Vector* theta) {
  const int m = w.m(), d = static_cast<int>(w.V.cols()), p = static_cast<int>(w.A.rows());
  const int n = num_parameters(m, d, p);
  if (theta->size() != n) theta->resize(n);
  int k = 0;
  auto put = [&](const auto& M) {
    theta->segment(k, M.size()) = Eigen::Map<const Vector>(M.data(), M.size());
    k += static_cast<int>(M.size());
  };
  put(w.W);
  put(w.V);
  put(w.b);
  put(w.A);
  put(w.c);
}

void unflatten(VectorCRef theta, int m, int d, int p, RnnWeights* out) {
  if (theta.size() != num_parameters(m, d, p))
    throw std::invalid_argument(fmt::format("unflatten: {} entries, expected {}", theta.size(), num_parameters(m, d, p)));
  int k = 0;
  auto take = [&](auto& M, int rows, int cols) {
    if (M.rows() != rows || M.cols() != cols) M.resize(rows, cols);
    M = Eigen::Map<const Matrix>(theta.data() + k, rows, cols);
    k += rows * cols;
  };
  take(out->W, m, m);
  take(out->V, m, d);
  take(out->b, m, 1);
  take(out->A, p, m);
  take(out->c, p, 1);
}

RnnWeights unflatten(VectorCRef theta, int m, int d, int p) {
  RnnWeights w;
  unflatten(theta, m, d, p, &w);
  return w;
}

// ------------------------------------------------------------ reduced objective

namespace {

// Views of workspace buffers. AlignedMax: the buffers are Eigen-allocated, so
// the vectorized kernels (and their summation order) match those of a plain
// Matrix of the same shape, which keeps the results bit-identical.
using MatrixView = Eigen::Map<Matrix, Eigen::AlignedMax>;

// A rows × cols view of `buffer`, grown (never shrunk) to hold it: windows of
// different lengths share one allocation (docs/rnn.md §5).
MatrixView view(Matrix& buffer, Eigen::Index rows, Eigen::Index cols) {
  if (buffer.size() < rows * cols) buffer.resize(rows * cols, 1);
  return MatrixView(buffer.data(), rows, cols);
}

struct WindowPass {
  int t0 = 0, len = 0;
  MatrixView Hprev;  // m × len: h_{t−1} used at step t (0 at sequence starts, h_initial at t0)
  MatrixView U, H;   // m × len
};

// The views of a forward pass already in the workspace.
WindowPass window_views(const RnnWeights& w, int t0, int t1, ReducedWorkspace& ws) {
  const int m = w.m(), len = t1 - t0;
  return WindowPass{t0, len, view(ws.Hprev, m, len), view(ws.U, m, len), view(ws.H, m, len)};
}

WindowPass window_forward(const RnnWeights& w, const RnnSeries& data, int t0, int t1, const Vector* h_initial,
                          ReducedWorkspace& ws) {
  const int m = w.m(), len = t1 - t0;
  WindowPass P{t0, len, view(ws.Hprev, m, len), view(ws.U, m, len), view(ws.H, m, len)};
  P.U.noalias() = w.V * data.X.middleCols(t0, P.len);
  P.U.colwise() += w.b;
  P.Hprev.setZero();
  for (int k = 0; k < P.len; ++k) {
    const int t = t0 + k;
    if (k == 0) {
      if (h_initial != nullptr) P.Hprev.col(0) = *h_initial;
    } else if (!data.is_sequence_start(t)) {
      P.Hprev.col(k) = P.H.col(k - 1);
    }
    if (k > 0 ? !data.is_sequence_start(t) : h_initial != nullptr) P.U.col(k).noalias() += w.W * P.Hprev.col(k);
    P.H.col(k) = P.U.col(k).cwiseMax(0.0);
  }
  return P;
}

// Residuals r_t = A h_t + c − y_t weighted by ω_t, zeroed where ω_t = 0
// (targets there may be NaN): p × len.
MatrixView weighted_residuals(const RnnWeights& w, const RnnSeries& data, const WindowPass& P, ReducedWorkspace& ws) {
  MatrixView R = view(ws.R, w.A.rows(), P.len);
  R.noalias() = w.A * P.H;
  R.colwise() += w.c;
  for (int k = 0; k < P.len; ++k) {
    const double om = data.omega(P.t0 + k);
    if (om != 0.0) R.col(k) = om * (R.col(k) - data.Y.col(P.t0 + k));
    else R.col(k).setZero();
  }
  return R;
}

// Backward recursion: Δ (δ_t = ∂F/∂u_t) and G (g_t = ∂F/∂h_t), m × len, in
// the workspace; returns Δ.
MatrixView window_backward(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg,
                           const WindowPass& P, const MatrixView& R, double normalization, ReducedWorkspace& ws,
                           const Vector* terminal_adjoint = nullptr) {
  const int m = w.m();
  MatrixView Delta = view(ws.Delta, m, P.len), G = view(ws.G, m, P.len);
  G.noalias() = (2.0 / normalization) * (w.A.transpose() * R);  // R columns already weighted by ω
  if (terminal_adjoint != nullptr) G.col(P.len - 1) += *terminal_adjoint;
  for (int k = P.len - 1; k >= 0; --k) {
    const int t = P.t0 + k;
    if (k + 1 < P.len && !data.is_sequence_start(t + 1)) G.col(k).noalias() += w.W.transpose() * Delta.col(k + 1);
    for (int i = 0; i < m; ++i) Delta(i, k) = (P.U(i, k) > 0.0 ? G(i, k) : 0.0) + 2.0 * reg.lambda6 * P.U(i, k);
  }
  return Delta;
}

// Resizes only when the shape differs: an output of the right size is reused.
void shape(Matrix& M, Eigen::Index rows, Eigen::Index cols) {
  if (M.rows() != rows || M.cols() != cols) M.resize(rows, cols);
}

}  // namespace

ReducedValue reduced_objective(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg,
                               const ReducedWindow& window, RnnWeights* gradient, Vector* grad_h_initial,
                               ReducedWorkspace* workspace) {
  const int T = data.T();
  const int t0 = window.t0, t1 = window.t1 < 0 ? T : window.t1;
  if (t0 < 0 || t1 > T || t0 >= t1)
    throw std::invalid_argument(fmt::format("reduced_objective: bad window [{}, {}) for T = {}", t0, t1, T));
  // Without a caller's workspace a local one: the same code path, hence the same bits.
  ReducedWorkspace local;
  ReducedWorkspace& ws = workspace != nullptr ? *workspace : local;
  if (window.reuse_forward && workspace == nullptr)
    throw std::invalid_argument("reduced_objective: reuse_forward needs a workspace");
  const WindowPass P = window.reuse_forward ? window_views(w, t0, t1, ws)
                                            : window_forward(w, data, t0, t1, window.h_initial, ws);
  const auto omega = data.omega.segment(t0, P.len);
  double Nn = window.normalization > 0 ? window.normalization : omega.sum();
  if (!(Nn > 0)) Nn = 1.0;  // no observed target in the window: the loss is 0 anyway
  const MatrixView R = weighted_residuals(w, data, P, ws);
  // ω ∈ {0,1} in the design; for general weights ω_t ‖r‖² = (ω_t r)ᵀ r / ω_t: keep ω r in R and divide once.
  double loss_sum = 0.0;
  for (int k = 0; k < P.len; ++k)
    if (omega(k) != 0.0) loss_sum += R.col(k).squaredNorm() / omega(k);
  ReducedValue out;
  out.loss = loss_sum / Nn;
  const double s = window.weight_penalty_scale;
  out.value = out.loss +
              s * (reg.lambda1 * w.A.squaredNorm() + reg.lambda2 * w.W.squaredNorm() + reg.lambda3 * w.V.squaredNorm() +
                   reg.lambda4 * w.b.squaredNorm() + reg.lambda5 * w.c.squaredNorm()) +
              reg.lambda6 * P.U.squaredNorm();
  if (workspace != nullptr) workspace->h_last = P.H.col(P.len - 1);
  else out.h_last = P.H.col(P.len - 1);
  if (gradient == nullptr && grad_h_initial == nullptr) return out;

  const MatrixView Delta = window_backward(w, data, reg, P, R, Nn, ws, window.terminal_adjoint);
  if (gradient != nullptr) {
    const int m = w.m();
    shape(gradient->W, m, m);
    shape(gradient->V, m, w.V.cols());
    shape(gradient->A, w.A.rows(), m);
    gradient->W.noalias() = Delta * P.Hprev.transpose();
    gradient->W += 2.0 * s * reg.lambda2 * w.W;
    gradient->V.noalias() = Delta * data.X.middleCols(t0, P.len).transpose();
    gradient->V += 2.0 * s * reg.lambda3 * w.V;
    gradient->b = Delta.rowwise().sum() + 2.0 * s * reg.lambda4 * w.b;
    gradient->A.noalias() = (2.0 / Nn) * (R * P.H.transpose());
    gradient->A += 2.0 * s * reg.lambda1 * w.A;
    gradient->c = (2.0 / Nn) * R.rowwise().sum() + 2.0 * s * reg.lambda5 * w.c;
  }
  if (grad_h_initial != nullptr) {
    if (window.h_initial != nullptr) {
      grad_h_initial->resize(w.m());
      grad_h_initial->noalias() = w.W.transpose() * Delta.col(0);
    } else {
      grad_h_initial->setZero(w.m());
    }
  }
  return out;
}

void bptt_multipliers(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg, Matrix* xi1,
                      Matrix* xi2) {
  ReducedWorkspace ws;
  const WindowPass P = window_forward(w, data, 0, data.T(), nullptr, ws);
  const MatrixView R = weighted_residuals(w, data, P, ws);
  double N = data.N();
  if (!(N > 0)) N = 1.0;
  window_backward(w, data, reg, P, R, N, ws);
  *xi1 = -view(ws.Delta, w.m(), P.len);
  *xi2 = -view(ws.G, w.m(), P.len);
}

// ------------------------------------------------------------ initialization

const char* to_string(InitScheme scheme) {
  switch (scheme) {
    case InitScheme::kGaussian: return "gaussian";
    case InitScheme::kHe: return "he";
    case InitScheme::kGlorot: return "glorot";
    case InitScheme::kLecun: return "lecun";
    case InitScheme::kPytorch: return "pytorch";
    case InitScheme::kIrnn: return "irnn";
  }
  return "gaussian";
}

bool parse(const std::string& text, InitScheme* scheme) {
  if (text == "gaussian") *scheme = InitScheme::kGaussian;
  else if (text == "he") *scheme = InitScheme::kHe;
  else if (text == "glorot") *scheme = InitScheme::kGlorot;
  else if (text == "lecun") *scheme = InitScheme::kLecun;
  else if (text == "pytorch") *scheme = InitScheme::kPytorch;
  else if (text == "irnn") *scheme = InitScheme::kIrnn;
  else return false;
  return true;
}

const char* init_scheme_names() { return "gaussian | he | glorot | lecun | pytorch | irnn"; }

RnnWeights initialize_weights(int m, int d, int p, InitScheme scheme, double std_dev, std::uint64_t seed,
                              double irnn_scale) {
  if (m < 1 || d < 1 || p < 1) throw std::invalid_argument(fmt::format("initialize_weights: bad sizes m={} d={} p={}", m, d, p));
  if (scheme == InitScheme::kGaussian && !(std_dev >= 0 && std::isfinite(std_dev)))
    throw std::invalid_argument(fmt::format("init std must be finite and >= 0, got {}", std_dev));
  if (scheme == InitScheme::kIrnn && !std::isfinite(irnn_scale))
    throw std::invalid_argument(fmt::format("irnn scale must be finite, got {}", irnn_scale));
  std::mt19937_64 rng(seed);
  RnnWeights w;
  if (scheme == InitScheme::kPytorch) {
    // nn.RNN and nn.Linear(m, p) both draw from U(−1/√m, 1/√m) (fan_in of
    // Linear is m); one bias b stands for PyTorch's b_ih + b_hh (docs/rnn.md §5).
    const double bound = 1.0 / std::sqrt(static_cast<double>(m));
    std::uniform_real_distribution<double> dist(-bound, bound);
    auto draw = [&](auto& M, int rows, int cols) {
      M.resize(rows, cols);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) M(i, j) = dist(rng);
    };
    draw(w.W, m, m);
    draw(w.V, m, d);
    draw(w.b, m, 1);
    draw(w.A, p, m);
    draw(w.c, p, 1);
    return w;
  }
  auto fill = [&](Matrix& M, int rows, int cols, double fan_in, double fan_out) {
    double sd = std_dev;
    switch (scheme) {
      case InitScheme::kGaussian: break;
      case InitScheme::kHe: sd = std::sqrt(2.0 / fan_in); break;
      case InitScheme::kGlorot: sd = std::sqrt(2.0 / (fan_in + fan_out)); break;
      case InitScheme::kLecun:
      case InitScheme::kIrnn: sd = std::sqrt(1.0 / fan_in); break;  // irnn: LeCun for V and A (docs/rnn.md §5)
      case InitScheme::kPytorch: break;  // drawn uniformly above
    }
    std::normal_distribution<double> dist(0.0, 1.0);
    M.resize(rows, cols);
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) M(i, j) = sd * dist(rng);
  };
  if (scheme == InitScheme::kIrnn) w.W = irnn_scale * Matrix::Identity(m, m);
  else fill(w.W, m, m, m, m);
  fill(w.V, m, d, d, m);
  fill(w.A, p, m, m, p);
  w.b = Vector::Zero(m);
  w.c = Vector::Zero(p);
  return w;
}

InitDiagnostics diagnose_start(const RnnWeights& w, const RnnSeries& train, double divergence_value) {
  const int m = w.m();
  if (w.W.cols() != m || w.V.rows() != m || w.V.cols() != train.d() || w.b.size() != m || w.A.rows() != train.p() ||
      w.A.cols() != m || w.c.size() != train.p())
    throw std::invalid_argument(fmt::format("initial weights do not match m = {}, d = {}, p = {}", m, train.d(), train.p()));
  InitDiagnostics out;
  out.divergence_value = divergence_value;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // EigenSolver needs finite input; ρ(W) > 1 is the usual sign of an exploding recursion (docs/rnn.md §5).
  out.spectral_radius =
      w.W.allFinite() ? Eigen::EigenSolver<Matrix>(w.W, /*computeEigenvectors=*/false).eigenvalues().cwiseAbs().maxCoeff()
                      : nan;
  const RnnStates s = forward_pass(w, train);
  out.max_abs_state = s.H.size() == 0 ? 0.0
                      : s.H.allFinite() ? s.H.cwiseAbs().maxCoeff()
                                        : std::numeric_limits<double>::infinity();
  out.train_mse = mean_squared_error(predict(w, s.H), train);
  out.explodes = !(std::isfinite(out.train_mse) && out.train_mse <= divergence_value);
  return out;
}

// ------------------------------------------------------------ metrics

Matrix predict_series(const RnnWeights& w, const RnnSeries& data, const Vector* h_initial) {
  const RnnStates s = forward_pass(w, data, h_initial);
  return predict(w, s.H);
}

ForwardMetrics forward_metrics(const RnnWeights& w, const RnnSeries& train, const RnnSeries& test,
                               bool test_continues_from_train) {
  ForwardMetrics m;
  const RnnStates s = forward_pass(w, train);
  m.train_mse = mean_squared_error(predict(w, s.H), train);
  if (test.T() > 0) {
    Vector h_last;
    if (test_continues_from_train && train.T() > 0) h_last = s.H.col(train.T() - 1);
    m.test_mse = mean_squared_error(predict_series(w, test, h_last.size() > 0 ? &h_last : nullptr), test);
  }
  return m;
}

// ------------------------------------------------------------ model files

namespace {

using nlohmann::json;

// The one vector/matrix → JSON conversion (core/json_util.h).
json matrix_to_json(const Matrix& M) { return json_rows(M); }
json vector_to_json(const Vector& v) { return json_array(v); }

const json& field(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) throw std::invalid_argument(fmt::format("{}: missing field '{}'", where, key));
  return j.at(key);
}

double number(const json& j, const std::string& where) {
  if (!j.is_number()) throw std::invalid_argument(fmt::format("{}: expected a number", where));
  return j.get<double>();
}

// m, d or p: an integer in [1, kMaxDimension]. Checked before any cast to
// int (fuzz finding: 1e88 cast to int is undefined behaviour,
// tests/test_fuzz_regressions.cpp).
constexpr double kMaxDimension = 1e6;
int dimension(const json& j, const std::string& where) {
  const double v = number(j, where);
  if (!(v >= 1.0 && v <= kMaxDimension) || v != std::floor(v))
    throw std::invalid_argument(fmt::format("{}: expected an integer in [1, {:g}], got {}", where, kMaxDimension, j.dump()));
  return static_cast<int>(v);
}

Matrix matrix_from_json(const json& j, int rows, int cols, const std::string& where) {
  if (!j.is_array() || static_cast<int>(j.size()) != rows)
    throw std::invalid_argument(fmt::format("{}: expected {} rows", where, rows));
  Matrix M(rows, cols);
  for (int i = 0; i < rows; ++i) {
    if (!j[i].is_array() || static_cast<int>(j[i].size()) != cols)
      throw std::invalid_argument(fmt::format("{}: row {} must have {} entries", where, i, cols));
    for (int k = 0; k < cols; ++k) M(i, k) = number(j[i][k], where);
  }
  return M;
}

Vector vector_from_json(const json& j, int n, const std::string& where) {
  if (!j.is_array() || static_cast<int>(j.size()) != n)
    throw std::invalid_argument(fmt::format("{}: expected {} entries", where, n));
  Vector v(n);
  for (int i = 0; i < n; ++i) v(i) = number(j[i], where);
  return v;
}

std::vector<std::string> strings_from_json(const json& j, const std::string& where) {
  if (!j.is_array()) throw std::invalid_argument(fmt::format("{}: expected a list of names", where));
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) throw std::invalid_argument(fmt::format("{}: expected a list of names", where));
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

nlohmann::json model_to_json(const RnnModel& model) {
  const RnnWeights& w = model.weights;
  json j;
  j["format"] = "almkit-rnn-model";
  j["version"] = 1;
  j["m"] = w.m();
  j["d"] = static_cast<int>(w.V.cols());
  j["p"] = static_cast<int>(w.A.rows());
  j["layout"] = "matrices are lists of rows: W m x m, V m x d, A p x m; h_t = relu(W h_{t-1} + V x_t + b), y_t = A h_t + c";
  j["weights"] = {{"W", matrix_to_json(w.W)}, {"V", matrix_to_json(w.V)}, {"b", vector_to_json(w.b)},
                  {"A", matrix_to_json(w.A)}, {"c", vector_to_json(w.c)}};
  const RnnRegularization& r = model.regularization;
  j["regularization"] = {{"lambda1", r.lambda1}, {"lambda2", r.lambda2}, {"lambda3", r.lambda3},
                         {"lambda4", r.lambda4}, {"lambda5", r.lambda5}, {"lambda6", r.lambda6}};
  j["data"] = {{"univariate", model.univariate},
               {"input_columns", model.input_columns},
               {"target_columns", model.target_columns},
               {"scaling",
                {{"kind", to_string(model.scaling.kind)},
                 {"input_offset", vector_to_json(model.scaling.inputs.offset)},
                 {"input_scale", vector_to_json(model.scaling.inputs.scale)},
                 {"target_offset", vector_to_json(model.scaling.targets.offset)},
                 {"target_scale", vector_to_json(model.scaling.targets.scale)}}}};
  j["test_continues_from_train"] = model.test_continues_from_train;
  j["options"] = model.options;
  return j;
}

RnnWeights weights_from_json(const nlohmann::json& wj, const std::string& where, int m, int d, int p) {
  // Sizes not given: from the arrays themselves (the first row's length for columns).
  auto rows_of = [&](const char* key) {
    const json& a = field(wj, key, where);
    return a.is_array() ? static_cast<int>(a.size()) : 0;
  };
  auto cols_of = [&](const char* key) {
    const json& a = field(wj, key, where);
    return a.is_array() && !a.empty() && a[0].is_array() ? static_cast<int>(a[0].size()) : 0;
  };
  if (m <= 0) m = rows_of("W");
  if (d <= 0) d = cols_of("V");
  if (p <= 0) p = rows_of("A");
  if (m < 1 || d < 1 || p < 1)
    throw std::invalid_argument(fmt::format("{}: W, V and A must be non-empty lists of rows", where));
  RnnWeights w;
  w.W = matrix_from_json(field(wj, "W", where), m, m, where + ".W");
  w.V = matrix_from_json(field(wj, "V", where), m, d, where + ".V");
  w.b = vector_from_json(field(wj, "b", where), m, where + ".b");
  w.A = matrix_from_json(field(wj, "A", where), p, m, where + ".A");
  w.c = vector_from_json(field(wj, "c", where), p, where + ".c");
  return w;
}

RnnModel model_from_json(const nlohmann::json& j) {
  const std::string where = "model";
  if (!j.is_object() || j.value("format", std::string()) != "almkit-rnn-model")
    throw std::invalid_argument("model: not an almkit RNN model (field 'format' must be \"almkit-rnn-model\")");
  RnnModel model;
  const int m = dimension(field(j, "m", where), "model.m");
  const int d = dimension(field(j, "d", where), "model.d");
  const int p = dimension(field(j, "p", where), "model.p");
  model.weights = weights_from_json(field(j, "weights", where), "model.weights", m, d, p);
  if (j.contains("regularization")) {
    const json& r = j.at("regularization");
    RnnRegularization& g = model.regularization;
    g.lambda1 = number(field(r, "lambda1", "model.regularization"), "model.regularization.lambda1");
    g.lambda2 = number(field(r, "lambda2", "model.regularization"), "model.regularization.lambda2");
    g.lambda3 = number(field(r, "lambda3", "model.regularization"), "model.regularization.lambda3");
    g.lambda4 = number(field(r, "lambda4", "model.regularization"), "model.regularization.lambda4");
    g.lambda5 = number(field(r, "lambda5", "model.regularization"), "model.regularization.lambda5");
    g.lambda6 = number(field(r, "lambda6", "model.regularization"), "model.regularization.lambda6");
  }
  const json& dj = field(j, "data", where);
  model.univariate = field(dj, "univariate", "model.data").get<bool>();
  model.input_columns = strings_from_json(field(dj, "input_columns", "model.data"), "model.data.input_columns");
  model.target_columns = strings_from_json(field(dj, "target_columns", "model.data"), "model.data.target_columns");
  if (static_cast<int>(model.input_columns.size()) != d || static_cast<int>(model.target_columns.size()) != p)
    throw std::invalid_argument("model.data: the column lists do not match d and p");
  const json& sj = field(dj, "scaling", "model.data");
  const std::string kind = field(sj, "kind", "model.data.scaling").get<std::string>();
  if (!parse(kind, &model.scaling.kind))
    throw std::invalid_argument(fmt::format("model.data.scaling.kind: unknown scaling '{}'", kind));
  model.scaling.inputs.offset = vector_from_json(field(sj, "input_offset", "model.data.scaling"), d, "model.data.scaling.input_offset");
  model.scaling.inputs.scale = vector_from_json(field(sj, "input_scale", "model.data.scaling"), d, "model.data.scaling.input_scale");
  model.scaling.targets.offset = vector_from_json(field(sj, "target_offset", "model.data.scaling"), p, "model.data.scaling.target_offset");
  model.scaling.targets.scale = vector_from_json(field(sj, "target_scale", "model.data.scaling"), p, "model.data.scaling.target_scale");
  model.test_continues_from_train = j.value("test_continues_from_train", false);
  if (j.contains("options")) model.options = j.at("options");
  return model;
}

void save_model(const RnnModel& model, const std::string& path) {
  write_file_atomically(path, model_to_json(model).dump(1) + "\n");
}

RnnModel load_model(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(fmt::format("{}: cannot open the model file", path));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("{}: not valid JSON ({})", path, e.what()));
  }
  try {
    return model_from_json(j);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("{}: bad model file ({})", path, e.what()));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace almkit::rnn
