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

#include "almkit/problems/verification/hs_common.h"

namespace almkit {
namespace {

using namespace hs_detail;
const double kSqrt2 = std::sqrt(2.0);

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
// The hard cases of the collection (docs/benchmark.md): a minimizer that is not
// a KKT point (hs013), degenerate vertices (hs044), cubic/quartic equalities
// from a far start (hs047), badly scaled constraints (hs100, hs106), many
// inequalities (hs113, hs118).

// HS13: min (x1 − 2)² + x2²  s.t. (1 − x1)³ − x2 ≥ 0 (HS form), x ≥ 0.
// x0 = (−2, −2) (outside the bounds); x* = (1, 0), f* = 1. The constraint
// gradients (0, −1) and the bound's (0, −1) are parallel at x* and ∇f = (−2, 0):
// x* is the minimizer but not a KKT point (the multipliers diverge).
struct Hs013 : HsBase<Hs013> {
  static constexpr double kOptimalValue = 1.0;
  static Vector solution() { return vec({1.0, 0.0}); }
  int num_variables() const { return 2; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return vec({-2.0, -2.0}); }
  Vector lower_bounds() const { return constant(2, 0.0); }
  Vector upper_bounds() const { return constant(2, kInf); }
  template <class T> T objective(const T* x) const { return sq(x[0] - 2.0) + sq(x[1]); }
  template <class T> void inequalities(const T* x, T* g) const {
    const T a = 1.0 - x[0];
    g[0] = x[1] - a * a * a;
  }
};

// HS44: min x1 − x2 − x3 − x1x3 + x1x4 + x2x3 − x2x4
// s.t. (HS form) 8 − x1 − 2x2 ≥ 0, 12 − 4x1 − x2 ≥ 0, 12 − 3x1 − 4x2 ≥ 0,
// 8 − 2x3 − x4 ≥ 0, 8 − x3 − 2x4 ≥ 0, 5 − x3 − x4 ≥ 0, x ≥ 0.
// x0 = 0; x* = (0, 3, 0, 4), f* = −15 (a degenerate vertex: 4 active
// constraints in R⁴ besides the bound x3 = 0, 5 in all).
struct Hs044 : HsBase<Hs044> {
  static constexpr double kOptimalValue = -15.0;
  static Vector solution() { return vec({0.0, 3.0, 0.0, 4.0}); }
  int num_variables() const { return 4; }
  int num_inequalities() const { return 6; }
  Vector initial_point() const { return constant(4, 0.0); }
  Vector lower_bounds() const { return constant(4, 0.0); }
  Vector upper_bounds() const { return constant(4, kInf); }
  template <class T> T objective(const T* x) const {
    return x[0] - x[1] - x[2] - x[0] * x[2] + x[0] * x[3] + x[1] * x[2] - x[1] * x[3];
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = x[0] + 2.0 * x[1] - 8.0;
    g[1] = 4.0 * x[0] + x[1] - 12.0;
    g[2] = 3.0 * x[0] + 4.0 * x[1] - 12.0;
    g[3] = 2.0 * x[2] + x[3] - 8.0;
    g[4] = x[2] + 2.0 * x[3] - 8.0;
    g[5] = x[2] + x[3] - 5.0;
  }
};

// HS47: min (x1 − x2)² + (x2 − x3)³ + (x3 − x4)⁴ + (x4 − x5)⁴
// s.t. x1 + x2² + x3³ − 3 = 0, x2 − x3² + x4 − 1 = 0, x1x5 − 1 = 0.
// x0 = (2, √2, −1, 2 − √2, 0.5); x* = (1, 1, 1, 1, 1), f* = 0.
struct Hs047 : HsBase<Hs047> {
  static constexpr double kOptimalValue = 0.0;
  static Vector solution() { return constant(5, 1.0); }
  int num_variables() const { return 5; }
  int num_equalities() const { return 3; }
  Vector initial_point() const { return vec({2.0, kSqrt2, -1.0, 2.0 - kSqrt2, 0.5}); }
  template <class T> T objective(const T* x) const {
    const T b = x[1] - x[2];
    return sq(x[0] - x[1]) + b * b * b + pow4(x[2] - x[3]) + pow4(x[3] - x[4]);
  }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] + sq(x[1]) + x[2] * x[2] * x[2] - 3.0;
    c[1] = x[1] - sq(x[2]) + x[3] - 1.0;
    c[2] = x[0] * x[4] - 1.0;
  }
};

// HS100: min (x1 − 10)² + 5(x2 − 12)² + x3⁴ + 3(x4 − 11)² + 10x5⁶ + 7x6² + x7⁴
//            − 4x6x7 − 10x6 − 8x7
// s.t. (HS form) 127 − 2x1² − 3x2⁴ − x3 − 4x4² − 5x5 ≥ 0,
// 282 − 7x1 − 3x2 − 10x3² − x4 + x5 ≥ 0, 196 − 23x1 − x2² − 6x6² + 8x7 ≥ 0,
// −4x1² − x2² + 3x1x2 − 2x3² − 5x6 + 11x7 ≥ 0.
// x0 = (1, 2, 0, 4, 0, 1, 1); published x* = (2.330499, 1.951372, −0.4775414,
// 4.365726, −0.6244870, 1.038131, 1.594227), f* = 680.6300573.
// Stored x*: Newton-refined on the KKT system (constraints 1 and 4 active).
struct Hs100 : HsBase<Hs100> {
  static constexpr double kOptimalValue = 680.6300573;
  static Vector solution() {
    return vec({2.33049937287957, 1.951372372896889, -0.47754139238887161, 4.3657262336558098, -0.62448697052681745,
                1.0381310186079582, 1.5942267116118685});
  }
  int num_variables() const { return 7; }
  int num_inequalities() const { return 4; }
  Vector initial_point() const { return vec({1.0, 2.0, 0.0, 4.0, 0.0, 1.0, 1.0}); }
  template <class T> T objective(const T* x) const {
    return sq(x[0] - 10.0) + 5.0 * sq(x[1] - 12.0) + pow4(x[2]) + 3.0 * sq(x[3] - 11.0) +
           10.0 * pow6(x[4]) + 7.0 * sq(x[5]) + pow4(x[6]) - 4.0 * x[5] * x[6] - 10.0 * x[5] - 8.0 * x[6];
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = 2.0 * sq(x[0]) + 3.0 * pow4(x[1]) + x[2] + 4.0 * sq(x[3]) + 5.0 * x[4] - 127.0;
    g[1] = 7.0 * x[0] + 3.0 * x[1] + 10.0 * sq(x[2]) + x[3] - x[4] - 282.0;
    g[2] = 23.0 * x[0] + sq(x[1]) + 6.0 * sq(x[5]) - 8.0 * x[6] - 196.0;
    g[3] = 4.0 * sq(x[0]) + sq(x[1]) - 3.0 * x[0] * x[1] + 2.0 * sq(x[2]) + 5.0 * x[5] - 11.0 * x[6];
  }
};

// HS106 (heat exchanger design): min x1 + x2 + x3
// s.t. (HS form) 1 − 0.0025(x4 + x6) ≥ 0, 1 − 0.0025(x5 + x7 − x4) ≥ 0,
// 1 − 0.01(x8 − x5) ≥ 0, x1x6 − 833.33252x4 − 100x1 + 83333.333 ≥ 0,
// x2x7 − 1250x5 − x2x4 + 1250x4 ≥ 0, x3x8 − 1250000 − x3x5 + 2500x5 ≥ 0,
// 100 ≤ x1 ≤ 10000, 1000 ≤ x2, x3 ≤ 10000, 10 ≤ x4, …, x8 ≤ 1000.
// x0 = (5000, 5000, 5000, 200, 350, 150, 225, 425). Badly scaled (constraint
// values ~1e6 beside ~1). The book prints f* = 7049.330923 for a point
// accurate to ~1e-5 only; the true optimum is f* = 7049.2480205 (all six
// constraints active; as in the CUTEst version). Stored x*: Newton-refined.
struct Hs106 : HsBase<Hs106> {
  static constexpr double kOptimalValue = 7049.2480205;
  static Vector solution() {
    return vec({579.30668442535489, 1359.9706680516554, 5109.9706680516547, 182.0176995811199, 295.60117327793381,
                217.9823004188801, 286.41652630318612, 395.60117327793381});
  }
  int num_variables() const { return 8; }
  int num_inequalities() const { return 6; }
  Vector initial_point() const { return vec({5000.0, 5000.0, 5000.0, 200.0, 350.0, 150.0, 225.0, 425.0}); }
  Vector lower_bounds() const { return vec({100.0, 1000.0, 1000.0, 10.0, 10.0, 10.0, 10.0, 10.0}); }
  Vector upper_bounds() const { return vec({10000.0, 10000.0, 10000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0}); }
  template <class T> T objective(const T* x) const { return x[0] + x[1] + x[2]; }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = 0.0025 * (x[3] + x[5]) - 1.0;
    g[1] = 0.0025 * (x[4] + x[6] - x[3]) - 1.0;
    g[2] = 0.01 * (x[7] - x[4]) - 1.0;
    g[3] = -(x[0] * x[5] - 833.33252 * x[3] - 100.0 * x[0] + 83333.333);
    g[4] = -(x[1] * x[6] - 1250.0 * x[4] - x[1] * x[3] + 1250.0 * x[3]);
    g[5] = -(x[2] * x[7] - 1250000.0 - x[2] * x[4] + 2500.0 * x[4]);
  }
};

// HS113 (Wong No. 2): min x1² + x2² + x1x2 − 14x1 − 16x2 + (x3 − 10)² + 4(x4 − 5)²
//   + (x5 − 3)² + 2(x6 − 1)² + 5x7² + 7(x8 − 11)² + 2(x9 − 10)² + (x10 − 7)² + 45
// s.t. (HS form) 105 − 4x1 − 5x2 + 3x7 − 9x8 ≥ 0, −10x1 + 8x2 + 17x7 − 2x8 ≥ 0,
// 8x1 − 2x2 − 5x9 + 2x10 + 12 ≥ 0, −3(x1 − 2)² − 4(x2 − 3)² − 2x3² + 7x4 + 120 ≥ 0,
// −5x1² − 8x2 − (x3 − 6)² + 2x4 + 40 ≥ 0, −0.5(x1 − 8)² − 2(x2 − 4)² − 3x5² + x6 + 30 ≥ 0,
// −x1² − 2(x2 − 2)² + 2x1x2 − 14x5 + 6x6 ≥ 0, 3x1 − 6x2 − 12(x9 − 8)² + 7x10 ≥ 0.
// x0 = (2, 3, 5, 5, 1, 2, 7, 3, 6, 10); published x* = (2.171996, 2.363683,
// 8.773926, 5.095984, 0.9906548, 1.430574, 1.321644, 9.828726, 8.280092,
// 8.375927), f* = 24.3062091. Stored x*: Newton-refined (six constraints active).
struct Hs113 : HsBase<Hs113> {
  static constexpr double kOptimalValue = 24.3062091;
  static Vector solution() {
    return vec({2.1719963712554553, 2.36368297369728, 8.7739257384768496, 5.0959844879484528, 0.99065476496385918,
                1.4305739789363159, 1.3216442081617032, 9.8287258078863218, 8.2800916700983453, 8.375926663921323});
  }
  int num_variables() const { return 10; }
  int num_inequalities() const { return 8; }
  Vector initial_point() const { return vec({2.0, 3.0, 5.0, 5.0, 1.0, 2.0, 7.0, 3.0, 6.0, 10.0}); }
  template <class T> T objective(const T* x) const {
    return sq(x[0]) + sq(x[1]) + x[0] * x[1] - 14.0 * x[0] - 16.0 * x[1] + sq(x[2] - 10.0) +
           4.0 * sq(x[3] - 5.0) + sq(x[4] - 3.0) + 2.0 * sq(x[5] - 1.0) + 5.0 * sq(x[6]) +
           7.0 * sq(x[7] - 11.0) + 2.0 * sq(x[8] - 10.0) + sq(x[9] - 7.0) + 45.0;
  }
  template <class T> void inequalities(const T* x, T* g) const {
    g[0] = -(105.0 - 4.0 * x[0] - 5.0 * x[1] + 3.0 * x[6] - 9.0 * x[7]);
    g[1] = -(-10.0 * x[0] + 8.0 * x[1] + 17.0 * x[6] - 2.0 * x[7]);
    g[2] = -(8.0 * x[0] - 2.0 * x[1] - 5.0 * x[8] + 2.0 * x[9] + 12.0);
    g[3] = -(-3.0 * sq(x[0] - 2.0) - 4.0 * sq(x[1] - 3.0) - 2.0 * sq(x[2]) + 7.0 * x[3] + 120.0);
    g[4] = -(-5.0 * sq(x[0]) - 8.0 * x[1] - sq(x[2] - 6.0) + 2.0 * x[3] + 40.0);
    g[5] = -(-0.5 * sq(x[0] - 8.0) - 2.0 * sq(x[1] - 4.0) - 3.0 * sq(x[4]) + x[5] + 30.0);
    g[6] = -(-sq(x[0]) - 2.0 * sq(x[1] - 2.0) + 2.0 * x[0] * x[1] - 14.0 * x[4] + 6.0 * x[5]);
    g[7] = -(3.0 * x[0] - 6.0 * x[1] - 12.0 * sq(x[8] - 8.0) + 7.0 * x[9]);
  }
};

// HS118 (quadratic production planning): min Σ_{k=0..4} (2.3 x_{3k+1} + 1e-4 x_{3k+1}²
//   + 1.7 x_{3k+2} + 1e-4 x_{3k+2}² + 2.2 x_{3k+3} + 1.5e-4 x_{3k+3}²)
// s.t. for j = 1..4 (HS form): 0 ≤ x_{3j+1} − x_{3j−2} + 7 ≤ 13, 0 ≤ x_{3j+2} − x_{3j−1} + 7 ≤ 14,
// 0 ≤ x_{3j+3} − x_{3j} + 7 ≤ 13 (24 inequalities); x1 + x2 + x3 ≥ 60, x4 + x5 + x6 ≥ 50,
// x7 + x8 + x9 ≥ 70, x10 + x11 + x12 ≥ 85, x13 + x14 + x15 ≥ 100;
// 8 ≤ x1 ≤ 21, 43 ≤ x2 ≤ 57, 3 ≤ x3 ≤ 16, and for k = 1..4: 0 ≤ x_{3k+1} ≤ 90,
// 0 ≤ x_{3k+2} ≤ 120, 0 ≤ x_{3k+3} ≤ 60.
// x0 = (20, 55, 15, 20, 60, 20, 20, 60, 20, 20, 60, 20, 20, 60, 20);
// x* = (8, 49, 3, 1, 56, 0, 1, 63, 6, 3, 70, 12, 5, 77, 18), f* = 664.82045.
struct Hs118 : HsBase<Hs118> {
  static constexpr double kOptimalValue = 664.82045;
  static Vector solution() { return vec({8, 49, 3, 1, 56, 0, 1, 63, 6, 3, 70, 12, 5, 77, 18}); }
  int num_variables() const { return 15; }
  int num_inequalities() const { return 29; }
  Vector initial_point() const {
    return vec({20.0, 55.0, 15.0, 20.0, 60.0, 20.0, 20.0, 60.0, 20.0, 20.0, 60.0, 20.0, 20.0, 60.0, 20.0});
  }
  Vector lower_bounds() const {
    Vector l = constant(15, 0.0);
    l[0] = 8.0, l[1] = 43.0, l[2] = 3.0;
    return l;
  }
  Vector upper_bounds() const {
    Vector u(15);
    u[0] = 21.0, u[1] = 57.0, u[2] = 16.0;
    for (int k = 1; k < 5; ++k) u[3 * k] = 90.0, u[3 * k + 1] = 120.0, u[3 * k + 2] = 60.0;
    return u;
  }
  template <class T> T objective(const T* x) const {
    T f = T(0.0);
    for (int k = 0; k < 5; ++k)
      f += 2.3 * x[3 * k] + 1e-4 * sq(x[3 * k]) + 1.7 * x[3 * k + 1] + 1e-4 * sq(x[3 * k + 1]) +
           2.2 * x[3 * k + 2] + 1.5e-4 * sq(x[3 * k + 2]);
    return f;
  }
  template <class T> void inequalities(const T* x, T* g) const {
    static constexpr double kUpper[3] = {13.0, 14.0, 13.0};
    int j = 0;
    for (int k = 1; k < 5; ++k)
      for (int i = 0; i < 3; ++i) {
        const T d = x[3 * k + i] - x[3 * (k - 1) + i] + 7.0;  // 0 ≤ d ≤ kUpper[i]
        g[j++] = -d;
        g[j++] = d - kUpper[i];
      }
    static constexpr double kDemand[5] = {60.0, 50.0, 70.0, 85.0, 100.0};
    for (int k = 0; k < 5; ++k) g[j++] = kDemand[k] - x[3 * k] - x[3 * k + 1] - x[3 * k + 2];
  }
};

// ---------------------------------------------------------------------------
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
    v.push_back(item<Hs013>("hs013", src + "13: minimizer (1,0) is not a KKT point, start outside the bounds; f* = 1", false, false));
    v.push_back(item<Hs044>("hs044", src + "44: indefinite quadratic, 6 linear inequalities, degenerate vertex; f* = -15"));
    v.push_back(item<Hs047>("hs047", src + "47: 3 nonlinear equalities, cubic term; f* = 0 at (1,...,1)"));
    v.push_back(item<Hs100>("hs100", src + "100: 4 nonlinear inequalities, x5^6 term; f* = 680.6300573"));
    v.push_back(item<Hs106>("hs106", src + "106: heat exchanger, badly scaled, 6 inequalities, bounds; f* = 7049.2480205"));
    v.push_back(item<Hs113>("hs113", src + "113 (Wong 2): quadratic, 8 inequalities; f* = 24.3062091"));
    v.push_back(item<Hs118>("hs118", src + "118: quadratic, 29 linear inequalities, bounds; f* = 664.82045"));
    for (auto& it : more_hs_items()) v.push_back(std::move(it));
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
