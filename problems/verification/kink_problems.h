// Piecewise-smooth and degenerate verification problems with known answers
// (docs/verification.md §6). Each functor is an AutoDiffProblem functor
// (core/autodiff_problem.h); the ReLU kinks are written with almkit::relu so
// that verify_kkt and check_nnamcq see them.
#pragma once

#include <optional>
#include <string>

#include "almkit/core/autodiff_problem.h"
#include "almkit/core/piecewise.h"

namespace almkit::verification {

/// "kink-square":  min x  s.t.  x² = 0.
/// Known answer: x* = 0, f* = 0. J(0) = 0, so NNAMCQ (LICQ) fails with the
/// abnormal multiplier λ = 1, and x* is not a KKT point (1 + 2·0·λ = 1 ≠ 0 for
/// every λ). The ALM multipliers grow without bound (λ_k ≈ −1/(2 x_k)).
struct KinkSquare {
  std::string name() const { return "kink-square"; }
  int num_variables() const { return 1; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return Vector::Constant(1, 1.0); }
  std::optional<double> known_optimal_value() const { return 0.0; }
  template <class T> T objective(const T* x) const { return x[0]; }
  template <class T> void equalities(const T* x, T* c) const { c[0] = x[0] * x[0]; }
};

/// "kink-abs":  min x  s.t.  σ(x) + σ(−x) = 0   (that is |x| = 0).
/// Known answer: x* = 0, f* = 0. Kinks 0 (σ(x)) and 1 (σ(−x)) are active;
/// J(0; s) = s0 − s1 ∈ [−1, 1]. NNAMCQ fails: 0 ∈ ∂c(0) (selection s = (0,0)
/// or (1,1), abnormal λ = 1). x* is a KKT point for both rules: 1 + λ(s0 − s1)
/// = 0 with λ = −1, s = (1, 0) (or λ = 1, s = (0, 1)).
struct KinkAbs {
  std::string name() const { return "kink-abs"; }
  int num_variables() const { return 1; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return Vector::Constant(1, 1.0); }
  std::optional<double> known_optimal_value() const { return 0.0; }
  template <class T> T objective(const T* x) const { return x[0]; }
  template <class T> void equalities(const T* x, T* c) const { c[0] = relu(x[0]) + relu(T(-x[0])); }
};

/// "kink-relu-2d":  min (x−1)² + (y+1)²  s.t.  c = y − σ(x) = 0.
/// Known answer: (x*, y*) = (0, 0) on the kink, f* = 2 (for x > 0 the
/// objective on y = x is 2x² + 2, for x < 0 it is (x−1)² + 1 > 2).
/// ∇f = (−2, 2), J(0; s) = (−s, 1): ∇f + Jᵀλ = 0 gives λ = −2 and s = 1, a
/// vertex, so x* is Clarke- and limiting-KKT. NNAMCQ holds (LICQ: ‖(−s,1)‖ ≥ 1).
struct KinkRelu2d {
  std::string name() const { return "kink-relu-2d"; }
  int num_variables() const { return 2; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return Eigen::Vector2d(0.5, 0.5); }
  std::optional<double> known_optimal_value() const { return 2.0; }
  template <class T> T objective(const T* x) const {
    return (x[0] - 1.0) * (x[0] - 1.0) + (x[1] + 1.0) * (x[1] + 1.0);
  }
  template <class T> void equalities(const T* x, T* c) const { c[0] = x[1] - relu(x[0]); }
};

/// "relu-layer": one feedforward ReLU layer with fixed data
///     min ‖A h − y‖²   s.t.   h = σ(W x_in + b)
/// over the variables z = (h ∈ R³, W ∈ R^{3×2} row-major, b ∈ R³), n = 12,
/// with x_in = (1, −1), A = [1 0 1; 0 1 1], y = (3, 2).
/// Known answer: f* = 0, attained e.g. at h = (1, 0, 2), W = [1 0; 0 0; 1 −1],
/// b = 0 (relu_layer_solution()), where u_2 = 0 sits on a kink; there ∇f = 0,
/// so λ = 0 for every selection (Clarke- and limiting-KKT). NNAMCQ holds at
/// every point: the columns of J(z; s) for h are the identity, so J has full
/// row rank 3 for every selection (LICQ) — this is why h is a variable.
struct ReluLayer {
  std::string name() const { return "relu-layer"; }
  int num_variables() const { return 12; }
  int num_equalities() const { return 3; }
  Vector initial_point() const {
    Vector z = Vector::Zero(12);
    // W = 0.1·[1 2; −1 1; 2 −1], b = 0, h = σ(W x_in): a feasible start.
    const double W[6] = {0.1, 0.2, -0.1, 0.1, 0.2, -0.1};
    for (int i = 0; i < 6; ++i) z[3 + i] = W[i];
    for (int i = 0; i < 3; ++i) z[i] = std::max(0.0, W[2 * i] - W[2 * i + 1]);
    return z;
  }
  std::optional<double> known_optimal_value() const { return 0.0; }
  template <class T> T objective(const T* z) const {
    const T r0 = z[0] + z[2] - 3.0;
    const T r1 = z[1] + z[2] - 2.0;
    return r0 * r0 + r1 * r1;
  }
  template <class T> void equalities(const T* z, T* c) const {
    for (int i = 0; i < 3; ++i) {
      const T u = z[3 + 2 * i] * 1.0 + z[3 + 2 * i + 1] * (-1.0) + z[9 + i];
      c[i] = z[i] - relu(u);
    }
  }
};
/// A known solution of ReluLayer with an active kink (u_2 = 0).
inline Vector relu_layer_solution() {
  Vector z = Vector::Zero(12);
  z.head(3) << 1.0, 0.0, 2.0;
  z.segment(3, 6) << 1.0, 0.0, 0.0, 0.0, 1.0, -1.0;
  return z;
}

/// "mfcq-not-licq":  min (x1−1)² + (x2−1)²  s.t.  g1 = g2 = x1 + x2 − 1 ≤ 0.
/// Known answer: x* = (½, ½), f* = ½, ∇f(x*) = (−1, −1); the multipliers are
/// not unique: any μ ≥ 0 with μ1 + μ2 = 1 (least-norm μ = (½, ½)). Both
/// inequalities are active with identical gradients: LICQ fails, MFCQ holds
/// (d = (−1, −1) strictly decreases both), so NNAMCQ holds.
struct MfcqNotLicq {
  std::string name() const { return "mfcq-not-licq"; }
  int num_variables() const { return 2; }
  int num_inequalities() const { return 2; }
  Vector initial_point() const { return Eigen::Vector2d(2.0, 0.0); }
  std::optional<double> known_optimal_value() const { return 0.5; }
  template <class T> T objective(const T* x) const {
    return (x[0] - 1.0) * (x[0] - 1.0) + (x[1] - 1.0) * (x[1] - 1.0);
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = x[0] + x[1] - 1.0;
    g[1] = x[0] + x[1] - 1.0;
  }
};

}  // namespace almkit::verification
