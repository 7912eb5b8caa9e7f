// Second-order forward-mode numbers for element functions over K variables
// (docs/problem.md "Element problems"): a HessianJet<K> carries a value a,
// its gradient g ∈ R^K and its Hessian H ∈ R^{K×K} with respect to the K
// element variables. Ceres' Jet nests badly (Jet<Jet<double>> does not mix
// with double literals), so element Hessians use this type instead.
//
// Chain rules (φ a scalar function, u, w HessianJets):
//   φ(u):   a = φ(a_u),  g = φ'(a_u) g_u,  H = φ'(a_u) H_u + φ''(a_u) g_u g_uᵀ
//   u · w:  a = a_u a_w, g = a_w g_u + a_u g_w,
//           H = a_w H_u + a_u H_w + g_u g_wᵀ + g_w g_uᵀ
//   u / w = u · (1/w)
// An element with K variables costs O(K²) per operation; elements are small.
#pragma once

#include <cmath>

#include <Eigen/Core>

namespace almkit {

template <int K>
struct HessianJet {
  using Gradient = Eigen::Matrix<double, K, 1>;
  using Hessian = Eigen::Matrix<double, K, K>;
  double a = 0.0;
  Gradient g = Gradient::Zero();
  Hessian H = Hessian::Zero();

  HessianJet() = default;
  HessianJet(double value) : a(value) {}  // NOLINT: constants mix with jets as in ceres::Jet
  /// The k-th independent variable with value x.
  static HessianJet variable(double x, int k) {
    HessianJet j(x);
    j.g[k] = 1.0;
    return j;
  }

  HessianJet& operator+=(const HessianJet& w) { return *this = *this + w; }
  HessianJet& operator-=(const HessianJet& w) { return *this = *this - w; }
  HessianJet& operator*=(const HessianJet& w) { return *this = *this * w; }
  HessianJet& operator/=(const HessianJet& w) { return *this = *this / w; }

  /// φ(u) from φ(a), φ'(a), φ''(a).
  static HessianJet chain(const HessianJet& u, double f0, double f1, double f2) {
    HessianJet r(f0);
    r.g = f1 * u.g;
    r.H = f1 * u.H + f2 * u.g * u.g.transpose();
    return r;
  }

  friend HessianJet operator+(const HessianJet& u, const HessianJet& w) {
    HessianJet r(u.a + w.a);
    r.g = u.g + w.g;
    r.H = u.H + w.H;
    return r;
  }
  friend HessianJet operator-(const HessianJet& u, const HessianJet& w) {
    HessianJet r(u.a - w.a);
    r.g = u.g - w.g;
    r.H = u.H - w.H;
    return r;
  }
  friend HessianJet operator-(const HessianJet& u) {
    HessianJet r(-u.a);
    r.g = -u.g;
    r.H = -u.H;
    return r;
  }
  friend HessianJet operator+(const HessianJet& u) { return u; }
  friend HessianJet operator*(const HessianJet& u, const HessianJet& w) {
    HessianJet r(u.a * w.a);
    r.g = w.a * u.g + u.a * w.g;
    r.H = w.a * u.H + u.a * w.H + u.g * w.g.transpose() + w.g * u.g.transpose();
    return r;
  }
  friend HessianJet operator/(const HessianJet& u, const HessianJet& w) {
    const double inv = 1.0 / w.a;
    return u * chain(w, inv, -inv * inv, 2.0 * inv * inv * inv);
  }

  // Comparisons look at the value, as ceres::Jet's do (branches in elements).
  friend bool operator<(const HessianJet& u, const HessianJet& w) { return u.a < w.a; }
  friend bool operator>(const HessianJet& u, const HessianJet& w) { return u.a > w.a; }
  friend bool operator<=(const HessianJet& u, const HessianJet& w) { return u.a <= w.a; }
  friend bool operator>=(const HessianJet& u, const HessianJet& w) { return u.a >= w.a; }
  friend bool operator==(const HessianJet& u, const HessianJet& w) { return u.a == w.a; }
  friend bool operator!=(const HessianJet& u, const HessianJet& w) { return u.a != w.a; }
};

// Elementary functions, found by argument-dependent lookup from element code
// that writes `using std::exp; exp(x)` (the ceres::Jet convention).
template <int K>
HessianJet<K> exp(const HessianJet<K>& u) {
  const double e = std::exp(u.a);
  return HessianJet<K>::chain(u, e, e, e);
}
template <int K>
HessianJet<K> log(const HessianJet<K>& u) {
  return HessianJet<K>::chain(u, std::log(u.a), 1.0 / u.a, -1.0 / (u.a * u.a));
}
template <int K>
HessianJet<K> sqrt(const HessianJet<K>& u) {
  const double s = std::sqrt(u.a);
  return HessianJet<K>::chain(u, s, 0.5 / s, -0.25 / (s * u.a));
}
template <int K>
HessianJet<K> sin(const HessianJet<K>& u) {
  const double s = std::sin(u.a), c = std::cos(u.a);
  return HessianJet<K>::chain(u, s, c, -s);
}
template <int K>
HessianJet<K> cos(const HessianJet<K>& u) {
  const double s = std::sin(u.a), c = std::cos(u.a);
  return HessianJet<K>::chain(u, c, -s, -c);
}
template <int K>
HessianJet<K> tanh(const HessianJet<K>& u) {
  const double t = std::tanh(u.a), d = 1.0 - t * t;
  return HessianJet<K>::chain(u, t, d, -2.0 * t * d);
}
template <int K>
HessianJet<K> atan(const HessianJet<K>& u) {
  const double q = 1.0 / (1.0 + u.a * u.a);
  return HessianJet<K>::chain(u, std::atan(u.a), q, -2.0 * u.a * q * q);
}
/// u^p for a constant exponent p.
template <int K>
HessianJet<K> pow(const HessianJet<K>& u, double p) {
  const double f0 = std::pow(u.a, p);
  return HessianJet<K>::chain(u, f0, p * std::pow(u.a, p - 1.0), p * (p - 1.0) * std::pow(u.a, p - 2.0));
}
template <int K>
HessianJet<K> abs(const HessianJet<K>& u) {
  return u.a < 0.0 ? -u : u;
}

}  // namespace almkit
