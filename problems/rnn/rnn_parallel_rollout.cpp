#include "almkit/problems/rnn/rnn_parallel_rollout.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/problems/rnn/rnn_shooting.h"

namespace almkit::rnn {

namespace {
bool same_bits(const Eigen::Ref<const Vector>& a, const Eigen::Ref<const Vector>& b) {
  return (a.array() == b.array()).all();
}
}  // namespace

ParallelRollout::ParallelRollout(const RnnSeries& data, const RnnRegularization& reg, int m, int chunks,
                                 Communicator& comm)
    : data_(data), reg_(reg), m_(m), K_(chunks), bounds_(shooting_boundaries(data.T(), chunks)), layout_(chunks, comm) {
  for (int k = layout_.first(); k < layout_.last(); ++k) {
    Chunk c;
    c.k = k;
    c.t0 = bounds_[static_cast<size_t>(k)];
    c.len = bounds_[static_cast<size_t>(k) + 1] - c.t0;
    // The recursions test this at every step: looked up once, not per evaluation.
    c.starts.resize(static_cast<size_t>(c.len));
    for (int j = 0; j < c.len; ++j) c.starts[static_cast<size_t>(j)] = data.is_sequence_start(c.t0 + j) ? 1 : 0;
    chunk_.push_back(std::move(c));
  }
  S_.setZero(m_, K_);
  A_.setZero(m_, K_);
}

bool ParallelRollout::continues_into(int k) const {
  return k > 0 && k < K_ && !data_.is_sequence_start(bounds_[static_cast<size_t>(k)]);
}

// u_t = (V x_t + b) + W h_{t−1}: the same operations in round 0 and in a
// re-run, so that a re-run can stop at the first bit-identical u_t.
void ParallelRollout::forward_recursion(Chunk& c, const RnnWeights& w, bool rerun, long* steps) const {
  Vector u(m_);
  for (int j = 0; j < c.len; ++j) {
    u = c.Z.col(j);
    if (j == 0) {
      if (continues_into(c.k)) u.noalias() += w.W * S_.col(c.k);
    } else if (!c.starts[static_cast<size_t>(j)]) {
      u.noalias() += w.W * c.H.col(j - 1);
    }
    if (rerun && same_bits(u, c.U.col(j))) return;
    c.U.col(j) = u;
    c.H.col(j) = u.cwiseMax(0.0);
    if (rerun) ++*steps;
  }
}

// g_t = (2ω_t/N) Aᵀr_t + Wᵀδ_{t+1} (a_k at the chunk's end), δ_t = D_t g_t + 2λ6 u_t.
void ParallelRollout::backward_recursion(Chunk& c, const RnnWeights& w, bool rerun, long* steps) const {
  Vector g(m_), d(m_);
  const bool terminal = continues_into(c.k + 1);
  for (int j = c.len - 1; j >= 0; --j) {
    g = c.G0.col(j);
    if (j == c.len - 1) {
      if (terminal) g += A_.col(c.k);
    } else if (!c.starts[static_cast<size_t>(j) + 1]) {
      g.noalias() += w.W.transpose() * c.Delta.col(j + 1);
    }
    for (int i = 0; i < m_; ++i) d(i) = (c.U(i, j) > 0.0 ? g(i) : 0.0) + 2.0 * reg_.lambda6 * c.U(i, j);
    if (rerun && same_bits(d, c.Delta.col(j))) return;
    c.Delta.col(j) = d;
    if (rerun) ++*steps;
  }
}

int ParallelRollout::forward_rounds(const RnnWeights& w) {
  std::vector<double> mine, all;
  for (int round = 0;; ++round) {
    mine.clear();
    for (const Chunk& c : chunk_) mine.insert(mine.end(), c.H.col(c.len - 1).data(), c.H.col(c.len - 1).data() + m_);
    layout_.gather(mine, m_, &all);
    std::vector<char> redo(static_cast<size_t>(K_), 0);
    bool changed = false;
    for (int k = 1; k < K_; ++k) {
      if (!continues_into(k)) continue;
      const Eigen::Map<const Vector> h(all.data() + static_cast<long>(k - 1) * m_, m_);
      if (same_bits(h, S_.col(k))) continue;
      S_.col(k) = h;
      redo[static_cast<size_t>(k)] = 1;
      changed = true;
    }
    if (!changed) return round;
    for (Chunk& c : chunk_)
      if (redo[static_cast<size_t>(c.k)]) forward_recursion(c, w, true, &rounds_.forward_rerun_steps);
  }
}

int ParallelRollout::backward_rounds(const RnnWeights& w) {
  std::vector<double> mine, all;
  Vector head(m_);
  for (int round = 0;; ++round) {
    mine.clear();
    for (const Chunk& c : chunk_) {
      if (continues_into(c.k)) head.noalias() = w.W.transpose() * c.Delta.col(0);
      else head.setZero();
      mine.insert(mine.end(), head.data(), head.data() + m_);
    }
    layout_.gather(mine, m_, &all);
    std::vector<char> redo(static_cast<size_t>(K_), 0);
    bool changed = false;
    for (int k = 0; k + 1 < K_; ++k) {
      if (!continues_into(k + 1)) continue;
      const Eigen::Map<const Vector> a(all.data() + static_cast<long>(k + 1) * m_, m_);
      if (same_bits(a, A_.col(k))) continue;
      A_.col(k) = a;
      redo[static_cast<size_t>(k)] = 1;
      changed = true;
    }
    if (!changed) return round;
    for (Chunk& c : chunk_)
      if (redo[static_cast<size_t>(c.k)]) backward_recursion(c, w, true, &rounds_.backward_rerun_steps);
  }
}

// Chunk c's loss and λ6‖U‖² terms (its residuals R weighted by ω stay in c.R).
double ParallelRollout::chunk_value(Chunk& c, const RnnWeights& w, double N) const {
  c.R.noalias() = w.A * c.H;
  c.R.colwise() += w.c;
  double loss = 0.0;
  for (int j = 0; j < c.len; ++j) {
    const double om = data_.omega(c.t0 + j);
    if (om != 0.0) {
      c.R.col(j) = om * (c.R.col(j) - data_.Y.col(c.t0 + j));
      loss += c.R.col(j).squaredNorm() / om;
    } else {
      c.R.col(j).setZero();
    }
  }
  return loss / N + reg_.lambda6 * c.U.squaredNorm();
}

// Chunk c's block of ∇θ (without the weight penalties) into out[0 … n_θ).
void ParallelRollout::chunk_gradient(Chunk& c, double N, double* out) const {
  // h_{t−1} of every step: the states shifted by one, the boundary state
  // first, zero at sequence starts.
  c.Hprev.resize(m_, c.len);
  if (continues_into(c.k)) c.Hprev.col(0) = S_.col(c.k);
  else c.Hprev.col(0).setZero();
  c.Hprev.rightCols(c.len - 1) = c.H.leftCols(c.len - 1);
  for (int j = 1; j < c.len; ++j)
    if (c.starts[static_cast<size_t>(j)]) c.Hprev.col(j).setZero();
  RnnWeights g;
  g.W.noalias() = c.Delta * c.Hprev.transpose();
  g.V.noalias() = c.Delta * data_.X.middleCols(c.t0, c.len).transpose();
  g.b = c.Delta.rowwise().sum();
  g.A.noalias() = (2.0 / N) * (c.R * c.H.transpose());
  g.c = (2.0 / N) * c.R.rowwise().sum();
  Vector flat;
  flatten(g, &flat);
  std::copy_n(flat.data(), flat.size(), out);
}

double ParallelRollout::evaluate(const RnnWeights& w, RnnWeights* gradient) {
  if (w.m() != m_ || w.V.cols() != data_.d() || w.A.rows() != data_.p())
    throw std::invalid_argument(fmt::format("ParallelRollout: weights for m = {}, d = {}, p = {}; expected m = {}, d = {}, p = {}",
                                            w.m(), w.V.cols(), w.A.rows(), m_, data_.d(), data_.p()));
  rounds_.forward_rounds = rounds_.backward_rounds = 0;
  rounds_.forward_rerun_steps = rounds_.backward_rerun_steps = 0;
  ++rounds_.evaluations;
  const double N = data_.N() > 0 ? data_.N() : 1.0;
  for (Chunk& c : chunk_) {
    c.Z.noalias() = w.V * data_.X.middleCols(c.t0, c.len);
    c.Z.colwise() += w.b;
    c.U.resize(m_, c.len);
    c.H.resize(m_, c.len);
    forward_recursion(c, w, false, nullptr);
  }
  rounds_.forward_rounds = forward_rounds(w);
  // Per chunk a block: its value, then (with a gradient) its ∇θ.
  const int n_theta = num_parameters(m_, data_.d(), data_.p());
  const int block = 1 + (gradient != nullptr ? n_theta : 0);
  std::vector<double> mine(chunk_.size() * static_cast<size_t>(block), 0.0), all;
  for (size_t i = 0; i < chunk_.size(); ++i) mine[i * block] = chunk_value(chunk_[i], w, N);
  if (gradient != nullptr) {
    for (Chunk& c : chunk_) {
      c.G0.noalias() = (2.0 / N) * (w.A.transpose() * c.R);
      c.Delta.resize(m_, c.len);
      backward_recursion(c, w, false, nullptr);
    }
    rounds_.backward_rounds = backward_rounds(w);
    for (size_t i = 0; i < chunk_.size(); ++i) chunk_gradient(chunk_[i], N, mine.data() + i * block + 1);
  }
  layout_.gather(mine, block, &all);
  rounds_.total_forward_rounds += rounds_.forward_rounds;
  rounds_.total_backward_rounds += rounds_.backward_rounds;
  rounds_.total_forward_rerun_steps += rounds_.forward_rerun_steps;
  rounds_.total_backward_rerun_steps += rounds_.backward_rerun_steps;
  // Chunk order on every worker: the same bits for every P.
  double F = 0.0;
  Vector gsum = Vector::Zero(gradient != nullptr ? n_theta : 0);
  for (int k = 0; k < K_; ++k) {
    F += all[static_cast<size_t>(k) * block];
    if (gradient != nullptr) gsum += Eigen::Map<const Vector>(all.data() + static_cast<long>(k) * block + 1, n_theta);
  }
  F += reg_.lambda1 * w.A.squaredNorm() + reg_.lambda2 * w.W.squaredNorm() + reg_.lambda3 * w.V.squaredNorm() +
       reg_.lambda4 * w.b.squaredNorm() + reg_.lambda5 * w.c.squaredNorm();
  if (gradient != nullptr) {
    unflatten(gsum, m_, data_.d(), data_.p(), gradient);
    gradient->W += 2.0 * reg_.lambda2 * w.W;
    gradient->V += 2.0 * reg_.lambda3 * w.V;
    gradient->b += 2.0 * reg_.lambda4 * w.b;
    gradient->A += 2.0 * reg_.lambda1 * w.A;
    gradient->c += 2.0 * reg_.lambda5 * w.c;
  }
  return F;
}

RnnParallelReducedProblem::RnnParallelReducedProblem(const RnnSeries& data, const RnnRegularization& reg,
                                                     const RnnWeights& initial, int chunks, Communicator& comm)
    : m_(initial.m()),
      d_(static_cast<int>(initial.V.cols())),
      p_(static_cast<int>(initial.A.rows())),
      x0_(flatten(initial)),
      rollout_(data, reg, initial.m(), chunks, comm) {}

std::string RnnParallelReducedProblem::name() const {
  return fmt::format("rnn_reduced_parallel(m={}, K={})", m_, rollout_.chunks());
}

RnnWeights RnnParallelReducedProblem::weights(VectorCRef x) const { return unflatten(x, m_, d_, p_); }

double RnnParallelReducedProblem::f_impl(VectorCRef x) const {
  unflatten(x, m_, d_, p_, &w_);
  const double F = rollout_.evaluate(w_, nullptr);
  if (observer_) observer_(F);
  return F;
}

double RnnParallelReducedProblem::grad_f_impl(VectorCRef x, VectorRef grad) const {
  unflatten(x, m_, d_, p_, &w_);
  const double F = rollout_.evaluate(w_, &g_);
  Vector flat;
  flatten(g_, &flat);
  grad = flat;
  if (observer_) observer_(F);
  return F;
}

}  // namespace almkit::rnn
