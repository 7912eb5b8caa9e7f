// Stopping and status logic of the safeguarded ALM (docs/alm.md §1 "Scaled
// stationarity", §5 "Stagnation"), the hard time limit, the inner-solver
// factory's up-front refusal and the autodiff problem checks.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "almkit/core/alm.h"
#include "almkit/core/autodiff_problem.h"
#include "almkit/problems/registry.h"
#include "almkit/solvers/inner_solver_factory.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"
#include "cli_test_helpers.h"

using namespace almkit;

namespace {

// An inner solver that never moves x: every outer iteration repeats the same point.
class StuckSolver final : public InnerSolver {
 public:
  int calls = 0;
  InnerStatus status = InnerStatus::kNoProgress;  ///< what it reports
  std::string name() const override { return "stuck"; }
  InnerResult minimize(const AugmentedLagrangian& L, VectorRef x, double) override {
    ++calls;
    InnerResult r;
    r.status = status;
    r.final_value = L.value(x);
    return r;
  }
};

// min (x0 − 1)² + (x1 − 2)² s.t. x0 + x1 ≤ 10 (inactive at x* = (1, 2)).
struct Bowl {
  int num_variables() const { return 2; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return Vector::Constant(2, 0.0); }
  template <class T> T objective(const T* x) const { return (x[0] - 1.0) * (x[0] - 1.0) + (x[1] - 2.0) * (x[1] - 2.0); }
  template <class T> void inequalities(const T* x, T* g) const { g[0] = x[0] + x[1] - 10.0; }
};

// min x0² + x1² s.t. x0 + x1 = 2: x* = (1, 1), λ* = −2.
struct Line {
  int num_variables() const { return 2; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return Vector::Constant(2, 3.0); }
  template <class T> T objective(const T* x) const { return x[0] * x[0] + x[1] * x[1]; }
  template <class T> void equalities(const T* x, T* c) const { c[0] = x[0] + x[1] - 2.0; }
};

// The extended Rosenbrock function in 40 variables, each call slowed down by
// 10 ms and counted in *calls: a subproblem that takes seconds unless it is
// cut short (the first one, unlimited: 232 calls, 2.4 s).
struct SlowRosenbrock {
  std::atomic<long>* calls = nullptr;
  int num_variables() const { return 40; }
  Vector initial_point() const {
    Vector x(40);
    for (int i = 0; i < 40; ++i) x[i] = i % 2 ? 1.0 : -1.2;
    return x;
  }
  template <class T> T objective(const T* x) const {
    if (calls != nullptr) ++*calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    T f(0.0);
    for (int i = 0; i < 40; i += 2) f += 100.0 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (1.0 - x[i]) * (1.0 - x[i]);
    return f;
  }
};

struct WrongBounds {
  int num_variables() const { return 3; }
  Vector initial_point() const { return Vector::Zero(3); }
  Vector lower_bounds() const { return Vector::Zero(2); }
  template <class T> T objective(const T* x) const { return x[0] * x[0]; }
};

}  // namespace

TEST_CASE("stagnation: x, f and infeasibility that stop changing end the run as stagnated") {
  // A feasible, non-stationary start and an inner solver that cannot move:
  // without the stop the driver would run 100 outer iterations.
  auto p = make_autodiff_problem(Line{});
  StuckSolver stuck;
  AlmStart start;
  start.x = Eigen::Vector2d(1.5, 0.5);
  // ε falls by θ every iteration (the outer-progress rules off), so that the
  // "repeated subproblem" stop cannot end the run before the counter does.
  AlmOptions decade;
  decade.safeguarded.inner_tolerance_progress = 0.0;
  decade.safeguarded.inner_tolerance_final_relative = 0.0;
  const AlmSummary s = solve_alm(p, stuck, decade, start);
  INFO(s.message);
  CHECK(s.status == AlmStatus::kStagnated);
  CHECK(s.outer_iterations == 3);
  CHECK(stuck.calls == 3);
  CHECK(std::string(to_string(s.status)) == "stagnated");
  AlmOptions off;
  off.safeguarded.stagnation_iterations = 0;
  off.max_outer_iterations = 7;
  CHECK(solve_alm(p, stuck, off, start).status == AlmStatus::kIterationLimit);
  // From an infeasible start the penalty increases count as progress: the
  // stuck run ends by the penalty limit, not as stagnated.
  AlmOptions capped;
  capped.safeguarded.penalty_max = 1e6;
  const AlmSummary q = solve_alm(p, stuck, capped);
  CHECK(q.status == AlmStatus::kPenaltyTooLarge);
}

TEST_CASE("stagnation at a feasible point with stationarity at the noise level: converged_at_noise_level") {
  auto p = make_autodiff_problem(Bowl{});
  StuckSolver stuck;
  AlmStart start;
  start.x = Eigen::Vector2d(1.0 + 1e-7, 2.0);  // ∇f = (2e-7, 0): above 1e-8 · S, below 1e-6 · S (S = 1)
  const AlmSummary s = solve_alm(p, stuck, {}, start);
  INFO(s.message);
  CHECK(s.status == AlmStatus::kConvergedAtNoiseLevel);
  CHECK(std::string(to_string(s.status)) == "converged_at_noise_level");
  CHECK(s.kkt.stationarity > 1e-8);
  // A point farther from stationarity is only "stagnated".
  start.x = Eigen::Vector2d(1.1, 2.0);
  CHECK(solve_alm(p, stuck, {}, start).status == AlmStatus::kStagnated);
}

TEST_CASE("stagnation: a subproblem identical to the last one is not solved again") {
  auto p = make_autodiff_problem(Bowl{});
  StuckSolver stuck;
  stuck.status = InnerStatus::kIterationLimit;  // not no_progress, which stops at the noise level by itself
  AlmOptions o;
  o.safeguarded.inner_tolerance_initial = o.safeguarded.inner_tolerance_final;  // ε does not change
  o.safeguarded.inner_tolerance_final_relative = 0.0;                             // (ε_target = ε_final)
  AlmStart start;
  start.x = Eigen::Vector2d(1.0 + 1e-7, 2.0);
  const AlmSummary s = solve_alm(p, stuck, o, start);
  INFO(s.message);
  CHECK(stuck.calls == 1);
  CHECK(s.outer_iterations == 1);
  CHECK(s.status == AlmStatus::kConvergedAtNoiseLevel);
  CHECK(s.message.find("repeat") != std::string::npos);
}

TEST_CASE("relative stationarity: the tolerance scales with S = max(1, |grad f|, |Jc^T lambda|, ...)") {
  auto p = make_autodiff_problem(Line{});
  const Vector x = Eigen::Vector2d(1.0, 1.0);
  const KktReport k = kkt_residuals(p, x, Vector::Constant(1, -2.0), Vector(0), Vector::Zero(2));
  CHECK(k.stationarity == doctest::Approx(0.0));
  CHECK(k.stationarity_scale == doctest::Approx(2.0));  // ‖∇f‖∞ = ‖J_cᵀλ‖∞ = 2
  CeresLbfgsSolver lbfgs;
  const AlmSummary s = solve_alm(p, lbfgs);
  CHECK(s.status == AlmStatus::kConverged);
  CHECK(s.kkt.stationarity <= 1e-8 * s.kkt.stationarity_scale);
  AlmOptions bad;
  bad.safeguarded.stagnation_iterations = -1;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("stagnation_iterations"), std::invalid_argument);
  bad = {};
  bad.safeguarded.tol_stationarity_noise = -1.0;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("tol_stationarity_noise"), std::invalid_argument);
}

TEST_CASE("hs013: the minimizer is feasible, so the status is never infeasible_stationary") {
  auto p = find_problem("hs013")->make();
  CeresLbfgsSolver lbfgs;
  const AlmSummary s = solve_alm(*p, lbfgs);
  INFO(s.BriefReport(), " — ", s.message);
  CHECK(s.kkt.infeasibility <= 1e-6);
  CHECK(s.status != AlmStatus::kInfeasibleStationary);
  CHECK(s.status != AlmStatus::kConverged);  // (1, 0) is not a KKT point
  CHECK(std::abs(s.objective - 1.0) <= 1e-2);
}

// diverging_continuation (docs/alm.md §5, on by default): after the
// multiplier-divergence test fires, the run goes on as a penalty method (β ×
// 1e3 per outer iteration, up to 1e40) and reaches hs013's non-KKT minimizer to
// the benchmark's 1e-6, still without claiming convergence.
TEST_CASE("diverging_continuation: hs013 and kink-square go on as penalty methods and end multipliers_diverging") {
  if (!lbfgsb_available()) return;  // measured with L-BFGS-B (docs/benchmark.md "hs013 and hs016")
  auto p = find_problem("hs013")->make();
  auto inner = make_inner_solver("lbfgsb", *p);
  AlmOptions off;
  off.safeguarded.diverging_continuation = false;
  const AlmSummary stop = solve_alm(*p, *inner, off);
  const AlmSummary cont = solve_alm(*p, *inner);
  INFO(stop.BriefReport(), " | ", cont.BriefReport(), " — ", cont.message);
  CHECK(stop.status == AlmStatus::kMultipliersDiverging);
  CHECK(cont.status == AlmStatus::kMultipliersDiverging);
  CHECK(cont.final_penalty > 1e30);
  CHECK(std::abs(stop.objective - 1.0) > 1e-3);
  CHECK(std::abs(cont.objective - 1.0) <= 1e-6);
  CHECK(cont.kkt.infeasibility <= 1e-8);
  // min x s.t. x² = 0 (no KKT point): the continuation's stagnation stop is no convergence claim.
  auto q = find_problem("kink-square")->make();
  auto inner_q = make_inner_solver("lbfgsb", *q);
  const AlmSummary k = solve_alm(*q, *inner_q);
  INFO(k.BriefReport(), " — ", k.message);
  CHECK(k.status == AlmStatus::kMultipliersDiverging);
  AlmOptions bad;
  bad.safeguarded.diverging_progress_tolerance = -1.0;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("diverging_progress_tolerance"), std::invalid_argument);
  bad = {};
  bad.safeguarded.diverging_penalty_increase = 1.0;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("diverging_penalty_increase"), std::invalid_argument);
  bad = {};
  bad.safeguarded.diverging_penalty_max = 0.0;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("diverging_penalty_max"), std::invalid_argument);
}

// initial_penalty_max (docs/alm.md §3 "Initial penalty"): the upper clamp of the β_0 formula.
TEST_CASE("initial_penalty_max clamps the initial penalty of the formula") {
  auto p = find_problem("hs015")->make();  // x0 = (−2, 1): f(x0) = 909, violation 3 (β_0 of the formula ≫ 3)
  CeresLbfgsSolver lbfgs;
  AlmOptions o;
  o.max_outer_iterations = 1;
  const AlmSummary a = solve_alm(*p, lbfgs, o);
  o.safeguarded.initial_penalty_max = 3.0;
  const AlmSummary b = solve_alm(*p, lbfgs, o);
  REQUIRE(!a.history.empty());
  REQUIRE(!b.history.empty());
  INFO("formula beta_0 = ", a.history.front().penalty);
  CHECK(a.history.front().penalty > 30.0);
  CHECK(b.history.front().penalty == 3.0);
  AlmOptions bad;
  bad.safeguarded.initial_penalty_max = 0.0;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("initial_penalty_max"), std::invalid_argument);
}

TEST_CASE("time_limit_seconds is a hard limit: the inner solver gets the remaining time") {
  std::atomic<long> calls{0};
  SlowRosenbrock slow;
  slow.calls = &calls;
  auto p = make_autodiff_problem(slow);
  CeresLbfgsSolver lbfgs;
  AlmOptions o;
  o.time_limit_seconds = 0.3;
  const AlmSummary s = solve_alm(p, lbfgs, o);
  INFO(s.BriefReport(), " calls ", calls.load());
  CHECK(s.status == AlmStatus::kTimeLimit);
  // Every call sleeps at least 10 ms, so at most 0.3 s / 10 ms = 30 fit in
  // the limit on any machine; beyond it come the evaluation under way, the
  // final point's and the KKT report's (a gradient is 5 calls: the autodiff's
  // chunks; measured 42 calls in all). An inner solver that ignores the
  // remaining time runs its first subproblem to the end: 232 calls (docs/alm.md
  // §4, time_limit_seconds). A count, not a clock: a loaded machine only lowers it.
  CHECK(calls.load() > 0);
  CHECK(calls.load() <= 30 + 4 * 5);
  CHECK(lbfgs.time_limit() == std::numeric_limits<double>::infinity());  // restored after the solve
}

TEST_CASE("inner solver factory: bcd is refused up front on a problem without blocks") {
  auto p = find_problem("hs071")->make();
  CHECK_THROWS_WITH_AS(make_inner_solver("bcd", *p), doctest::Contains("BlockProblem"), std::invalid_argument);
  CHECK(inner_solver_unsuitable("lbfgs", *p).empty());
  const auto expected = lbfgsb_available() ? std::vector<std::string>{"lbfgs", "lbfgsb", "newton"}
                                           : std::vector<std::string>{"lbfgs", "newton"};
  CHECK(inner_solver_names_for(*p) == expected);
  CHECK(make_inner_solver("lbfgs", *p) != nullptr);
  CHECK_THROWS_WITH_AS(make_inner_solver("nosuch", *p), doctest::Contains("unknown inner solver"), std::invalid_argument);
  const auto run = almkit::testing::run_cli("solve hs071 --inner bcd --quiet");
  CHECK(run.code == 2);
  CHECK(run.output.find("needs a problem with closed-form blocks") != std::string::npos);
}

TEST_CASE("autodiff problem checks: bounds of the wrong length are refused") {
  CHECK_THROWS_WITH_AS(make_autodiff_problem(WrongBounds{}, "wrong"), doctest::Contains("lower_bounds"),
                       std::invalid_argument);
}

TEST_CASE("glog is quiet: no glog lines on stderr during solves (hs106 makes Ceres' line search complain)") {
  const auto run = almkit::testing::run_cli("solve hs106 --quiet");
  CHECK(run.code == 0);
  CHECK(run.output.find("InitGoogleLogging") == std::string::npos);
  CHECK(run.output.find("line_search") == std::string::npos);
  CHECK(run.output.find("status") != std::string::npos);
}

TEST_CASE("almkit benchmark: table files written, bad input is one line and exit code 2") {
  const auto dir = almkit::testing::fresh_temp_dir("almkit_bench", "out");
  const auto run = almkit::testing::run_cli("benchmark --problems hs006,hs071 --solvers alm-lbfgs --quiet --out \"" +
                                            dir.string() + "\"");
  INFO(run.output);
  CHECK(run.code == 0);
  const std::string csv = almkit::testing::slurp(dir / "benchmark.csv");
  CHECK(csv.rfind("problem,n,m_eq,m_in,solver,solved,", 0) == 0);
  CHECK(csv.find("hs006,2,1,0,alm-lbfgs,1,") != std::string::npos);
  CHECK(csv.find("hs071,4,1,1,alm-lbfgs,1,") != std::string::npos);
  CHECK(almkit::testing::slurp(dir / "benchmark.md").find("| **solved** | | | | 2 / 2 |") != std::string::npos);
  CHECK(almkit::testing::slurp(dir / "benchmark.json").find("\"totals\"") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "profile_evaluations.dat"));
  for (const char* bad : {"benchmark --solvers nosuch", "benchmark --problems hs999", "benchmark --time-limit 0",
                          "benchmark --alm.tau 2"}) {
    const auto r = almkit::testing::run_cli(std::string(bad) + " --out \"" + dir.string() + "\"");
    INFO(bad, ": ", r.output);
    CHECK(r.code == 2);
    CHECK(r.output.find("error") != std::string::npos);
  }
}
