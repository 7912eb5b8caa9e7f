#include "almkit/problems/rnn/rnn_model.h"

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <fmt/core.h>

namespace almkit::rnn {

// ------------------------------------------------------------ parameter vector

int num_parameters(int m, int d, int p) { return m * m + m * d + m + p * m + p; }

Vector flatten(const RnnWeights& w) {
  const int m = w.m(), d = static_cast<int>(w.V.cols()), p = static_cast<int>(w.A.rows());
  Vector theta(num_parameters(m, d, p));
  int k = 0;
  auto put = [&](const auto& M) {
    theta.segment(k, M.size()) = Eigen::Map<const Vector>(M.data(), M.size());
    k += static_cast<int>(M.size());
  };
  put(w.W);
  put(w.V);
  put(w.b);
  put(w.A);
  put(w.c);
  return theta;
}

RnnWeights unflatten(VectorCRef theta, int m, int d, int p) {
  if (theta.size() != num_parameters(m, d, p))
    throw std::invalid_argument(fmt::format("unflatten: {} entries, expected {}", theta.size(), num_parameters(m, d, p)));
  RnnWeights w;
  int k = 0;
  auto take = [&](int rows, int cols) {
    Matrix M = Eigen::Map<const Matrix>(theta.data() + k, rows, cols);
    k += rows * cols;
    return M;
  };
  w.W = take(m, m);
  w.V = take(m, d);
  w.b = take(m, 1);
  w.A = take(p, m);
  w.c = take(p, 1);
  return w;
}

// ------------------------------------------------------------ reduced objective

namespace {

struct WindowPass {
  int t0 = 0, len = 0;
  Matrix Hprev;  // m × len: h_{t−1} used at step t (0 at sequence starts, h_initial at t0)
  Matrix U, H;   // m × len
};

WindowPass window_forward(const RnnWeights& w, const RnnSeries& data, int t0, int t1, const Vector* h_initial) {
  WindowPass P;
  P.t0 = t0;
  P.len = t1 - t0;
  const int m = w.m();
  P.U.noalias() = w.V * data.X.middleCols(t0, P.len);
  P.U.colwise() += w.b;
  P.H.resize(m, P.len);
  P.Hprev.setZero(m, P.len);
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

// Backward recursion: returns Δ (δ_t = ∂F/∂u_t) and G (g_t = ∂F/∂h_t), m × len.
void window_backward(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg, const WindowPass& P,
                     const Matrix& R, double normalization, Matrix* Delta, Matrix* G) {
  const int m = w.m();
  Delta->resize(m, P.len);
  G->noalias() = (2.0 / normalization) * (w.A.transpose() * R);  // R columns already weighted by ω
  for (int k = P.len - 1; k >= 0; --k) {
    const int t = P.t0 + k;
    if (k + 1 < P.len && !data.is_sequence_start(t + 1)) G->col(k).noalias() += w.W.transpose() * Delta->col(k + 1);
    for (int i = 0; i < m; ++i)
      (*Delta)(i, k) = (P.U(i, k) > 0.0 ? (*G)(i, k) : 0.0) + 2.0 * reg.lambda6 * P.U(i, k);
  }
}

}  // namespace

ReducedValue reduced_objective(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg,
                               const ReducedWindow& window, RnnWeights* gradient, Vector* grad_h_initial) {
  const int T = data.T();
  const int t0 = window.t0, t1 = window.t1 < 0 ? T : window.t1;
  if (t0 < 0 || t1 > T || t0 >= t1)
    throw std::invalid_argument(fmt::format("reduced_objective: bad window [{}, {}) for T = {}", t0, t1, T));
  const WindowPass P = window_forward(w, data, t0, t1, window.h_initial);
  const auto omega = data.omega.segment(t0, P.len);
  double Nn = window.normalization > 0 ? window.normalization : omega.sum();
  if (!(Nn > 0)) Nn = 1.0;  // no observed target in the window: the loss is 0 anyway
  // Residuals r_t = A h_t + c − y_t, zeroed where ω_t = 0 (targets there may be NaN).
  Matrix R = w.A * P.H;
  R.colwise() += w.c;
  for (int k = 0; k < P.len; ++k) {
    if (omega(k) != 0.0) R.col(k) = omega(k) * (R.col(k) - data.Y.col(t0 + k));
    else R.col(k).setZero();
  }
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
  out.h_last = P.H.col(P.len - 1);
  if (gradient == nullptr && grad_h_initial == nullptr) return out;

  Matrix Delta, G;
  window_backward(w, data, reg, P, R, Nn, &Delta, &G);
  if (gradient != nullptr) {
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
    if (window.h_initial != nullptr) *grad_h_initial = w.W.transpose() * Delta.col(0);
    else *grad_h_initial = Vector::Zero(w.m());
  }
  return out;
}

void bptt_multipliers(const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg, Matrix* xi1,
                      Matrix* xi2) {
  const WindowPass P = window_forward(w, data, 0, data.T(), nullptr);
  Matrix R = w.A * P.H;
  R.colwise() += w.c;
  for (int t = 0; t < data.T(); ++t) {
    if (data.omega(t) != 0.0) R.col(t) = data.omega(t) * (R.col(t) - data.Y.col(t));
    else R.col(t).setZero();
  }
  double N = data.N();
  if (!(N > 0)) N = 1.0;
  Matrix Delta, G;
  window_backward(w, data, reg, P, R, N, &Delta, &G);
  *xi1 = -Delta;
  *xi2 = -G;
}

// ------------------------------------------------------------ initialization

const char* to_string(InitScheme scheme) {
  switch (scheme) {
    case InitScheme::kGaussian: return "gaussian";
    case InitScheme::kHe: return "he";
    case InitScheme::kGlorot: return "glorot";
    case InitScheme::kLecun: return "lecun";
  }
  return "gaussian";
}

bool parse(const std::string& text, InitScheme* scheme) {
  if (text == "gaussian") *scheme = InitScheme::kGaussian;
  else if (text == "he") *scheme = InitScheme::kHe;
  else if (text == "glorot") *scheme = InitScheme::kGlorot;
  else if (text == "lecun") *scheme = InitScheme::kLecun;
  else return false;
  return true;
}

RnnWeights initialize_weights(int m, int d, int p, InitScheme scheme, double std_dev, std::uint64_t seed) {
  if (m < 1 || d < 1 || p < 1) throw std::invalid_argument(fmt::format("initialize_weights: bad sizes m={} d={} p={}", m, d, p));
  if (scheme == InitScheme::kGaussian && !(std_dev >= 0 && std::isfinite(std_dev)))
    throw std::invalid_argument(fmt::format("init std must be finite and >= 0, got {}", std_dev));
  std::mt19937_64 rng(seed);
  auto fill = [&](Matrix& M, int rows, int cols, double fan_in, double fan_out) {
    double sd = std_dev;
    switch (scheme) {
      case InitScheme::kGaussian: break;
      case InitScheme::kHe: sd = std::sqrt(2.0 / fan_in); break;
      case InitScheme::kGlorot: sd = std::sqrt(2.0 / (fan_in + fan_out)); break;
      case InitScheme::kLecun: sd = std::sqrt(1.0 / fan_in); break;
    }
    std::normal_distribution<double> dist(0.0, 1.0);
    M.resize(rows, cols);
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) M(i, j) = sd * dist(rng);
  };
  RnnWeights w;
  fill(w.W, m, m, m, m);
  fill(w.V, m, d, d, m);
  fill(w.A, p, m, m, p);
  w.b = Vector::Zero(m);
  w.c = Vector::Zero(p);
  return w;
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

json matrix_to_json(const Matrix& M) {
  json rows = json::array();
  for (int i = 0; i < M.rows(); ++i) {
    json r = json::array();
    for (int j = 0; j < M.cols(); ++j) r.push_back(M(i, j));
    rows.push_back(std::move(r));
  }
  return rows;
}

json vector_to_json(const Vector& v) {
  json a = json::array();
  for (int i = 0; i < v.size(); ++i) a.push_back(v(i));
  return a;
}

const json& field(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) throw std::invalid_argument(fmt::format("{}: missing field '{}'", where, key));
  return j.at(key);
}

double number(const json& j, const std::string& where) {
  if (!j.is_number()) throw std::invalid_argument(fmt::format("{}: expected a number", where));
  return j.get<double>();
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

RnnModel model_from_json(const nlohmann::json& j) {
  const std::string where = "model";
  if (!j.is_object() || j.value("format", std::string()) != "almkit-rnn-model")
    throw std::invalid_argument("model: not an almkit RNN model (field 'format' must be \"almkit-rnn-model\")");
  RnnModel model;
  const int m = static_cast<int>(number(field(j, "m", where), "model.m"));
  const int d = static_cast<int>(number(field(j, "d", where), "model.d"));
  const int p = static_cast<int>(number(field(j, "p", where), "model.p"));
  if (m < 1 || d < 1 || p < 1) throw std::invalid_argument("model: m, d and p must be positive");
  const json& wj = field(j, "weights", where);
  model.weights.W = matrix_from_json(field(wj, "W", "model.weights"), m, m, "model.weights.W");
  model.weights.V = matrix_from_json(field(wj, "V", "model.weights"), m, d, "model.weights.V");
  model.weights.b = vector_from_json(field(wj, "b", "model.weights"), m, "model.weights.b");
  model.weights.A = matrix_from_json(field(wj, "A", "model.weights"), p, m, "model.weights.A");
  model.weights.c = vector_from_json(field(wj, "c", "model.weights"), p, "model.weights.c");
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
