// The projected Newton–CG inner solver (solvers/newton/, docs/inner_solvers.md
// "newton"): a bound-constrained quadratic with a known solution, chained
// Rosenbrock, non-finite values, the time limit, the options, the factory,
// and the ALM end to end on HS problems with published optima.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "almkit/core/alm.h"
#include "almkit/core/augmented_lagrangian.h"
#include "almkit/core/autodiff_problem.h"
#include "almkit/problems/registry.h"
#include "almkit/problems/verification/hs_problems.h"
#include "almkit/solvers/inner_solver_factory.h"
#include "almkit/solvers/newton/newton_cg_solver.h"

using namespace almkit;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// min ½ xᵀQx − bᵀx over −1 ≤ x ≤ 1, Q = tridiag(−1, 4, −1) (strictly convex),
// with b = Q x* − z chosen so that x* below is the KKT point: ∇f(x*) = z, z_i = 0
// where x*_i is inside, z_i > 0 on a lower bound, z_i < 0 on an upper bound.
struct BoxQuadratic {
  static constexpr int kN = 8;
  static Vector solution() { return (Vector(kN) << 0.5, -1.0, 0.3, 1.0, -0.2, 1.0, 0.0, -1.0).finished(); }
  static Vector gradient_at_solution() { return (Vector(kN) << 0, 2.0, 0, -3.0, 0, -0.5, 0, 1.5).finished(); }
  static Matrix q() {
    Matrix Q = Matrix::Zero(kN, kN);
    for (int i = 0; i < kN; ++i) {
      Q(i, i) = 4.0;
      if (i + 1 < kN) Q(i, i + 1) = Q(i + 1, i) = -1.0;
    }
    return Q;
  }
  Vector b = q() * solution() - gradient_at_solution();
  int num_variables() const { return kN; }
  Vector initial_point() const { return Vector::Zero(kN); }
  Vector lower_bounds() const { return Vector::Constant(kN, -1.0); }
  Vector upper_bounds() const { return Vector::Constant(kN, 1.0); }
  template <class T> T objective(const T* x) const {
    T f = T(0.0);
    for (int i = 0; i < kN; ++i) {
      f += 2.0 * x[i] * x[i] - b[i] * x[i];
      if (i + 1 < kN) f -= x[i] * x[i + 1];
    }
    return f;
  }
};

// Chained Rosenbrock, n = 10: Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)², minimizer x = 1,
// standard start (−1.2, 1, −1.2, 1, …).
struct ChainedRosenbrock {
  static constexpr int kN = 10;
  int num_variables() const { return kN; }
  Vector initial_point() const {
    Vector x(kN);
    for (int i = 0; i < kN; ++i) x[i] = i % 2 == 0 ? -1.2 : 1.0;
    return x;
  }
  template <class T> T objective(const T* x) const {
    T f = T(0.0);
    for (int i = 0; i + 1 < kN; ++i) f += 100.0 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (1.0 - x[i]) * (1.0 - x[i]);
    return f;
  }
};

// NaN for x > 1 and f decreasing towards x = 1 where f' = −∞: the line search meets NaN.
struct NanBeyondOne {
  int num_variables() const { return 1; }
  Vector initial_point() const { return Vector::Constant(1, 0.0); }
  template <class T> T objective(const T* x) const {
    using std::sqrt;
    return -10.0 * x[0] + sqrt(1.0 - x[0]);
  }
};

// One subproblem of a bound-only (or unconstrained) problem: L_β = f.
InnerResult minimize_once(const ConstrainedProblem& p, NewtonCgSolver& solver, Vector& x, double tolerance) {
  AugmentedLagrangian L(p, /*penalize_bounds=*/false);
  L.set_parameters(Vector(0), Vector(0), 1.0);
  x = p.initial_point();
  return solver.minimize(L, x, tolerance);
}

}  // namespace

TEST_CASE("newton: a bound-constrained convex quadratic is solved in a few Newton steps") {
  auto p = make_autodiff_problem(BoxQuadratic{}, "box-quadratic");
  NewtonCgSolver solver;
  Vector x;
  const InnerResult r = minimize_once(p, solver, x, 1e-12);
  MESSAGE("box quadratic: ", r.iterations, " Newton iterations, ", r.evaluations, " evaluations, ", r.message);
  CHECK(r.status == InnerStatus::kConverged);
  CHECK(r.final_measure <= 1e-12);
  CHECK((x - BoxQuadratic::solution()).lpNorm<Eigen::Infinity>() <= 1e-8);
  CHECK(r.iterations <= 5);
  // The bounds hold exactly (projection, no penalty).
  CHECK(x.minCoeff() >= -1.0);
  CHECK(x.maxCoeff() <= 1.0);
}

TEST_CASE("newton: the ALM on a bound-only problem is one subproblem; nu from the projected gradient") {
  auto p = make_autodiff_problem(BoxQuadratic{}, "box-quadratic");
  NewtonCgSolver inner;
  const AlmSummary s = solve_alm(p, inner);
  CHECK(s.status == AlmStatus::kConverged);
  CHECK(s.outer_iterations == 1);
  CHECK((s.x - BoxQuadratic::solution()).lpNorm<Eigen::Infinity>() <= 1e-8);
  CHECK((s.nu + BoxQuadratic::gradient_at_solution()).lpNorm<Eigen::Infinity>() <= 1e-6);  // ∇f + ν = 0
}

TEST_CASE("newton: chained Rosenbrock (n = 10) from the standard start converges to x = 1") {
  auto p = make_autodiff_problem(ChainedRosenbrock{}, "rosenbrock10");
  NewtonCgSolver solver;
  Vector x;
  const InnerResult r = minimize_once(p, solver, x, 1e-10);
  MESSAGE("rosenbrock10: ", r.iterations, " Newton iterations, ", r.evaluations, " evaluations, ", r.message);
  CHECK(r.status == InnerStatus::kConverged);
  CHECK((x - Vector::Ones(10)).lpNorm<Eigen::Infinity>() <= 1e-8);
  CHECK(r.final_value <= 1e-16);
  // 76 measured; with cg_forcing ≤ 0.2 the run reaches the other local
  // minimizer (f = 3.98658, x₁ ≈ −0.99) instead, in about 30 iterations.
  CHECK(r.iterations <= 100);
}

TEST_CASE("newton: non-finite values keep x finite; the time limit stops at once") {
  auto p = make_autodiff_problem(NanBeyondOne{}, "nan");
  NewtonCgSolver solver;
  Vector x;
  const InnerResult r = minimize_once(p, solver, x, 1e-10);
  INFO(to_string(r.status), ": ", r.message);
  CHECK(r.status != InnerStatus::kConverged);  // no minimizer: f' → −∞ at x = 1
  CHECK(x.allFinite());
  CHECK(x[0] < 1.0);
  CHECK(std::isfinite(r.final_value));

  AugmentedLagrangian L(p, false);
  L.set_parameters(Vector(0), Vector(0), 1.0);
  Vector start = Vector::Constant(1, 2.0);  // NaN at the warm start
  const InnerResult bad = solver.minimize(L, start, 1e-8);
  CHECK(bad.status == InnerStatus::kNonFinite);
  CHECK(start[0] == 2.0);

  auto q = make_autodiff_problem(ChainedRosenbrock{}, "rosenbrock10");
  solver.set_time_limit(0.0);
  const InnerResult timed = minimize_once(q, solver, x, 1e-10);
  CHECK(timed.status == InnerStatus::kIterationLimit);
  CHECK(timed.iterations == 0);
  CHECK(timed.message.find("time limit") != std::string::npos);
}

TEST_CASE("newton: options are validated by name; the factory passes them on") {
  auto invalid = [](auto&& change) {
    NewtonCgOptions o;
    change(o);
    return o;
  };
  CHECK_THROWS_WITH_AS(NewtonCgSolver{invalid([](auto& o) { o.max_iterations = 0; })},
                       doctest::Contains("max_iterations"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(invalid([](auto& o) { o.max_cg_iterations = 0; }).validate(),
                       doctest::Contains("max_cg_iterations"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(invalid([](auto& o) { o.cg_forcing = 1.0; }).validate(), doctest::Contains("cg_forcing"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(invalid([](auto& o) { o.armijo = 0.0; }).validate(), doctest::Contains("armijo"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(invalid([](auto& o) { o.backtrack = 1.5; }).validate(), doctest::Contains("backtrack"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(invalid([](auto& o) { o.active_tolerance = -1.0; }).validate(),
                       doctest::Contains("active_tolerance"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(invalid([](auto& o) { o.max_seconds = 0.0; }).validate(), doctest::Contains("max_seconds"),
                       std::invalid_argument);
  InnerSolverOptions io;
  io.newton.max_backtracks = 0;
  CHECK_THROWS_WITH_AS(make_inner_solver("newton", io), doctest::Contains("max_backtracks"), std::invalid_argument);
  io.newton.max_backtracks = 7;
  const auto hs = find_problem("hs071")->make();
  auto solver = make_inner_solver("newton", *hs, io);
  CHECK(solver->name() == "newton");
  CHECK(solver->handles_bounds());
  REQUIRE(dynamic_cast<NewtonCgSolver*>(solver.get()) != nullptr);
  CHECK(dynamic_cast<NewtonCgSolver*>(solver.get())->options().max_backtracks == 7);
  CHECK(inner_solver_unsuitable("newton", *hs).empty());
}

// The acceptance of tests/test_hs_problems.cpp for lbfgsb: |f − f*| ≤ 1e-6 max(1, |f*|),
// a converged status and a feasible x, with default options from the standard start.
TEST_CASE("newton: the ALM with inner solver newton reaches published HS optima" * doctest::test_suite("fp-sensitive")) {
  for (const std::string name : {"hs071", "hs035", "hs038", "hs006", "hs076", "hs100", "hs106", "hs118"}) {
    const HsReference* ref = nullptr;
    for (const auto& r : hs_references())
      if (r.name == name) ref = &r;
    REQUIRE(ref != nullptr);
    const auto p = find_problem(name)->make();
    auto inner = make_inner_solver("newton", *p);
    const AlmSummary s = solve_alm(*p, *inner);
    INFO(name, ": ", s.BriefReport(), " — ", s.message);
    MESSAGE(name, ": f = ", s.objective, ", ", s.outer_iterations, " outer, ", s.evaluations.gradient, " gradients, ",
            s.evaluations.hessian_prod, " Hessian products");
    CHECK((s.status == AlmStatus::kConverged || s.status == AlmStatus::kConvergedAtNoiseLevel));
    CHECK(std::abs(s.objective - ref->optimal_value) <= 1e-6 * std::max(1.0, std::abs(ref->optimal_value)));
    CHECK(s.kkt.infeasibility <= 1e-6);
    CHECK(infeasibility(*p, s.x) <= 1e-6);
  }
}
