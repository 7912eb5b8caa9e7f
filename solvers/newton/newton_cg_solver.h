// Projected truncated Newton–CG inner solver (docs/inner_solvers.md "newton"):
// minimizes L_β over the problem's box l ≤ x ≤ u with second-order steps from
// the generalized Hessian products of AugmentedLagrangian::hess_prod
// (docs/inner_solvers.md "Hessian products"). Bertsekas' projected Newton
// method (SIAM J. Control Optim. 20(2), 1982) with the Newton system solved
// inexactly by conjugate gradients, as TRON (Lin & Moré 1999) and GENCAN
// (Birgin & Martínez 2002) do in spirit. One iteration at x (x ∈ [l, u]):
//
//   g = ∇L_β(x),  pg = P(x − g) − x,  stop when ‖pg‖∞ ≤ ε (the ALM's tolerance);
//   ε-active set A = {i : x_i ≤ l_i + ε_a, g_i > 0} ∪ {i : x_i ≥ u_i − ε_a, g_i < 0},
//     ε_a = min(active_tolerance, ‖pg‖∞),  free set F = the rest;
//   d_F ≈ −(H_FF + δI)⁻¹ g_F by CG, stopped at ‖(H_FF + δI) d_F + g_F‖ ≤ η ‖g_F‖,
//     η = min(cg_forcing, √‖g_F‖∞); at curvature pᵀ(H_FF + δI)p ≤ 0, CG
//     restarts with a larger δ (regularize, Ipopt's inertia correction), or
//     without it stops with −g_F at the first CG step, else d_F + (‖d_F‖/‖p‖) p;
//     d_A = −g_A;
//   x(α) = P(x + α d), α = 1, τ, τ², …  until
//     L(x(α)) ≤ L(x) + σ gᵀ(x(α) − x)  (σ = armijo, τ = backtrack),
//   extended by α ← α/τ while L decreases after a negative-curvature exit;
//   if that fails: the projected steepest-descent path P(x − α g) with the
//   same test, from the Cauchy step α₀ = ‖v‖²/(vᵀHv) (v = −g off the blocked
//   bounds; 1/‖g‖∞ without positive curvature); then no_progress.
// Near the rounding level of L a trial within 10 u max(1, |L|) of L(x) that
// halves ‖pg‖∞ is accepted too (docs/inner_solvers.md "newton").
//
// The bounds are kept by the solver, not penalized: handles_bounds() is true,
// so the ALM leaves them out of L_β and measures ε against the projected
// gradient, exactly as for lbfgsb (docs/inner_solvers.md "Bounds").
#pragma once

#include "almkit/core/inner_solver.h"

namespace almkit {

struct NewtonCgOptions {
  int max_iterations = 200;     ///< Newton iterations per subproblem
  int max_cg_iterations = 100;  ///< CG iterations per Newton step (also at most 2|F|: CG ends in |F| steps in exact arithmetic)
  /// Forcing term of the inexact Newton step: CG stops when
  /// ‖H_FF d_F + g_F‖₂ ≤ η ‖g_F‖₂, η = min(cg_forcing, sqrt(‖g_F‖∞))
  /// (superlinear convergence near a nondegenerate minimizer; Eisenstat & Walker).
  double cg_forcing = 0.5;
  /// Nash's truncation test instead (0 = off, the default by measurement:
  /// the residual test above; docs/inner_solvers.md "newton"): CG
  /// stops at step k when k (q_{k−1} − q_k) ≤ cg_model_test · |q_k|, q the
  /// model gᵀd + ½dᵀ(H + δI)d. The residual test stops after one step where
  /// g is dominated by a stiff direction (β J_cᵀJ_c), leaving the rest of the
  /// system unsolved (docs/inner_solvers.md "newton").
  double cg_model_test = 0.0;
  double armijo = 1e-4;         ///< σ of the sufficient decrease L(x(α)) ≤ L(x) + σ gᵀ(x(α) − x)
  double backtrack = 0.5;       ///< τ: the trial steps are α = τ^k, k = 0, 1, …
  int max_backtracks = 30;      ///< trial steps per line search (each one value+gradient evaluation)
  /// ε_a = min(active_tolerance, ‖pg‖∞): variables within ε_a of a bound,
  /// with the gradient pushing them out of the box, get the gradient step
  /// instead of the Newton step (Bertsekas' ε-active set).
  double active_tolerance = 1e-3;
  /// Negative curvature: with regularize (default, by measurement in
  /// docs/inner_solvers.md "newton"), CG runs on H_FF + δI and restarts with
  /// δ ← max(10δ, δ − 2 pᵀ(H_FF + δI)p/‖p‖², regularize_min) when it meets
  /// pᵀ(H_FF + δI)p ≤ 0 (Ipopt's inertia correction, with the Rayleigh
  /// quotient to size the shift), at most max_regularizations times per step;
  /// δ ← δ/10 after a full step (α = 1), 0 below regularize_min. Without it:
  /// the Steihaug exit above.
  bool regularize = true;
  double regularize_min = 1e-8;  ///< the least nonzero δ
  int max_regularizations = 20;  ///< CG restarts with a larger δ per Newton step
  /// Preconditioned CG when the problem has sparse second derivatives (an
  /// element problem; ConstrainedProblem::eval_sparse_second_order): M = the
  /// sparse part of H (AugmentedLagrangian::sparse_hessian: rows of J_c, J_g
  /// with at most dense_row entries) on the free set, identity on the active
  /// set, factored by a sparse LDLᵀ (Eigen SimplicialLDLT, AMD ordering) once
  /// per Newton step; M + τI with τ ← max(10τ, 1e-8 max|diag M|) until every
  /// pivot is positive. CG then solves H_FF d = −g_F with z = M⁻¹r.
  bool precondition = true;
  int dense_row = 100;          ///< rows of J with more entries stay out of M (CG handles the low-rank rest)
  double max_seconds = 1e9;     ///< per subproblem wall-clock limit

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is NewtonCgOptions or const NewtonCgOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("max_iterations", self.max_iterations, "Newton iterations per subproblem");
    v("max_cg_iterations", self.max_cg_iterations, "CG iterations per Newton step (also at most 2 x free variables)");
    v("cg_forcing", self.cg_forcing, "CG stops when |H d + g| <= min(cg_forcing, sqrt(|g|inf)) |g| on the free set");
    v("cg_model_test", self.cg_model_test, "Nash's CG truncation: stop when k (q_{k-1} - q_k) <= this * |q_k| (0: residual test)");
    v("armijo", self.armijo, "sufficient decrease: L(x(a)) <= L(x) + armijo g'(x(a) - x)");
    v("backtrack", self.backtrack, "step reduction factor of the line search, in (0, 1)");
    v("max_backtracks", self.max_backtracks, "trial steps per line search");
    v("active_tolerance", self.active_tolerance, "epsilon-active set: within min(active_tolerance, |pg|inf) of a bound");
    v("regularize", self.regularize, "on negative curvature: CG on H + delta I with a growing delta (else: Steihaug exit)");
    v("regularize_min", self.regularize_min, "the least nonzero shift delta");
    v("max_regularizations", self.max_regularizations, "CG restarts with a larger delta per Newton step");
    v("precondition", self.precondition, "sparse LDL' preconditioner from the problem's sparse Hessian and Jacobians, when it has them");
    v("dense_row", self.dense_row, "Jacobian rows with more entries stay out of the preconditioner");
    v("max_seconds", self.max_seconds, "wall-clock limit per subproblem, seconds");
  }
  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

class NewtonCgSolver final : public InnerSolver {
 public:
  explicit NewtonCgSolver(NewtonCgOptions options = {});
  std::string name() const override { return "newton"; }
  bool handles_bounds() const override { return true; }
  InnerResult minimize(const AugmentedLagrangian& L, VectorRef x, double tolerance) override;
  const NewtonCgOptions& options() const { return options_; }

 private:
  NewtonCgOptions options_;
};

}  // namespace almkit
