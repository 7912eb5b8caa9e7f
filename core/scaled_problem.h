// Constraint scaling (docs/alm.md §7 "Constraint scaling"): the problem seen
// through row scales,
//
//     c̃(x) = S_c c(x),   g̃(x) = S_g g(x),   S = diag(s),  s_j > 0,
//
// with the same f, bounds and start. A KKT point of one is a KKT point of the
// other with λ = S_c λ̃, μ = S_g μ̃ (∇f + J̃ᵀỹ = ∇f + Jᵀ S ỹ), and the
// complementarity products μ̃_j g̃_j = μ_j g_j are unchanged; only the
// feasibility measure changes, by the factor s_j per row.
#pragma once

#include <algorithm>
#include <memory>

#include "almkit/core/problem.h"

namespace almkit {

/// Row scales s_j = clamp(1 / ‖∇r_j(x)‖∞, min_scale, max_scale) of the
/// equalities (first) and inequalities (then) at x; s_j = 1 for a row whose
/// gradient is 0 at x. From the dense Jacobians (counted as such).
struct ConstraintScales {
  Vector equalities;
  Vector inequalities;
  /// The smallest and largest s_j over both families (1 when there are no rows).
  double min_scale() const;
  double max_scale() const;
  /// min(1, min_j s_j): the factor that turns an unscaled feasibility
  /// tolerance into one for the scaled rows.
  double tolerance_factor() const { return std::min(1.0, min_scale()); }
  /// max_j ‖∇r_j(x)‖∞ / min_j ‖∇r_j(x)‖∞ over the rows with a nonzero gradient (1 if none).
  double spread = 1.0;
};
ConstraintScales gradient_constraint_scales(const ConstrainedProblem& problem, VectorCRef x, double min_scale,
                                            double max_scale);

/// The scaled view of a problem. Holds a reference: base must outlive it.
/// Every evaluation goes through base's counted eval_* functions, so base's
/// counters see exactly what a solver of the scaled problem evaluates.
class ScaledProblem final : public ConstrainedProblem {
 public:
  ScaledProblem(const ConstrainedProblem& base, ConstraintScales scales);

  std::string name() const override { return base_.name(); }
  int num_variables() const override { return base_.num_variables(); }
  int num_equalities() const override { return base_.num_equalities(); }
  int num_inequalities() const override { return base_.num_inequalities(); }
  Vector lower_bounds() const override { return base_.lower_bounds(); }
  Vector upper_bounds() const override { return base_.upper_bounds(); }
  Vector initial_point() const override { return base_.initial_point(); }
  std::optional<double> known_optimal_value() const override { return base_.known_optimal_value(); }
  std::vector<int> equality_family_sizes() const override { return base_.equality_family_sizes(); }
  bool restore_feasibility(VectorRef x) const override { return base_.restore_feasibility(x); }
  std::string structural_nnamcq_certificate() const override { return base_.structural_nnamcq_certificate(); }
  std::vector<Kink> active_kinks(VectorCRef x, double tol) const override { return base_.active_kinks(x, tol); }
  Matrix jacobian_with_selection(VectorCRef x, ConstraintFamily family, const KinkSelection& s) const override;

  const ConstraintScales& scales() const { return scales_; }
  bool exact_hessian_products() const override { return base_.exact_hessian_products(); }

 protected:
  double f_impl(VectorCRef x) const override { return base_.eval_f(x); }
  double grad_f_impl(VectorCRef x, VectorRef grad) const override { return base_.eval_grad_f(x, grad); }
  void c_impl(VectorCRef x, VectorRef c) const override;
  void g_impl(VectorCRef x, VectorRef g) const override;
  void jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override;
  double grad_lagrangian_impl(VectorCRef x, VectorCRef y, VectorRef grad) const override {
    return base_.eval_grad_lagrangian(x, scales_.equalities.cwiseProduct(y), grad);
  }
  void jac_g_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override;
  Matrix jac_c_impl(VectorCRef x) const override;
  Matrix jac_g_impl(VectorCRef x) const override;
  Eigen::SparseMatrix<double> jac_c_sparse_impl(VectorCRef x) const override;
  // Forwarded with the scales, so that the base problem's sparse products and
  // exact Hessians (an element problem's) survive the scaling.
  void jac_c_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const override;
  void jac_g_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const override;
  void lagrangian_hess_prod_impl(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g, VectorCRef v,
                                 VectorRef out) const override;

 private:
  const ConstrainedProblem& base_;
  ConstraintScales scales_;
};

}  // namespace almkit
