#include "almkit/problems/rnn/rnn_shooting.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace almkit::rnn {

std::vector<int> shooting_boundaries(int T, int chunks) {
  if (chunks < 1 || chunks > T)
    throw std::invalid_argument(fmt::format("shooting: chunks = {} must be in [1, T = {}]", chunks, T));
  std::vector<int> b(static_cast<size_t>(chunks) + 1);
  for (int k = 0; k <= chunks; ++k) b[static_cast<size_t>(k)] = static_cast<int>(static_cast<long>(k) * T / chunks);
  return b;
}

ChunkLayout::ChunkLayout(int chunks, Communicator& comm) : K_(chunks), P_(comm.size()), comm_(comm) {
  for (int q = 0; q < P_; ++q) slots_ = std::max(slots_, first(q + 1) - first(q));
}

void ChunkLayout::gather(const std::vector<double>& mine, int n, std::vector<double>* all) {
  send_.assign(static_cast<size_t>(slots_) * n, 0.0);  // padded to slots_ blocks: all_gather takes equal counts
  std::copy(mine.begin(), mine.end(), send_.begin());
  receive_.resize(static_cast<size_t>(P_) * slots_ * n);
  comm_.all_gather(send_.data(), slots_ * n, receive_.data());
  all->resize(static_cast<size_t>(K_) * n);
  for (int q = 0; q < P_; ++q)
    std::copy_n(receive_.begin() + static_cast<long>(q) * slots_ * n, static_cast<long>(first(q + 1) - first(q)) * n,
                all->begin() + static_cast<long>(first(q)) * n);
}

RnnShootingProblem::RnnShootingProblem(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& initial,
                                       int chunks, Communicator& comm)
    : data_(data),
      reg_(reg),
      m_(initial.m()),
      d_(static_cast<int>(initial.V.cols())),
      p_(static_cast<int>(initial.A.rows())),
      n_theta_(rnn::num_parameters(m_, d_, p_)),
      chunks_(chunks),
      bounds_(shooting_boundaries(data.T(), chunks)),
      layout_(chunks, comm) {
  if (data.d() != d_ || data.p() != p_)
    throw std::invalid_argument(fmt::format("shooting: the weights are for d = {}, p = {}; the data has d = {}, p = {}",
                                            d_, p_, data.d(), data.p()));
  chunk_.resize(static_cast<size_t>(layout_.last() - layout_.first()));
  c_.setZero(num_equalities());
  x0_ = feasible_point(initial);
}

std::string RnnShootingProblem::name() const {
  return fmt::format("rnn_shooting(m={}, T={}, K={})", m_, data_.T(), chunks_);
}

std::string RnnShootingProblem::structural_nnamcq_certificate() const {
  return "multiple shooting: dc_k/ds_{k+1} = I, so the gap Jacobian has full row rank at every point "
         "(LICQ, hence NNAMCQ; docs/parallel.md §8)";
}

ReducedWindow RnnShootingProblem::window(int k, const Vector* h_initial) const {
  ReducedWindow win;
  win.t0 = bounds_[static_cast<size_t>(k)];
  win.t1 = bounds_[static_cast<size_t>(k) + 1];
  // A chunk that starts a sequence starts from h = 0: its s_k enters only c_{k−1}.
  win.h_initial = (k > 0 && !data_.is_sequence_start(win.t0)) ? h_initial : nullptr;
  const double N = data_.N();
  win.normalization = N > 0 ? N : 1.0;
  win.weight_penalty_scale = k == 0 ? 1.0 : 0.0;  // R(θ) once, with chunk 0
  return win;
}

Vector RnnShootingProblem::feasible_point(const RnnWeights& w) const {
  Vector x(num_variables());
  flatten(w, &x);  // resizes to n_θ
  x.conservativeResize(num_variables());
  ReducedWorkspace ws;
  Vector h;
  for (int k = 0; k < chunks_; ++k) {
    if (k > 0) x.segment(n_theta_ + (k - 1) * m_, m_) = h;
    const Vector s = k > 0 ? h : Vector();
    reduced_objective(w, data_, reg_, window(k, &s), nullptr, nullptr, &ws);
    h = ws.h_last;
  }
  return x;
}

void RnnShootingProblem::forward(VectorCRef x) const {
  if (cached_ && cached_x_.size() == x.size() && cached_x_ == x) return;
  unflatten(x.head(n_theta_), m_, d_, p_, &w_);
  const int len = 1 + m_;  // per chunk: value_k, c_k
  const int first = layout_.first();
  mine_.assign(static_cast<size_t>(layout_.last() - first) * len, 0.0);
  for (int k = first; k < layout_.last(); ++k) {
    Chunk& ch = chunk_[static_cast<size_t>(k - first)];
    const Vector s = k > 0 ? Vector(x.segment(n_theta_ + (k - 1) * m_, m_)) : Vector();
    const ReducedValue v = reduced_objective(w_, data_, reg_, window(k, &s), nullptr, nullptr, &ch.ws);
    double* out = mine_.data() + static_cast<size_t>(k - first) * len;
    out[0] = v.value;
    if (k + 1 < chunks_)
      Eigen::Map<Vector>(out + 1, m_) = x.segment(n_theta_ + k * m_, m_) - ch.ws.h_last;
  }
  layout_.gather(mine_, len, &all_);
  value_ = 0.0;
  for (int k = 0; k < chunks_; ++k) {
    const double* in = all_.data() + static_cast<size_t>(k) * len;
    value_ += in[0];
    if (k + 1 < chunks_) c_.segment(k * m_, m_) = Eigen::Map<const Vector>(in + 1, m_);
  }
  cached_x_ = x;
  cached_ = true;
}

void RnnShootingProblem::backward(VectorCRef x, const Vector* y, VectorRef grad) const {
  forward(x);
  const int len = n_theta_ + m_;  // per chunk: ∇_θ, ∂/∂s_k
  const int first = layout_.first();
  mine_.assign(static_cast<size_t>(layout_.last() - first) * len, 0.0);
  RnnWeights g;
  Vector gs, seed, flat;
  for (int k = first; k < layout_.last(); ++k) {
    Chunk& ch = chunk_[static_cast<size_t>(k - first)];
    const Vector s = k > 0 ? Vector(x.segment(n_theta_ + (k - 1) * m_, m_)) : Vector();
    ReducedWindow win = window(k, &s);
    win.reuse_forward = true;
    if (y != nullptr && k + 1 < chunks_) {
      seed = -y->segment(k * m_, m_);  // ∂(y_kᵀ c_k)/∂h^k_last, c_k = s_{k+1} − h^k_last
      win.terminal_adjoint = &seed;
    }
    reduced_objective(w_, data_, reg_, win, &g, &gs, &ch.ws);
    double* out = mine_.data() + static_cast<size_t>(k - first) * len;
    flatten(g, &flat);
    Eigen::Map<Vector>(out, n_theta_) = flat;
    Eigen::Map<Vector>(out + n_theta_, m_) = gs;
  }
  layout_.gather(mine_, len, &all_);
  grad.setZero();
  for (int k = 0; k < chunks_; ++k) {
    const double* in = all_.data() + static_cast<size_t>(k) * len;
    grad.head(n_theta_) += Eigen::Map<const Vector>(in, n_theta_);
    if (k > 0) grad.segment(n_theta_ + (k - 1) * m_, m_) = Eigen::Map<const Vector>(in + n_theta_, m_);
  }
  if (y != nullptr) grad.tail(num_equalities()) += *y;  // ∂(y_{k−1}ᵀ c_{k−1})/∂s_k = y_{k−1}
}

double RnnShootingProblem::f_impl(VectorCRef x) const {
  forward(x);
  return value_;
}

void RnnShootingProblem::c_impl(VectorCRef x, VectorRef c) const {
  forward(x);
  c = c_;
}

double RnnShootingProblem::grad_f_impl(VectorCRef x, VectorRef grad) const {
  backward(x, nullptr, grad);
  return value_;
}

double RnnShootingProblem::grad_lagrangian_impl(VectorCRef x, VectorCRef y, VectorRef grad) const {
  const Vector yy = y;
  backward(x, &yy, grad);
  return value_;
}

void RnnShootingProblem::jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const {
  // Two sweeps (with and without the seeds): the ALM's inner loop uses the
  // fused grad_lagrangian_impl; this product serves the KKT report only.
  Vector gf(out.size());
  backward(x, nullptr, gf);
  const Vector yy = y;
  backward(x, &yy, out);
  out -= gf;
}

}  // namespace almkit::rnn
