// The Hock–Schittkowski collection (see hs_problems.h for the source and the
// sign convention). Every functor states the HS problem number; "HS g ≥ 0"
// comments give the book's form of a negated inequality.
#include "almkit/problems/verification/hs_problems.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <memory>
#include <numbers>

#include "almkit/core/autodiff_problem.h"
#include "almkit/problems/registry.h"

namespace almkit {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kSqrt2 = std::sqrt(2.0);

// Copies through a Map: an element-by-element loop over the initializer_list
// was miscompiled by GCC 12.2 at -O3 -DNDEBUG -march=native (AVX-512): hs039's
// x* = (1, 1, 0, 0) came out as (1, 1, 1, 1); the Map copy is correct.
Vector vec(std::initializer_list<double> values) {
  return Eigen::Map<const Vector>(values.begin(), static_cast<Eigen::Index>(values.size()));
}
Vector constant(int n, double value) { return Vector::Constant(n, value); }

template <class T> T sq(const T& a) { return a * a; }
template <class T> T pow4(const T& a) { return sq(sq(a)); }
template <class T> T pow6(const T& a) { return sq(a) * pow4(a); }

/// Gives every functor known_optimal_value() from its static kOptimalValue.
template <class Derived>
struct HsBase {
  std::optional<double> known_optimal_value() const { return Derived::kOptimalValue; }
};

// ---------------------------------------------------------------------------
// HS1: Rosenbrock with a bound.  min 100(x2 − x1²)² + (1 − x1)²,  x2 ≥ −1.5.
// x0 = (−2, 1); x* = (1, 1), f* = 0.
struct Hs001 : HsBase<Hs001> {
  static constexpr double kOptimalValue = 0.0;
  static Vector solution() { return vec({1.0, 1.0}); }
  int num_variables() const { return 2; }
  Vector initial_point() const { return vec({-2.0, 1.0}); }
  Vector lower_bounds() const { return vec({-kInf, -1.5}); }
  Vector upper_bounds() const { return constant(2, kInf); }
  template <class T> T objective(const T* x) const {
    return 100.0 * sq(x[1] - sq(x[0])) + sq(1.0 - x[0]);
  }
};

// HS4: min (x1 + 1)³/3 + x2,  x1 ≥ 1, x2 ≥ 0.  x0 = (1.125, 0.125);
// x* = (1, 0) with both bounds active, f* = 8/3.
struct Hs004 : HsBase<Hs004> {
  static constexpr double kOptimalValue = 8.0 / 3.0;
  static Vector solution() { return vec({1.0, 0.0}); }
  int num_variables() const { return 2; }
  Vector initial_point() const { return vec({1.125, 0.125}); }
  Vector lower_bounds() const { return vec({1.0, 0.0}); }
  Vector upper_bounds() const { return constant(2, kInf); }
  template <class T> T objective(const T* x) const {
    const T a = x[0] + 1.0;
    return a * a * a / 3.0 + x[1];
  }
};

// HS5: min sin(x1 + x2) + (x1 − x2)² − 1.5 x1 + 2.5 x2 + 1,
// −1.5 ≤ x1 ≤ 4, −3 ≤ x2 ≤ 3.  x0 = (0, 0);
// x* = (−π/3 + 1/2, −π/3 − 1/2) (interior), f* = −√3/2 − π/3.
struct Hs005 : HsBase<Hs005> {
  static constexpr double kOptimalValue = -0.86602540378443864676 - std::numbers::pi / 3.0;
  static Vector solution() {
    return vec({-std::numbers::pi / 3.0 + 0.5, -std::numbers::pi / 3.0 - 0.5});
  }
  int num_variables() const { return 2; }
  Vector initial_point() const { return vec({0.0, 0.0}); }
  Vector lower_bounds() const { return vec({-1.5, -3.0}); }
  Vector upper_bounds() const { return vec({4.0, 3.0}); }
  template <class T> T objective(const T* x) const {
    using std::sin;
    return sin(x[0] + x[1]) + sq(x[0] - x[1]) - 1.5 * x[0] + 2.5 * x[1] + 1.0;
  }
};

// HS6: min (1 − x1)²  s.t. 10(x2 − x1²) = 0.  x0 = (−1.2, 1); x* = (1, 1), f* = 0.
struct Hs006 : HsBase<Hs006> {
  static constexpr double kOptimalValue = 0.0;
  static Vector solution() { return vec({1.0, 1.0}); }
  int num_variables() const { return 2; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return vec({-1.2, 1.0}); }
  template <class T> T objective(const T* x) const { return sq(1.0 - x[0]); }
  template <class T> void equalities(const T* x, T* c) const { c[0] = 10.0 * (x[1] - sq(x[0])); }
};

// HS7: min ln(1 + x1²) − x2  s.t. (1 + x1²)² + x2² − 4 = 0.  x0 = (2, 2);
// x* = (0, √3), f* = −√3.
struct Hs007 : HsBase<Hs007> {
  static constexpr double kOptimalValue = -1.73205080756887729353;
  static Vector solution() { return vec({0.0, std::sqrt(3.0)}); }
  int num_variables() const { return 2; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return vec({2.0, 2.0}); }
  template <class T> T objective(const T* x) const {
    using std::log;
    return log(1.0 + sq(x[0])) - x[1];
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = sq(1.0 + sq(x[0])) + sq(x[1]) - 4.0;
  }
};

// HS9: min sin(πx1/12) cos(πx2/16)  s.t. 4x1 − 3x2 = 0.  x0 = (0, 0);
// f* = −0.5 at every x* = (12k − 3, 16k − 4), k ∈ Z; the one nearest x0 is k = 0.
struct Hs009 : HsBase<Hs009> {
  static constexpr double kOptimalValue = -0.5;
  static Vector solution() { return vec({-3.0, -4.0}); }
  int num_variables() const { return 2; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return vec({0.0, 0.0}); }
  template <class T> T objective(const T* x) const {
    using std::cos;
    using std::sin;
    constexpr double pi = std::numbers::pi;
    return sin(pi * x[0] / 12.0) * cos(pi * x[1] / 16.0);
  }
  template <class T> void equalities(const T* x, T* c) const { c[0] = 4.0 * x[0] - 3.0 * x[1]; }
};

// HS10: min x1 − x2  s.t. −3x1² + 2x1x2 − x2² + 1 ≥ 0 (HS form).  x0 = (−10, 10);
// x* = (0, 1), f* = −1.
struct Hs010 : HsBase<Hs010> {
  static constexpr double kOptimalValue = -1.0;
  static Vector solution() { return vec({0.0, 1.0}); }
  int num_variables() const { return 2; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return vec({-10.0, 10.0}); }
  template <class T> T objective(const T* x) const { return x[0] - x[1]; }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = 3.0 * sq(x[0]) - 2.0 * x[0] * x[1] + sq(x[1]) - 1.0;
  }
};

// HS12: min 0.5x1² + x2² − x1x2 − 7x1 − 7x2  s.t. 25 − 4x1² − x2² ≥ 0 (HS form).
// x0 = (0, 0); x* = (2, 3), f* = −30.
struct Hs012 : HsBase<Hs012> {
  static constexpr double kOptimalValue = -30.0;
  static Vector solution() { return vec({2.0, 3.0}); }
  int num_variables() const { return 2; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return vec({0.0, 0.0}); }
  template <class T> T objective(const T* x) const {
    return 0.5 * sq(x[0]) + sq(x[1]) - x[0] * x[1] - 7.0 * x[0] - 7.0 * x[1];
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = 4.0 * sq(x[0]) + sq(x[1]) - 25.0;
  }
};

// HS14: min (x1 − 2)² + (x2 − 1)²  s.t. −x1²/4 − x2² + 1 ≥ 0 (HS form),
// x1 − 2x2 + 1 = 0.  x0 = (2, 2);
// x* = ((√7 − 1)/2, (√7 + 1)/4), f* = 9 − 2.875√7.
struct Hs014 : HsBase<Hs014> {
  static constexpr double kOptimalValue = 9.0 - 2.875 * 2.64575131106459059050;
  static Vector solution() {
    const double s7 = std::sqrt(7.0);
    return vec({0.5 * (s7 - 1.0), 0.25 * (s7 + 1.0)});
  }
  int num_variables() const { return 2; }
  int num_equalities() const { return 1; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return vec({2.0, 2.0}); }
  template <class T> T objective(const T* x) const { return sq(x[0] - 2.0) + sq(x[1] - 1.0); }
  template <class T> void equalities(const T* x, T* c) const { c[0] = x[0] - 2.0 * x[1] + 1.0; }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = 0.25 * sq(x[0]) + sq(x[1]) - 1.0;
  }
};

// HS21: min 0.01x1² + x2² − 100  s.t. 10x1 − x2 − 10 ≥ 0 (HS form),
// 2 ≤ x1 ≤ 50, −50 ≤ x2 ≤ 50.  x0 = (−1, −1) (infeasible);
// x* = (2, 0), f* = −99.96.
struct Hs021 : HsBase<Hs021> {
  static constexpr double kOptimalValue = -99.96;
  static Vector solution() { return vec({2.0, 0.0}); }
  int num_variables() const { return 2; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return vec({-1.0, -1.0}); }
  Vector lower_bounds() const { return vec({2.0, -50.0}); }
  Vector upper_bounds() const { return vec({50.0, 50.0}); }
  template <class T> T objective(const T* x) const { return 0.01 * sq(x[0]) + sq(x[1]) - 100.0; }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = -10.0 * x[0] + x[1] + 10.0;
  }
};

// HS26: min (x1 − x2)² + (x2 − x3)⁴  s.t. (1 + x2²)x1 + x3⁴ − 3 = 0.
// x0 = (−2.6, 2, 2); x* = (1, 1, 1), f* = 0 (a degenerate, quartic minimum).
struct Hs026 : HsBase<Hs026> {
  static constexpr double kOptimalValue = 0.0;
  static Vector solution() { return vec({1.0, 1.0, 1.0}); }
  int num_variables() const { return 3; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return vec({-2.6, 2.0, 2.0}); }
  template <class T> T objective(const T* x) const { return sq(x[0] - x[1]) + pow4(x[1] - x[2]); }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = (1.0 + sq(x[1])) * x[0] + pow4(x[2]) - 3.0;
  }
};

// HS27: min 0.01(x1 − 1)² + (x2 − x1²)²  s.t. x1 + x3² + 1 = 0.  x0 = (2, 2, 2);
// x* = (−1, 1, 0), f* = 0.04.
struct Hs027 : HsBase<Hs027> {
  static constexpr double kOptimalValue = 0.04;
  static Vector solution() { return vec({-1.0, 1.0, 0.0}); }
  int num_variables() const { return 3; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return vec({2.0, 2.0, 2.0}); }
  template <class T> T objective(const T* x) const {
    return 0.01 * sq(x[0] - 1.0) + sq(x[1] - sq(x[0]));
  }
  template <class T> void equalities(const T* x, T* c) const { c[0] = x[0] + sq(x[2]) + 1.0; }
};

// HS28: min (x1 + x2)² + (x2 + x3)²  s.t. x1 + 2x2 + 3x3 − 1 = 0.  x0 = (−4, 1, 1);
// x* = (0.5, −0.5, 0.5), f* = 0.
struct Hs028 : HsBase<Hs028> {
  static constexpr double kOptimalValue = 0.0;
  static Vector solution() { return vec({0.5, -0.5, 0.5}); }
  int num_variables() const { return 3; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return vec({-4.0, 1.0, 1.0}); }
  template <class T> T objective(const T* x) const { return sq(x[0] + x[1]) + sq(x[1] + x[2]); }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] + 2.0 * x[1] + 3.0 * x[2] - 1.0;
  }
};

// HS35 (Beale): min 9 − 8x1 − 6x2 − 4x3 + 2x1² + 2x2² + x3² + 2x1x2 + 2x1x3
// s.t. 3 − x1 − x2 − 2x3 ≥ 0 (HS form), x ≥ 0.  x0 = (0.5, 0.5, 0.5);
// x* = (4/3, 7/9, 4/9), f* = 1/9.
struct Hs035 : HsBase<Hs035> {
  static constexpr double kOptimalValue = 1.0 / 9.0;
  static Vector solution() { return vec({4.0 / 3.0, 7.0 / 9.0, 4.0 / 9.0}); }
  int num_variables() const { return 3; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return constant(3, 0.5); }
  Vector lower_bounds() const { return constant(3, 0.0); }
  Vector upper_bounds() const { return constant(3, kInf); }
  template <class T> T objective(const T* x) const {
    return 9.0 - 8.0 * x[0] - 6.0 * x[1] - 4.0 * x[2] + 2.0 * sq(x[0]) + 2.0 * sq(x[1]) +
           sq(x[2]) + 2.0 * x[0] * x[1] + 2.0 * x[0] * x[2];
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = x[0] + x[1] + 2.0 * x[2] - 3.0;
  }
};

// HS39: min −x1  s.t. x2 − x1³ − x3² = 0, x1² − x2 − x4² = 0.  x0 = (2, 2, 2, 2);
// x* = (1, 1, 0, 0), f* = −1.
struct Hs039 : HsBase<Hs039> {
  static constexpr double kOptimalValue = -1.0;
  static Vector solution() { return vec({1.0, 1.0, 0.0, 0.0}); }
  int num_variables() const { return 4; }
  int num_equalities() const { return 2; }
  Vector initial_point() const { return constant(4, 2.0); }
  template <class T> T objective(const T* x) const { return -x[0]; }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[1] - x[0] * x[0] * x[0] - sq(x[2]);
    c[1] = sq(x[0]) - x[1] - sq(x[3]);
  }
};

// HS40: min −x1x2x3x4  s.t. x1³ + x2² − 1 = 0, x1²x4 − x3 = 0, x4² − x2 = 0.
// x0 = (0.8, 0.8, 0.8, 0.8); x* = (2^(−1/3), 2^(−1/2), 2^(−11/12), 2^(−1/4)), f* = −0.25.
struct Hs040 : HsBase<Hs040> {
  static constexpr double kOptimalValue = -0.25;
  static Vector solution() {
    return vec({std::pow(2.0, -1.0 / 3.0), std::pow(2.0, -0.5), std::pow(2.0, -11.0 / 12.0),
                std::pow(2.0, -0.25)});
  }
  int num_variables() const { return 4; }
  int num_equalities() const { return 3; }
  Vector initial_point() const { return constant(4, 0.8); }
  template <class T> T objective(const T* x) const { return -x[0] * x[1] * x[2] * x[3]; }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] * x[0] * x[0] + sq(x[1]) - 1.0;
    c[1] = sq(x[0]) * x[3] - x[2];
    c[2] = sq(x[3]) - x[1];
  }
};

// HS42: min (x1 − 1)² + (x2 − 2)² + (x3 − 3)² + (x4 − 4)²
// s.t. x1 − 2 = 0, x3² + x4² − 2 = 0.  x0 = (1, 1, 1, 1);
// x* = (2, 2, 0.6√2, 0.8√2), f* = 28 − 10√2.
struct Hs042 : HsBase<Hs042> {
  static constexpr double kOptimalValue = 28.0 - 10.0 * 1.41421356237309504880;
  static Vector solution() { return vec({2.0, 2.0, 0.6 * kSqrt2, 0.8 * kSqrt2}); }
  int num_variables() const { return 4; }
  int num_equalities() const { return 2; }
  Vector initial_point() const { return constant(4, 1.0); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - 1.0) + sq(x[1] - 2.0) + sq(x[2] - 3.0) + sq(x[3] - 4.0);
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] - 2.0;
    c[1] = sq(x[2]) + sq(x[3]) - 2.0;
  }
};

// HS43 (Rosen–Suzuki): min x1² + x2² + 2x3² + x4² − 5x1 − 5x2 − 21x3 + 7x4 s.t. (HS form)
//   8 − x1² − x2² − x3² − x4² − x1 + x2 − x3 + x4 ≥ 0,
//   10 − x1² − 2x2² − x3² − 2x4² + x1 + x4 ≥ 0,
//   5 − 2x1² − x2² − x3² − 2x1 + x2 + x4 ≥ 0.
// x0 = (0, 0, 0, 0); x* = (0, 1, 2, −1), f* = −44.
struct Hs043 : HsBase<Hs043> {
  static constexpr double kOptimalValue = -44.0;
  static Vector solution() { return vec({0.0, 1.0, 2.0, -1.0}); }
  int num_variables() const { return 4; }
  int num_inequalities() const { return 3; }
  Vector initial_point() const { return constant(4, 0.0); }
  template <class T> T objective(const T* x) const {
    return sq(x[0]) + sq(x[1]) + 2.0 * sq(x[2]) + sq(x[3]) - 5.0 * x[0] - 5.0 * x[1] -
           21.0 * x[2] + 7.0 * x[3];
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = sq(x[0]) + sq(x[1]) + sq(x[2]) + sq(x[3]) + x[0] - x[1] + x[2] - x[3] - 8.0;
    g[1] = sq(x[0]) + 2.0 * sq(x[1]) + sq(x[2]) + 2.0 * sq(x[3]) - x[0] - x[3] - 10.0;
    g[2] = 2.0 * sq(x[0]) + sq(x[1]) + sq(x[2]) + 2.0 * x[0] - x[1] - x[3] - 5.0;
  }
};

// HS46: min (x1 − x2)² + (x3 − 1)² + (x4 − 1)⁴ + (x5 − 1)⁶
// s.t. x1²x4 + sin(x4 − x5) − 1 = 0, x2 + x3⁴x4² − 2 = 0.
// x0 = (√2/2, 1.75, 0.5, 2, 2); x* = (1, 1, 1, 1, 1), f* = 0.
struct Hs046 : HsBase<Hs046> {
  static constexpr double kOptimalValue = 0.0;
  static Vector solution() { return constant(5, 1.0); }
  int num_variables() const { return 5; }
  int num_equalities() const { return 2; }
  Vector initial_point() const { return vec({0.5 * kSqrt2, 1.75, 0.5, 2.0, 2.0}); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - x[1]) + sq(x[2] - 1.0) + pow4(x[3] - 1.0) + pow6(x[4] - 1.0);
  }
  template <class T> void equalities(const T* x, T* c) const {
    using std::sin;
    c[0] = sq(x[0]) * x[3] + sin(x[3] - x[4]) - 1.0;
    c[1] = x[1] + pow4(x[2]) * sq(x[3]) - 2.0;
  }
};

// HS48: min (x1 − 1)² + (x2 − x3)² + (x4 − x5)²
// s.t. x1 + x2 + x3 + x4 + x5 − 5 = 0, x3 − 2(x4 + x5) + 3 = 0.
// x0 = (3, 5, −3, 2, −2); x* = (1, 1, 1, 1, 1), f* = 0.
struct Hs048 : HsBase<Hs048> {
  static constexpr double kOptimalValue = 0.0;
  static Vector solution() { return constant(5, 1.0); }
  int num_variables() const { return 5; }
  int num_equalities() const { return 2; }
  Vector initial_point() const { return vec({3.0, 5.0, -3.0, 2.0, -2.0}); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - 1.0) + sq(x[1] - x[2]) + sq(x[3] - x[4]);
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] + x[1] + x[2] + x[3] + x[4] - 5.0;
    c[1] = x[2] - 2.0 * (x[3] + x[4]) + 3.0;
  }
};

// HS50: min (x1 − x2)² + (x2 − x3)² + (x3 − x4)⁴ + (x4 − x5)²
// s.t. x1 + 2x2 + 3x3 − 6 = 0, x2 + 2x3 + 3x4 − 6 = 0, x3 + 2x4 + 3x5 − 6 = 0.
// x0 = (35, −31, 11, 5, −5); x* = (1, 1, 1, 1, 1), f* = 0.
struct Hs050 : HsBase<Hs050> {
  static constexpr double kOptimalValue = 0.0;
  static Vector solution() { return constant(5, 1.0); }
  int num_variables() const { return 5; }
  int num_equalities() const { return 3; }
  Vector initial_point() const { return vec({35.0, -31.0, 11.0, 5.0, -5.0}); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - x[1]) + sq(x[1] - x[2]) + pow4(x[2] - x[3]) + sq(x[3] - x[4]);
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] + 2.0 * x[1] + 3.0 * x[2] - 6.0;
    c[1] = x[1] + 2.0 * x[2] + 3.0 * x[3] - 6.0;
    c[2] = x[2] + 2.0 * x[3] + 3.0 * x[4] - 6.0;
  }
};

// HS51: min (x1 − x2)² + (x2 + x3 − 2)² + (x4 − 1)² + (x5 − 1)²
// s.t. x1 + 3x2 − 4 = 0, x3 + x4 − 2x5 = 0, x2 − x5 = 0.
// x0 = (2.5, 0.5, 2, −1, 0.5); x* = (1, 1, 1, 1, 1), f* = 0.
struct Hs051 : HsBase<Hs051> {
  static constexpr double kOptimalValue = 0.0;
  static Vector solution() { return constant(5, 1.0); }
  int num_variables() const { return 5; }
  int num_equalities() const { return 3; }
  Vector initial_point() const { return vec({2.5, 0.5, 2.0, -1.0, 0.5}); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - x[1]) + sq(x[1] + x[2] - 2.0) + sq(x[3] - 1.0) + sq(x[4] - 1.0);
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] + 3.0 * x[1] - 4.0;
    c[1] = x[2] + x[3] - 2.0 * x[4];
    c[2] = x[1] - x[4];
  }
};

// HS52: min (4x1 − x2)² + (x2 + x3 − 2)² + (x4 − 1)² + (x5 − 1)²
// s.t. x1 + 3x2 = 0, x3 + x4 − 2x5 = 0, x2 − x5 = 0.  x0 = (2, 2, 2, 2, 2);
// x* = (−33, 11, 180, −158, 11)/349, f* = 1859/349.
struct Hs052 : HsBase<Hs052> {
  static constexpr double kOptimalValue = 1859.0 / 349.0;
  static Vector solution() { return vec({-33.0, 11.0, 180.0, -158.0, 11.0}) / 349.0; }
  int num_variables() const { return 5; }
  int num_equalities() const { return 3; }
  Vector initial_point() const { return constant(5, 2.0); }
  template <class T> T objective(const T* x) const {
    return sq(4.0 * x[0] - x[1]) + sq(x[1] + x[2] - 2.0) + sq(x[3] - 1.0) + sq(x[4] - 1.0);
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] + 3.0 * x[1];
    c[1] = x[2] + x[3] - 2.0 * x[4];
    c[2] = x[1] - x[4];
  }
};

// HS53: min (x1 − x2)² + (x2 + x3 − 2)² + (x4 − 1)² + (x5 − 1)²
// s.t. x1 + 3x2 = 0, x3 + x4 − 2x5 = 0, x2 − x5 = 0, −10 ≤ x ≤ 10.
// x0 = (2, 2, 2, 2, 2); x* = (−33, 11, 27, −5, 11)/43 (bounds inactive), f* = 176/43.
struct Hs053 : HsBase<Hs053> {
  static constexpr double kOptimalValue = 176.0 / 43.0;
  static Vector solution() { return vec({-33.0, 11.0, 27.0, -5.0, 11.0}) / 43.0; }
  int num_variables() const { return 5; }
  int num_equalities() const { return 3; }
  Vector initial_point() const { return constant(5, 2.0); }
  Vector lower_bounds() const { return constant(5, -10.0); }
  Vector upper_bounds() const { return constant(5, 10.0); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - x[1]) + sq(x[1] + x[2] - 2.0) + sq(x[3] - 1.0) + sq(x[4] - 1.0);
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] + 3.0 * x[1];
    c[1] = x[2] + x[3] - 2.0 * x[4];
    c[2] = x[1] - x[4];
  }
};

// HS65: min (x1 − x2)² + (x1 + x2 − 10)²/9 + (x3 − 5)²
// s.t. 48 − x1² − x2² − x3² ≥ 0 (HS form), −4.5 ≤ x1, x2 ≤ 4.5, −5 ≤ x3 ≤ 5.
// x0 = (−5, 5, 0) (outside the bounds); published x* = (3.650461821,
// 3.650461821, 4.6204170507), f* = 0.9535288567. Stored x*: Newton-refined.
struct Hs065 : HsBase<Hs065> {
  static constexpr double kOptimalValue = 0.9535288567;
  static Vector solution() {
    return vec({3.6504617252130363, 3.6504617252130363, 4.6204175553200086});
  }
  int num_variables() const { return 3; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return vec({-5.0, 5.0, 0.0}); }
  Vector lower_bounds() const { return vec({-4.5, -4.5, -5.0}); }
  Vector upper_bounds() const { return vec({4.5, 4.5, 5.0}); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - x[1]) + sq(x[0] + x[1] - 10.0) / 9.0 + sq(x[2] - 5.0);
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = sq(x[0]) + sq(x[1]) + sq(x[2]) - 48.0;
  }
};

// HS71: min x1x4(x1 + x2 + x3) + x3
// s.t. x1x2x3x4 − 25 ≥ 0 (HS form), x1² + x2² + x3² + x4² − 40 = 0, 1 ≤ x ≤ 5.
// x0 = (1, 5, 5, 1); published x* = (1, 4.7429994, 3.8211503, 1.3794082),
// f* = 17.0140173. Stored x*: Newton-refined (x1 = 1 on its bound).
struct Hs071 : HsBase<Hs071> {
  static constexpr double kOptimalValue = 17.0140173;
  static Vector solution() {
    return vec({1.0, 4.7429996372644171, 3.8211499841848739, 1.3794082931726724});
  }
  int num_variables() const { return 4; }
  int num_equalities() const { return 1; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return vec({1.0, 5.0, 5.0, 1.0}); }
  Vector lower_bounds() const { return constant(4, 1.0); }
  Vector upper_bounds() const { return constant(4, 5.0); }
  template <class T> T objective(const T* x) const {
    return x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2];
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = sq(x[0]) + sq(x[1]) + sq(x[2]) + sq(x[3]) - 40.0;
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = 25.0 - x[0] * x[1] * x[2] * x[3];
  }
};

// HS76: min x1² + 0.5x2² + x3² + 0.5x4² − x1x3 + x3x4 − x1 − 3x2 + x3 − x4 s.t. (HS form)
//   5 − x1 − 2x2 − x3 − x4 ≥ 0,  4 − 3x1 − x2 − 2x3 + x4 ≥ 0,  x2 + 4x3 − 1.5 ≥ 0,  x ≥ 0.
// x0 = (0.5, 0.5, 0.5, 0.5); published x* = (0.2727273, 2.090909, −0.26e−10, 0.5454545),
// f* = −4.681818181; exactly x* = (3/11, 23/11, 0, 6/11), f* = −103/22.
struct Hs076 : HsBase<Hs076> {
  static constexpr double kOptimalValue = -103.0 / 22.0;
  static Vector solution() { return vec({3.0 / 11.0, 23.0 / 11.0, 0.0, 6.0 / 11.0}); }
  int num_variables() const { return 4; }
  int num_inequalities() const { return 3; }
  Vector initial_point() const { return constant(4, 0.5); }
  Vector lower_bounds() const { return constant(4, 0.0); }
  Vector upper_bounds() const { return constant(4, kInf); }
  template <class T> T objective(const T* x) const {
    return sq(x[0]) + 0.5 * sq(x[1]) + sq(x[2]) + 0.5 * sq(x[3]) - x[0] * x[2] + x[2] * x[3] -
           x[0] - 3.0 * x[1] + x[2] - x[3];
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = x[0] + 2.0 * x[1] + x[2] + x[3] - 5.0;
    g[1] = 3.0 * x[0] + x[1] + 2.0 * x[2] - x[3] - 4.0;
    g[2] = 1.5 - x[1] - 4.0 * x[2];
  }
};

// HS77: min (x1 − 1)² + (x1 − x2)² + (x3 − 1)² + (x4 − 1)⁴ + (x5 − 1)⁶
// s.t. x1²x4 + sin(x4 − x5) − 2√2 = 0, x2 + x3⁴x4² − 8 − √2 = 0.
// x0 = (2, 2, 2, 2, 2); published x* = (1.166172, 1.182111, 1.380257, 1.506036,
// 0.6109203), f* = 0.24150513. Stored x*: Newton-refined.
struct Hs077 : HsBase<Hs077> {
  static constexpr double kOptimalValue = 0.24150513;
  static Vector solution() {
    return vec({1.1661721897092985, 1.1821113888027043, 1.3802570431454597, 1.5060362736230457,
                0.61092019604309082});
  }
  int num_variables() const { return 5; }
  int num_equalities() const { return 2; }
  Vector initial_point() const { return constant(5, 2.0); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - 1.0) + sq(x[0] - x[1]) + sq(x[2] - 1.0) + pow4(x[3] - 1.0) +
           pow6(x[4] - 1.0);
  }
  template <class T> void equalities(const T* x, T* c) const {
    using std::sin;
    c[0] = sq(x[0]) * x[3] + sin(x[3] - x[4]) - 2.0 * kSqrt2;
    c[1] = x[1] + pow4(x[2]) * sq(x[3]) - 8.0 - kSqrt2;
  }
};

// HS78: min x1x2x3x4x5  s.t. Σ xi² − 10 = 0, x2x3 − 5x4x5 = 0, x1³ + x2³ + 1 = 0.
// x0 = (−2, 1.5, 2, −1, −1); published x* = (−1.717142, 1.595708, 1.827248,
// −0.7636429, −0.7636435), f* = −2.91970041. Stored x*: Newton-refined.
struct Hs078 : HsBase<Hs078> {
  static constexpr double kOptimalValue = -2.91970041;
  static Vector solution() {
    return vec({-1.7171435703943823, 1.5957096901835544, 1.8272457529271946,
                -0.76364307818413038, -0.76364307818413038});
  }
  int num_variables() const { return 5; }
  int num_equalities() const { return 3; }
  Vector initial_point() const { return vec({-2.0, 1.5, 2.0, -1.0, -1.0}); }
  template <class T> T objective(const T* x) const { return x[0] * x[1] * x[2] * x[3] * x[4]; }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = sq(x[0]) + sq(x[1]) + sq(x[2]) + sq(x[3]) + sq(x[4]) - 10.0;
    c[1] = x[1] * x[2] - 5.0 * x[3] * x[4];
    c[2] = x[0] * x[0] * x[0] + x[1] * x[1] * x[1] + 1.0;
  }
};

// HS79: min (x1 − 1)² + (x1 − x2)² + (x2 − x3)² + (x3 − x4)⁴ + (x4 − x5)⁴
// s.t. x1 + x2² + x3³ − 2 − 3√2 = 0, x2 − x3² + x4 + 2 − 2√2 = 0, x1x5 − 2 = 0.
// x0 = (2, 2, 2, 2, 2); published x* = (1.191127, 1.362603, 1.472818, 1.635017,
// 1.679081), f* = 0.0787768209. Stored x*: Newton-refined.
struct Hs079 : HsBase<Hs079> {
  static constexpr double kOptimalValue = 0.0787768209;
  static Vector solution() {
    return vec({1.1911274563110514, 1.3626031649617421, 1.4728179315120877, 1.6350166191679927,
                1.6790814361664076});
  }
  int num_variables() const { return 5; }
  int num_equalities() const { return 3; }
  Vector initial_point() const { return constant(5, 2.0); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - 1.0) + sq(x[0] - x[1]) + sq(x[1] - x[2]) + pow4(x[2] - x[3]) +
           pow4(x[3] - x[4]);
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] + sq(x[1]) + x[2] * x[2] * x[2] - 2.0 - 3.0 * kSqrt2;
    c[1] = x[1] - sq(x[2]) + x[3] + 2.0 - 2.0 * kSqrt2;
    c[2] = x[0] * x[4] - 2.0;
  }
};

// ---------------------------------------------------------------------------
struct HsItem {
  ProblemEntry entry;
  HsReference reference;
};

template <class P>
HsItem item(const std::string& name, const std::string& description, bool nonunique = false) {
  HsItem it;
  it.entry.name = name;
  it.entry.description = description;
  it.entry.make = [name]() -> std::unique_ptr<ConstrainedProblem> {
    return std::make_unique<AutoDiffProblem<P>>(make_autodiff_problem(P{}, name));
  };
  it.reference.name = name;
  it.reference.optimal_value = P::kOptimalValue;
  it.reference.solution = P::solution();
  it.reference.nonunique_solution = nonunique;
  return it;
}

const std::vector<HsItem>& hs_items() {
  static const std::vector<HsItem> items = [] {
    const std::string src = "Hock & Schittkowski (1981) no. ";
    std::vector<HsItem> v;
    v.push_back(item<Hs001>("hs001", src + "1: Rosenbrock, bound x2 >= -1.5; f* = 0 at (1,1)"));
    v.push_back(item<Hs004>("hs004", src + "4: cubic, two active lower bounds; f* = 8/3 at (1,0)"));
    v.push_back(item<Hs005>("hs005", src + "5: sin + quadratic in a box (inactive); f* = -sqrt(3)/2 - pi/3"));
    v.push_back(item<Hs006>("hs006", src + "6: 1 nonlinear equality; f* = 0 at (1,1)"));
    v.push_back(item<Hs007>("hs007", src + "7: log objective, 1 nonlinear equality; f* = -sqrt(3) at (0,sqrt(3))"));
    v.push_back(item<Hs009>("hs009", src + "9: trigonometric, 1 linear equality; f* = -0.5 at (12k-3,16k-4)", true));
    v.push_back(item<Hs010>("hs010", src + "10: linear objective, 1 nonlinear inequality; f* = -1 at (0,1)"));
    v.push_back(item<Hs012>("hs012", src + "12: quadratic, 1 nonlinear inequality; f* = -30 at (2,3)"));
    v.push_back(item<Hs014>("hs014", src + "14: 1 equality, 1 nonlinear inequality; f* = 9 - 2.875 sqrt(7)"));
    v.push_back(item<Hs021>("hs021", src + "21: quadratic, 1 linear inequality, bounds, infeasible start; f* = -99.96"));
    v.push_back(item<Hs026>("hs026", src + "26: quartic, 1 nonlinear equality, degenerate minimum; f* = 0"));
    v.push_back(item<Hs027>("hs027", src + "27: Rosenbrock-like, 1 nonlinear equality; f* = 0.04 at (-1,1,0)"));
    v.push_back(item<Hs028>("hs028", src + "28: quadratic, 1 linear equality; f* = 0 at (0.5,-0.5,0.5)"));
    v.push_back(item<Hs035>("hs035", src + "35 (Beale): quadratic, 1 linear inequality, x >= 0; f* = 1/9"));
    v.push_back(item<Hs039>("hs039", src + "39: linear objective, 2 nonlinear equalities; f* = -1 at (1,1,0,0)"));
    v.push_back(item<Hs040>("hs040", src + "40: product objective, 3 nonlinear equalities; f* = -0.25"));
    v.push_back(item<Hs042>("hs042", src + "42: quadratic, 1 linear + 1 nonlinear equality; f* = 28 - 10 sqrt(2)"));
    v.push_back(item<Hs043>("hs043", src + "43 (Rosen-Suzuki): 3 nonlinear inequalities; f* = -44 at (0,1,2,-1)"));
    v.push_back(item<Hs046>("hs046", src + "46: 2 nonlinear equalities, degenerate minimum; f* = 0 at (1,...,1)"));
    v.push_back(item<Hs048>("hs048", src + "48: quadratic, 2 linear equalities; f* = 0 at (1,...,1)"));
    v.push_back(item<Hs050>("hs050", src + "50: quartic, 3 linear equalities; f* = 0 at (1,...,1)"));
    v.push_back(item<Hs051>("hs051", src + "51: quadratic, 3 linear equalities; f* = 0 at (1,...,1)"));
    v.push_back(item<Hs052>("hs052", src + "52: quadratic, 3 linear equalities; f* = 1859/349"));
    v.push_back(item<Hs053>("hs053", src + "53: quadratic, 3 linear equalities, box -10..10; f* = 176/43"));
    v.push_back(item<Hs065>("hs065", src + "65: 1 nonlinear inequality, bounds, start outside the box; f* = 0.9535288567"));
    v.push_back(item<Hs071>("hs071", src + "71: 1 equality, 1 inequality, bounds 1..5; f* = 17.0140173"));
    v.push_back(item<Hs076>("hs076", src + "76: quadratic, 3 linear inequalities, x >= 0; f* = -4.681818181"));
    v.push_back(item<Hs077>("hs077", src + "77: 2 nonlinear equalities; f* = 0.24150513"));
    v.push_back(item<Hs078>("hs078", src + "78: product objective, 3 nonlinear equalities; f* = -2.91970041"));
    v.push_back(item<Hs079>("hs079", src + "79: 3 nonlinear equalities; f* = 0.0787768209"));
    std::sort(v.begin(), v.end(), [](const HsItem& a, const HsItem& b) { return a.entry.name < b.entry.name; });
    return v;
  }();
  return items;
}

}  // namespace

std::vector<ProblemEntry> hs_problem_entries() {
  std::vector<ProblemEntry> entries;
  for (const auto& it : hs_items()) entries.push_back(it.entry);
  return entries;
}

const std::vector<HsReference>& hs_references() {
  static const std::vector<HsReference> refs = [] {
    std::vector<HsReference> v;
    for (const auto& it : hs_items()) v.push_back(it.reference);
    return v;
  }();
  return refs;
}

std::optional<Vector> hs_known_solution(const std::string& name) {
  for (const auto& r : hs_references())
    if (r.name == name) return r.solution;
  return std::nullopt;
}

}  // namespace almkit
