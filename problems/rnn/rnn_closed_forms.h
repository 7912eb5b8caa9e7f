// Closed forms shared by the RNN problem's block minimizers and the rank-local
// slice of the time-parallel solver (problems/rnn/rnn_problem.h,
// problems/rnn/rnn_slice.h): one formula, two data layouts.
#pragma once

#include <algorithm>

namespace almkit::rnn {

/// Constants of the u block (docs/rnn_bcd.md §2 "u") for penalty β, λ6 and proximal σp.
struct UBlockConstants {
  double beta, l6, sp, inv_pos, inv_neg;
  UBlockConstants(double beta_, double lambda6, double sigma_p)
      : beta(beta_), l6(lambda6), sp(sigma_p), inv_pos(1.0 / (2.0 * beta_ + 2.0 * lambda6 + sigma_p)),
        inv_neg(1.0 / (beta_ + 2.0 * lambda6 + sigma_p)) {}
};

/// The u-block minimizer of one entry (docs/rnn_bcd.md §2 "u"): with a = (W h_{t−1} + V x_t + b)_i,
/// h = h_{t,i}, multipliers x1 = ξ1, x2 = ξ2 and the current value u0, minimize
///   ξ1(u − a) + (β/2)(u − a)² + ξ2(h − σ(u)) + (β/2)(h − σ(u))² + λ6 u² + (σp/2)(u − u0)²
/// over u ≥ 0 and u ≤ 0 separately (each a clamped 1-D quadratic) and keep the
/// better piece; a tie keeps the u ≥ 0 candidate.
inline double minimize_u_entry(double a, double h, double x1, double x2, double u0, const UBlockConstants& k) {
  const double beta = k.beta, l6 = k.l6, sp = k.sp;
  const double base = beta * a - x1 + sp * u0;
  const double up = std::max(0.0, (base + beta * h + x2) * k.inv_pos);
  const double um = std::min(0.0, base * k.inv_neg);
  // φ(up) − φ(um); the terms common to both pieces cancel only partly, so
  // evaluate both values in full (clear, and exact at the kink).
  const double dp = up - a, dm = um - a, ep = h - up;
  const double phi_p = x1 * dp + 0.5 * beta * dp * dp + x2 * ep + 0.5 * beta * ep * ep + l6 * up * up +
                       0.5 * sp * (up - u0) * (up - u0);
  const double phi_m = x1 * dm + 0.5 * beta * dm * dm + x2 * h + 0.5 * beta * h * h + l6 * um * um +
                       0.5 * sp * (um - u0) * (um - u0);
  return phi_p <= phi_m ? up : um;
}

}  // namespace almkit::rnn
