// KKT residuals of a smooth problem at a primal–dual point (docs/alm.md §1):
//
//   stationarity     ‖∇f(x) + J_c(x)ᵀλ + J_g(x)ᵀμ + ν‖∞
//   infeasibility    ‖(c(x), max(0, g(x)), max(0, l − x), max(0, x − u))‖∞
//   complementarity  max(max_j |μ_j g_j(x)|, max_k |ν_k| dist(x_k, active bound))
//   sign             max(max_j max(0, −μ_j), bound-multiplier sign violations)
//   scaled           stationarity / max(1, ‖(λ, μ, ν)‖∞ / 100)   (Ipopt's s_d with s_max = 100)
//   scale            S = max(1, ‖∇f‖∞, ‖J_cᵀλ‖∞, ‖J_gᵀμ‖∞, ‖ν‖∞): the size of the terms that
//                    cancel in the stationarity residual; its rounding noise is ~ u·S
//                    (docs/alm.md §1 "Scaled stationarity")
//
// Piecewise-smooth problems are handled by verify_kkt (docs/verification.md);
// this function uses the problem's own derivative at kinks.
#pragma once

#include <string>

#include "almkit/core/problem.h"

namespace almkit {

struct KktReport {
  double stationarity = 0.0;
  double infeasibility = 0.0;
  double complementarity = 0.0;
  double sign_violation = 0.0;
  double scaled_stationarity = 0.0;
  double multiplier_norm = 0.0;  ///< ‖(λ, μ, ν)‖∞
  /// S = max(1, ‖∇f‖∞, ‖J_cᵀλ‖∞, ‖J_gᵀμ‖∞, ‖ν‖∞) (docs/alm.md §1 "Scaled stationarity").
  double stationarity_scale = 1.0;

  /// Calls v(name, field, description) for every residual: the one field list
  /// of the KKT object in every format (core/record.h; docs/json.md "Records").
  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("stationarity", self.stationarity, "|grad f + Jc^T lambda + Jg^T mu + nu|_inf");
    v("infeasibility", self.infeasibility, "|(c, g_+, bound violations)|_inf");
    v("complementarity", self.complementarity, "max |mu_j g_j| and |nu_k| dist(x_k, active bound)");
    v("sign_violation", self.sign_violation, "multiplier sign violations: max(0, -mu_j) and wrong-signed bound multipliers");
    v("scaled_stationarity", self.scaled_stationarity, "stationarity / max(1, |(lambda, mu, nu)|_inf / 100)");
    v("multiplier_norm", self.multiplier_norm, "|(lambda, mu, nu)|_inf");
    v("stationarity_scale", self.stationarity_scale, "S = max(1, |grad f|, |Jc^T lambda|, |Jg^T mu|, |nu|) (inf-norms)");
  }
  /// True when every residual is ≤ its tolerance.
  bool satisfied(double tol_stationarity, double tol_feasibility, double tol_complementarity) const {
    return stationarity <= tol_stationarity && infeasibility <= tol_feasibility &&
           complementarity <= tol_complementarity && sign_violation <= tol_complementarity;
  }
};

/// KKT residuals at (x, λ, μ, ν); ν has n entries (0 where no bound is active).
KktReport kkt_residuals(const ConstrainedProblem& problem, VectorCRef x, VectorCRef lambda,
                        VectorCRef mu, VectorCRef nu);

/// KKT residuals at (x, λ, μ) with the bound multipliers chosen from the
/// Lagrangian gradient r = ∇f + J_cᵀλ + J_gᵀμ (one gradient, as above): at
/// x_k = l_k, ν_k = min(0, −r_k); at x_k = u_k, ν_k = max(0, −r_k) (−r_k when
/// l_k = u_k); 0 elsewhere, so the stationarity is the projected gradient's
/// norm. For an x inside the bounds kept there by a bound-constrained inner
/// solver (docs/alm.md §1). Writes ν (n entries) into *nu.
KktReport kkt_residuals_projected(const ConstrainedProblem& problem, VectorCRef x, VectorCRef lambda,
                                  VectorCRef mu, Vector* nu);

/// The Lagrangian gradient ∇f + J_cᵀλ + J_gᵀμ + ν.
Vector lagrangian_gradient(const ConstrainedProblem& problem, VectorCRef x, VectorCRef lambda,
                           VectorCRef mu, VectorCRef nu);

}  // namespace almkit
