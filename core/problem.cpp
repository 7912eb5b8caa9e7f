#include "almkit/core/problem.h"

#include <cmath>

namespace almkit {

Vector ConstrainedProblem::lower_bounds() const {
  return Vector::Constant(num_variables(), -std::numeric_limits<double>::infinity());
}

Vector ConstrainedProblem::upper_bounds() const {
  return Vector::Constant(num_variables(), std::numeric_limits<double>::infinity());
}

void ConstrainedProblem::c_impl(VectorCRef /*x*/, VectorRef c) const { c.setZero(); }
void ConstrainedProblem::g_impl(VectorCRef /*x*/, VectorRef g) const { g.setZero(); }

void ConstrainedProblem::jac_c_t_prod_impl(VectorCRef /*x*/, VectorCRef /*y*/, VectorRef out) const {
  out.setZero();
}
double ConstrainedProblem::grad_lagrangian_impl(VectorCRef x, VectorCRef y, VectorRef grad) const {
  const double f = grad_f_impl(x, grad);
  if (num_equalities() > 0) {
    Vector tmp(grad.size());
    jac_c_t_prod_impl(x, y, tmp);
    grad += tmp;
  }
  return f;
}
void ConstrainedProblem::jac_g_t_prod_impl(VectorCRef /*x*/, VectorCRef /*y*/, VectorRef out) const {
  out.setZero();
}

namespace {
// Dense m × n Jacobian from m products Jᵀe_i, one row each. Problems with many
// constraints override jac_*_impl (or the sparse variant) instead.
template <class JtProd>
Matrix jacobian_from_jt_products(int m, int n, JtProd&& jt_prod) {
  Matrix J(m, n);
  Vector e = Vector::Zero(m), row(n);
  for (int i = 0; i < m; ++i) {
    e[i] = 1.0;
    jt_prod(e, row);
    J.row(i) = row.transpose();
    e[i] = 0.0;
  }
  return J;
}
}  // namespace

Matrix ConstrainedProblem::jac_c_impl(VectorCRef x) const {
  return jacobian_from_jt_products(num_equalities(), num_variables(),
                                   [&](const Vector& y, Vector& out) { jac_c_t_prod_impl(x, y, out); });
}

Matrix ConstrainedProblem::jac_g_impl(VectorCRef x) const {
  return jacobian_from_jt_products(num_inequalities(), num_variables(),
                                   [&](const Vector& y, Vector& out) { jac_g_t_prod_impl(x, y, out); });
}

Eigen::SparseMatrix<double> ConstrainedProblem::jac_c_sparse_impl(VectorCRef x) const {
  return jac_c_impl(x).sparseView();
}

void ConstrainedProblem::jac_c_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const {
  if (num_equalities() == 0) return;
  out.noalias() = jac_c_impl(x) * v;
}

void ConstrainedProblem::jac_g_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const {
  if (num_inequalities() == 0) return;
  out.noalias() = jac_g_impl(x) * v;
}

void ConstrainedProblem::lagrangian_hess_prod_impl(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g,
                                                   VectorCRef v, VectorRef out) const {
  const double vmax = v.lpNorm<Eigen::Infinity>();
  if (vmax == 0.0) {
    out.setZero();
    return;
  }
  const int n = num_variables();
  Vector grad(n), tmp(n), plus(n);
  // ∇ℓ(z) = σ∇f(z) + J_c(z)ᵀy_c + J_g(z)ᵀy_g through the hooks: the public
  // counters record one Hessian product, not the four gradients behind it.
  auto lagrangian_gradient = [&](const Vector& z, Vector& out_grad) {
    grad_f_impl(z, grad);
    out_grad = sigma * grad;
    if (num_equalities() > 0) {
      jac_c_t_prod_impl(z, y_c, tmp);
      out_grad += tmp;
    }
    if (num_inequalities() > 0) {
      jac_g_t_prod_impl(z, y_g, tmp);
      out_grad += tmp;
    }
  };
  // h balances truncation O(h²) against rounding O(ε/h) of a central difference.
  const double h = std::cbrt(std::numeric_limits<double>::epsilon()) *
                   std::max(1.0, x.lpNorm<Eigen::Infinity>()) / vmax;
  Vector z = x + h * v;
  lagrangian_gradient(z, plus);
  z = x - h * v;
  Vector minus(n);
  lagrangian_gradient(z, minus);
  out = (plus - minus) / (2.0 * h);
}

double infeasibility(const ConstrainedProblem& problem, VectorCRef x) {
  double v = 0.0;
  if (problem.num_equalities() > 0) {
    Vector c(problem.num_equalities());
    problem.eval_c(x, c);
    if (!c.allFinite()) return std::numeric_limits<double>::quiet_NaN();
    v = std::max(v, c.lpNorm<Eigen::Infinity>());
  }
  if (problem.num_inequalities() > 0) {
    Vector g(problem.num_inequalities());
    problem.eval_g(x, g);
    if (!g.allFinite()) return std::numeric_limits<double>::quiet_NaN();
    v = std::max(v, g.cwiseMax(0.0).maxCoeff());
  }
  const Vector l = problem.lower_bounds(), u = problem.upper_bounds();
  for (int k = 0; k < x.size(); ++k) v = std::max({v, l[k] - x[k], x[k] - u[k]});
  // NaN compares false everywhere above: propagate it explicitly.
  return x.allFinite() && std::isfinite(v) ? v : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace almkit
