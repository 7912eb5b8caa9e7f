// The rank-local RNN slice of the time-parallel ALM-BCD (problems/rnn/rnn_slice.h,
// docs/parallel.md §3; the block formulas are docs/rnn_bcd.md §2's).
#include "almkit/problems/rnn/rnn_slice.h"

#include <Eigen/Cholesky>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <fmt/core.h>

#include "almkit/problems/rnn/rnn_closed_forms.h"

namespace almkit::rnn {

const char* to_string(RankSplit split) { return split == RankSplit::kTime ? "time" : "sequences"; }

bool parse(const std::string& text, RankSplit* split) {
  if (text == "time") *split = RankSplit::kTime;
  else if (text == "sequences") *split = RankSplit::kSequences;
  else return false;
  return true;
}

std::vector<std::pair<int, int>> rank_ranges(const RnnSeries& series, int ranks, RankSplit split) {
  const int T = series.T();
  if (ranks < 1) throw std::invalid_argument("rank_ranges: ranks must be >= 1");
  if (T < ranks)
    throw std::invalid_argument(fmt::format("{} training steps cannot be split over {} ranks (at least one step each)", T, ranks));
  const auto& starts = series.sequence_starts;
  std::vector<int> cuts{0};
  if (split == RankSplit::kSequences && static_cast<int>(starts.size()) >= ranks) {
    // Cut k at the unused sequence start nearest to k·T/P, leaving enough starts for the rest.
    size_t next = 1;
    for (int k = 1; k < ranks; ++k) {
      const double target = static_cast<double>(T) * k / ranks;
      size_t j = next;
      const size_t last_allowed = starts.size() - static_cast<size_t>(ranks - k);
      while (j < last_allowed && std::abs(starts[j + 1] - target) < std::abs(starts[j] - target)) ++j;
      cuts.push_back(starts[j]);
      next = j + 1;
    }
  } else {
    for (int k = 1; k < ranks; ++k) cuts.push_back(static_cast<int>(static_cast<long>(T) * k / ranks));
  }
  cuts.push_back(T);
  std::vector<std::pair<int, int>> out;
  for (int k = 0; k < ranks; ++k) {
    out.emplace_back(cuts[static_cast<size_t>(k)], cuts[static_cast<size_t>(k) + 1]);
    if (out.back().first >= out.back().second)
      throw std::invalid_argument(fmt::format("rank_ranges: rank {} would get no column (sequence starts must increase)", k));
  }
  return out;
}

RnnSliceData slice_series(const RnnSeries& s, int first, int last) {
  if (first < 0 || last > s.T() || first >= last)
    throw std::invalid_argument(fmt::format("slice_series: [{}, {}) is not a non-empty range of [0, {})", first, last, s.T()));
  RnnSliceData out;
  const int n = last - first;
  out.first = first;
  out.series.X = s.X.middleCols(first, n);
  out.series.Y = s.Y.middleCols(first, n);
  out.series.omega = s.omega.segment(first, n);
  out.series.sequence_starts = {0};
  for (int t : s.sequence_starts)
    if (t > first && t < last) out.series.sequence_starts.push_back(t - first);
  out.linked_left = !s.is_sequence_start(first);
  out.linked_right = last < s.T() && !s.is_sequence_start(last);
  return out;
}

RnnSlice::RnnSlice(RnnSliceData data, int m, const RnnRegularization& reg, Communicator& comm)
    : data_(std::move(data)), reg_(reg), comm_(comm), m_(m), d_(data_.series.d()), p_(data_.series.p()),
      T_(data_.series.T()) {
  const RnnSeries& s = data_.series;
  if (m < 1) throw std::invalid_argument("RnnSlice: m must be >= 1");
  if (T_ < 1) throw std::invalid_argument("RnnSlice: the slice has no column");
  if (s.Y.cols() != T_ || s.omega.size() != T_) throw std::invalid_argument("RnnSlice: X, Y and omega differ in length");
  for (size_t i = 1; i < s.sequence_starts.size(); ++i) {
    inner_starts_.push_back(s.sequence_starts[i]);
    inner_ends_.push_back(s.sequence_starts[i] - 1);
  }
  is_end_.assign(static_cast<size_t>(T_), 0);
  for (int t : inner_starts_) is_end_[static_cast<size_t>(t - 1)] = 1;
  if (!data_.linked_right) is_end_[static_cast<size_t>(T_ - 1)] = 1;
  for (int t = 0; t < T_; ++t)
    if (is_end_[static_cast<size_t>(t)]) ends_.push_back(t);
  // h-block column classes (ω_t, end or not), the most frequent first (it takes every column).
  for (int t = 0; t < T_; ++t) {
    const double om = s.omega[t];
    const bool end = is_end_[static_cast<size_t>(t)] != 0;
    auto it = std::find_if(classes_.begin(), classes_.end(), [&](const HClass& c) { return c.omega == om && c.end == end; });
    if (it == classes_.end()) it = classes_.insert(classes_.end(), HClass{om, end, {}});
    it->columns.push_back(t);
  }
  std::stable_sort(classes_.begin(), classes_.end(),
                   [](const HClass& a, const HClass& b) { return a.columns.size() > b.columns.size(); });
  classes_.front().columns.clear();  // all columns

  YOmega_ = s.Y;
  for (int t = 0; t < T_; ++t) {
    if (s.omega[t] == 0.0) YOmega_.col(t).setZero();
    else YOmega_.col(t) *= s.omega[t];
  }
  if (!YOmega_.allFinite()) throw std::invalid_argument("RnnSlice: Y has non-finite entries where omega > 0");
  // One collective for the constants: [T, N, not-all-ones, X Xᵀ, X 1, Y Ω 1].
  const int nb = 3 + d_ * d_ + d_ + p_;
  buffer_.setZero(nb);
  buffer_[0] = T_;
  buffer_[1] = s.omega.sum();
  buffer_[2] = (s.omega.array() == 1.0).all() ? 0.0 : 1.0;
  Eigen::Map<Matrix>(buffer_.data() + 3, d_, d_).noalias() = s.X * s.X.transpose();
  Eigen::Map<Vector>(buffer_.data() + 3 + d_ * d_, d_) = s.X.rowwise().sum();
  Eigen::Map<Vector>(buffer_.data() + 3 + d_ * d_ + d_, p_) = YOmega_.rowwise().sum();
  comm_.sum(buffer_.data(), nb);
  T_all_ = buffer_[0];
  N_ = buffer_[1];
  omega_all_ones_ = buffer_[2] == 0.0;
  XXt_ = Eigen::Map<Matrix>(buffer_.data() + 3, d_, d_);
  X1_ = Eigen::Map<Vector>(buffer_.data() + 3 + d_ * d_, d_);
  YOmega1_ = Eigen::Map<Vector>(buffer_.data() + 3 + d_ * d_ + d_, p_);
  if (!(N_ > 0.0)) throw std::invalid_argument("RnnSlice: no observed target (N = sum of omega = 0)");

  w = RnnWeights{Matrix::Zero(m_, m_), Matrix::Zero(m_, d_), Vector::Zero(m_), Matrix::Zero(p_, m_), Vector::Zero(p_)};
  H = U = Xi1 = Xi2 = Matrix::Zero(m_, T_);
  h_left_ = e_right_ = Vector::Zero(m_);
}

bool RnnSlice::start(int t) const {
  return t == 0 ? !data_.linked_left : std::binary_search(inner_starts_.begin(), inner_starts_.end(), t);
}

void RnnSlice::exchange_halo() {
  const Vector last = H.col(T_ - 1);
  comm_.shift_right(last.data(), data_.linked_right, h_left_.data(), data_.linked_left, m_);
}

// Sequential in t within a sequence, so a linked rank waits for its
// predecessor's last state; V X + b 1ᵀ is one product (docs/rnn.md §1).
void RnnSlice::forward_pass() {
  const int r = comm_.rank();
  if (data_.linked_left) comm_.receive(h_left_.data(), m_, r - 1);
  U.noalias() = w.V * data_.series.X;
  U.colwise() += w.b;
  for (int t = 0; t < T_; ++t) {
    if (t == 0) {
      if (data_.linked_left) U.col(0).noalias() += w.W * h_left_;
    } else if (!start(t)) {
      U.col(t).noalias() += w.W * H.col(t - 1);
    }
    H.col(t) = U.col(t).cwiseMax(0.0);
  }
  if (data_.linked_right) comm_.send(H.col(T_ - 1).data(), m_, r + 1);
}

void RnnSlice::linked_outer(const Matrix& L, Eigen::Ref<Matrix> out) const {
  if (T_ > 1) out.noalias() = L.rightCols(T_ - 1) * H.leftCols(T_ - 1).transpose();
  else out.setZero();
  for (int s : inner_starts_) out.noalias() -= L.col(s) * H.col(s - 1).transpose();
  if (data_.linked_left) out.noalias() += L.col(0) * h_left_.transpose();
}

// forward:  out(:, t) += α M in(:, t−1) for t not a sequence start, with `boundary` = h_{first−1} at t = 0;
// backward: out(:, t) += α M in(:, t+1) for t not a sequence end, with `boundary` at the last column.
// One product over the shifted columns; the skipped columns are saved and restored.
void RnnSlice::add_linked_product(double alpha, const Matrix& M, const Matrix& in, Matrix& out, bool forward,
                                  const Vector* boundary) const {
  if (T_ > 1) {
    const std::vector<int>& skip = forward ? inner_starts_ : inner_ends_;
    std::vector<Vector> keep;
    for (int t : skip) keep.push_back(out.col(t));
    if (forward) out.rightCols(T_ - 1).noalias() += alpha * M * in.leftCols(T_ - 1);
    else out.leftCols(T_ - 1).noalias() += alpha * M * in.rightCols(T_ - 1);
    for (size_t i = 0; i < skip.size(); ++i) out.col(skip[i]) = keep[i];
  }
  if (boundary != nullptr) out.col(forward ? 0 : T_ - 1).noalias() += alpha * M * *boundary;
}

void RnnSlice::solve_small(Matrix& theta) const {
  Eigen::LLT<Matrix> llt(gram_);
  if (llt.info() == Eigen::Success) theta = llt.solve(rhs_.transpose());
  else theta = gram_.completeOrthogonalDecomposition().solve(rhs_.transpose());
}

// w = [W V b]: Θ (β Z Zᵀ + 2 diag(λ2, λ3, λ4)) = (β U + Ξ1) Zᵀ, Z = [Hprev; X; 1ᵀ].
// Hprev Hprevᵀ = Σ_{s not an end} h_s h_sᵀ is summed by the rank owning h_s,
// the cross terms by the rank owning t (with h_left_ for t = first).
void RnnSlice::minimize_w(double beta) {
  const int q = m_ + d_ + 1, mm = m_ * m_, dm = d_ * m_;
  buffer_.setZero(2 * mm + 2 * dm + 2 * m_);
  double* b = buffer_.data();
  Eigen::Map<Matrix> HH(b, m_, m_), XH(b + mm, d_, m_), hs(b + mm + dm, m_, 1), GH(b + mm + dm + m_, m_, m_),
      GX(b + 2 * mm + dm + m_, m_, d_), G1(b + 2 * mm + 2 * dm + m_, m_, 1);
  HHt_.noalias() = H * H.transpose();
  HH = HHt_;
  for (int e : ends_) HH.noalias() -= H.col(e) * H.col(e).transpose();
  linked_outer(data_.series.X, XH);
  hs = H.rowwise().sum();
  for (int e : ends_) hs -= H.col(e);
  work1_ = beta * U + Xi1;  // G
  linked_outer(work1_, GH);
  GX.noalias() = work1_ * data_.series.X.transpose();
  G1 = work1_.rowwise().sum();
  comm_.sum(b, static_cast<int>(buffer_.size()));

  gram_.resize(q, q);
  gram_.topLeftCorner(m_, m_) = HH;
  gram_.block(m_, 0, d_, m_) = XH;
  gram_.block(0, m_, m_, d_) = XH.transpose();
  gram_.block(0, q - 1, m_, 1) = hs;
  gram_.block(q - 1, 0, 1, m_) = hs.transpose();
  complete_w_matrix(gram_, m_, d_, XXt_, X1_, T_all_, beta, reg_);
  rhs_.resize(m_, q);
  rhs_ << GH, GX, G1;
  Matrix theta;
  solve_small(theta);
  w.W = theta.topRows(m_).transpose();
  w.V = theta.middleRows(m_, d_).transpose();
  w.b = theta.row(q - 1).transpose();
}

// a = [A c]: [A c] ((2/N) Φ Ω Φᵀ + 2 diag(λ1, λ5)) = (2/N) Y Ω Φᵀ, Φ = [H; 1ᵀ].
void RnnSlice::minimize_a() {
  const int q = m_ + 1, mm = m_ * m_, pm = p_ * m_;
  const double s = 2.0 / N_;
  buffer_.setZero(mm + pm + m_);
  double* b = buffer_.data();
  Eigen::Map<Matrix> HOH(b, m_, m_), YH(b + mm, p_, m_), Hw(b + mm + pm, m_, 1);
  if (omega_all_ones_) {
    HOH = HHt_;  // the w block's H Hᵀ: w does not change H
  } else {
    work1_ = H * data_.series.omega.asDiagonal();
    HOH.noalias() = work1_ * H.transpose();
  }
  YH.noalias() = YOmega_ * H.transpose();
  Hw = H * data_.series.omega;
  comm_.sum(b, static_cast<int>(buffer_.size()));
  gram_.resize(q, q);
  gram_.topLeftCorner(m_, m_) = HOH;
  complete_a_matrix(gram_, m_, Vector(Hw), N_, reg_);
  rhs_.resize(p_, q);
  rhs_ << s * YH, s * YOmega1_;
  Matrix theta;
  solve_small(theta);
  w.A = theta.topRows(m_).transpose();
  w.c = theta.row(m_).transpose();
}

// h, per column t (docs/rnn_bcd.md §2 "h"):
//   (β[WᵀW unless t ends a sequence] + (2ω_t/N) AᵀA + β I) h_t
//     = β σ(u_t) − ξ2_t + (2ω_t/N) Aᵀ(y_t − c) + [t not an end] Wᵀ E(:, t+1),  E = Ξ1 + β(U − V X − b 1ᵀ).
void RnnSlice::minimize_h(double beta) {
  const double s = 2.0 / N_;
  const Vector& omega = data_.series.omega;
  work1_.noalias() = w.V * data_.series.X;  // P, kept for the u block
  work1_.colwise() += w.b;
  work2_ = beta * U.cwiseMax(0.0) - Xi2;  // B
  work2_.noalias() += s * w.A.transpose() * YOmega_;
  const Vector Atc = s * w.A.transpose() * w.c;
  if (omega_all_ones_) work2_.colwise() -= Atc;
  else work2_.noalias() -= Atc * omega.transpose();
  H = Xi1 + beta * (U - work1_);  // E, in H's storage
  const Vector e_first = H.col(0);
  comm_.shift_left(e_first.data(), data_.linked_left, e_right_.data(), data_.linked_right, m_);
  const Matrix Wt = w.W.transpose();
  add_linked_product(1.0, Wt, H, work2_, /*forward=*/false, data_.linked_right ? &e_right_ : nullptr);

  // One m × m inverse per column class (ω_t, end or not): the majority class
  // for all columns as one product, the others gathered over it.
  const Matrix WtW = Wt * w.W, AtA = w.A.transpose() * w.A;
  for (size_t k = 0; k < classes_.size(); ++k) {
    const HClass& c = classes_[k];
    Matrix M = (s * c.omega) * AtA;
    if (!c.end) M += beta * WtW;
    M.diagonal().array() += beta;
    Eigen::LLT<Matrix> llt(M);
    if (llt.info() != Eigen::Success) throw std::runtime_error("h block: the class matrix is not positive definite");
    M.setIdentity();
    llt.solveInPlace(M);
    if (k == 0) {
      H.noalias() = M * work2_;
    } else {
      const auto n = static_cast<Eigen::Index>(c.columns.size());
      Matrix g(m_, n);
      for (Eigen::Index j = 0; j < n; ++j) g.col(j) = work2_.col(c.columns[static_cast<size_t>(j)]);
      const Matrix h = M * g;
      for (Eigen::Index j = 0; j < n; ++j) H.col(c.columns[static_cast<size_t>(j)]) = h.col(j);
    }
  }
  exchange_halo();
}

// u, element-wise (rnn_closed_forms.h) with a = P + W Hprev (P from the h block).
void RnnSlice::minimize_u(double beta, double sigma_p) {
  add_linked_product(1.0, w.W, H, work1_, /*forward=*/true, data_.linked_left ? &h_left_ : nullptr);
  const UBlockConstants kc(beta, reg_.lambda6, sigma_p);
  const double *pa = work1_.data(), *ph = H.data(), *px1 = Xi1.data(), *px2 = Xi2.data();
  double* pu = U.data();
  for (Eigen::Index i = 0, n = U.size(); i < n; ++i) pu[i] = minimize_u_entry(pa[i], ph[i], px1[i], px2[i], pu[i], kc);
}

void RnnSlice::weight_step(double beta) {
  minimize_w(beta);
  minimize_a();
}

std::vector<std::pair<double, double>> RnnSlice::sweep(double beta, double sigma_p) {
  std::vector<std::pair<double, double>> change(4);
  // The weights are replicated: their changes are the same on every rank.
  auto add = [](std::pair<double, double>& c, const auto& now, const auto& before) {
    c.first += (now - before).squaredNorm();
    c.second += now.squaredNorm();
  };
  const RnnWeights w0 = w;
  minimize_w(beta);
  add(change[0], w.W, w0.W), add(change[0], w.V, w0.V), add(change[0], w.b, w0.b);
  minimize_a();
  add(change[1], w.A, w0.A), add(change[1], w.c, w0.c);
  saved_ = H;
  minimize_h(beta);
  double local[4];
  local[0] = (H - saved_).squaredNorm(), local[1] = H.squaredNorm();
  saved_ = U;
  minimize_u(beta, sigma_p);
  local[2] = (U - saved_).squaredNorm(), local[3] = U.squaredNorm();
  comm_.sum(local, 4);
  change[2] = {local[0], local[1]};
  change[3] = {local[2], local[3]};
  for (auto& c : change) c = {std::sqrt(c.first), std::sqrt(c.second)};
  return change;
}

void RnnSlice::constraints(Matrix& C1, Matrix& C2) const {
  C1 = U;
  C1.noalias() -= w.V * data_.series.X;
  C1.colwise() -= w.b;
  add_linked_product(-1.0, w.W, H, C1, /*forward=*/true, data_.linked_left ? &h_left_ : nullptr);
  C2 = H - U.cwiseMax(0.0);
}

Matrix RnnSlice::weighted_residuals() const {
  Matrix R = w.A * H;
  R.colwise() += w.c;
  return R * data_.series.omega.asDiagonal() - YOmega_;
}

double RnnSlice::local_loss() const {
  const Matrix R = weighted_residuals();
  // ω ∈ {0, 1}: Σ ω ‖r‖² = ‖R‖²; general ω: Σ ‖ω r‖² / ω.
  double sum = 0.0;
  for (int t = 0; t < T_; ++t) {
    const double om = data_.series.omega[t];
    if (om > 0.0) sum += R.col(t).squaredNorm() / om;
  }
  return sum;
}

double RnnSlice::weight_penalty() const {
  return reg_.lambda1 * w.A.squaredNorm() + reg_.lambda2 * w.W.squaredNorm() + reg_.lambda3 * w.V.squaredNorm() +
         reg_.lambda4 * w.b.squaredNorm() + reg_.lambda5 * w.c.squaredNorm();
}

double RnnSlice::objective() const {
  double parts[2] = {local_loss(), U.squaredNorm()};
  comm_.sum(parts, 2);
  return parts[0] / N_ + weight_penalty() + reg_.lambda6 * parts[1];
}

// ξ2_t = Wᵀ ξ1_{t+1} − (2ω_t/N) Aᵀ r_t (no ξ1_{t+1} at a sequence end), ξ1_t = D_t ξ2_t − 2λ6 u_t,
// D_t = diag(u_t > 0): backwards, so a linked rank waits for its successor's ξ1_first.
void RnnSlice::bptt(Matrix& L1, Matrix& L2) const {
  const int r = comm_.rank();
  Vector next = Vector::Zero(m_);
  if (data_.linked_right) comm_.receive(next.data(), m_, r + 1);
  L2.noalias() = (-2.0 / N_) * w.A.transpose() * weighted_residuals();
  L1.resize(m_, T_);
  const Matrix Wt = w.W.transpose();
  for (int t = T_ - 1; t >= 0; --t) {
    if (t < T_ - 1 && !is_end_[static_cast<size_t>(t)]) L2.col(t).noalias() += Wt * L1.col(t + 1);
    else if (t == T_ - 1 && data_.linked_right) L2.col(t).noalias() += Wt * next;
    L1.col(t) = (U.col(t).array() > 0.0).select(L2.col(t), 0.0) - 2.0 * reg_.lambda6 * U.col(t);
  }
  if (data_.linked_left) comm_.send(L1.col(0).data(), m_, r - 1);
}

// Rows of ∇f + J_cᵀλ (docs/rnn.md §3):
//   W: 2λ2W − Σ_{t not start} ξ1_t hprev_tᵀ   V: 2λ3V − Ξ1Xᵀ   b: 2λ4b − Ξ1 1
//   A: (2/N) R Hᵀ + 2λ1A                      c: (2/N) R 1 + 2λ5c          (R weighted by ω)
//   h_t: (2/N) Aᵀ r_t + ξ2_t − [t not an end] Wᵀ ξ1_{t+1}      u_t: 2λ6u_t + ξ1_t − D_t ξ2_t
double RnnSlice::stationarity(const Matrix& L1, const Matrix& L2) const {
  const double s = 2.0 / N_;
  const Matrix R = weighted_residuals();
  const int mm = m_ * m_, md = m_ * d_, pm = p_ * m_;
  Vector g = Vector::Zero(mm + md + m_ + pm + p_);  // Eigen-aligned: see buffer_
  double* b = g.data();
  Eigen::Map<Matrix> gW(b, m_, m_), gV(b + mm, m_, d_), gb(b + mm + md, m_, 1), gA(b + mm + md + m_, p_, m_),
      gc(b + mm + md + m_ + pm, p_, 1);
  linked_outer(L1, gW);
  gW = -gW;
  gV.noalias() = -L1 * data_.series.X.transpose();
  gb = -L1.rowwise().sum();
  gA.noalias() = s * R * H.transpose();
  gc = s * R.rowwise().sum();
  comm_.sum(b, static_cast<int>(g.size()));
  gW += 2.0 * reg_.lambda2 * w.W;
  gV += 2.0 * reg_.lambda3 * w.V;
  gb += 2.0 * reg_.lambda4 * w.b;
  gA += 2.0 * reg_.lambda1 * w.A;
  gc += 2.0 * reg_.lambda5 * w.c;
  const double weights = g.lpNorm<Eigen::Infinity>();

  Vector next = Vector::Zero(m_);
  const Vector first = L1.col(0);
  comm_.shift_left(first.data(), data_.linked_left, next.data(), data_.linked_right, m_);
  Matrix gH = s * w.A.transpose() * R + L2;
  add_linked_product(-1.0, w.W.transpose(), L1, gH, /*forward=*/false, data_.linked_right ? &next : nullptr);
  const Matrix gU = 2.0 * reg_.lambda6 * U + L1 - (U.array() > 0.0).select(L2, 0.0);
  double local = std::max(gH.lpNorm<Eigen::Infinity>(), gU.lpNorm<Eigen::Infinity>());
  if (!gH.allFinite() || !gU.allFinite()) local = std::numeric_limits<double>::quiet_NaN();
  return std::max(weights, comm_.max(local));
}

}  // namespace almkit::rnn
