// The Hock–Schittkowski collection (problems/verification/hs_problems.h):
// derivatives against central finite differences, published optima, and the
// end-to-end ALM + L-BFGS solve of every problem from its standard start.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <string>

#include <Eigen/QR>

#include "almkit/core/alm.h"
#include "almkit/core/problem.h"
#include "almkit/problems/registry.h"
#include "almkit/problems/verification/hs_problems.h"
#include "almkit/solvers/inner_solver_factory.h"

namespace almkit {
namespace {

constexpr double kFdTol = 1e-6;  // relative tolerance of derivative checks

/// Central differences of a scalar function, step h_i = 1e-6 max(1, |x_i|).
template <class Fn>
Vector central_gradient(Fn&& fn, const Vector& x) {
  Vector g(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double h = 1e-6 * std::max(1.0, std::abs(x[i]));
    Vector xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    g[i] = (fn(xp) - fn(xm)) / (2.0 * h);
  }
  return g;
}

double rel_error(const Vector& a, const Vector& b) {
  if (a.size() == 0) return 0.0;
  return (a - b).lpNorm<Eigen::Infinity>() / std::max(1.0, b.lpNorm<Eigen::Infinity>());
}

Vector random_vector(std::mt19937& rng, Eigen::Index n, double scale = 1.0) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Vector v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = scale * u(rng);
  return v;
}

std::vector<const ProblemEntry*> hs_entries() {
  std::vector<const ProblemEntry*> v;
  for (const auto& e : builtin_problems())
    if (e.name.rfind("hs", 0) == 0) v.push_back(&e);
  return v;
}

/// The start point and a random point near it (10 % relative perturbation).
std::vector<Vector> test_points(const ConstrainedProblem& p, std::mt19937& rng) {
  const Vector x0 = p.initial_point();
  Vector x1 = x0;
  std::uniform_real_distribution<double> u(-0.1, 0.1);
  for (Eigen::Index i = 0; i < x1.size(); ++i) x1[i] += u(rng) * std::max(1.0, std::abs(x0[i]));
  return {x0, x1};
}

}  // namespace

TEST_CASE("hs: the registry holds the collection under three-digit names") {
  const auto entries = hs_entries();
  CHECK(entries.size() >= 60);  // docs/problem.md "Built-in problems" lists 69
  std::set<std::string> names;
  for (const auto* e : entries) {
    INFO(e->name);
    CHECK(e->name.size() == 5);
    CHECK(std::all_of(e->name.begin() + 2, e->name.end(), [](char ch) { return ch >= '0' && ch <= '9'; }));
    CHECK(!e->description.empty());
    CHECK(e->description.find('\n') == std::string::npos);
    names.insert(e->name);
    const auto p = e->make();
    CHECK(p->name() == e->name);
    REQUIRE(p->known_optimal_value().has_value());
    CHECK(p->initial_point().size() == p->num_variables());
    CHECK(p->lower_bounds().size() == p->num_variables());
    CHECK(p->upper_bounds().size() == p->num_variables());
    CHECK((p->lower_bounds().array() <= p->upper_bounds().array()).all());
  }
  for (const char* required : {"hs006", "hs007", "hs009", "hs021", "hs026", "hs028", "hs035",
                               "hs039", "hs040", "hs042", "hs046", "hs048", "hs051", "hs065",
                               "hs071"}) {
    INFO(required);
    CHECK(names.count(required) == 1);
  }
  // Every registered HS problem has reference data, and vice versa.
  CHECK(hs_references().size() == entries.size());
  for (const auto& r : hs_references()) {
    INFO(r.name);
    CHECK(names.count(r.name) == 1);
    const auto p = find_problem(r.name)->make();
    CHECK(*p->known_optimal_value() == r.optimal_value);
  }
  CHECK_FALSE(hs_known_solution("hs999").has_value());
}

TEST_CASE("hs: objective gradients match central finite differences") {
  std::mt19937 rng(20260101);
  for (const auto* e : hs_entries()) {
    const auto p = e->make();
    for (const Vector& x : test_points(*p, rng)) {
      INFO(e->name, " at x = ", x.transpose());
      Vector g(x.size());
      const double f = p->eval_grad_f(x, g);
      CHECK(f == doctest::Approx(p->eval_f(x)).epsilon(1e-14));
      const Vector fd = central_gradient([&](const Vector& z) { return p->eval_f(z); }, x);
      CHECK(rel_error(g, fd) <= kFdTol);
    }
  }
}

TEST_CASE("hs: constraint Jacobian-transpose products match finite differences") {
  std::mt19937 rng(424242);
  for (const auto* e : hs_entries()) {
    const auto p = e->make();
    const int m_eq = p->num_equalities(), m_in = p->num_inequalities();
    for (const Vector& x : test_points(*p, rng)) {
      INFO(e->name, " at x = ", x.transpose());
      // J_fᵀy against the central difference of yᵀ f(x), for f = c and f = g.
      auto check_jt_prod = [&](int m, auto&& eval, auto&& eval_jt) {
        if (m == 0) return;
        const Vector y = random_vector(rng, m);
        Vector jty(x.size());
        eval_jt(x, y, jty);
        const Vector fd = central_gradient(
            [&](const Vector& z) {
              Vector v(m);
              eval(z, v);
              return y.dot(v);
            },
            x);
        CHECK(rel_error(jty, fd) <= kFdTol);
      };
      check_jt_prod(
          m_eq, [&](const Vector& z, Vector& v) { p->eval_c(z, v); },
          [&](const Vector& z, const Vector& y, Vector& out) { p->eval_jac_c_t_prod(z, y, out); });
      check_jt_prod(
          m_in, [&](const Vector& z, Vector& v) { p->eval_g(z, v); },
          [&](const Vector& z, const Vector& y, Vector& out) { p->eval_jac_g_t_prod(z, y, out); });
    }
  }
}

TEST_CASE("hs: dense Jacobians agree with the J^T y products and with finite differences") {
  std::mt19937 rng(7);
  for (const auto* e : hs_entries()) {
    const auto p = e->make();
    const int m_eq = p->num_equalities(), m_in = p->num_inequalities();
    for (const Vector& x : test_points(*p, rng)) {
      INFO(e->name, " at x = ", x.transpose());
      const Eigen::Index n = x.size();
      const Matrix jc = p->eval_jac_c(x);
      const Matrix jg = p->eval_jac_g(x);
      REQUIRE(jc.rows() == m_eq);
      REQUIRE(jg.rows() == m_in);
      REQUIRE(jc.cols() == n);
      REQUIRE(jg.cols() == n);
      for (int trial = 0; trial < 2; ++trial) {
        if (m_eq > 0) {
          const Vector y = random_vector(rng, m_eq);
          Vector jty(n);
          p->eval_jac_c_t_prod(x, y, jty);
          CHECK(rel_error(jc.transpose() * y, jty) <= 1e-12);
        }
        if (m_in > 0) {
          const Vector y = random_vector(rng, m_in);
          Vector jty(n);
          p->eval_jac_g_t_prod(x, y, jty);
          CHECK(rel_error(jg.transpose() * y, jty) <= 1e-12);
        }
      }
      // Column by column against finite differences of the constraint vectors.
      for (Eigen::Index k = 0; k < n; ++k) {
        const double h = 1e-6 * std::max(1.0, std::abs(x[k]));
        Vector xp = x, xm = x;
        xp[k] += h;
        xm[k] -= h;
        if (m_eq > 0) {
          Vector cp(m_eq), cm(m_eq);
          p->eval_c(xp, cp);
          p->eval_c(xm, cm);
          CHECK(rel_error(jc.col(k), (cp - cm) / (2.0 * h)) <= kFdTol);
        }
        if (m_in > 0) {
          Vector gp(m_in), gm(m_in);
          p->eval_g(xp, gp);
          p->eval_g(xm, gm);
          CHECK(rel_error(jg.col(k), (gp - gm) / (2.0 * h)) <= kFdTol);
        }
      }
    }
  }
}

TEST_CASE("hs: known solutions attain the published optimum and are feasible") {
  for (const auto& r : hs_references()) {
    INFO(r.name);
    REQUIRE(r.solution.has_value());
    const auto p = find_problem(r.name)->make();
    const Vector& xs = *r.solution;
    REQUIRE(xs.size() == p->num_variables());
    CHECK(std::abs(p->eval_f(xs) - r.optimal_value) <= 1e-6 * std::max(1.0, std::abs(r.optimal_value)));
    CHECK(infeasibility(*p, xs) <= 1e-6);
    CHECK(hs_known_solution(r.name).has_value());
  }
}

// A published x* must be a KKT point: with the active constraints (equalities,
// inequalities with |g_j| ≤ 1e-7, bounds within 1e-7) the least-squares
// multipliers make ∇f + Σ m_i ∇a_i vanish, and the inequality/bound ones are ≥ 0.
TEST_CASE("hs: known solutions are KKT points") {
  for (const auto& r : hs_references()) {
    INFO(r.name);
    if (!r.kkt_point) continue;  // hs013: a minimizer where no multipliers exist
    const auto p = find_problem(r.name)->make();
    const Vector xs = *r.solution;
    const Eigen::Index n = xs.size();
    Vector grad(n);
    p->eval_grad_f(xs, grad);
    std::vector<Vector> columns;
    std::vector<bool> signed_mult;  // multiplier must be ≥ 0
    const Matrix jc = p->eval_jac_c(xs);
    for (Eigen::Index i = 0; i < jc.rows(); ++i) {
      columns.push_back(jc.row(i).transpose());
      signed_mult.push_back(false);
    }
    Vector g(p->num_inequalities());
    p->eval_g(xs, g);
    const Matrix jg = p->eval_jac_g(xs);
    for (Eigen::Index j = 0; j < g.size(); ++j)
      if (g[j] >= -1e-7) {
        columns.push_back(jg.row(j).transpose());
        signed_mult.push_back(true);
      }
    const Vector lo = p->lower_bounds(), up = p->upper_bounds();
    for (Eigen::Index k = 0; k < n; ++k) {
      if (xs[k] - lo[k] <= 1e-7) {  // l_k − x_k ≤ 0 active: gradient −e_k
        columns.push_back(-Vector::Unit(n, k));
        signed_mult.push_back(true);
      }
      if (up[k] - xs[k] <= 1e-7) {  // x_k − u_k ≤ 0 active: gradient +e_k
        columns.push_back(Vector::Unit(n, k));
        signed_mult.push_back(true);
      }
    }
    Vector residual = grad;
    if (!columns.empty()) {
      Matrix a(n, static_cast<Eigen::Index>(columns.size()));
      for (size_t i = 0; i < columns.size(); ++i) a.col(static_cast<Eigen::Index>(i)) = columns[i];
      const Vector m = a.colPivHouseholderQr().solve(-grad);
      residual = grad + a * m;
      for (size_t i = 0; i < columns.size(); ++i)
        if (signed_mult[i]) CHECK(m[static_cast<Eigen::Index>(i)] >= -1e-6);
    }
    CHECK(residual.lpNorm<Eigen::Infinity>() <= 1e-6);
  }
}

// End to end: the safeguarded ALM with default options reaches every published
// optimum from the standard start, with almkit's default inner solver and
// with Ceres L-BFGS. Known exceptions, each checked for what it is:
//  * hs013: x* is no KKT point — no run may claim convergence (docs/alm.md §5);
//    the penalty continuation reaches f within 1e-6 of f* with lbfgsb (β ≈ 1e31;
//    docs/benchmark.md "hs013 and hs016"), within 1e-2 with Ceres L-BFGS;
//  * hs106: badly scaled; solved through constraint scaling (docs/alm.md §7),
//    with lbfgsb uncertified (below);
//  * a different local minimizer from the standard start (docs/benchmark.md
//    "Known misses"): a KKT point with f ≠ f* (not a false convergence);
//  * hs081 with Ceres L-BFGS: its objective is unbounded below outside the
//    bounds, which the penalized bounds let the iterate leave: the run must
//    not claim convergence (lbfgsb keeps the bounds and solves it);
//  * f* reached but not certified: L-BFGS-B's line search fails with the
//    stationarity at 2e-7 to 1e-5 relative, above the noise tolerance, so the
//    run ends `stagnated` at x* (hs064, hs118): f and x are checked, the status
//    must not claim convergence.
namespace {

enum class Miss { kLocalMinimum, kFailure, kUncertified };
struct KnownMiss {
  const char* solver;
  const char* problem;
  Miss kind;
};
constexpr KnownMiss kKnownMisses[] = {
    {"lbfgsb", "hs064", Miss::kUncertified},   // stationarity 2.0e-6 (S = 10)
    {"lbfgsb", "hs118", Miss::kUncertified},   // stationarity 2.9e-5 (S = 2.9)
    {"lbfgsb", "hs106", Miss::kUncertified},   // scaled rows (docs/alm.md §7): f = 7049.248021 against f* = 7049.2480205 (docs/benchmark.md), stationarity 2.5e-4
    {"lbfgs", "hs015", Miss::kLocalMinimum},   // f = 360.38
    {"lbfgs", "hs047", Miss::kLocalMinimum},   // f = −0.0267 < f* = 0: hs047's cubic term; f* is a local minimum
    {"lbfgs", "hs081", Miss::kFailure},        // unbounded below outside the box
};

const KnownMiss* known_miss(const std::string& solver, const std::string& problem) {
  for (const auto& m : kKnownMisses)
    if (solver == m.solver && problem == m.problem) return &m;
  return nullptr;
}

void check_known_answers(const std::string& solver) {
  for (const auto& r : hs_references()) {
    const auto p = find_problem(r.name)->make();
    auto inner = make_inner_solver(solver, *p);
    const AlmSummary s = solve_alm(*p, *inner);
    INFO(solver, " on ", r.name, ": ", s.BriefReport(), " — ", s.message);
    const double tol_f = 1e-6 * std::max(1.0, std::abs(r.optimal_value));
    if (!r.kkt_point) {
      CHECK(s.status != AlmStatus::kConverged);
      CHECK(s.status != AlmStatus::kInfeasibleStationary);
      CHECK(s.kkt.infeasibility <= 1e-6);
      CHECK(std::abs(s.objective - r.optimal_value) <= (solver == "lbfgsb" ? tol_f : 1e-2));
      continue;
    }
    const KnownMiss* miss = known_miss(solver, r.name);
    if (miss != nullptr && miss->kind == Miss::kFailure) {
      CHECK(s.status != AlmStatus::kConverged);
      CHECK(s.status != AlmStatus::kConvergedAtNoiseLevel);
      continue;
    }
    if (miss != nullptr && miss->kind == Miss::kUncertified) {
      CHECK(s.status == AlmStatus::kStagnated);
      CHECK(std::abs(s.objective - r.optimal_value) <= tol_f);
      CHECK(infeasibility(*p, s.x) <= 1e-6);
      CHECK((s.x - *r.solution).lpNorm<Eigen::Infinity>() <= 1e-3 * std::max(1.0, r.solution->lpNorm<Eigen::Infinity>()));
      continue;
    }
    CHECK((s.status == AlmStatus::kConverged || s.status == AlmStatus::kConvergedAtNoiseLevel));
    CHECK(s.kkt.infeasibility <= 1e-6);
    CHECK(s.kkt.stationarity <= 1e-6 * s.kkt.stationarity_scale);
    CHECK(infeasibility(*p, s.x) <= 1e-6);
    if (miss != nullptr) {
      CHECK(std::abs(s.objective - r.optimal_value) > tol_f);
      continue;
    }
    CHECK(std::abs(s.objective - r.optimal_value) <= tol_f);
    // hs049's minimum is degenerate ((x4 − 1)⁴, (x5 − 1)⁶): at |f − f*| ~ 1e-13, x is only good to ~1e-2.
    const double tol_x = r.name == "hs049" ? 1e-2 : 1e-3;
    if (!r.nonunique_solution) CHECK((s.x - *r.solution).lpNorm<Eigen::Infinity>() <= tol_x);
  }
}

}  // namespace

TEST_CASE("hs: ALM + the default inner solver reaches every published optimum from the standard start" * doctest::test_suite("fp-sensitive")) {
  check_known_answers(default_inner_solver_name());
}

TEST_CASE("hs: ALM + Ceres L-BFGS reaches every published optimum from the standard start" * doctest::test_suite("fp-sensitive")) {
  check_known_answers("lbfgs");
}

}  // namespace almkit
