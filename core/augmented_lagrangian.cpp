#include "almkit/core/augmented_lagrangian.h"

#include <cmath>
#include <functional>
#include <stdexcept>

namespace almkit {

BoundIndex::BoundIndex(const ConstrainedProblem& problem) {
  const Vector l = problem.lower_bounds(), u = problem.upper_bounds();
  for (int k = 0; k < l.size(); ++k)
    if (std::isfinite(l[k])) lower.push_back(k);
  for (int k = 0; k < u.size(); ++k)
    if (std::isfinite(u[k])) upper.push_back(k);
}

Vector BoundIndex::bound_multipliers(VectorCRef mu_bounds, int n) const {
  Vector nu = Vector::Zero(n);
  const int nl = static_cast<int>(lower.size());
  for (int i = 0; i < nl; ++i) nu[lower[static_cast<size_t>(i)]] -= mu_bounds[i];
  for (size_t i = 0; i < upper.size(); ++i) nu[upper[i]] += mu_bounds[nl + static_cast<int>(i)];
  return nu;
}

AugmentedLagrangian::AugmentedLagrangian(const ConstrainedProblem& problem)
    : AugmentedLagrangian(problem, true) {}

AugmentedLagrangian::AugmentedLagrangian(const ConstrainedProblem& problem, bool penalize_bounds)
    : problem_(problem), bounds_(penalize_bounds ? BoundIndex(problem) : BoundIndex()),
      lower_(problem.lower_bounds()), upper_(problem.upper_bounds()) {
  lambda_ = Vector::Zero(problem.num_equalities());
  mu_ = Vector::Zero(num_extended_inequalities());
  c_.resize(problem.num_equalities());
  g_.resize(num_extended_inequalities());
  tmp_.resize(problem.num_variables());
}

void AugmentedLagrangian::set_parameters(VectorCRef lambda, VectorCRef mu, double beta) {
  if (lambda.size() != lambda_.size() || mu.size() != mu_.size())
    throw std::invalid_argument("AugmentedLagrangian::set_parameters: multiplier sizes do not match the problem");
  if (!(beta > 0.0)) throw std::invalid_argument("AugmentedLagrangian::set_parameters: penalty must be > 0");
  lambda_ = lambda;
  mu_ = mu;
  beta_ = beta;
}

void AugmentedLagrangian::extended_inequalities(VectorCRef x, VectorRef g_ext) const {
  const int mi = problem_.num_inequalities();
  if (mi > 0) problem_.eval_g(x, g_ext.head(mi));
  int j = mi;
  for (int k : bounds_.lower) g_ext[j++] = lower_[k] - x[k];
  for (int k : bounds_.upper) g_ext[j++] = x[k] - upper_[k];
}

void AugmentedLagrangian::add_extended_jt_prod(VectorCRef x, VectorCRef y, VectorRef out) const {
  const int mi = problem_.num_inequalities();
  if (mi > 0) {
    problem_.eval_jac_g_t_prod(x, y.head(mi), tmp_);
    out += tmp_;
  }
  int j = mi;
  for (int k : bounds_.lower) out[k] -= y[j++];
  for (int k : bounds_.upper) out[k] += y[j++];
}

double AugmentedLagrangian::value(VectorCRef x) const {
  double L = problem_.eval_f(x);
  if (c_.size() > 0) {
    problem_.eval_c(x, c_);
    L += lambda_.dot(c_) + 0.5 * beta_ * c_.squaredNorm();
  }
  if (g_.size() > 0) {
    extended_inequalities(x, g_);
    w_ = (mu_ + beta_ * g_).cwiseMax(0.0);
    L += (w_.squaredNorm() - mu_.squaredNorm()) / (2.0 * beta_);
  }
  return L;
}

double AugmentedLagrangian::value_gradient(VectorCRef x, VectorRef grad) const {
  double L;
  if (c_.size() > 0) {
    // c first, so that ∇f + J_cᵀ(λ + βc) is one call (one adjoint sweep where
    // the problem has one, ConstrainedProblem::eval_grad_lagrangian).
    problem_.eval_c(x, c_);
    w_ = lambda_ + beta_ * c_;  // ∂L/∂c = λ + βc
    L = problem_.eval_grad_lagrangian(x, w_, grad);
    L += lambda_.dot(c_) + 0.5 * beta_ * c_.squaredNorm();
  } else {
    L = problem_.eval_grad_f(x, grad);
  }
  if (g_.size() > 0) {
    extended_inequalities(x, g_);
    w_ = (mu_ + beta_ * g_).cwiseMax(0.0);  // ∂L/∂g̃ = max(0, μ + βg̃)
    L += (w_.squaredNorm() - mu_.squaredNorm()) / (2.0 * beta_);
    add_extended_jt_prod(x, w_, grad);
  }
  return L;
}

void AugmentedLagrangian::set_hessian_point(VectorCRef x) {
  hx_ = x;
  const int me = problem_.num_equalities();
  hy_c_.resize(me);
  if (me > 0) {
    hc_.resize(me);
    problem_.eval_c(x, hc_);
    hy_c_ = lambda_ + beta_ * hc_;
  }
  hw_.resize(num_extended_inequalities());
  if (hw_.size() > 0) {
    Vector g(num_extended_inequalities());
    extended_inequalities(x, g);
    hw_ = (mu_ + beta_ * g).cwiseMax(0.0);
  }
}

void AugmentedLagrangian::hess_prod(VectorCRef v, VectorRef out) const {
  if (hx_.size() != problem_.num_variables())
    throw std::logic_error("AugmentedLagrangian::hess_prod: call set_hessian_point first");
  const int me = problem_.num_equalities(), mi = problem_.num_inequalities();
  problem_.eval_lagrangian_hess_prod(hx_, 1.0, hy_c_, hw_.head(mi), v, out);
  if (me > 0) {  // β J_cᵀ (J_c v)
    Vector jv(me), t(problem_.num_variables());
    problem_.eval_jac_c_prod(hx_, v, jv);
    problem_.eval_jac_c_t_prod(hx_, beta_ * jv, t);
    out += t;
  }
  if (mi > 0) {  // β J_Aᵀ (J_A v) over the active problem inequalities
    Vector jv(mi), t(problem_.num_variables());
    problem_.eval_jac_g_prod(hx_, v, jv);
    for (int j = 0; j < mi; ++j) jv[j] = hw_[j] > 0.0 ? beta_ * jv[j] : 0.0;
    problem_.eval_jac_g_t_prod(hx_, jv, t);
    out += t;
  }
  int j = mi;  // active bound rows ±e_k: β v_k on the diagonal
  for (int k : bounds_.lower) out[k] += hw_[j++] > 0.0 ? beta_ * v[k] : 0.0;
  for (int k : bounds_.upper) out[k] += hw_[j++] > 0.0 ? beta_ * v[k] : 0.0;
}

bool AugmentedLagrangian::sparse_hessian(Eigen::SparseMatrix<double>& H, int max_row_nonzeros) const {
  if (hx_.size() != problem_.num_variables())
    throw std::logic_error("AugmentedLagrangian::sparse_hessian: call set_hessian_point first");
  const int n = problem_.num_variables(), mi = problem_.num_inequalities();
  Eigen::SparseMatrix<double> Jc, Jg;
  if (!problem_.eval_sparse_second_order(hx_, 1.0, hy_c_, hw_.head(mi), H, Jc, Jg)) return false;
  // β JᵀJ over the short rows (row-major: one row's entries are contiguous).
  const auto add_rows = [&](const Eigen::SparseMatrix<double>& J, const std::function<bool(int)>& keep) {
    if (J.rows() == 0) return;
    const Eigen::SparseMatrix<double, Eigen::RowMajor> R = J;
    Eigen::SparseMatrix<double, Eigen::RowMajor> S(R.rows(), n);
    std::vector<Eigen::Triplet<double>> t;
    for (int r = 0; r < R.outerSize(); ++r) {
      if (!keep(r) || R.outerIndexPtr()[r + 1] - R.outerIndexPtr()[r] > max_row_nonzeros) continue;
      for (Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(R, r); it; ++it) t.emplace_back(r, it.col(), it.value());
    }
    S.setFromTriplets(t.begin(), t.end());
    H += beta_ * Eigen::SparseMatrix<double>(S.transpose() * S);
  };
  add_rows(Jc, [](int) { return true; });
  add_rows(Jg, [&](int r) { return hw_[r] > 0.0; });
  std::vector<Eigen::Triplet<double>> d;
  int j = mi;
  for (int k : bounds_.lower) if (hw_[j++] > 0.0) d.emplace_back(k, k, beta_);
  for (int k : bounds_.upper) if (hw_[j++] > 0.0) d.emplace_back(k, k, beta_);
  if (!d.empty()) {
    Eigen::SparseMatrix<double> D(n, n);
    D.setFromTriplets(d.begin(), d.end());
    H += D;
  }
  return true;
}

}  // namespace almkit
