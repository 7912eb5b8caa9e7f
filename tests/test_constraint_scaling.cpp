// Constraint scaling (core/scaled_problem.h, docs/alm.md §7): the scaled view
// against finite differences of the user's functions, the scales of a badly
// scaled problem, and solve_alm end to end with and without it.
#include <cmath>
#include <limits>
#include <stdexcept>

#include <doctest/doctest.h>

#include "almkit/core/alm.h"
#include "almkit/core/autodiff_problem.h"
#include "almkit/core/scaled_problem.h"
#include "almkit/problems/registry.h"
#include "almkit/solvers/inner_solver_factory.h"
#include "almkit/solvers/lbfgsb/lbfgsb_solver.h"

using namespace almkit;

namespace {

// Rows on scales 1e-3 and 1e3: min x0² + x1² s.t. 1e-3 (x0 + x1 − 1) = 0, 1e3 (x0 − 0.75) ≤ 0.
struct TwoScales {
  int num_variables() const { return 2; }
  int num_equalities() const { return 1; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return Vector::Constant(2, 2.0); }
  template <class T> T objective(const T* x) const { return x[0] * x[0] + x[1] * x[1]; }
  template <class T> void equalities(const T* x, T* c) const { c[0] = 1e-3 * (x[0] + x[1] - 1.0); }
  template <class T> void inequalities(const T* x, T* g) const { g[0] = 1e3 * (x[0] - 0.75); }
};

}  // namespace

TEST_CASE("scaled problem: rows, Jacobian products and Jacobians are the scaled ones (finite differences)") {
  auto base = make_autodiff_problem(TwoScales{}, "two-scales");
  const Vector x0 = base.initial_point();
  const ConstraintScales s = gradient_constraint_scales(base, x0, 1e-8, 1e4);
  // ‖∇c(x0)‖∞ = 1e-3, ‖∇g(x0)‖∞ = 1e3: scales 1e3 and 1e-3, spread 1e6.
  CHECK(s.equalities[0] == doctest::Approx(1e3));
  CHECK(s.inequalities[0] == doctest::Approx(1e-3));
  CHECK(s.spread == doctest::Approx(1e6));
  CHECK(s.tolerance_factor() == doctest::Approx(1e-3));
  CHECK(s.min_scale() == doctest::Approx(1e-3));
  CHECK(s.max_scale() == doctest::Approx(1e3));
  CHECK(ConstraintScales{}.min_scale() == 1.0);
  CHECK(ConstraintScales{}.max_scale() == 1.0);
  const ConstraintScales large{Vector::Constant(2, 1e2), Vector(0), 1.0};
  CHECK(large.tolerance_factor() == 1.0);  // scales above 1 do not loosen the tolerance
  CHECK(large.max_scale() == 1e2);
  const ScaledProblem p(base, s);
  const Vector x = (Vector(2) << 0.3, -1.7).finished();
  Vector c(1), g(1), cb(1), gb(1);
  p.eval_c(x, c);
  p.eval_g(x, g);
  base.eval_c(x, cb);
  base.eval_g(x, gb);
  CHECK(c[0] == doctest::Approx(1e3 * cb[0]));
  CHECK(g[0] == doctest::Approx(1e-3 * gb[0]));
  // Jᵀy of the scaled rows against central differences of yᵀ r̃(x).
  const double y = 0.7, h = 1e-6;
  Vector jc(2), jg(2);
  p.eval_jac_c_t_prod(x, Vector::Constant(1, y), jc);
  p.eval_jac_g_t_prod(x, Vector::Constant(1, y), jg);
  for (int i = 0; i < 2; ++i) {
    Vector xp = x, xm = x;
    xp[i] += h, xm[i] -= h;
    Vector cp(1), cm(1), gp(1), gm(1);
    p.eval_c(xp, cp), p.eval_c(xm, cm), p.eval_g(xp, gp), p.eval_g(xm, gm);
    CHECK(jc[i] == doctest::Approx(y * (cp[0] - cm[0]) / (2 * h)).epsilon(1e-7));
    CHECK(jg[i] == doctest::Approx(y * (gp[0] - gm[0]) / (2 * h)).epsilon(1e-7));
  }
  CHECK((p.eval_jac_c(x) - 1e3 * base.eval_jac_c(x)).norm() <= 1e-12);
  CHECK((p.eval_jac_g(x) - 1e-3 * base.eval_jac_g(x)).norm() <= 1e-12);
  // J v and ∇²ℓ v are forwarded with the scales (the base's own products survive the scaling).
  const Vector v = (Vector(2) << 0.4, -1.1).finished();
  Vector jv(1), jvb(1), hv(2);
  p.eval_jac_c_prod(x, v, jv);
  base.eval_jac_c_prod(x, v, jvb);
  CHECK(jv[0] == doctest::Approx(1e3 * jvb[0]));
  p.eval_jac_g_prod(x, v, jv);
  base.eval_jac_g_prod(x, v, jvb);
  CHECK(jv[0] == doctest::Approx(1e-3 * jvb[0]));
  p.eval_lagrangian_hess_prod(x, 1.5, Vector::Constant(1, y), Vector::Constant(1, y), v, hv);
  CHECK((hv - 3.0 * v).norm() <= 1e-6);  // linear rows: ∇²ℓ = 2σ I
  CHECK(p.exact_hessian_products() == base.exact_hessian_products());
  // Every evaluation reaches the user's problem through its counters.
  base.reset_counters();
  p.eval_grad_f(x, jc);
  p.eval_c(x, c);
  CHECK(base.counters().gradient == 1);
  CHECK(base.counters().equalities == 1);
}

TEST_CASE("solve_alm with constraint scaling: the KKT point and multipliers of the user's problem") {
  // x* = (0.5, 0.5) with the inequality inactive; ∇f + λ∇c = 0 gives λ = −1000 for the
  // unscaled row 1e-3 (x0 + x1 − 1).
  auto p = make_autodiff_problem(TwoScales{}, "two-scales");
  auto inner = make_inner_solver(default_inner_solver_name(), p);
  const AlmSummary on = solve_alm(p, *inner);
  AlmOptions off_options;
  off_options.constraint_scaling = false;
  const AlmSummary off = solve_alm(p, *inner, off_options);
  INFO(on.BriefReport(), " — ", on.message, " | ", off.BriefReport());
  CHECK(on.message.find("constraints scaled") != std::string::npos);
  CHECK(off.message.find("constraints scaled") == std::string::npos);
  for (const AlmSummary* s : {&on, &off}) {
    CHECK((s->status == AlmStatus::kConverged || s->status == AlmStatus::kConvergedAtNoiseLevel));
    CHECK(infeasibility(p, s->x) <= 1e-8);
    CHECK(s->kkt.infeasibility <= 1e-8);
  }
  // Scaled, the row x0 + x1 − 1 is held to 1e-8 · 1e-3 on its 1e3-scaled form:
  // x* to 1e-8 and the multiplier of the user's row.
  CHECK(on.x[0] == doctest::Approx(0.5).epsilon(1e-8));
  CHECK(on.x[1] == doctest::Approx(0.5).epsilon(1e-8));
  CHECK(on.lambda[0] == doctest::Approx(-1000.0).epsilon(1e-5));
  // Unscaled, tol_feasibility 1e-8 on 1e-3 (x0 + x1 − 1) lets x0 + x1 miss 1 by 1e-5.
  CHECK(std::abs(off.x[0] + off.x[1] - 1.0) > 1e-6);
  AlmOptions bad;
  bad.constraint_scaling_spread = 0.5;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("constraint_scaling_spread"), std::invalid_argument);
  bad = {};
  bad.constraint_scaling_max = 1e-9;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("constraint_scaling_max"), std::invalid_argument);
}

TEST_CASE("constraint scaling solves the badly scaled hs106 to the benchmark criterion") {
  if (!lbfgsb_available()) return;  // measured with L-BFGS-B (docs/benchmark.md)
  auto p = find_problem("hs106")->make();
  auto inner = make_inner_solver("lbfgsb", *p);
  const AlmSummary on = solve_alm(*p, *inner);
  AlmOptions off_options;
  off_options.constraint_scaling = false;
  const AlmSummary off = solve_alm(*p, *inner, off_options);
  INFO(on.BriefReport(), " — ", on.message, " | ", off.BriefReport());
  const double f_star = 7049.2480205;
  CHECK(std::abs(on.objective - f_star) <= 1e-6 * f_star);
  CHECK(infeasibility(*p, on.x) <= 1e-6);
  CHECK(std::abs(off.objective - f_star) > 1e-6 * f_star);  // without it: the corner f = 2100
}
