// Closed forms shared by the RNN problem's block minimizers and the rank-local
// slice of the time-parallel solver (problems/rnn/rnn_problem.h,
// problems/rnn/rnn_slice.h): one formula, two data layouts.
#pragma once

#include <algorithm>

#include "almkit/problems/rnn/rnn_types.h"

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

/// The w block's matrix β Z Zᵀ + 2 diag(λ2 1_m, λ3 1_d, λ4), Z = [Hprev; X; 1ᵀ]
/// (docs/rnn_bcd.md §2 "w"), q = m + d + 1: on entry `gram` (q × q) holds the
/// H-dependent entries (Hprev Hprevᵀ, X Hprevᵀ and its transpose, Hprev 1 and
/// its transpose); this adds the constant ones X Xᵀ, X 1, T, scales by β and
/// adds the regularization.
inline void complete_w_matrix(Matrix& gram, int m, int d, const Matrix& XXt, const Vector& X1, double T, double beta,
                              const RnnRegularization& reg) {
  const int q = m + d + 1;
  gram.block(m, m, d, d) = XXt;
  gram.block(m, q - 1, d, 1) = X1;
  gram.block(q - 1, m, 1, d) = X1.transpose();
  gram(q - 1, q - 1) = T;
  gram *= beta;
  gram.diagonal().head(m).array() += 2.0 * reg.lambda2;
  gram.diagonal().segment(m, d).array() += 2.0 * reg.lambda3;
  gram(q - 1, q - 1) += 2.0 * reg.lambda4;
}

/// The a block's matrix (2/N) Φ Ω Φᵀ + 2 diag(λ1 1_m, λ5), Φ = [H; 1ᵀ]
/// (docs/rnn_bcd.md §2 "a"): on entry the top-left m × m of `gram` holds H Ω Hᵀ;
/// `hw` = H ω.
inline void complete_a_matrix(Matrix& gram, int m, const Vector& hw, double N, const RnnRegularization& reg) {
  const double s = 2.0 / N;
  gram.block(0, m, m, 1) = hw;
  gram.block(m, 0, 1, m) = hw.transpose();
  gram(m, m) = N;
  gram *= s;
  gram.diagonal().head(m).array() += 2.0 * reg.lambda1;
  gram(m, m) += 2.0 * reg.lambda5;
}

}  // namespace almkit::rnn
