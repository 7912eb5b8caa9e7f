// Core: automatic derivatives, the augmented Lagrangian, the ALM driver's
// statuses and options, against independent computations (docs/alm.md).
#include <cmath>
#include <limits>
#include <random>

#include <doctest/doctest.h>

#include "almkit/core/alm.h"
#include "almkit/core/augmented_lagrangian.h"
#include "almkit/core/autodiff_problem.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"

using namespace almkit;

namespace {

// n = 13 > kStride, so several derivative strides are exercised.
struct Chain {
  int n = 13;
  int num_variables() const { return n; }
  int num_equalities() const { return 2; }
  int num_inequalities() const { return 3; }
  Vector initial_point() const { return Vector::LinSpaced(n, -1.0, 1.5); }
  Vector lower_bounds() const { Vector l = Vector::Constant(n, -5.0); l[3] = -std::numeric_limits<double>::infinity(); return l; }
  Vector upper_bounds() const { Vector u = Vector::Constant(n, std::numeric_limits<double>::infinity()); u[0] = 0.5; return u; }
  template <class T>
  T objective(const T* x) const {
    T f(0.0);
    for (int i = 0; i + 1 < n; ++i) f += (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + 0.1 * sin(x[i]);
    return f;
  }
  template <class T>
  void equalities(const T* x, T* c) const {
    c[0] = x[0] * x[5] + exp(x[12] * 0.3) - 1.0;
    c[1] = x[8] * x[8] * x[9] - x[2];
  }
  template <class T>
  void inequalities(const T* x, T* g) const {
    g[0] = x[1] * x[1] + x[4] * x[4] - 2.0;
    g[1] = x[10] - x[11] * x[7];
    g[2] = cos(x[6]) - x[3];
  }
};

Vector random_vector(int n, std::mt19937_64& rng, double scale = 1.0) {
  std::uniform_real_distribution<double> u(-scale, scale);
  Vector v(n);
  for (auto& e : v) e = u(rng);
  return v;
}

template <class F>
Vector central_difference(F&& f, const Vector& x, double h = 1e-6) {
  Vector g(x.size());
  for (int i = 0; i < x.size(); ++i) {
    Vector xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    g[i] = (f(xp) - f(xm)) / (2 * h);
  }
  return g;
}

struct Box1d {  // min (x-2)^2, x <= 1 (bound) -> x* = 1, nu = +2
  int num_variables() const { return 1; }
  Vector initial_point() const { return Vector::Constant(1, -3.0); }
  Vector upper_bounds() const { return Vector::Constant(1, 1.0); }
  template <class T> T objective(const T* x) const { return (x[0] - 2.0) * (x[0] - 2.0); }
};

struct Infeasible {  // x = 0 and x = 1: no feasible point; min ||c||^2 at x = 1/2
  int num_variables() const { return 1; }
  int num_equalities() const { return 2; }
  Vector initial_point() const { return Vector::Constant(1, 3.0); }
  template <class T> T objective(const T* x) const { return 0.0 * x[0]; }
  template <class T> void equalities(const T* x, T* c) const { c[0] = x[0]; c[1] = x[0] - 1.0; }
};

struct NanObjective {
  int num_variables() const { return 2; }
  Vector initial_point() const { return Vector::Constant(2, 1.0); }
  template <class T> T objective(const T* x) const { return x[0] * std::numeric_limits<double>::quiet_NaN(); }
};

struct Circle {  // min x + y s.t. x^2 + y^2 = 2 -> (-1,-1), lambda = 1/2, f* = -2
  int num_variables() const { return 2; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return Eigen::Vector2d(-0.5, -0.2); }
  std::optional<double> known_optimal_value() const { return -2.0; }
  template <class T> T objective(const T* x) const { return x[0] + x[1]; }
  template <class T> void equalities(const T* x, T* c) const { c[0] = x[0] * x[0] + x[1] * x[1] - 2.0; }
};

struct Square {
  int num_variables() const { return 1; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return Vector::Constant(1, 1.0); }
  template <class T> T objective(const T* x) const { return x[0]; }
  template <class T> void equalities(const T* x, T* c) const { c[0] = x[0] * x[0]; }
};

}  // namespace

TEST_CASE("autodiff: gradient, J^T y and dense Jacobians match central differences across strides") {
  auto p = make_autodiff_problem(Chain{});
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 3; ++trial) {
    const Vector x = random_vector(13, rng);
    Vector g(13);
    const double f = p.eval_grad_f(x, g);
    CHECK(f == doctest::Approx(p.eval_f(x)).epsilon(1e-14));
    const Vector g_fd = central_difference([&](const Vector& z) { return p.eval_f(z); }, x);
    CHECK((g - g_fd).lpNorm<Eigen::Infinity>() <= 1e-7 * std::max(1.0, g.lpNorm<Eigen::Infinity>()));

    const Vector yc = random_vector(2, rng), yg = random_vector(3, rng);
    Vector jc(13), jg(13);
    p.eval_jac_c_t_prod(x, yc, jc);
    p.eval_jac_g_t_prod(x, yg, jg);
    const Vector jc_fd = central_difference([&](const Vector& z) { Vector c(2); p.eval_c(z, c); return yc.dot(c); }, x);
    const Vector jg_fd = central_difference([&](const Vector& z) { Vector c(3); p.eval_g(z, c); return yg.dot(c); }, x);
    CHECK((jc - jc_fd).lpNorm<Eigen::Infinity>() <= 1e-7);
    CHECK((jg - jg_fd).lpNorm<Eigen::Infinity>() <= 1e-7);
    CHECK((p.eval_jac_c(x).transpose() * yc - jc).norm() <= 1e-12);
    CHECK((p.eval_jac_g(x).transpose() * yg - jg).norm() <= 1e-12);
  }
  CHECK(p.counters().gradient == 3);
}

TEST_CASE("augmented Lagrangian: gradient matches central differences with equalities, inequalities and bounds") {
  auto p = make_autodiff_problem(Chain{});
  AugmentedLagrangian L(p);
  CHECK(L.bounds().lower.size() == 12);  // x[3] has no lower bound
  CHECK(L.bounds().upper.size() == 1);
  std::mt19937_64 rng(11);
  const Vector lambda = random_vector(2, rng, 2.0);
  Vector mu = random_vector(L.num_extended_inequalities(), rng, 1.0).cwiseAbs();
  L.set_parameters(lambda, mu, 3.7);
  for (int trial = 0; trial < 3; ++trial) {
    const Vector x = random_vector(13, rng, 1.2);
    Vector g(13);
    const double v = L.value_gradient(x, g);
    CHECK(v == doctest::Approx(L.value(x)).epsilon(1e-13));
    const Vector g_fd = central_difference([&](const Vector& z) { return L.value(z); }, x);
    CHECK((g - g_fd).lpNorm<Eigen::Infinity>() <= 2e-6 * std::max(1.0, g.lpNorm<Eigen::Infinity>()));
  }
  // PHR value by hand at one point: f + λc + β/2 c² + (max(0, μ+βg)² − μ²)/(2β).
  const Vector x = Vector::Constant(13, 0.3);
  Vector c(2), gext(L.num_extended_inequalities());
  p.eval_c(x, c);
  L.extended_inequalities(x, gext);
  double hand = p.eval_f(x) + lambda.dot(c) + 0.5 * 3.7 * c.squaredNorm();
  for (int j = 0; j < gext.size(); ++j) hand += (std::pow(std::max(0.0, mu[j] + 3.7 * gext[j]), 2) - mu[j] * mu[j]) / (2 * 3.7);
  CHECK(L.value(x) == doctest::Approx(hand).epsilon(1e-14));
  CHECK_THROWS_AS(L.set_parameters(lambda, mu, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(L.set_parameters(Vector::Zero(1), mu, 1.0), std::invalid_argument);
}

TEST_CASE("augmented Lagrangian: the Hessian product matches central differences of the gradient") {
  // Chain has equalities, inequalities (some active) and bounds; the default
  // eval_lagrangian_hess_prod (a difference of gradients) is what autodiff
  // problems use, so this checks the assembly of H = ∇²ℓ + βJ_cᵀJ_c + βJ_Aᵀ J_A
  // against an independent difference of value_gradient.
  auto p = make_autodiff_problem(Chain{});
  AugmentedLagrangian L(p);
  std::mt19937_64 rng(5);
  Vector mu = random_vector(L.num_extended_inequalities(), rng, 1.0).cwiseAbs();
  L.set_parameters(random_vector(2, rng, 2.0), mu, 2.3);
  CHECK_FALSE(p.exact_hessian_products());
  for (int trial = 0; trial < 3; ++trial) {
    const Vector x = random_vector(13, rng, 1.2), v = random_vector(13, rng, 1.0);
    // No extended inequality at its kink μ_j + βg̃_j = 0 (the generalized Hessian jumps there).
    Vector gext(L.num_extended_inequalities());
    L.extended_inequalities(x, gext);
    REQUIRE(((L.mu() + L.beta() * gext).cwiseAbs().array() > 1e-3).all());
    L.set_hessian_point(x);
    Vector Hv(13);
    p.reset_counters();
    L.hess_prod(v, Hv);
    CHECK(p.counters().hessian_prod == 1);
    CHECK(p.counters().equality_jprod == 1);
    const double h = 1e-5;
    Vector gp(13), gm(13);
    L.value_gradient(x + h * v, gp);
    L.value_gradient(x - h * v, gm);
    const Vector fd = (gp - gm) / (2 * h);
    CHECK((Hv - fd).lpNorm<Eigen::Infinity>() <= 1e-5 * std::max(1.0, fd.lpNorm<Eigen::Infinity>()));
  }
  Vector out(13);
  AugmentedLagrangian fresh(p);
  CHECK_THROWS_AS(fresh.hess_prod(Vector::Ones(13), out), std::logic_error);
}

TEST_CASE("ALM: bound constraints handled as inequalities, bound multiplier sign") {
  auto p = make_autodiff_problem(Box1d{});
  CeresLbfgsSolver lbfgs;
  const AlmSummary s = solve_alm(p, lbfgs);
  CHECK(s.status == AlmStatus::kConverged);
  CHECK(s.x[0] == doctest::Approx(1.0).epsilon(1e-8));
  CHECK(s.nu[0] == doctest::Approx(2.0).epsilon(1e-6));  // ∇f + ν = 0 with ∇f = −2
  CHECK(s.kkt.stationarity <= 1e-8);
}

TEST_CASE("ALM: both policies solve a nonconvex equality problem — warm start from the solution") {
  auto p = make_autodiff_problem(Circle{});
  CeresLbfgsSolver lbfgs;
  for (AlmPolicy policy : {AlmPolicy::kSafeguarded, AlmPolicy::kReference}) {
    AlmOptions o;
    o.policy = policy;
    o.max_outer_iterations = 200;
    const AlmSummary s = solve_alm(p, lbfgs, o);
    CAPTURE(std::string(to_string(policy)));
    CHECK(s.status == AlmStatus::kConverged);
    CHECK(s.objective == doctest::Approx(-2.0).epsilon(1e-8));
    CHECK(s.lambda[0] == doctest::Approx(0.5).epsilon(1e-6));
  }
  AlmStart start{Vector::Constant(2, -1.0), Vector::Constant(1, 0.5), {}};
  const AlmSummary warm = solve_alm(p, lbfgs, {}, start);
  CHECK(warm.status == AlmStatus::kConverged);
  CHECK(warm.outer_iterations == 1);
}

TEST_CASE("ALM statuses: infeasible, non-finite, callback stop, time limit, degenerate limit") {
  CeresLbfgsSolver lbfgs;
  {
    auto p = make_autodiff_problem(Infeasible{});
    const AlmSummary s = solve_alm(p, lbfgs);
    CHECK(s.status == AlmStatus::kInfeasibleStationary);
    CHECK(s.x[0] == doctest::Approx(0.5).epsilon(1e-6));
  }
  {
    auto p = make_autodiff_problem(NanObjective{});
    const AlmSummary s = solve_alm(p, lbfgs);
    CHECK(s.status == AlmStatus::kNonFinite);
  }
  {
    auto p = make_autodiff_problem(Circle{});
    int calls = 0;
    const AlmSummary s = solve_alm(p, lbfgs, {}, {}, [&](const AlmIteration&, VectorCRef) { return ++calls < 2; });
    CHECK(s.status == AlmStatus::kStoppedByCallback);
    CHECK(s.outer_iterations == 2);
    AlmOptions o;
    o.time_limit_seconds = 1e-12;
    CHECK(solve_alm(p, lbfgs, o).status == AlmStatus::kTimeLimit);
    o = {};
    o.max_outer_iterations = 1;
    CHECK(solve_alm(p, lbfgs, o).status == AlmStatus::kIterationLimit);
  }
  {
    // min x s.t. x² = 0: x* = 0 is not a KKT point (docs/alm.md "Statuses").
    auto p = make_autodiff_problem(Square{});
    const AlmSummary s = solve_alm(p, lbfgs);
    CHECK_MESSAGE(s.status == AlmStatus::kMultipliersDiverging, to_string(s.status), ": ", s.message);
    CHECK(s.kkt.multiplier_norm > 1e3);
  }
}

TEST_CASE("ALM options: validation names the option") {
  auto invalid = [](auto mutate, const char* name) {
    AlmOptions o;
    mutate(o);
    try {
      o.validate();
      FAIL("expected std::invalid_argument for " << name);
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  };
  invalid([](AlmOptions& o) { o.safeguarded.tau = 1.5; }, "tau");
  invalid([](AlmOptions& o) { o.safeguarded.penalty_increase = 1.0; }, "penalty_increase");
  invalid([](AlmOptions& o) { o.tol_feasibility = -1; }, "tol_feasibility");
  invalid([](AlmOptions& o) { o.max_outer_iterations = -2; }, "max_outer_iterations");
  invalid([](AlmOptions& o) { o.safeguarded.inner_tolerance_factor = 0.0; }, "inner_tolerance_factor");
  invalid([](AlmOptions& o) { o.reference.eta1 = 1.0; }, "ref_eta1");
  invalid([](AlmOptions& o) { o.safeguarded.initial_penalty = std::nan(""); }, "initial_penalty");
  AlmOptions ok;
  CHECK_NOTHROW(ok.validate());
  int fields = 0;
  ok.visit([&](const char*, const auto&, const char*) { ++fields; });
  CHECK(fields >= 28);
  LbfgsOptions l;
  l.memory = 0;
  CHECK_THROWS_AS(l.validate(), std::invalid_argument);
}
