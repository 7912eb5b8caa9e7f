// The Powell–Hestenes–Rockafellar augmented Lagrangian (docs/alm.md §2):
//
//   L_β(x; λ, μ) = f(x) + Σ_i [ λ_i c_i(x) + (β/2) c_i(x)² ]
//                + (1/(2β)) Σ_j [ max(0, μ_j + β g̃_j(x))² − μ_j² ]
//
// where g̃ = [ g(x); l_k − x_k for finite l_k; x_k − u_k for finite u_k ]: the
// ALM treats finite bounds as inequality constraints, so an unconstrained
// inner solver can minimize L_β (docs/inner_solvers.md, "Bounds"). With a
// bound-constrained inner solver (L-BFGS-B) the bounds are left out: g̃ = g.
// The bound multipliers are the tail of μ; ν = μ_upper − μ_lower in the KKT
// stationarity (docs/alm.md §1).
#pragma once

#include <vector>

#include "almkit/core/problem.h"

namespace almkit {

/// Index maps of the finite bounds, in the order they appear in g̃.
struct BoundIndex {
  std::vector<int> lower;  ///< k with l_k > -inf
  std::vector<int> upper;  ///< k with u_k < +inf
  int size() const { return static_cast<int>(lower.size() + upper.size()); }
  explicit BoundIndex(const ConstrainedProblem& problem);
  BoundIndex() = default;  ///< no bounds (an inner solver that handles them itself)
  /// ν_k = μ_upper − μ_lower from the bound part of the extended μ.
  Vector bound_multipliers(VectorCRef mu_bounds, int n) const;
};

class AugmentedLagrangian {
 public:
  explicit AugmentedLagrangian(const ConstrainedProblem& problem);
  /// penalize_bounds = false: the finite bounds stay out of g̃ (and of μ), for
  /// an inner solver that keeps x inside them (InnerSolver::handles_bounds).
  AugmentedLagrangian(const ConstrainedProblem& problem, bool penalize_bounds);

  /// Sets λ (num_equalities), μ (num_inequalities + bounds().size()) and β > 0.
  void set_parameters(VectorCRef lambda, VectorCRef mu, double beta);

  double value(VectorCRef x) const;
  /// Writes ∇_x L_β into grad; returns L_β(x).
  double value_gradient(VectorCRef x, VectorRef grad) const;

  /// Fixes the point x of the following hess_prod calls: evaluates c(x) and
  /// g̃(x) once and keeps the multiplier estimates y_c = λ + βc,
  /// w = max(0, μ + βg̃) and the active set A = {j : w_j > 0}.
  void set_hessian_point(VectorCRef x);
  /// out = H v with H the generalized Hessian of L_β at the point of
  /// set_hessian_point (docs/inner_solvers.md "Hessian products"):
  ///   H = ∇²ℓ(x) + β J_cᵀJ_c + β Σ_{j∈A} ∇g̃_j ∇g̃_jᵀ,
  ///   ℓ = f + y_cᵀc + w_gᵀg   (bound rows of g̃ are linear: no curvature).
  /// Semismooth where μ_j + βg̃_j = 0; exact elsewhere when the problem's
  /// eval_lagrangian_hess_prod is.
  void hess_prod(VectorCRef v, VectorRef out) const;
  /// The sparse part of H at the point of set_hessian_point, for a
  /// preconditioner (docs/inner_solvers.md "newton"): ∇²ℓ + β Σ_r ∇c_r∇c_rᵀ
  /// over the rows r (equalities and active inequalities) with at most
  /// max_row_nonzeros entries, plus the active bound diagonal. Rows with more
  /// entries (a sphere Σx² = r² couples all variables) are left out: they add
  /// a low-rank term that CG resolves in a few steps. False (H untouched)
  /// when the problem has no sparse structure (eval_sparse_second_order).
  bool sparse_hessian(Eigen::SparseMatrix<double>& H, int max_row_nonzeros) const;

  /// Extended inequalities g̃(x) (num_extended_inequalities entries).
  void extended_inequalities(VectorCRef x, VectorRef g_ext) const;
  /// out += J_g̃(x)ᵀ y.
  void add_extended_jt_prod(VectorCRef x, VectorCRef y, VectorRef out) const;

  const ConstrainedProblem& problem() const { return problem_; }
  const BoundIndex& bounds() const { return bounds_; }
  int num_extended_inequalities() const { return problem_.num_inequalities() + bounds_.size(); }
  const Vector& lambda() const { return lambda_; }
  const Vector& mu() const { return mu_; }
  double beta() const { return beta_; }

 private:
  const ConstrainedProblem& problem_;
  BoundIndex bounds_;
  Vector lower_, upper_;
  Vector lambda_, mu_;
  double beta_ = 1.0;
  // The point of hess_prod and its multiplier estimates (set_hessian_point).
  Vector hx_, hy_c_, hw_, hc_;
  // Work space for value_gradient (not thread-safe by design: one AL per solve).
  mutable Vector c_, g_, w_, tmp_;
};

}  // namespace almkit
