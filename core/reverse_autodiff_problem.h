// Reverse-mode derivatives by ADOL-C for the same templated problem structs
// that make_autodiff_problem takes (docs/problem.md "Reverse mode").
//
// make_autodiff_problem seeds n forward directions, so a gradient costs
// O(n · cost(f)); here each evaluation records the function on an ADOL-C tape
// at the current x and sweeps it backwards, so a gradient or a Jᵀy costs
// O(cost(f)) whatever n is, J v one forward sweep, and ∇²ℓ v one
// forward-over-reverse sweep (ADOL-C hess_vec) of the taped Lagrangian
// ℓ = σ f + y_cᵀc + y_gᵀg. The tape is recorded anew at every evaluation, so
// branches in the user's code (if/else on values) are always those of the
// current x.
//
// Needs ADOL-C (Debian libadolc-dev; link -ladolc, pkg-config adolc): this
// header is not part of the library build, and the tests and bench/bench_scale
// use it only when ALMKIT_HAVE_ADOLC is defined. Kinks (core/piecewise.h) are
// not tracked: use make_autodiff_problem for piecewise-smooth problems.
// ADOL-C keeps global state: one thread at a time evaluates any
// ReverseAutoDiffProblem.
#pragma once

#include <algorithm>
#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include <adolc/adolc.h>

#include "almkit/core/autodiff_problem.h"

namespace almkit {

namespace detail {
/// A process-wide ADOL-C tape number, distinct for every tape of every problem.
inline short next_adolc_tag() {
  static std::atomic<int> next{1};
  return static_cast<short>(next.fetch_add(1));
}
}  // namespace detail

template <class P>
class ReverseAutoDiffProblem final : public FunctorProblem<P> {
 public:
  using FunctorProblem<P>::num_variables;
  using FunctorProblem<P>::num_equalities;
  using FunctorProblem<P>::num_inequalities;

  explicit ReverseAutoDiffProblem(P functor, std::string name = {})
      : FunctorProblem<P>(std::move(functor), std::move(name)) {
    for (Tape* t : {&objective_, &equalities_, &inequalities_, &lagrangian_}) t->tag = detail::next_adolc_tag();
  }
  bool exact_hessian_products() const override { return true; }

 protected:
  using FunctorProblem<P>::functor_;

  double grad_f_impl(VectorCRef x, VectorRef grad) const override {
    const int n = num_variables();
    const double f = record(objective_, x, 1, [&](const adouble* ax, adouble* out) { out[0] = functor_.objective(ax); })[0];
    Vector g(n);
    const Vector xv = x;  // contiguous: Ref may carry an inner stride
    ::gradient(objective_.tag, n, xv.data(), g.data());
    grad = g;
    return f;
  }
  void jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override {
    if constexpr (detail::HasEqualities<P, adouble>)
      t_prod(equalities_, x, y, out, num_equalities(), [&](const adouble* ax, adouble* c) { functor_.equalities(ax, c); });
    else out.setZero();
  }
  void jac_g_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override {
    if constexpr (detail::HasInequalities<P, adouble>)
      t_prod(inequalities_, x, y, out, num_inequalities(), [&](const adouble* ax, adouble* g) { functor_.inequalities(ax, g); });
    else out.setZero();
  }
  void jac_c_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const override {
    if constexpr (detail::HasEqualities<P, adouble>)
      prod(equalities_, x, v, out, num_equalities(), [&](const adouble* ax, adouble* c) { functor_.equalities(ax, c); });
  }
  void jac_g_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const override {
    if constexpr (detail::HasInequalities<P, adouble>)
      prod(inequalities_, x, v, out, num_inequalities(), [&](const adouble* ax, adouble* g) { functor_.inequalities(ax, g); });
  }
  void lagrangian_hess_prod_impl(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g, VectorCRef v,
                                 VectorRef out) const override {
    const int me = num_equalities(), mi = num_inequalities();
    record(lagrangian_, x, 1, [&](const adouble* ax, adouble* l) {
      l[0] = sigma * functor_.objective(ax);
      std::vector<adouble> r(static_cast<size_t>(std::max(me, mi)));
      if constexpr (detail::HasEqualities<P, adouble>) {
        functor_.equalities(ax, r.data());
        for (int i = 0; i < me; ++i) l[0] += y_c[i] * r[static_cast<size_t>(i)];
      }
      if constexpr (detail::HasInequalities<P, adouble>) {
        functor_.inequalities(ax, r.data());
        for (int i = 0; i < mi; ++i) l[0] += y_g[i] * r[static_cast<size_t>(i)];
      }
    });
    const int n = num_variables();
    Vector xv = x, vv = v, w(n);
    ::hess_vec(lagrangian_.tag, n, xv.data(), vv.data(), w.data());
    out = w;
  }

 private:
  // One ADOL-C tape and the buffer sizes that keep it in memory.
  struct Tape {
    short tag = 0;
    uint buffer = 0;  // operations, locations, values and Taylors per buffer
  };

  // Records fn(ax, out) (m dependents) on tape t at x; returns the values.
  // Buffers start at 64 entries per variable and grow until ADOL-C writes no
  // tape file (it would otherwise spill ADOLC-*.tap files into the working folder).
  template <class F>
  std::vector<double> record(Tape& t, VectorCRef x, int m, F&& fn) const {
    const int n = num_variables();
    if (t.buffer == 0) t.buffer = static_cast<uint>(std::max<long>(1 << 16, 64L * n));
    std::vector<double> values(static_cast<size_t>(m));
    for (;;) {
      trace_on(t.tag, 1, t.buffer, t.buffer, t.buffer, t.buffer);
      std::vector<adouble> ax(static_cast<size_t>(n)), out(static_cast<size_t>(m));
      for (int i = 0; i < n; ++i) ax[static_cast<size_t>(i)] <<= x[i];
      fn(ax.data(), out.data());
      for (int i = 0; i < m; ++i) out[static_cast<size_t>(i)] >>= values[static_cast<size_t>(i)];
      trace_off();
      size_t stats[STAT_SIZE];
      tapestats(t.tag, stats);
      if (stats[OP_FILE_ACCESS] == 0 && stats[LOC_FILE_ACCESS] == 0 && stats[VAL_FILE_ACCESS] == 0) return values;
      t.buffer = static_cast<uint>(2 * std::max({stats[NUM_OPERATIONS], stats[NUM_LOCATIONS], stats[NUM_VALUES],
                                                 static_cast<size_t>(t.buffer)}));
    }
  }
  template <class F>
  void t_prod(Tape& t, VectorCRef x, VectorCRef y, VectorRef out, int m, F&& fn) const {
    record(t, x, m, fn);
    const int n = num_variables();
    Vector xv = x, yv = y, values(m), z(n);
    ::zos_forward(t.tag, m, n, 1, xv.data(), values.data());  // keep = 1: the reverse sweep needs this point
    ::fos_reverse(t.tag, m, n, yv.data(), z.data());
    out = z;
  }
  template <class F>
  void prod(Tape& t, VectorCRef x, VectorCRef v, VectorRef out, int m, F&& fn) const {
    record(t, x, m, fn);
    const int n = num_variables();
    Vector xv = x, vv = v, values(m), jv(m);
    ::fos_forward(t.tag, m, n, 0, xv.data(), vv.data(), values.data(), jv.data());
    out = jv;
  }

  mutable Tape objective_, equalities_, inequalities_, lagrangian_;
};

/// Wraps a problem struct (the members make_autodiff_problem takes) with
/// reverse-mode derivatives (docs/problem.md "Reverse mode").
template <class P>
ReverseAutoDiffProblem<P> make_reverse_autodiff_problem(P functor, std::string name = {}) {
  return ReverseAutoDiffProblem<P>(std::move(functor), std::move(name));
}

}  // namespace almkit
