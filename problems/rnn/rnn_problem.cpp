#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/problems/rnn/rnn_closed_forms.h"

#include "almkit/core/parallel.h"

#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace almkit::rnn {

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("RnnTrainingProblem: " + what);
}

}  // namespace

// ============================================================================
// construction and layout
// ============================================================================

RnnTrainingProblem::RnnTrainingProblem(RnnSeries train, int m, RnnRegularization reg)
    : data_(std::move(train)), reg_(reg) {
  m_ = m;
  d_ = data_.d();
  p_ = data_.p();
  T_ = data_.T();
  check(m_ >= 1, "m must be >= 1");
  check(T_ >= 1, "the series has no time steps");
  check(d_ >= 1 && p_ >= 1, "inputs and targets need at least one row each");
  check(data_.Y.cols() == T_, "Y must have T columns like X");
  check(data_.omega.size() == T_, "omega must have T entries");
  check((data_.omega.array() >= 0.0).all() && data_.omega.allFinite(), "omega must be finite and >= 0");
  check(!data_.sequence_starts.empty() && data_.sequence_starts.front() == 0,
        "sequence_starts must begin with 0");
  for (size_t i = 1; i < data_.sequence_starts.size(); ++i)
    check(data_.sequence_starts[i] > data_.sequence_starts[i - 1] && data_.sequence_starts[i] < T_,
          "sequence_starts must be strictly increasing and < T");
  check(data_.X.allFinite(), "X has non-finite entries");
  for (double l : {reg_.lambda1, reg_.lambda2, reg_.lambda3, reg_.lambda4, reg_.lambda5, reg_.lambda6})
    check(l >= 0.0 && std::isfinite(l), "regularization weights must be finite and >= 0");
  N_ = data_.N();
  check(N_ > 0.0, "no observed target (N = sum of omega = 0)");

  off_V_ = m_ * m_;
  off_b_ = off_V_ + m_ * d_;
  off_A_ = off_b_ + m_;
  off_c_ = off_A_ + p_ * m_;
  off_H_ = off_c_ + p_;
  off_U_ = off_H_ + m_ * T_;
  n_ = off_U_ + m_ * T_;

  omega_all_ones_ = (data_.omega.array() == 1.0).all();
  for (size_t i = 1; i < data_.sequence_starts.size(); ++i) {
    inner_starts_.push_back(data_.sequence_starts[i]);
    inner_ends_.push_back(data_.sequence_starts[i] - 1);
  }
  all_ends_ = inner_ends_;
  all_ends_.push_back(T_ - 1);

  // Unobserved targets may be NaN (prediction files): zero them once so that
  // ω_t = 0 columns never contribute, then weight by ω.
  YOmega_ = data_.Y;
  for (int t = 0; t < T_; ++t) {
    if (data_.omega[t] == 0.0) YOmega_.col(t).setZero();
    else YOmega_.col(t) *= data_.omega[t];
  }
  check(YOmega_.allFinite(), "Y has non-finite entries where omega > 0");
  XXt_.noalias() = data_.X * data_.X.transpose();
  X1_ = data_.X.rowwise().sum();

  // Column classes of the h block: (ω_t, last step of a sequence or not).
  std::vector<std::pair<double, bool>> keys;
  std::vector<int> cls(static_cast<size_t>(T_));
  std::vector<int> count;
  std::vector<char> is_end(static_cast<size_t>(T_), 0);
  for (int e : all_ends_) is_end[static_cast<size_t>(e)] = 1;
  for (int t = 0; t < T_; ++t) {
    const std::pair<double, bool> key{data_.omega[t], is_end[static_cast<size_t>(t)] != 0};
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      keys.push_back(key);
      count.push_back(0);
      it = keys.end() - 1;
    }
    const int k = static_cast<int>(it - keys.begin());
    cls[static_cast<size_t>(t)] = k;
    ++count[static_cast<size_t>(k)];
  }
  const int major = static_cast<int>(std::max_element(count.begin(), count.end()) - count.begin());
  h_classes_.clear();
  // The majority class first: it is solved for all T columns at once, the
  // others are gathered, solved and scattered over it.
  for (int pass = 0; pass < 2; ++pass)
    for (size_t k = 0; k < keys.size(); ++k) {
      if ((pass == 0) != (static_cast<int>(k) == major)) continue;
      HClass c;
      c.omega = keys[k].first;
      c.last = keys[k].second;
      if (pass == 1)
        for (int t = 0; t < T_; ++t)
          if (cls[static_cast<size_t>(t)] == static_cast<int>(k)) c.columns.push_back(t);
      h_classes_.push_back(std::move(c));
    }
  set_parallel(parallel_);  // one chunk [0, T): the sequential path
}

// ============================================================================
// time chunks (docs/parallel.md §2)
// ============================================================================

void RnnTrainingProblem::set_parallel(const RnnParallelOptions& options) {
  check(options.threads >= 1, "threads must be >= 1");
  check(options.chunk_columns >= 0, "chunk_columns must be >= 0");
  parallel_ = options;
  chunks_.clear();
  const int len = options.chunk_columns == 0 || options.chunk_columns >= T_ ? T_ : options.chunk_columns;
  auto inside = [](const std::vector<int>& all, int first, int last) {
    std::vector<int> out;
    for (int t : all)
      if (t >= first && t < last) out.push_back(t);
    return out;
  };
  for (int first = 0; first < T_; first += len) {
    Chunk c;
    c.first = first;
    c.last = std::min(T_, first + len);
    c.inner_starts = inside(inner_starts_, c.first, c.last);
    c.inner_ends = inside(inner_ends_, c.first, c.last);
    c.all_ends = inside(all_ends_, c.first, c.last);
    chunks_.push_back(std::move(c));
  }
  part_gram_.assign(chunks_.size(), Matrix());
  part_rhs_.assign(chunks_.size(), Matrix());
  part_hh_.assign(chunks_.size(), Matrix());
  // Sequence groups: cut k at the (not yet used) sequence start nearest to
  // k·T/g, so the groups hold whole sequences and about T/g columns each.
  const auto& starts = data_.sequence_starts;
  const int g = std::min<int>(options.threads, static_cast<int>(starts.size()));
  sequence_groups_.clear();
  int first = 0;
  size_t next = 1;
  for (int k = 1; k < g && next < starts.size(); ++k) {
    const double target = static_cast<double>(T_) * k / g;
    size_t j = next;
    while (j + 1 < starts.size() && std::abs(starts[j + 1] - target) < std::abs(starts[j] - target)) ++j;
    sequence_groups_.emplace_back(first, starts[j]);
    first = starts[j];
    next = j + 1;
  }
  sequence_groups_.emplace_back(first, T_);
}

void RnnTrainingProblem::for_chunks(const std::function<void(int)>& fn) const {
  parallel_for(num_chunks(), parallel_.threads, fn);
}

// Σ_{t ∈ [first, last), t not a start} L(:, t) R(:, t−1)ᵀ: reads R(:, first − 1),
// the one halo column of the previous chunk (t = 0 is always a start).
void RnnTrainingProblem::chunk_linked_outer(int c, const Eigen::Ref<const Matrix>& Lm,
                                            const Eigen::Ref<const Matrix>& R, Eigen::Ref<Matrix> out) const {
  const Chunk& k = chunks_[static_cast<size_t>(c)];
  const int lo = std::max(k.first, 1), n = k.last - lo;
  if (n <= 0) {
    out.setZero();
    return;
  }
  out.noalias() = Lm.middleCols(lo, n) * R.middleCols(lo - 1, n).transpose();
  for (int s : k.inner_starts) out.noalias() -= Lm.col(s) * R.col(s - 1).transpose();
}

// add_linked_product for the output columns of chunk c only: forward reads the
// halo column in(:, first − 1), backward in(:, last); the skipped columns are
// saved and restored as in add_linked_product, so the result is exact.
void RnnTrainingProblem::chunk_linked_product(int c, double alpha, const Eigen::Ref<const Matrix>& M,
                                              const Eigen::Ref<const Matrix>& in, Eigen::Ref<Matrix> out,
                                              bool forward) const {
  const Chunk& k = chunks_[static_cast<size_t>(c)];
  const int lo = forward ? std::max(k.first, 1) : k.first;
  const int n = (forward ? k.last : std::min(k.last, T_ - 1)) - lo;
  if (n <= 0) return;
  const std::vector<int>& skip = forward ? k.inner_starts : k.inner_ends;
  Matrix save(out.rows(), static_cast<Eigen::Index>(skip.size()));
  for (size_t i = 0; i < skip.size(); ++i) save.col(static_cast<Eigen::Index>(i)) = out.col(skip[i]);
  if (forward) out.middleCols(lo, n).noalias() += alpha * M * in.middleCols(lo - 1, n);
  else out.middleCols(lo, n).noalias() += alpha * M * in.middleCols(lo + 1, n);
  for (size_t i = 0; i < skip.size(); ++i) out.col(skip[i]) = save.col(static_cast<Eigen::Index>(i));
}

RnnMultiplierView RnnTrainingProblem::multiplier_view(VectorCRef lambda) const {
  check(lambda.size() == num_equalities(), "multiplier vector has the wrong size");
  return RnnMultiplierView{Eigen::Map<const Matrix>(lambda.data(), m_, T_),
                           Eigen::Map<const Matrix>(lambda.data() + m_ * T_, m_, T_)};
}

Vector RnnTrainingProblem::make_point(const RnnWeights& w) const {
  check(w.W.rows() == m_ && w.W.cols() == m_ && w.V.rows() == m_ && w.V.cols() == d_ && w.b.size() == m_ &&
            w.A.rows() == p_ && w.A.cols() == m_ && w.c.size() == p_,
        "weights do not match (m, d, p)");
  Vector x(n_);
  auto v = mutable_view(x);
  v.W = w.W;
  v.V = w.V;
  v.b = w.b;
  v.A = w.A;
  v.c = w.c;
  restore_feasibility(x);
  return x;
}

RnnWeights RnnTrainingProblem::weights(VectorCRef x) const {
  const auto v = view(x);
  return RnnWeights{v.W, v.V, v.b, v.A, v.c};
}

void RnnTrainingProblem::set_initial_weights(const RnnWeights& w) {
  make_point(w);  // validates the shapes
  initial_weights_ = w;
  has_initial_weights_ = true;
}

Vector RnnTrainingProblem::initial_point() const {
  if (has_initial_weights_) return make_point(initial_weights_);
  std::mt19937_64 rng(0);
  std::normal_distribution<double> gauss(0.0, 1e-3);
  RnnWeights w;
  w.W = Matrix::NullaryExpr(m_, m_, [&]() { return gauss(rng); });
  w.V = Matrix::NullaryExpr(m_, d_, [&]() { return gauss(rng); });
  w.b = Vector::Zero(m_);
  w.A = Matrix::NullaryExpr(p_, m_, [&]() { return gauss(rng); });
  w.c = Vector::Zero(p_);
  return make_point(w);
}

// The forward pass of docs/rnn.md §1 into x's (H, U), by sequence groups. It
// runs on owned (aligned) matrices, as rnn_types' forward_pass does, and
// copies the result into x: a column of x is not aligned, and Eigen then peels
// a different set of rows out of the fused multiply-add loop, which changes
// the rounding (the tests compare the two forward passes bit for bit).
bool RnnTrainingProblem::restore_feasibility(VectorRef x) const {
  auto v = mutable_view(x);
  const Matrix W = v.W, V = v.V;
  const Vector b = v.b;
  Matrix U(m_, T_), H(m_, T_);
  U.noalias() = V * data_.X;
  U.colwise() += b;
  parallel_for(num_sequence_groups(), parallel_.threads, [&](int g) {
    const auto [first, last] = sequence_groups_[static_cast<size_t>(g)];
    for (int t = first; t < last; ++t) {
      if (!data_.is_sequence_start(t)) U.col(t).noalias() += W * H.col(t - 1);
      H.col(t) = U.col(t).cwiseMax(0.0);
    }
  });
  v.U = U;
  v.H = H;
  return true;
}

std::vector<int> RnnTrainingProblem::near_kinks(VectorCRef x, double tol) const {
  std::vector<int> out;
  const auto U = view(x).U;
  for (Eigen::Index k = 0; k < U.size(); ++k)
    if (std::abs(U.data()[k]) <= tol) out.push_back(static_cast<int>(k));
  return out;
}

Matrix RnnTrainingProblem::pre_activation_gradient(VectorCRef x, int k) const {
  return pre_activation_gradients(x, {k}).front();
}

// Per entry, the adjoint e runs back from its step until the sequence start,
// or until every component is 0 (all units on the path inactive) or below
// 1e-15 of the unit seed: the terms left out would change G by less than the
// rounding of its O(1) entries (the recurrence contracts on such paths).
std::vector<Matrix> RnnTrainingProblem::pre_activation_gradients(VectorCRef x, const std::vector<int>& ks) const {
  const auto v = view(x);
  const int q = m_ + d_ + 1;
  std::vector<Matrix> out;
  out.reserve(ks.size());
  Vector e(m_), back(m_);
  for (int k : ks) {
    check(k >= 0 && k < m_ * T_, "pre_activation_gradient: U entry index out of range");
    Matrix G = Matrix::Zero(m_, q);
    e.setZero();
    e(k % m_) = 1.0;
    for (int tau = k / m_;; --tau) {
      const bool start = data_.is_sequence_start(tau);
      if (!start) G.leftCols(m_).noalias() += e * v.H.col(tau - 1).transpose();
      G.middleCols(m_, d_).noalias() += e * data_.X.col(tau).transpose();
      G.col(q - 1) += e;
      if (start) break;
      back.noalias() = v.W.transpose() * e;
      e = (v.U.col(tau - 1).array() > 0.0).select(back, 0.0);
      if (e.lpNorm<Eigen::Infinity>() <= 1e-15) break;
    }
    out.push_back(std::move(G));
  }
  return out;
}

std::vector<Kink> RnnTrainingProblem::active_kinks(VectorCRef x, double tol) const {
  std::vector<Kink> kinks;
  const auto U = view(x).U;
  for (int k : near_kinks(x, tol))
    kinks.push_back(Kink{ConstraintFamily::kEquality, k, U.data()[k],
                         "u[" + std::to_string(k / m_) + "," + std::to_string(k % m_) + "]"});
  return kinks;
}

Matrix RnnTrainingProblem::jacobian_with_selection(VectorCRef x, ConstraintFamily family,
                                                   const KinkSelection& s) const {
  Matrix J = ConstrainedProblem::jacobian_with_selection(x, family, s);
  if (family != ConstraintFamily::kEquality) return J;
  const auto v = view(x);
  for (Eigen::Index k = 0; k < v.U.size(); ++k)
    if (std::abs(v.U.data()[k]) <= s.tolerance)  // row of C2_{t,i}: ∂/∂u_{t,i} = −σ'(u) := −s_k
      J(static_cast<Eigen::Index>(m_) * T_ + k, off_U_ + k) = -s.factor_of(static_cast<int>(k));
  return J;
}

std::string RnnTrainingProblem::structural_nnamcq_certificate() const { return nnamcq_certificate_text(); }

std::string RnnTrainingProblem::nnamcq_certificate_text() {
  return "NNAMCQ holds at every point: if J(x;s)^T xi = 0 for any selection s, the dh_t and du_t rows give, "
         "backwards from the last step of each sequence, xi2_t = W^T xi1_{t+1} = 0 and xi1_t = D_t xi2_t = 0, "
         "because the generalized Jacobian with respect to the states (U, H) is unit triangular "
         "(docs/rnn.md §4, docs/rnn_bcd.md §1)";
}

std::string RnnTrainingProblem::block_name(int k) const {
  static const char* names[] = {"w", "a", "h", "u"};
  check(k >= 0 && k < 4, "block index out of range");
  return names[k];
}

std::vector<BlockProblem::Range> RnnTrainingProblem::block_ranges(int k) const {
  switch (k) {
    case kBlockW: return {{0, off_A_}};               // W, V, b
    case kBlockA: return {{off_A_, off_H_ - off_A_}};  // A, c
    case kBlockH: return {{off_H_, m_ * T_}};
    case kBlockU: return {{off_U_, m_ * T_}};
    default: check(false, "block index out of range");
  }
  return {};
}

// ============================================================================
// linked (time-shifted) products: the only place sequence boundaries appear
// ============================================================================

// out(:, t) += α M in(:, t−1) for every t that is not a sequence start
// (forward = true, the W h_{t−1} of C1), or out(:, t) += α M in(:, t+1) for
// every t that is not a sequence end (forward = false, the Wᵀ ξ1_{t+1} of the
// adjoint). One product over T−1 columns; the columns that must not receive a
// term (inner starts or ends) are saved before and restored after, exactly.
void RnnTrainingProblem::add_linked_product(double alpha, const Eigen::Ref<const Matrix>& M,
                                            const Eigen::Ref<const Matrix>& in, Eigen::Ref<Matrix> out,
                                            bool forward) const {
  if (T_ < 2) return;
  const std::vector<int>& skip = forward ? inner_starts_ : inner_ends_;
  const int S = static_cast<int>(skip.size());
  if (S > 0) {
    if (link_save_.rows() != out.rows() || link_save_.cols() < S) link_save_.resize(out.rows(), S);
    for (int i = 0; i < S; ++i) link_save_.col(i) = out.col(skip[static_cast<size_t>(i)]);
  }
  if (forward) out.rightCols(T_ - 1).noalias() += alpha * M * in.leftCols(T_ - 1);
  else out.leftCols(T_ - 1).noalias() += alpha * M * in.rightCols(T_ - 1);
  for (int i = 0; i < S; ++i) out.col(skip[static_cast<size_t>(i)]) = link_save_.col(i);
}

// out = Σ_{t not a start} L(:, t) R(:, t−1)ᵀ.
void RnnTrainingProblem::linked_outer(const Eigen::Ref<const Matrix>& Lm, const Eigen::Ref<const Matrix>& R,
                                      Eigen::Ref<Matrix> out) const {
  if (T_ < 2) {
    out.setZero();
    return;
  }
  out.noalias() = Lm.rightCols(T_ - 1) * R.leftCols(T_ - 1).transpose();
  for (int s : inner_starts_) out.noalias() -= Lm.col(s) * R.col(s - 1).transpose();
}

// ============================================================================
// f, ∇f, c, Jᵀy
// ============================================================================

void RnnTrainingProblem::weighted_residuals(const RnnConstView& v, Matrix& R) const {
  // R = (A H + c 1ᵀ) Ω − Y Ω  (unobserved columns are exactly 0)
  R.noalias() = v.A * v.H;
  R.colwise() += v.c;
  if (!omega_all_ones_) R = R * data_.omega.asDiagonal();
  R -= YOmega_;
}

double RnnTrainingProblem::f_impl(VectorCRef x) const {
  const auto v = view(x);
  Matrix R;
  weighted_residuals(v, R);
  // Σ ω_t ‖r_t‖² = Σ_t ‖ω_t r_t‖² / ω_t for ω_t > 0.
  double loss = 0.0;
  if (omega_all_ones_) loss = R.squaredNorm();
  else
    for (int t = 0; t < T_; ++t)
      if (data_.omega[t] > 0.0) loss += R.col(t).squaredNorm() / data_.omega[t];
  return loss / N_ + reg_.lambda1 * v.A.squaredNorm() + reg_.lambda2 * v.W.squaredNorm() +
         reg_.lambda3 * v.V.squaredNorm() + reg_.lambda4 * v.b.squaredNorm() + reg_.lambda5 * v.c.squaredNorm() +
         reg_.lambda6 * v.U.squaredNorm();
}

double RnnTrainingProblem::grad_f_impl(VectorCRef x, VectorRef grad) const {
  const double value = f_impl(x);
  const auto v = view(x);
  auto g = mutable_view(grad);
  Matrix R;
  weighted_residuals(v, R);  // R = (A H + c − Y) Ω
  const double s = 2.0 / N_;
  g.W = 2.0 * reg_.lambda2 * v.W;
  g.V = 2.0 * reg_.lambda3 * v.V;
  g.b = 2.0 * reg_.lambda4 * v.b;
  output_gradient(v, R, g.A, g.c);
  g.H.noalias() = s * v.A.transpose() * R;
  g.U = 2.0 * reg_.lambda6 * v.U;
  return value;
}

void RnnTrainingProblem::c_impl(VectorCRef x, VectorRef c) const {
  const auto v = view(x);
  Eigen::Map<Matrix> C1(c.data(), m_, T_), C2(c.data() + m_ * T_, m_, T_);
  // C1 = U − V X − b 1ᵀ − W Hprev
  C1 = v.U;
  C1.noalias() -= v.V * data_.X;
  C1.colwise() -= v.b;
  add_linked_product(-1.0, v.W, v.H, C1, /*forward=*/true);
  // C2 = H − σ(U)
  C2 = v.H - v.U.cwiseMax(0.0);
}

void RnnTrainingProblem::jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const {
  const auto v = view(x);
  const auto yv = multiplier_view(y);
  auto o = mutable_view(out);
  // W: −Y1 Hprevᵀ;  V: −Y1 Xᵀ;  b: −Y1 1;  A, c: 0
  linked_outer(yv.Xi1, v.H, o.W);
  o.W = -o.W;
  o.V.noalias() = -yv.Xi1 * data_.X.transpose();
  o.b = -yv.Xi1.rowwise().sum();
  o.A.setZero();
  o.c.setZero();
  // H: Y2 − Wᵀ Y1next (no term at sequence ends);  U: Y1 − D ∘ Y2, D = [u > 0] (0 at kinks)
  o.H = yv.Xi2;
  add_linked_product(-1.0, v.W.transpose(), yv.Xi1, o.H, /*forward=*/false);
  o.U = yv.Xi1 - (v.U.array() > 0.0).select(yv.Xi2, 0.0);
}

Eigen::SparseMatrix<double> RnnTrainingProblem::jac_c_sparse_impl(VectorCRef x) const {
  const auto v = view(x);
  std::vector<Eigen::Triplet<double>> trip;
  trip.reserve(static_cast<size_t>(m_) * T_ * (2 * m_ + d_ + 4));
  const int mT = m_ * T_;
  for (int t = 0; t < T_; ++t) {
    const bool start = data_.is_sequence_start(t);
    for (int i = 0; i < m_; ++i) {
      const int r1 = i + m_ * t, r2 = mT + i + m_ * t;
      // C1_t,i = u_ti − Σ_j W_ij h_{t−1,j} − Σ_k V_ik x_tk − b_i
      if (!start)
        for (int j = 0; j < m_; ++j) {
          trip.emplace_back(r1, i + m_ * j, -v.H(j, t - 1));
          trip.emplace_back(r1, off_H_ + j + m_ * (t - 1), -v.W(i, j));
        }
      for (int k = 0; k < d_; ++k) trip.emplace_back(r1, off_V_ + i + m_ * k, -data_.X(k, t));
      trip.emplace_back(r1, off_b_ + i, -1.0);
      trip.emplace_back(r1, off_U_ + i + m_ * t, 1.0);
      // C2_t,i = h_ti − σ(u_ti)
      trip.emplace_back(r2, off_H_ + i + m_ * t, 1.0);
      if (v.U(i, t) > 0.0) trip.emplace_back(r2, off_U_ + i + m_ * t, -1.0);
    }
  }
  Eigen::SparseMatrix<double> J(2 * mT, n_);
  J.setFromTriplets(trip.begin(), trip.end());
  return J;
}

Matrix RnnTrainingProblem::jac_c_impl(VectorCRef x) const { return Matrix(jac_c_sparse_impl(x)); }

// ============================================================================
// BPTT adjoint multipliers (docs/rnn.md §3)
// ============================================================================

Vector RnnTrainingProblem::bptt_multipliers(VectorCRef x) const { return bptt_multipliers(x, -1.0, 0.0); }

Vector RnnTrainingProblem::bptt_multipliers(VectorCRef x, double kink_tolerance, double kink_selection) const {
  const std::vector<int> kinks = kink_tolerance >= 0.0 ? near_kinks(x, kink_tolerance) : std::vector<int>{};
  return bptt_multipliers(x, kinks, std::vector<double>(kinks.size(), kink_selection));
}

Vector RnnTrainingProblem::bptt_multipliers(VectorCRef x, const std::vector<int>& kinks,
                                            const std::vector<double>& selection) const {
  check(kinks.size() == selection.size(), "bptt_multipliers: one selection per kink");
  const auto v = view(x);
  // σ′ per entry: [u > 0], then the given selections at the kinks.
  Matrix S = (v.U.array() > 0.0).cast<double>().matrix();
  for (size_t k = 0; k < kinks.size(); ++k) {
    check(kinks[k] >= 0 && kinks[k] < m_ * T_, "bptt_multipliers: kink index out of range");
    S.data()[kinks[k]] = selection[k];
  }
  Vector lambda(num_equalities());
  Eigen::Map<Matrix> Xi1(lambda.data(), m_, T_), Xi2(lambda.data() + m_ * T_, m_, T_);
  Matrix R;
  weighted_residuals(v, R);
  Xi2.noalias() = (-2.0 / N_) * v.A.transpose() * R;  // −(2ω_t/N) Aᵀ r_t, all t at once
  const Matrix Wt = v.W.transpose();
  // Backwards within each sequence group: a group ends at a sequence end.
  parallel_for(num_sequence_groups(), parallel_.threads, [&](int g) {
    const auto [first, last] = sequence_groups_[static_cast<size_t>(g)];
    for (int t = last - 1; t >= first; --t) {
      if (!data_.is_sequence_end(t)) Xi2.col(t).noalias() += Wt * Xi1.col(t + 1);
      Xi1.col(t) = S.col(t).cwiseProduct(Xi2.col(t)) - 2.0 * reg_.lambda6 * v.U.col(t);
    }
  });
  return lambda;
}

void RnnTrainingProblem::weight_gradient(VectorCRef x, VectorCRef lambda, VectorRef grad) const {
  check(grad.size() == num_weights(), "weight_gradient: grad must have num_weights() entries");
  const auto v = view(x);
  const auto xi = multiplier_view(lambda);
  Eigen::Map<Matrix> gW(grad.data(), m_, m_), gV(grad.data() + off_V_, m_, d_), gA(grad.data() + off_A_, p_, m_);
  Eigen::Map<Vector> gb(grad.data() + off_b_, m_), gc(grad.data() + off_c_, p_);
  // ∇f rows (docs/rnn_bcd.md §1) plus J_cᵀλ: W: −Ξ1 Hprevᵀ, V: −Ξ1 Xᵀ, b: −Ξ1 1; A, c: none.
  linked_outer(xi.Xi1, v.H, gW);
  gW = 2.0 * reg_.lambda2 * v.W - gW;
  gV.noalias() = -xi.Xi1 * data_.X.transpose();
  gV += 2.0 * reg_.lambda3 * v.V;
  gb = 2.0 * reg_.lambda4 * v.b - xi.Xi1.rowwise().sum();
  Matrix R;
  weighted_residuals(v, R);
  output_gradient(v, R, gA, gc);
}

void RnnTrainingProblem::output_gradient(const RnnConstView& v, const Matrix& R, Eigen::Ref<Matrix> gA,
                                         Eigen::Ref<Vector> gc) const {
  gA.noalias() = (2.0 / N_) * R * v.H.transpose();
  gA += 2.0 * reg_.lambda1 * v.A;
  gc = (2.0 / N_) * R.rowwise().sum() + 2.0 * reg_.lambda5 * v.c;
}

// ============================================================================
// closed-form block minimizers (docs/rnn_bcd.md §2)
// ============================================================================

int RnnTrainingProblem::prepare_block(int k, VectorCRef lambda, VectorCRef mu, double beta, double proximal,
                                      VectorCRef x) const {
  check(lambda.size() == num_equalities(), "lambda has the wrong size");
  check(mu.size() == 0, "the RNN problem has no inequalities or bounds, mu must be empty");
  check(beta > 0.0, "the penalty must be > 0");
  check(proximal >= 0.0, "the proximal weight must be >= 0");
  check(x.size() == n_, "x has the wrong size");
  if (work1_.rows() != m_ || work1_.cols() != T_) {
    work1_.resize(m_, T_);
    work2_.resize(m_, T_);
  }
  const int previous = last_block_;
  last_block_ = k;
  return previous;
}

void RnnTrainingProblem::minimize_w_block(VectorCRef lambda, double beta, double kappa, VectorRef x,
                                          const std::vector<int>& hold) const {
  prepare_block(kBlockW, lambda, Vector(0), beta, kappa, x);
  for (int k : hold) check(k >= 0 && k < m_ * T_, "minimize_w_block: held kink index out of range");
  minimize_w(lambda, beta, kappa, x, hold);
  last_x_ = x.data();
}

void RnnTrainingProblem::begin_sweep(VectorCRef /*x*/) const {
  HHt_owner_ = nullptr;
  last_x_ = nullptr;
  last_block_ = -1;
}

void RnnTrainingProblem::minimize_block(int k, VectorCRef lambda, VectorCRef mu, double beta, double proximal,
                                        VectorRef x) const {
  const int previous = prepare_block(k, lambda, mu, beta, proximal, x);
  switch (k) {
    case kBlockW: minimize_w(lambda, beta, 0.0, x); break;
    case kBlockA: minimize_a(x, previous == kBlockW); break;
    case kBlockH: minimize_h(lambda, beta, x); break;
    case kBlockU: minimize_u(lambda, beta, proximal, x, previous == kBlockH); break;
    default: check(false, "block index out of range");
  }
  last_x_ = x.data();
}

// theta_ = gram_⁻¹ rhs_smallᵀ by Cholesky. gram_ is only semidefinite when a
// regularization weight is 0 and, e.g., a unit is dead (a zero row of H); the
// right side then lies in its range, and the minimum-norm solution of the
// complete orthogonal decomposition is still an exact block minimizer.
void RnnTrainingProblem::solve_normal_equations() const {
  llt_.compute(gram_);
  if (llt_.info() == Eigen::Success) theta_ = llt_.solve(rhs_small_.transpose());
  else theta_ = gram_.completeOrthogonalDecomposition().solve(rhs_small_.transpose());
}

// w = Θ = [W V b]:  Θ (β Z Zᵀ + 2 diag(λ2 1_m, λ3 1_d, λ4)) = (β U + Ξ1) Zᵀ,  Z = [Hprev; X; 1ᵀ].
void RnnTrainingProblem::minimize_w(VectorCRef lambda, double beta, double kappa, VectorRef x,
                                    const std::vector<int>& hold) const {
  auto v = mutable_view(x);
  const auto xi = multiplier_view(lambda);
  const int q = m_ + d_ + 1;
  gram_.resize(q, q);
  rhs_small_.resize(m_, q);

  if (chunked()) {
    minimize_w_chunked(lambda, beta, kappa, x);
  } else {
  // Z Zᵀ. Hprev Hprevᵀ = H Hᵀ − Σ_{sequence ends e} h_e h_eᵀ (h_e feeds no step).
  HHt_.noalias() = v.H * v.H.transpose();
  auto ZZ_hh = gram_.topLeftCorner(m_, m_);
  ZZ_hh = HHt_;
  for (int e : all_ends_) ZZ_hh.noalias() -= v.H.col(e) * v.H.col(e).transpose();
  auto ZZ_hx = gram_.block(0, m_, m_, d_);
  linked_outer(data_.X, v.H, gram_.block(m_, 0, d_, m_));  // X Hprevᵀ
  ZZ_hx = gram_.block(m_, 0, d_, m_).transpose();
  Vector hsum = v.H.rowwise().sum();
  for (int e : all_ends_) hsum -= v.H.col(e);
  gram_.block(0, q - 1, m_, 1) = hsum;
  gram_.block(q - 1, 0, 1, m_) = hsum.transpose();
  // (β U + Ξ1) Zᵀ
  work1_ = beta * v.U + xi.Xi1;
  linked_outer(work1_, v.H, rhs_small_.leftCols(m_));
  rhs_small_.middleCols(m_, d_).noalias() = work1_ * data_.X.transpose();
  rhs_small_.col(q - 1) = work1_.rowwise().sum();
  }
  complete_w_matrix(gram_, m_, d_, XXt_, X1_, T_, beta, reg_);

  // Optional proximal term (ρ/2)‖Θ − Θ⁻‖², ρ = κ tr(β Z Zᵀ)/q (minimize_w_block):
  // Θ (M + ρ I) = RHS + ρ Θ⁻.
  if (kappa > 0.0) {
    // gram_ = β Z Zᵀ + 2Λ here; ρ uses the trace of β Z Zᵀ alone.
    const double rho = kappa * (gram_.trace() - 2.0 * (m_ * reg_.lambda2 + d_ * reg_.lambda3 + reg_.lambda4)) / q;
    gram_.diagonal().array() += rho;
    rhs_small_.leftCols(m_) += rho * v.W;
    rhs_small_.middleCols(m_, d_) += rho * v.V;
    rhs_small_.col(q - 1) += rho * v.b;
  }
  solve_normal_equations();  // Θᵀ (q × m): Θ M = RHS, M symmetric
  if (!hold.empty()) hold_kinks(hold, v.H);
  v.W = theta_.topRows(m_).transpose();
  v.V = theta_.middleRows(m_, d_).transpose();
  v.b = theta_.row(q - 1).transpose();
  HHt_owner_ = x.data();
}

// The H-dependent parts of Z Zᵀ and all of (β U + Ξ1) Zᵀ as per-chunk partial
// sums, added in chunk order (docs/parallel.md §2–3); H Hᵀ for the a block too.
// Each chunk reads one halo column of H before its first step.
void RnnTrainingProblem::minimize_w_chunked(VectorCRef lambda, double beta, double /*kappa*/, VectorRef x) const {
  auto v = mutable_view(x);
  const auto xi = multiplier_view(lambda);
  const int q = m_ + d_ + 1;
  for_chunks([&](int c) {
    const Chunk& k = chunks_[static_cast<size_t>(c)];
    const int a = k.first, n = k.last - k.first;
    const auto Hc = v.H.middleCols(a, n);
    Matrix& G = part_gram_[static_cast<size_t>(c)];  // rows: Hprev Hprevᵀ (m), X Hprevᵀ (d), (Hprev 1)ᵀ (1)
    Matrix& R = part_rhs_[static_cast<size_t>(c)];
    Matrix& HH = part_hh_[static_cast<size_t>(c)];
    G.resize(q, m_);
    R.resize(m_, q);
    HH.noalias() = Hc * Hc.transpose();
    G.topRows(m_) = HH;
    for (int e : k.all_ends) G.topRows(m_).noalias() -= v.H.col(e) * v.H.col(e).transpose();
    chunk_linked_outer(c, data_.X, v.H, G.middleRows(m_, d_));
    G.row(q - 1) = Hc.rowwise().sum().transpose();
    for (int e : k.all_ends) G.row(q - 1) -= v.H.col(e).transpose();
    work1_.middleCols(a, n) = beta * v.U.middleCols(a, n) + xi.Xi1.middleCols(a, n);
    chunk_linked_outer(c, work1_, v.H, R.leftCols(m_));
    R.middleCols(m_, d_).noalias() = work1_.middleCols(a, n) * data_.X.middleCols(a, n).transpose();
    R.col(q - 1) = work1_.middleCols(a, n).rowwise().sum();
  });
  Matrix G = part_gram_[0];
  HHt_ = part_hh_[0];
  rhs_small_ = part_rhs_[0];
  for (size_t c = 1; c < chunks_.size(); ++c) {
    G += part_gram_[c];
    HHt_ += part_hh_[c];
    rhs_small_ += part_rhs_[c];
  }
  gram_.topLeftCorner(m_, m_) = G.topRows(m_);
  gram_.block(m_, 0, d_, m_) = G.middleRows(m_, d_);
  gram_.block(0, m_, m_, d_) = G.middleRows(m_, d_).transpose();
  gram_.block(q - 1, 0, 1, m_) = G.row(q - 1);
  gram_.block(0, q - 1, m_, 1) = G.row(q - 1).transpose();
}

// Rows of Θ with held kinks: min ½ θᵀMθ − rᵀθ s.t. Z_Kᵀθ = 0 has the solution
// θ = θ₀ − M⁻¹Z_K μ, (Z_Kᵀ M⁻¹ Z_K) μ = Z_Kᵀ θ₀ (θ₀ = M⁻¹r, theta_'s column).
// The minimum-norm μ keeps it defined when held columns z_t coincide.
void RnnTrainingProblem::hold_kinks(const std::vector<int>& hold, const Eigen::Ref<const Matrix>& H) const {
  const int q = m_ + d_ + 1;
  std::vector<std::vector<int>> by_unit(static_cast<size_t>(m_));
  for (int k : hold) by_unit[static_cast<size_t>(k % m_)].push_back(k / m_);
  const bool llt_ok = llt_.info() == Eigen::Success;
  for (int i = 0; i < m_; ++i) {
    const auto& ts = by_unit[static_cast<size_t>(i)];
    if (ts.empty()) continue;
    Matrix ZK(q, static_cast<Eigen::Index>(ts.size()));
    for (size_t j = 0; j < ts.size(); ++j) {
      const int t = ts[j];
      const bool start = t == 0 || std::binary_search(inner_starts_.begin(), inner_starts_.end(), t);
      if (start) ZK.col(static_cast<Eigen::Index>(j)).head(m_).setZero();
      else ZK.col(static_cast<Eigen::Index>(j)).head(m_) = H.col(t - 1);
      ZK.col(static_cast<Eigen::Index>(j)).segment(m_, d_) = data_.X.col(t);
      ZK(q - 1, static_cast<Eigen::Index>(j)) = 1.0;
    }
    const Matrix MinvZ = llt_ok ? Matrix(llt_.solve(ZK)) : Matrix(gram_.completeOrthogonalDecomposition().solve(ZK));
    const Matrix S = ZK.transpose() * MinvZ;
    const Vector mu = S.completeOrthogonalDecomposition().solve(ZK.transpose() * theta_.col(i));
    theta_.col(i) -= MinvZ * mu;
  }
}

// a = [A c]:  [A c] ((2/N) Φ Ω Φᵀ + 2 diag(λ1 1_m, λ5)) = (2/N) Y Ω Φᵀ,  Φ = [H; 1ᵀ].
void RnnTrainingProblem::minimize_a(VectorRef x, bool after_w) const {
  auto v = mutable_view(x);
  const int q = m_ + 1;
  const double s = 2.0 / N_;
  gram_.resize(q, q);
  rhs_small_.resize(p_, q);
  Vector hw;
  if (chunked()) {
    // Per-chunk partial sums in chunk order (docs/parallel.md §2): rows
    // H Ω Hᵀ (m, skipped when the w block's H Hᵀ is reused), Y Ω Hᵀ (p), (H ω)ᵀ (1).
    const bool reuse = omega_all_ones_ && after_w && HHt_owner_ == x.data() && last_x_ == x.data();
    for_chunks([&](int c) {
      const Chunk& k = chunks_[static_cast<size_t>(c)];
      const int a = k.first, n = k.last - k.first;
      const auto Hc = v.H.middleCols(a, n);
      Matrix& P = part_gram_[static_cast<size_t>(c)];
      P.resize(m_ + p_ + 1, m_);
      if (reuse) P.topRows(m_).setZero();
      else if (omega_all_ones_) P.topRows(m_).noalias() = Hc * Hc.transpose();
      else {
        work1_.middleCols(a, n) = Hc * data_.omega.segment(a, n).asDiagonal();
        P.topRows(m_).noalias() = work1_.middleCols(a, n) * Hc.transpose();
      }
      P.middleRows(m_, p_).noalias() = YOmega_.middleCols(a, n) * Hc.transpose();
      P.row(m_ + p_) = (Hc * data_.omega.segment(a, n)).transpose();
    });
    Matrix acc = part_gram_[0];
    for (size_t c = 1; c < chunks_.size(); ++c) acc += part_gram_[c];
    gram_.topLeftCorner(m_, m_) = reuse ? HHt_ : acc.topRows(m_);
    hw = acc.row(m_ + p_).transpose();
    rhs_small_.leftCols(m_) = s * acc.middleRows(m_, p_);
  } else if (omega_all_ones_) {
    // H Hᵀ was formed by the w block of this sweep on the same H (w does not change H).
    if (!(after_w && HHt_owner_ == x.data() && last_x_ == x.data())) HHt_.noalias() = v.H * v.H.transpose();
    gram_.topLeftCorner(m_, m_) = HHt_;
  } else {
    work1_ = v.H * data_.omega.asDiagonal();
    gram_.topLeftCorner(m_, m_).noalias() = work1_ * v.H.transpose();
  }
  HHt_owner_ = nullptr;
  if (!chunked()) hw = v.H * data_.omega;
  complete_a_matrix(gram_, m_, hw, N_, reg_);

  if (!chunked()) rhs_small_.leftCols(m_).noalias() = s * YOmega_ * v.H.transpose();
  rhs_small_.col(m_) = s * YOmega_.rowwise().sum();

  solve_normal_equations();  // [A c]ᵀ
  v.A = theta_.topRows(m_).transpose();
  v.c = theta_.row(m_).transpose();
}

// h: for each t,
//   (β[WᵀW if t is not a sequence end] + (2ω_t/N) AᵀA + β I) h_t
//       = β σ(u_t) − ξ2_t + (2ω_t/N) Aᵀ(y_t − c) + [t not an end] Wᵀ(ξ1_{t+1} + β(u_{t+1} − V x_{t+1} − b)).
// One matrix per column class (ω_t, end or not); H = M_k⁻¹ B per class, the
// majority class as one (m × m)(m × T) product, the others gathered.
void RnnTrainingProblem::minimize_h(VectorCRef lambda, double beta, VectorRef x) const {
  auto v = mutable_view(x);
  const auto xi = multiplier_view(lambda);
  const double s = 2.0 / N_;

  if (chunked()) {
    minimize_h_chunked_phases(lambda, beta, x);
  } else {
  // P = V X + b 1ᵀ (kept in work1_ for the u block: V, b do not change in between).
  work1_.noalias() = v.V * data_.X;
  work1_.colwise() += v.b;

  // B = β σ(U) − Ξ2 + (2/N) Aᵀ (Y − c 1ᵀ) Ω
  work2_ = beta * v.U.cwiseMax(0.0) - xi.Xi2;
  work2_.noalias() += s * v.A.transpose() * YOmega_;
  const Vector Atc = s * v.A.transpose() * v.c;
  if (omega_all_ones_) work2_.colwise() -= Atc;
  else work2_.noalias() -= Atc * data_.omega.transpose();

  // E = Ξ1 + β (U − P), stored in the H block (about to be overwritten);
  // B(:, t) += Wᵀ E(:, t+1) for t not a sequence end.
  v.H = xi.Xi1 + beta * (v.U - work1_);
  add_linked_product(1.0, v.W.transpose(), v.H, work2_, /*forward=*/false);
  }
  P_V_ = v.V;
  P_b_ = v.b;

  // The class matrices and their inverses (m × m, O(m³) per sweep).
  WtW_.noalias() = v.W.transpose() * v.W;
  AtA_.noalias() = v.A.transpose() * v.A;
  for (size_t k = 0; k < h_classes_.size(); ++k) {
    const HClass& c = h_classes_[k];
    Matrix& M = h_inverse_;
    M = (s * c.omega) * AtA_;
    if (!c.last) M += beta * WtW_;
    M.diagonal().array() += beta;
    llt_.compute(M);
    check(llt_.info() == Eigen::Success, "h block: the class matrix is not positive definite");
    M.setIdentity();
    llt_.solveInPlace(M);  // M = M_k⁻¹ (SPD, eigenvalues in (0, 1/β])
    if (k == 0) {
      // every column; the other classes overwrite theirs below
      if (chunked())
        for_chunks([&](int ch) {
          const Chunk& q = chunks_[static_cast<size_t>(ch)];
          v.H.middleCols(q.first, q.last - q.first).noalias() = M * work2_.middleCols(q.first, q.last - q.first);
        });
      else
        v.H.noalias() = M * work2_;
    } else {
      const int nk = static_cast<int>(c.columns.size());
      if (gather_.cols() < nk || gather_.rows() != m_) {
        gather_.resize(m_, nk);
        scatter_.resize(m_, nk);
      }
      for (int j = 0; j < nk; ++j) gather_.col(j) = work2_.col(c.columns[static_cast<size_t>(j)]);
      scatter_.leftCols(nk).noalias() = M * gather_.leftCols(nk);
      for (int j = 0; j < nk; ++j) v.H.col(c.columns[static_cast<size_t>(j)]) = scatter_.col(j);
    }
  }
}

// The right side B of the h block by chunks, in two phases with a join
// between them (docs/parallel.md §2): (1) P = V X + b 1ᵀ, B without its
// linked term, E = Ξ1 + β(U − P) into H, per chunk; (2) B(:, t) += Wᵀ E(:, t+1),
// which reads E's halo column at the start of the next chunk, so it runs only
// after every chunk has written its E.
void RnnTrainingProblem::minimize_h_chunked_phases(VectorCRef lambda, double beta, VectorRef x) const {
  auto v = mutable_view(x);
  const auto xi = multiplier_view(lambda);
  const double s = 2.0 / N_;
  const Vector Atc = s * v.A.transpose() * v.c;
  const Matrix At = v.A.transpose();
  const Matrix Wt = v.W.transpose();
  for_chunks([&](int c) {
    const Chunk& k = chunks_[static_cast<size_t>(c)];
    const int a = k.first, n = k.last - k.first;
    auto P = work1_.middleCols(a, n);
    auto B = work2_.middleCols(a, n);
    P.noalias() = v.V * data_.X.middleCols(a, n);
    P.colwise() += v.b;
    B = beta * v.U.middleCols(a, n).cwiseMax(0.0) - xi.Xi2.middleCols(a, n);
    B.noalias() += s * At * YOmega_.middleCols(a, n);
    if (omega_all_ones_) B.colwise() -= Atc;
    else B.noalias() -= Atc * data_.omega.segment(a, n).transpose();
    v.H.middleCols(a, n) = xi.Xi1.middleCols(a, n) + beta * (v.U.middleCols(a, n) - P);
  });
  for_chunks([&](int c) { chunk_linked_product(c, 1.0, Wt, v.H, work2_, /*forward=*/false); });
}

// u, elementwise: with a = (W h_{t−1} + V x_t + b)_i (new w, new H), h = h_{t,i},
// u⁻ the current value, minimize
//   ξ1(u − a) + (β/2)(u − a)² + ξ2(h − σ(u)) + (β/2)(h − σ(u))² + λ6 u² + (σp/2)(u − u⁻)²
// over u ≥ 0 and u ≤ 0 separately (each a 1-D quadratic, clamped) and keep
// the better piece; ties keep the u ≥ 0 candidate.
void RnnTrainingProblem::minimize_u(VectorCRef lambda, double beta, double proximal, VectorRef x,
                                    bool after_h) const {
  auto v = mutable_view(x);
  const auto xi = multiplier_view(lambda);
  // a = P + W Hprev, P = V X + b 1ᵀ from the h block when V and b are unchanged.
  const bool reuse = after_h && last_x_ == x.data() && P_V_.rows() == m_ && P_V_ == v.V && P_b_ == v.b;
  if (!chunked()) {
    if (!reuse) {
      work1_.noalias() = v.V * data_.X;
      work1_.colwise() += v.b;
    }
    add_linked_product(1.0, v.W, v.H, work1_, /*forward=*/true);
  }

  const UBlockConstants kc(beta, reg_.lambda6, proximal);
  const double* pa = work1_.data();
  const double* ph = v.H.data();
  const double* px1 = xi.Xi1.data();
  const double* px2 = xi.Xi2.data();
  double* pu = v.U.data();
  // Entries [begin, end) of U (column-major): independent of each other.
  auto update = [&](Eigen::Index begin, Eigen::Index end) {
    for (Eigen::Index i = begin; i < end; ++i) pu[i] = minimize_u_entry(pa[i], ph[i], px1[i], px2[i], pu[i], kc);
  };
  if (!chunked()) {
    update(0, static_cast<Eigen::Index>(m_) * T_);
    return;
  }
  // Per chunk: a = V X + b 1ᵀ (unless reused from h) + W Hprev, reading the
  // halo column h_{first−1} of the previous chunk (H is not written here).
  for_chunks([&](int c) {
    const Chunk& k = chunks_[static_cast<size_t>(c)];
    const int a = k.first, n = k.last - k.first;
    if (!reuse) {
      work1_.middleCols(a, n).noalias() = v.V * data_.X.middleCols(a, n);
      work1_.middleCols(a, n).colwise() += v.b;
    }
    chunk_linked_product(c, 1.0, v.W, v.H, work1_, /*forward=*/true);
    update(static_cast<Eigen::Index>(m_) * a, static_cast<Eigen::Index>(m_) * k.last);
  });
}

}  // namespace almkit::rnn
