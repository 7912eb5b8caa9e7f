// Element problems (docs/problem.md "Element problems"): every derivative
// against an independent computation, the dense forward-mode autodiff of the
// same functions (make_autodiff_problem) and central differences.
#include <cmath>
#include <random>

#include <doctest/doctest.h>

#include "almkit/core/alm.h"
#include "almkit/core/augmented_lagrangian.h"
#include "almkit/core/autodiff_problem.h"
#include "almkit/core/element_problem.h"
#include "almkit/core/hessian_jet.h"
#include "almkit/solvers/inner_solver_factory.h"

using namespace almkit;

namespace {

struct Rosenbrock {  // 100 (x1 − x0²)² + (1 − x0)²
  template <class T>
  T operator()(const T* x) const {
    const T a = x[1] - x[0] * x[0], b = 1.0 - x[0];
    return 100.0 * a * a + b * b;
  }
};
struct Square {
  template <class T>
  T operator()(const T* x) const { return x[0] * x[0]; }
};
// Every elementary function HessianJet provides, in one element.
struct Mixed {
  template <class T>
  T operator()(const T* x) const {
    using std::atan, std::exp, std::log, std::pow, std::sin, std::cos, std::sqrt, std::tanh;
    return exp(0.3 * x[0]) * sin(x[1]) + x[2] / (1.0 + x[0] * x[0]) + sqrt(1.0 + x[1] * x[1]) * tanh(x[2]) +
           atan(x[0] * x[2]) + pow(1.5 + x[1] * x[1], 0.7) + log(2.0 + x[2] * x[2]) - cos(x[0] - x[2]);
  }
};

constexpr int kN = 6;

ElementProblem make_element_problem() {
  ElementProblem p("mixed", kN);
  auto& rosenbrock = p.add_group<2>(Rosenbrock{});
  for (int i = 0; i + 1 < kN; ++i) rosenbrock.add_objective({i, i + 1});
  p.add_linear_objective(3, 0.5);
  const int sphere = p.add_equality(-3.0);
  auto& square = p.add_group<1>(Square{});
  for (int i = 0; i < kN; ++i) square.add_equality(sphere, {i});
  const int c1 = p.add_equality(-0.1);
  const int g0 = p.add_inequality(-1.0);
  auto& mixed = p.add_group<3>(Mixed{});
  mixed.add_equality(c1, {0, 2, 4});
  mixed.add_inequality(g0, {1, 3, 5});
  mixed.add_inequality(g0, {5, 0, 2});  // a second element in one row, sharing variables
  p.add_linear_equality(c1, 5, 2.0);
  p.add_linear_inequality(g0, 0, 1.0);
  return p;
}

// The same problem written for make_autodiff_problem (dense forward mode).
struct Dense {
  int num_variables() const { return kN; }
  int num_equalities() const { return 2; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return Vector::Zero(kN); }
  template <class T>
  T objective(const T* x) const {
    T f = 0.5 * x[3];
    for (int i = 0; i + 1 < kN; ++i) f += Rosenbrock{}(x + i);
    return f;
  }
  template <class T>
  void equalities(const T* x, T* c) const {
    c[0] = T(-3.0);
    for (int i = 0; i < kN; ++i) c[0] += x[i] * x[i];
    const T a[3] = {x[0], x[2], x[4]};
    c[1] = Mixed{}(a) + 2.0 * x[5] - 0.1;
  }
  template <class T>
  void inequalities(const T* x, T* g) const {
    const T a[3] = {x[1], x[3], x[5]}, b[3] = {x[5], x[0], x[2]};
    g[0] = Mixed{}(a) + Mixed{}(b) + x[0] - 1.0;
  }
};

Vector random_vector(int n, std::mt19937_64& rng, double scale) {
  std::uniform_real_distribution<double> u(-scale, scale);
  Vector v(n);
  for (int i = 0; i < n; ++i) v[i] = u(rng);
  return v;
}

double max_abs(const Vector& v) { return v.lpNorm<Eigen::Infinity>(); }

}  // namespace

TEST_CASE("HessianJet: value, gradient and Hessian of every elementary function against differences") {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 5; ++trial) {
    const Vector x = random_vector(3, rng, 1.0);
    HessianJet<3> xj[3];
    for (int k = 0; k < 3; ++k) xj[k] = HessianJet<3>::variable(x[k], k);
    const HessianJet<3> r = Mixed{}(xj);
    CHECK(r.a == doctest::Approx(Mixed{}(x.data())).epsilon(1e-14));
    // Gradient by central differences of the double function; Hessian by
    // central differences of the ceres::Jet gradient (an independent mode).
    const double h = 1e-6;
    for (int j = 0; j < 3; ++j) {
      Vector xp = x, xm = x;
      xp[j] += h;
      xm[j] -= h;
      CHECK(r.g[j] == doctest::Approx((Mixed{}(xp.data()) - Mixed{}(xm.data())) / (2 * h)).epsilon(1e-7));
      ceres::Jet<double, 3> jp[3], jm[3];
      for (int k = 0; k < 3; ++k) jp[k] = ceres::Jet<double, 3>(xp[k], k), jm[k] = ceres::Jet<double, 3>(xm[k], k);
      const auto gp = Mixed{}(jp), gm = Mixed{}(jm);
      for (int i = 0; i < 3; ++i) CHECK(r.H(i, j) == doctest::Approx((gp.v[i] - gm.v[i]) / (2 * h)).epsilon(1e-6));
    }
    CHECK((r.H - r.H.transpose()).cwiseAbs().maxCoeff() <= 1e-13);
  }
}

TEST_CASE("element problem: values and first derivatives equal the dense autodiff of the same functions") {
  const ElementProblem p = make_element_problem();
  auto d = make_autodiff_problem(Dense{});
  CHECK(p.num_elements() == 5 + 6 + 2 + 0 + 1);
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 4; ++trial) {
    const Vector x = random_vector(kN, rng, 1.5), v = random_vector(kN, rng, 1.0);
    const Vector yc = random_vector(2, rng, 2.0), yg = random_vector(1, rng, 2.0);
    CHECK(p.eval_f(x) == doctest::Approx(d.eval_f(x)).epsilon(1e-14));
    Vector g1(kN), g2(kN);
    p.eval_grad_f(x, g1);
    d.eval_grad_f(x, g2);
    CHECK(max_abs(g1 - g2) <= 1e-12 * std::max(1.0, max_abs(g2)));
    Vector c1(2), c2(2), i1(1), i2(1);
    p.eval_c(x, c1);
    d.eval_c(x, c2);
    p.eval_g(x, i1);
    d.eval_g(x, i2);
    CHECK(max_abs(c1 - c2) <= 1e-13);
    CHECK(max_abs(i1 - i2) <= 1e-13);
    p.eval_jac_c_t_prod(x, yc, g1);
    d.eval_jac_c_t_prod(x, yc, g2);
    CHECK(max_abs(g1 - g2) <= 1e-12);
    p.eval_jac_g_t_prod(x, yg, g1);
    d.eval_jac_g_t_prod(x, yg, g2);
    CHECK(max_abs(g1 - g2) <= 1e-12);
    p.eval_jac_c_prod(x, v, c1);
    d.eval_jac_c_prod(x, v, c2);
    CHECK(max_abs(c1 - c2) <= 1e-12);
    p.eval_jac_g_prod(x, v, i1);
    d.eval_jac_g_prod(x, v, i2);
    CHECK(max_abs(i1 - i2) <= 1e-12);
    CHECK((p.eval_jac_c(x) - d.eval_jac_c(x)).cwiseAbs().maxCoeff() <= 1e-12);
    CHECK((p.eval_jac_g(x) - d.eval_jac_g(x)).cwiseAbs().maxCoeff() <= 1e-12);
    CHECK((Matrix(p.eval_jac_c_sparse(x)) - d.eval_jac_c(x)).cwiseAbs().maxCoeff() <= 1e-12);
    CHECK((Matrix(p.jac_g_sparse(x)) - d.eval_jac_g(x)).cwiseAbs().maxCoeff() <= 1e-12);
  }
}

TEST_CASE("element problem: exact Hessian products of the Lagrangian against differences of the dense gradient") {
  const ElementProblem p = make_element_problem();
  auto d = make_autodiff_problem(Dense{});
  CHECK(p.exact_hessian_products());
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 4; ++trial) {
    const Vector x = random_vector(kN, rng, 1.5), v = random_vector(kN, rng, 1.0);
    const Vector yc = random_vector(2, rng, 2.0), yg = random_vector(1, rng, 2.0);
    const double sigma = trial == 0 ? 0.0 : 1.3;  // σ = 0: the constraints' curvature alone
    Vector hv(kN), fd(kN);
    p.eval_lagrangian_hess_prod(x, sigma, yc, yg, v, hv);
    d.eval_lagrangian_hess_prod(x, sigma, yc, yg, v, fd);  // the default: a central difference of ∇ℓ
    CHECK(max_abs(hv - fd) <= 1e-6 * std::max(1.0, max_abs(fd)));
    // The assembled matrix is symmetric and is what the product used.
    const Matrix H(p.lagrangian_hessian(x, sigma, yc, yg));
    CHECK((H - H.transpose()).cwiseAbs().maxCoeff() <= 1e-12);
    CHECK(max_abs(H * v - hv) <= 1e-12 * std::max(1.0, max_abs(hv)));
  }
  // The cache must not serve a stale Hessian after the point changes.
  const Vector x = Vector::Constant(kN, 0.2), v = Vector::Ones(kN), yc = Vector::Ones(2), yg = Vector::Ones(1);
  Vector a(kN), b(kN), fd(kN);
  p.eval_lagrangian_hess_prod(x, 1.0, yc, yg, v, a);
  p.eval_lagrangian_hess_prod(x + v, 1.0, yc, yg, v, b);
  d.eval_lagrangian_hess_prod(x + v, 1.0, yc, yg, v, fd);
  CHECK(max_abs(b - fd) <= 1e-6 * std::max(1.0, max_abs(fd)));
  CHECK(max_abs(a - b) > 1.0);
}

TEST_CASE("element problem: indices are checked when the element is added") {
  ElementProblem p("bad", 3);
  auto& square = p.add_group<1>(Square{});
  CHECK_THROWS_WITH_AS(square.add_objective({3}), doctest::Contains("variable index 3 is outside [0, 3)"), std::out_of_range);
  CHECK_THROWS_WITH_AS(square.add_equality(0, {1}), doctest::Contains("equality row 0 does not exist"), std::out_of_range);
  CHECK_THROWS_AS(p.add_linear_objective(-1, 1.0), std::out_of_range);
  CHECK_THROWS_AS(p.set_initial_point(Vector::Zero(2)), std::invalid_argument);
  CHECK_THROWS_AS(ElementProblem("empty", 0), std::invalid_argument);
}

TEST_CASE("element problem: the ALM reaches the same point as on the dense problem") {
  ElementProblem p = make_element_problem();
  auto d = make_autodiff_problem(Dense{});
  const Vector x0 = Vector::Constant(kN, 0.5);
  p.set_initial_point(x0);
  AlmStart start;
  start.x = x0;
  auto inner_a = make_inner_solver(default_inner_solver_name());
  auto inner_b = make_inner_solver(default_inner_solver_name());
  const AlmSummary a = solve_alm(p, *inner_a, {}, start);
  const AlmSummary b = solve_alm(d, *inner_b, {}, start);
  // lbfgsb may end at the rounding level of the gradient (converged_at_noise_level, docs/alm.md "Statuses").
  for (const AlmSummary* s : {&a, &b})
    REQUIRE((s->status == AlmStatus::kConverged || s->status == AlmStatus::kConvergedAtNoiseLevel));
  CHECK(a.objective == doctest::Approx(b.objective).epsilon(1e-6));
  CHECK(max_abs(a.x - b.x) <= 1e-4);
}

#ifdef ALMKIT_HAVE_ADOLC
#include "almkit/core/reverse_autodiff_problem.h"

TEST_CASE("reverse mode (ADOL-C): every derivative equals the forward-mode autodiff of the same struct") {
  auto r = make_reverse_autodiff_problem(Dense{}, "dense-reverse");
  auto d = make_autodiff_problem(Dense{});
  CHECK(r.exact_hessian_products());
  std::mt19937_64 rng(23);
  for (int trial = 0; trial < 4; ++trial) {
    const Vector x = random_vector(kN, rng, 1.5), v = random_vector(kN, rng, 1.0);
    const Vector yc = random_vector(2, rng, 2.0), yg = random_vector(1, rng, 2.0);
    CHECK(r.eval_f(x) == doctest::Approx(d.eval_f(x)).epsilon(1e-14));
    Vector g1(kN), g2(kN), c1(2), c2(2), i1(1), i2(1);
    CHECK(r.eval_grad_f(x, g1) == doctest::Approx(d.eval_f(x)).epsilon(1e-14));
    d.eval_grad_f(x, g2);
    CHECK(max_abs(g1 - g2) <= 1e-12 * std::max(1.0, max_abs(g2)));
    r.eval_jac_c_t_prod(x, yc, g1);
    d.eval_jac_c_t_prod(x, yc, g2);
    CHECK(max_abs(g1 - g2) <= 1e-12);
    r.eval_jac_g_t_prod(x, yg, g1);
    d.eval_jac_g_t_prod(x, yg, g2);
    CHECK(max_abs(g1 - g2) <= 1e-12);
    r.eval_jac_c_prod(x, v, c1);
    d.eval_jac_c_prod(x, v, c2);
    CHECK(max_abs(c1 - c2) <= 1e-12);
    r.eval_jac_g_prod(x, v, i1);
    d.eval_jac_g_prod(x, v, i2);
    CHECK(max_abs(i1 - i2) <= 1e-12);
    // ∇²ℓ v: exact here, against the element problem's exact product and the dense central difference.
    const ElementProblem e = make_element_problem();
    Vector h1(kN), h2(kN), h3(kN);
    r.eval_lagrangian_hess_prod(x, 1.3, yc, yg, v, h1);
    e.eval_lagrangian_hess_prod(x, 1.3, yc, yg, v, h2);
    d.eval_lagrangian_hess_prod(x, 1.3, yc, yg, v, h3);
    CHECK(max_abs(h1 - h2) <= 1e-10 * std::max(1.0, max_abs(h2)));
    CHECK(max_abs(h1 - h3) <= 1e-6 * std::max(1.0, max_abs(h3)));
  }
}
#endif

TEST_CASE("augmented Lagrangian: the sparse Hessian plus the left-out dense rows equals the Hessian product") {
  // sphere row (6 entries) left out with max_row_nonzeros 3; c1 (4 entries) too; g0 in when active.
  const ElementProblem p = make_element_problem();
  AugmentedLagrangian L(p);
  std::mt19937_64 rng(29);
  L.set_parameters(random_vector(2, rng, 1.0), Vector::Constant(1, 5.0), 3.0);  // μ = 5: g0 active
  const Vector x = random_vector(kN, rng, 1.0), v = random_vector(kN, rng, 1.0);
  L.set_hessian_point(x);
  Vector hv(kN);
  L.hess_prod(v, hv);
  Eigen::SparseMatrix<double> H;
  REQUIRE(L.sparse_hessian(H, kN));  // every row short enough: H is the whole generalized Hessian
  CHECK(max_abs(H * v - hv) <= 1e-10 * std::max(1.0, max_abs(hv)));
  REQUIRE(L.sparse_hessian(H, 3));   // rows with more than 3 entries left out: add β (J_r v) J_r back
  const Matrix Jc = p.eval_jac_c(x), Jg = p.eval_jac_g(x);
  Vector rest = H * v;
  for (int r = 0; r < 2; ++r) rest += 3.0 * Jc.row(r).dot(v) * Jc.row(r).transpose();
  rest += 3.0 * Jg.row(0).dot(v) * Jg.row(0).transpose();
  CHECK(max_abs(rest - hv) <= 1e-10 * std::max(1.0, max_abs(hv)));
  // A problem without sparse structure says so.
  auto d = make_autodiff_problem(Dense{});
  AugmentedLagrangian Ld(d);
  Ld.set_hessian_point(x);
  CHECK_FALSE(Ld.sparse_hessian(H, kN));
}
