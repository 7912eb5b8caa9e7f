// Automatic derivatives for user problems written as templated functors
// (docs/problem.md "Define your own problem").
//
// A user problem is any struct P with
//
//     int num_variables() const;                      // run-time size n
//     Vector initial_point() const;                   // standard start
//     template <class T> T objective(const T* x) const;
//
// and optionally
//
//     std::string name() const;
//     int num_equalities() const;    template <class T> void equalities(const T* x, T* c) const;
//     int num_inequalities() const;  template <class T> void inequalities(const T* x, T* g) const;
//     Vector lower_bounds() const;   Vector upper_bounds() const;
//     std::optional<double> known_optimal_value() const;
//
// Derivatives use forward-mode ceres::Jet<double, kStride>: the n input
// directions are seeded kStride at a time, so n is a run-time quantity (Ceres'
// AutoDiffFirstOrderFunction needs n at compile time). One gradient or Jᵀy
// costs ceil(n / kStride) evaluations of the templated function.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <ceres/jet.h>
#include <fmt/core.h>

#include "almkit/core/piecewise.h"
#include "almkit/core/problem.h"

namespace almkit {

namespace detail {
template <class P, class T>
concept HasEqualities = requires(const P& p, const T* x, T* c) { p.equalities(x, c); };
template <class P, class T>
concept HasInequalities = requires(const P& p, const T* x, T* g) { p.inequalities(x, g); };
template <class P>
concept DeclaresEqualities = requires(const P& p) { p.num_equalities(); };
template <class P>
concept DeclaresInequalities = requires(const P& p) { p.num_inequalities(); };
}  // namespace detail

// A size function without its member template (a misspelled `inequality`,
// `equality`, a non-const or non-template member) would silently drop the
// constraints; a member template without its size function would too. Both
// are compile errors naming the member (docs/problem.md "Checks").
template <class P>
constexpr void check_problem_members() {
  static_assert(!detail::DeclaresEqualities<P> || detail::HasEqualities<P, double>,
                "almkit: the problem declares num_equalities() but has no member "
                "'template <class T> void equalities(const T* x, T* c) const' (misspelled?)");
  static_assert(!detail::DeclaresInequalities<P> || detail::HasInequalities<P, double>,
                "almkit: the problem declares num_inequalities() but has no member "
                "'template <class T> void inequalities(const T* x, T* g) const' (misspelled?)");
  static_assert(detail::DeclaresEqualities<P> || !detail::HasEqualities<P, double>,
                "almkit: the problem has equalities() but no 'int num_equalities() const'");
  static_assert(detail::DeclaresInequalities<P> || !detail::HasInequalities<P, double>,
                "almkit: the problem has inequalities() but no 'int num_inequalities() const'");
}

/// The part of a ConstrainedProblem that a problem struct describes itself:
/// sizes, bounds, start, name and the plain (double) evaluations of f, c and g,
/// with the checks of docs/problem.md "Checks". AutoDiffProblem (forward mode,
/// below) and ReverseAutoDiffProblem (core/reverse_autodiff_problem.h) add
/// the derivatives.
template <class P>
class FunctorProblem : public ConstrainedProblem {
 public:
  explicit FunctorProblem(P functor, std::string name = {}) : functor_(std::move(functor)), name_(std::move(name)) {
    check_problem_members<P>();
    if (name_.empty()) {
      if constexpr (requires { functor_.name(); }) name_ = functor_.name();
      else name_ = "unnamed";
    }
    // Sizes the compiler cannot check (docs/problem.md "Checks").
    const Eigen::Index n = functor_.num_variables();
    auto check_size = [&](const char* what, Eigen::Index size) {
      if (size != n)
        throw std::invalid_argument(fmt::format("problem '{}': {}() has {} entries, num_variables() is {}", name_,
                                                what, size, n));
    };
    check_size("initial_point", functor_.initial_point().size());
    if constexpr (requires { functor_.lower_bounds(); }) check_size("lower_bounds", functor_.lower_bounds().size());
    if constexpr (requires { functor_.upper_bounds(); }) check_size("upper_bounds", functor_.upper_bounds().size());
    if (num_equalities() < 0 || num_inequalities() < 0)
      throw std::invalid_argument(fmt::format("problem '{}': negative number of constraints", name_));
  }

  const P& functor() const { return functor_; }

  std::string name() const override { return name_; }
  int num_variables() const override { return functor_.num_variables(); }
  int num_equalities() const override {
    if constexpr (requires { functor_.num_equalities(); }) return functor_.num_equalities();
    else return 0;
  }
  int num_inequalities() const override {
    if constexpr (requires { functor_.num_inequalities(); }) return functor_.num_inequalities();
    else return 0;
  }
  Vector lower_bounds() const override {
    if constexpr (requires { functor_.lower_bounds(); }) return functor_.lower_bounds();
    else return ConstrainedProblem::lower_bounds();
  }
  Vector upper_bounds() const override {
    if constexpr (requires { functor_.upper_bounds(); }) return functor_.upper_bounds();
    else return ConstrainedProblem::upper_bounds();
  }
  Vector initial_point() const override { return functor_.initial_point(); }
  std::optional<double> known_optimal_value() const override {
    if constexpr (requires { functor_.known_optimal_value(); })
      return functor_.known_optimal_value();
    else return std::nullopt;
  }

 protected:
  double f_impl(VectorCRef x) const override {
    const Vector xc = x;  // contiguous copy: Ref may carry an inner stride
    return functor_.objective(xc.data());
  }
  void c_impl(VectorCRef x, VectorRef c) const override {
    if constexpr (detail::HasEqualities<P, double>)
      eval_plain(x, c, [this](const double* xd, double* cd) { functor_.equalities(xd, cd); });
  }
  void g_impl(VectorCRef x, VectorRef g) const override {
    if constexpr (detail::HasInequalities<P, double>)
      eval_plain(x, g, [this](const double* xd, double* gd) { functor_.inequalities(xd, gd); });
  }
  template <class Fn>
  static void eval_plain(VectorCRef x, VectorRef out, Fn&& fn) {
    const Vector xc = x;
    Vector oc(out.size());
    fn(xc.data(), oc.data());
    out = oc;
  }

  P functor_;
  std::string name_;
};

template <class P>
class AutoDiffProblem final : public FunctorProblem<P> {
 public:
  /// Directions per forward sweep; 8 doubles fill one AVX-512 register.
  static constexpr int kStride = 8;
  using Jet = ceres::Jet<double, kStride>;
  using FunctorProblem<P>::num_variables;
  using FunctorProblem<P>::num_equalities;
  using FunctorProblem<P>::num_inequalities;

  explicit AutoDiffProblem(P functor, std::string name = {}) : FunctorProblem<P>(std::move(functor), std::move(name)) {}

 protected:
  using FunctorProblem<P>::functor_;

  double grad_f_impl(VectorCRef x, VectorRef grad) const override {
    const int n = num_variables();
    std::vector<Jet> xj(static_cast<size_t>(n));
    double value = 0.0;
    for_each_stride(x, xj, [&](int first, int count) {
      const Jet f = functor_.objective(xj.data());
      value = f.a;
      grad.segment(first, count) = f.v.head(count);
    });
    return value;
  }

  void jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override {
    if constexpr (detail::HasEqualities<P, Jet>)
      jt_prod(x, y, out, num_equalities(), [this](const Jet* xj, Jet* cj) { functor_.equalities(xj, cj); });
    else out.setZero();
  }
  void jac_g_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override {
    if constexpr (detail::HasInequalities<P, Jet>)
      jt_prod(x, y, out, num_inequalities(), [this](const Jet* xj, Jet* gj) { functor_.inequalities(xj, gj); });
    else out.setZero();
  }
  Matrix jac_c_impl(VectorCRef x) const override {
    if constexpr (detail::HasEqualities<P, Jet>)
      return jacobian(x, num_equalities(), [this](const Jet* xj, Jet* cj) { functor_.equalities(xj, cj); });
    else return Matrix(0, num_variables());
  }
  Matrix jac_g_impl(VectorCRef x) const override {
    if constexpr (detail::HasInequalities<P, Jet>)
      return jacobian(x, num_inequalities(), [this](const Jet* xj, Jet* gj) { functor_.inequalities(xj, gj); });
    else return Matrix(0, num_variables());
  }

 public:
  // ---- piecewise-smooth hooks (core/piecewise.h, docs/verification.md) ----
  // Evaluate c or g inside a pw::KinkContext: relu calls are numbered in
  // execution order and recorded (active_kinks) or get the selected factor.
  // Both hooks evaluate with T = Jet: C++ leaves the order of operands (a +
  // b) unspecified, so only the same instantiation guarantees equal numbering.
  std::vector<Kink> active_kinks(VectorCRef x, double tol) const override {
    std::vector<Kink> kinks;
    std::vector<Jet> xj(static_cast<size_t>(x.size()));
    for (Eigen::Index i = 0; i < x.size(); ++i) xj[static_cast<size_t>(i)] = Jet(x[i]);
    if constexpr (detail::HasEqualities<P, Jet>) {
      pw::KinkContext ctx(ConstraintFamily::kEquality, tol, &kinks);
      std::vector<Jet> cj(static_cast<size_t>(num_equalities()));
      functor_.equalities(xj.data(), cj.data());
    }
    if constexpr (detail::HasInequalities<P, Jet>) {
      pw::KinkContext ctx(ConstraintFamily::kInequality, tol, &kinks);
      std::vector<Jet> gj(static_cast<size_t>(num_inequalities()));
      functor_.inequalities(xj.data(), gj.data());
    }
    return kinks;
  }
  Matrix jacobian_with_selection(VectorCRef x, ConstraintFamily family,
                                 const KinkSelection& selection) const override {
    pw::KinkContext ctx(family, selection);
    if (family == ConstraintFamily::kEquality) {
      if constexpr (detail::HasEqualities<P, Jet>)
        return jacobian(x, num_equalities(), [&](const Jet* xj, Jet* cj) { ctx.restart(); functor_.equalities(xj, cj); });
    } else {
      if constexpr (detail::HasInequalities<P, Jet>)
        return jacobian(x, num_inequalities(), [&](const Jet* xj, Jet* gj) { ctx.restart(); functor_.inequalities(xj, gj); });
    }
    return Matrix::Zero(family == ConstraintFamily::kEquality ? num_equalities() : num_inequalities(), num_variables());
  }

 private:
  // Seeds xj with x and unit directions for variables [first, first+count),
  // then calls body(first, count), for every stride of kStride variables.
  template <class Body>
  static void for_each_stride(VectorCRef x, std::vector<Jet>& xj, Body&& body) {
    const int n = static_cast<int>(x.size());
    for (int i = 0; i < n; ++i) xj[static_cast<size_t>(i)] = Jet(x[i]);
    if (n == 0) return;
    for (int first = 0; first < n; first += kStride) {
      const int count = std::min(kStride, n - first);
      for (int k = 0; k < count; ++k) xj[static_cast<size_t>(first + k)].v[k] = 1.0;
      body(first, count);
      for (int k = 0; k < count; ++k) xj[static_cast<size_t>(first + k)].v[k] = 0.0;
    }
  }

  template <class Fn>
  void jt_prod(VectorCRef x, VectorCRef y, VectorRef out, int m, Fn&& fn) const {
    std::vector<Jet> xj(static_cast<size_t>(x.size())), cj(static_cast<size_t>(m));
    out.setZero();
    for_each_stride(x, xj, [&](int first, int count) {
      fn(xj.data(), cj.data());
      for (int i = 0; i < m; ++i) out.segment(first, count) += y[i] * cj[static_cast<size_t>(i)].v.head(count);
    });
  }

  template <class Fn>
  Matrix jacobian(VectorCRef x, int m, Fn&& fn) const {
    Matrix J(m, x.size());
    std::vector<Jet> xj(static_cast<size_t>(x.size())), cj(static_cast<size_t>(m));
    for_each_stride(x, xj, [&](int first, int count) {
      fn(xj.data(), cj.data());
      for (int i = 0; i < m; ++i) J.row(i).segment(first, count) = cj[static_cast<size_t>(i)].v.head(count).transpose();
    });
    return J;
  }
};

/// Wraps a templated functor (see the top of this file) as a ConstrainedProblem.
template <class P>
AutoDiffProblem<P> make_autodiff_problem(P functor, std::string name = {}) {
  return AutoDiffProblem<P>(std::move(functor), std::move(name));
}

}  // namespace almkit
