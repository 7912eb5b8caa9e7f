#include "almkit/core/scaled_problem.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace almkit {

double ConstraintScales::min_scale() const {
  if (equalities.size() == 0 && inequalities.size() == 0) return 1.0;
  const double inf = std::numeric_limits<double>::infinity();
  return std::min(equalities.size() ? equalities.minCoeff() : inf, inequalities.size() ? inequalities.minCoeff() : inf);
}

double ConstraintScales::max_scale() const {
  if (equalities.size() == 0 && inequalities.size() == 0) return 1.0;
  const double inf = std::numeric_limits<double>::infinity();
  return std::max(equalities.size() ? equalities.maxCoeff() : -inf, inequalities.size() ? inequalities.maxCoeff() : -inf);
}

ConstraintScales gradient_constraint_scales(const ConstrainedProblem& problem, VectorCRef x, double min_scale,
                                            double max_scale) {
  ConstraintScales s;
  double lo = std::numeric_limits<double>::infinity(), hi = 0.0;
  auto rows = [&](const Matrix& J) {
    Vector out(J.rows());
    for (Eigen::Index j = 0; j < J.rows(); ++j) {
      const double norm = J.row(j).lpNorm<Eigen::Infinity>();
      if (!(norm > 0.0) || !std::isfinite(norm)) {
        out[j] = 1.0;
        continue;
      }
      lo = std::min(lo, norm), hi = std::max(hi, norm);
      out[j] = std::clamp(1.0 / norm, min_scale, max_scale);
    }
    return out;
  };
  s.equalities = problem.num_equalities() ? rows(problem.eval_jac_c(x)) : Vector();
  s.inequalities = problem.num_inequalities() ? rows(problem.eval_jac_g(x)) : Vector();
  s.spread = hi > 0.0 ? hi / lo : 1.0;
  return s;
}

ScaledProblem::ScaledProblem(const ConstrainedProblem& base, ConstraintScales scales)
    : base_(base), scales_(std::move(scales)) {
  if (scales_.equalities.size() != base.num_equalities()) scales_.equalities = Vector::Ones(base.num_equalities());
  if (scales_.inequalities.size() != base.num_inequalities())
    scales_.inequalities = Vector::Ones(base.num_inequalities());
}

void ScaledProblem::c_impl(VectorCRef x, VectorRef c) const {
  base_.eval_c(x, c);
  c.array() *= scales_.equalities.array();
}

void ScaledProblem::g_impl(VectorCRef x, VectorRef g) const {
  base_.eval_g(x, g);
  g.array() *= scales_.inequalities.array();
}

void ScaledProblem::jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const {
  const Vector sy = scales_.equalities.cwiseProduct(y);
  base_.eval_jac_c_t_prod(x, sy, out);
}

void ScaledProblem::jac_g_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const {
  const Vector sy = scales_.inequalities.cwiseProduct(y);
  base_.eval_jac_g_t_prod(x, sy, out);
}

Matrix ScaledProblem::jac_c_impl(VectorCRef x) const { return scales_.equalities.asDiagonal() * base_.eval_jac_c(x); }

Matrix ScaledProblem::jac_g_impl(VectorCRef x) const {
  return scales_.inequalities.asDiagonal() * base_.eval_jac_g(x);
}

void ScaledProblem::jac_c_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const {
  base_.eval_jac_c_prod(x, v, out);
  out.array() *= scales_.equalities.array();
}

void ScaledProblem::jac_g_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const {
  base_.eval_jac_g_prod(x, v, out);
  out.array() *= scales_.inequalities.array();
}

// ∇²(σf + y_cᵀ S_c c + y_gᵀ S_g g) = the base Lagrangian's with multipliers S y.
void ScaledProblem::lagrangian_hess_prod_impl(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g, VectorCRef v,
                                              VectorRef out) const {
  const Vector sy_c = y_c.size() ? Vector(scales_.equalities.cwiseProduct(y_c)) : Vector();
  const Vector sy_g = y_g.size() ? Vector(scales_.inequalities.cwiseProduct(y_g)) : Vector();
  base_.eval_lagrangian_hess_prod(x, sigma, sy_c, sy_g, v, out);
}

Eigen::SparseMatrix<double> ScaledProblem::jac_c_sparse_impl(VectorCRef x) const {
  Eigen::SparseMatrix<double> J = base_.eval_jac_c_sparse(x);
  return scales_.equalities.asDiagonal() * J;
}

Matrix ScaledProblem::jacobian_with_selection(VectorCRef x, ConstraintFamily family, const KinkSelection& s) const {
  const Vector& scale = family == ConstraintFamily::kEquality ? scales_.equalities : scales_.inequalities;
  return scale.asDiagonal() * base_.jacobian_with_selection(x, family, s);
}

}  // namespace almkit
