#include "almkit/core/kkt.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace almkit {

Vector lagrangian_gradient(const ConstrainedProblem& problem, VectorCRef x, VectorCRef lambda,
                           VectorCRef mu, VectorCRef nu) {
  const int n = problem.num_variables();
  Vector grad(n), tmp(n);
  problem.eval_grad_f(x, grad);
  if (problem.num_equalities() > 0) {
    problem.eval_jac_c_t_prod(x, lambda, tmp);
    grad += tmp;
  }
  if (problem.num_inequalities() > 0) {
    problem.eval_jac_g_t_prod(x, mu, tmp);
    grad += tmp;
  }
  if (nu.size() == n) grad += nu;
  return grad;
}

namespace {

// ν from the Lagrangian gradient r at the active bounds (kkt_residuals_projected).
Vector projected_bound_multipliers(const ConstrainedProblem& problem, VectorCRef x, const Vector& r) {
  const Vector l = problem.lower_bounds(), u = problem.upper_bounds();
  Vector nu = Vector::Zero(x.size());
  for (int k = 0; k < x.size(); ++k) {
    const bool at_l = x[k] <= l[k], at_u = x[k] >= u[k];
    if (at_l && at_u) nu[k] = -r[k];
    else if (at_l) nu[k] = std::min(0.0, -r[k]);
    else if (at_u) nu[k] = std::max(0.0, -r[k]);
  }
  return nu;
}

KktReport kkt_impl(const ConstrainedProblem& problem, VectorCRef x, VectorCRef lambda, VectorCRef mu,
                   VectorCRef nu_in, Vector* nu_out) {
  KktReport r;
  // ∇f + J_cᵀλ + J_gᵀμ + ν term by term (the same evaluations as
  // lagrangian_gradient), so that the size of each term gives the scale S.
  const int n = problem.num_variables();
  Vector grad(n), tmp(n);
  problem.eval_grad_f(x, grad);
  double scale = std::max(1.0, grad.lpNorm<Eigen::Infinity>());
  if (problem.num_equalities() > 0) {
    problem.eval_jac_c_t_prod(x, lambda, tmp);
    scale = std::max(scale, tmp.lpNorm<Eigen::Infinity>());
    grad += tmp;
  }
  if (problem.num_inequalities() > 0) {
    problem.eval_jac_g_t_prod(x, mu, tmp);
    scale = std::max(scale, tmp.lpNorm<Eigen::Infinity>());
    grad += tmp;
  }
  if (nu_out != nullptr) *nu_out = grad.allFinite() ? projected_bound_multipliers(problem, x, grad) : Vector::Zero(n);
  const Vector& nu = nu_out != nullptr ? *nu_out : Vector(nu_in);
  if (nu.size() == n) {
    grad += nu;
    if (n > 0) scale = std::max(scale, nu.lpNorm<Eigen::Infinity>());
  }
  r.stationarity_scale = std::isfinite(scale) ? scale : std::numeric_limits<double>::infinity();
  r.stationarity = grad.allFinite() ? grad.lpNorm<Eigen::Infinity>() : std::numeric_limits<double>::quiet_NaN();
  r.infeasibility = infeasibility(problem, x);
  if (problem.num_inequalities() > 0) {
    Vector g(problem.num_inequalities());
    problem.eval_g(x, g);
    r.complementarity = mu.cwiseProduct(g).lpNorm<Eigen::Infinity>();
    r.sign_violation = (-mu).cwiseMax(0.0).maxCoeff();
  }
  // Bounds, with ν = μ_upper − μ_lower (docs/alm.md §1): ν_k < 0 needs x_k at l_k,
  // ν_k > 0 needs x_k at u_k.
  if (nu.size() == x.size()) {
    const Vector l = problem.lower_bounds(), u = problem.upper_bounds();
    for (int k = 0; k < x.size(); ++k) {
      if (nu[k] < 0) {
        if (std::isfinite(l[k])) r.complementarity = std::max(r.complementarity, -nu[k] * std::abs(x[k] - l[k]));
        else r.sign_violation = std::max(r.sign_violation, -nu[k]);
      } else if (nu[k] > 0) {
        if (std::isfinite(u[k])) r.complementarity = std::max(r.complementarity, nu[k] * std::abs(u[k] - x[k]));
        else r.sign_violation = std::max(r.sign_violation, nu[k]);
      }
    }
  }
  double mnorm = 0.0;
  if (lambda.size() > 0) mnorm = std::max(mnorm, lambda.lpNorm<Eigen::Infinity>());
  if (mu.size() > 0) mnorm = std::max(mnorm, mu.lpNorm<Eigen::Infinity>());
  if (nu.size() > 0) mnorm = std::max(mnorm, nu.lpNorm<Eigen::Infinity>());
  r.multiplier_norm = mnorm;
  // Ipopt scales the dual infeasibility by s_d = max(1, ‖multipliers‖ / s_max), s_max = 100.
  r.scaled_stationarity = r.stationarity / std::max(1.0, mnorm / 100.0);
  return r;
}

}  // namespace

KktReport kkt_residuals(const ConstrainedProblem& problem, VectorCRef x, VectorCRef lambda,
                        VectorCRef mu, VectorCRef nu) {
  return kkt_impl(problem, x, lambda, mu, nu, nullptr);
}

KktReport kkt_residuals_projected(const ConstrainedProblem& problem, VectorCRef x, VectorCRef lambda,
                                  VectorCRef mu, Vector* nu) {
  return kkt_impl(problem, x, lambda, mu, Vector(), nu);
}

}  // namespace almkit
