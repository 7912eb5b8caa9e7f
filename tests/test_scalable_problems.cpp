// The scalable families (docs/problem.md "Scalable families"): derivatives
// against differences, each optimum against an independent computation, and
// the ALM reaching it at a small n.
#include <cmath>
#include <random>

#include <Eigen/Dense>
#include <doctest/doctest.h>

#include "almkit/core/alm.h"
#include "almkit/core/autodiff_problem.h"
#include "almkit/problems/scalable/scalable_problems.h"
#include "almkit/solvers/inner_solver_factory.h"

using namespace almkit;

namespace {

double max_abs(const Vector& v) { return v.lpNorm<Eigen::Infinity>(); }

// Central differences of f, c and the Lagrangian gradient at a random point.
void check_derivatives(const ElementProblem& p, unsigned seed) {
  const int n = p.num_variables(), me = p.num_equalities();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-0.8, 0.8);
  Vector x(n), v(n), y(me);
  for (int i = 0; i < n; ++i) x[i] = u(rng), v[i] = u(rng);
  for (int i = 0; i < me; ++i) y[i] = u(rng);
  const double h = 1e-6;
  Vector grad(n);
  p.eval_grad_f(x, grad);
  const double dfd = (p.eval_f(x + h * v) - p.eval_f(x - h * v)) / (2 * h);
  CHECK(grad.dot(v) == doctest::Approx(dfd).epsilon(1e-6));
  if (me > 0) {
    Vector jv(me), cp(me), cm(me);
    p.eval_jac_c_prod(x, v, jv);
    p.eval_c(x + h * v, cp);
    p.eval_c(x - h * v, cm);
    CHECK(max_abs(jv - (cp - cm) / (2 * h)) <= 1e-6 * std::max(1.0, max_abs(jv)));
  }
  // ∇ℓ(x ± hv) from the exact first derivatives, against the exact Hv.
  const auto grad_l = [&](const Vector& z) {
    Vector g(n), t(n);
    p.eval_grad_f(z, g);
    if (me > 0) {
      p.eval_jac_c_t_prod(z, y, t);
      g += t;
    }
    return g;
  };
  Vector hv(n);
  p.eval_lagrangian_hess_prod(x, 1.0, y, Vector(), v, hv);
  const Vector fd = (grad_l(x + h * v) - grad_l(x - h * v)) / (2 * h);
  CHECK(max_abs(hv - fd) <= 1e-5 * std::max(1.0, max_abs(fd)));
}

AlmSummary solve(const ConstrainedProblem& p, const std::string& inner_name) {
  auto inner = make_inner_solver(inner_name, p);
  AlmOptions options;
  return solve_alm(p, *inner, options);
}

}  // namespace

TEST_CASE("scalable families: registry, sizes and errors") {
  REQUIRE(scalable_problems().size() >= 4);
  for (const auto& f : scalable_problems()) {
    CAPTURE(f.name);
    CHECK(find_scalable_problem(f.name) == &f);
    const auto p = f.make(std::max(f.min_n, 10));
    CHECK(p->num_variables() == std::max(f.min_n, 10));
    CHECK_THROWS_AS(f.make(f.min_n - 1), std::invalid_argument);
    check_derivatives(*p, 7);
  }
  CHECK(find_scalable_problem("no_such_family") == nullptr);
  CHECK_THROWS_WITH_AS(make_lq_control(11), doctest::Contains("even"), std::invalid_argument);
}

TEST_CASE("lq_control: the Riccati optimum equals a direct solve of the KKT system") {
  // Independent: the equality-constrained QP's KKT matrix [Q Aᵀ; A 0], dense LU.
  const int n = 40;
  auto p = make_lq_control(n);
  const int m = p->num_equalities();
  const Vector zero = Vector::Zero(n);
  Matrix Q(n, n);
  for (int j = 0; j < n; ++j) {
    Vector e = Vector::Unit(n, j), q(n);
    p->eval_lagrangian_hess_prod(zero, 1.0, Vector::Zero(m), Vector(), e, q);
    Q.col(j) = q;
  }
  const Matrix A = p->eval_jac_c(zero);
  Vector c0(m);
  p->eval_c(zero, c0);
  Matrix K = Matrix::Zero(n + m, n + m);
  K.topLeftCorner(n, n) = Q;
  K.topRightCorner(n, m) = A.transpose();
  K.bottomLeftCorner(m, n) = A;
  Vector rhs = Vector::Zero(n + m);
  rhs.tail(m) = -c0;
  const Vector sol = K.fullPivLu().solve(rhs);
  CHECK(p->eval_f(sol.head(n)) == doctest::Approx(lq_control_optimum(n)).epsilon(1e-12));
}

TEST_CASE("bratu and obstacle: the manufactured solution is feasible and optimal") {
  const int n = 30;
  const double h = 1.0 / (n + 1);
  Vector u(n);
  for (int i = 1; i <= n; ++i) u[i - 1] = 0.5 * std::sin(3.14159265358979323846 * i * h);
  auto bratu = make_bratu(n);
  Vector c(n);
  bratu->eval_c(u, c);
  CHECK(max_abs(c) <= 1e-9);
  CHECK(bratu->eval_f(u) == doctest::Approx(*bratu->known_optimal_value()).epsilon(1e-14));

  auto obstacle = make_obstacle(n);
  const Vector psi = obstacle->lower_bounds();
  Vector w(n), grad(n);
  for (int i = 1; i <= n; ++i) {
    const double t = i * h;
    w[i - 1] = psi[i - 1] + (t < 0.3 ? (0.3 - t) * (0.3 - t) : t > 0.7 ? (t - 0.7) * (t - 0.7) : 0.0);
  }
  CHECK(obstacle->eval_f(w) == doctest::Approx(*obstacle->known_optimal_value()).epsilon(1e-12));
  obstacle->eval_grad_f(w, grad);
  // KKT of min f s.t. u ≥ ψ: ∇f ≥ 0 where u = ψ, ∇f = 0 elsewhere; some bounds active.
  int active = 0;
  for (int i = 0; i < n; ++i) {
    if (w[i] - psi[i] <= 1e-14) {
      ++active;
      CHECK(grad[i] >= -1e-12);
    } else {
      CHECK(std::abs(grad[i]) <= 1e-12);
    }
  }
  CHECK(active >= n / 3);
}

bool solved(const AlmSummary& s) {
  return s.status == AlmStatus::kConverged || s.status == AlmStatus::kConvergedAtNoiseLevel;
}

TEST_CASE("scalable families: the ALM reaches the known optimum at small n") {
  // newton: every family to tol; lbfgsb: the well-conditioned ones (on bratu,
  // whose Jacobian has entries 2/h², it stagnates: docs/benchmark.md "Scalable families").
  for (const std::string name : {"bratu", "lq_control", "obstacle"}) {
    CAPTURE(name);
    const auto p = find_scalable_problem(name)->make(40);
    const AlmSummary s = solve(*p, "newton");
    CHECK(s.status == AlmStatus::kConverged);
    CHECK(s.objective == doctest::Approx(*p->known_optimal_value()).epsilon(1e-6));
    if (name == "bratu") continue;
    const AlmSummary b = solve(*p, default_inner_solver_name());
    CHECK(solved(b));
    CHECK(b.objective == doctest::Approx(*p->known_optimal_value()).epsilon(1e-6));
  }
}


TEST_CASE("chain_rosenbrock: the element form reaches the dense autodiff form's solution") {
  const int n = 10;
  const auto p = make_chain_rosenbrock(n);
  auto d = make_autodiff_problem(ChainRosenbrockFunctor{n});
  const AlmSummary a = solve(*p, default_inner_solver_name());
  const AlmSummary b = solve(d, default_inner_solver_name());
  REQUIRE(solved(a));
  REQUIRE(solved(b));
  CHECK(a.objective == doctest::Approx(b.objective).epsilon(1e-7));
  CHECK(max_abs(a.x - b.x) <= 1e-4);
  // newton (exact element Hessians against the dense form's differenced ones)
  // reaches another strict local minimizer from this start, the constrained
  // counterpart of Rosenbrock's x1 ≈ −1 minimum (f = 5.88 against 1.97): both
  // forms must agree on it.
  const AlmSummary c = solve(*p, "newton");
  const AlmSummary e = solve(d, "newton");
  CHECK(c.status == AlmStatus::kConverged);
  CHECK(e.status == AlmStatus::kConverged);
  CHECK(c.objective == doctest::Approx(e.objective).epsilon(1e-7));
  CHECK(max_abs(c.x - e.x) <= 1e-4);
  CHECK(c.evaluations.hessian_prod > 0);
}

TEST_CASE("newton: the sparse LDL' preconditioner reaches the same optimum with far fewer Hessian products") {
  const auto p = make_lq_control(200);
  InnerSolverOptions with, without;
  without.newton.precondition = false;
  AlmSummary s[2];
  for (int k = 0; k < 2; ++k) {
    auto inner = make_inner_solver("newton", *p, k == 0 ? with : without);
    s[k] = solve_alm(*p, *inner, AlmOptions{});
    CHECK(s[k].status == AlmStatus::kConverged);
    CHECK(s[k].objective == doctest::Approx(*p->known_optimal_value()).epsilon(1e-6));
  }
  CHECK(s[0].evaluations.jacobian > 0);  // the preconditioner was built (one sparse Jacobian per Newton step)
  CHECK(s[1].evaluations.jacobian == 0);
  CHECK(10 * s[0].evaluations.hessian_prod < s[1].evaluations.hessian_prod);  // measured: 26 against 6807
}
