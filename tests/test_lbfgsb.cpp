// The L-BFGS-B inner solver (solvers/lbfgsb/, docs/inner_solvers.md "lbfgsb"):
// bounds kept by the inner solver instead of penalized, the bound multipliers
// from the projected gradient, the outer-progress inner tolerance schedule
// (docs/alm.md §3), non-finite values, and the factory. Skipped (one passing
// check) when almkit was built without liblbfgsb.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "almkit/core/alm.h"
#include "almkit/core/autodiff_problem.h"
#include "almkit/problems/registry.h"
#include "almkit/solvers/inner_solver_factory.h"
#include "almkit/solvers/lbfgsb/lbfgsb_solver.h"

using namespace almkit;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// min (x0 + 1)² + (x1 − 3)², 0 ≤ x ≤ 2: x* = (0, 2), ν* = (−2, 2).
struct BoxOnly {
  int num_variables() const { return 2; }
  Vector initial_point() const { return Vector::Constant(2, 5.0); }  // outside the box
  Vector lower_bounds() const { return Vector::Zero(2); }
  Vector upper_bounds() const { return Vector::Constant(2, 2.0); }
  template <class T> T objective(const T* x) const { return (x[0] + 1.0) * (x[0] + 1.0) + (x[1] - 3.0) * (x[1] - 3.0); }
};

// min −x0 − x1 s.t. x0² + x1² ≤ 1, x ≥ 0.2 (log defined only inside the box).
struct LogInBox {
  int num_variables() const { return 2; }
  int num_inequalities() const { return 1; }
  Vector initial_point() const { return Vector::Constant(2, 0.5); }
  Vector lower_bounds() const { return Vector::Constant(2, 0.2); }
  Vector upper_bounds() const { return Vector::Constant(2, kInf); }
  template <class T> T objective(const T* x) const {
    using std::log;
    return -x[0] - x[1] + 0.0 * log(x[0] - 0.19);
  }
  template <class T> void inequalities(const T* x, T* g) const { g[0] = x[0] * x[0] + x[1] * x[1] - 1.0; }
};

// NaN for x0 > 1: the line search of the first subproblem meets it.
struct NanBeyondOne {
  int num_variables() const { return 1; }
  Vector initial_point() const { return Vector::Constant(1, 0.0); }
  template <class T> T objective(const T* x) const {
    using std::sqrt;
    return -10.0 * x[0] + sqrt(1.0 - x[0]);
  }
};

// min −x + exp(1500 (x + 1.5)): x* = −1.5 − ln(1500)/1500, from x₀ = −2 where
// the gradient is −1. L-BFGS-B's first trial is the unit steepest-descent step,
// x = −1, where exp(750) overflows (docs/inner_solvers.md "Non-finite trial points").
struct OverflowAtFirstTrial {
  int num_variables() const { return 1; }
  Vector initial_point() const { return Vector::Constant(1, -2.0); }
  template <class T> T objective(const T* x) const {
    using std::exp;
    return -x[0] + exp(1500.0 * (x[0] + 1.5));
  }
};

// What fn writes to file descriptor 1 (C stdio and gfortran's unit 6 flushed).
std::string captured_stdout(const std::function<void()>& fn) {
  std::fflush(stdout);
  char path[] = "/tmp/almkit_test_stdout_XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  const int saved = ::dup(1);
  ::dup2(fd, 1);
  fn();
  using FortranFlush = void (*)(int*);
  if (auto flush = reinterpret_cast<FortranFlush>(::dlsym(RTLD_DEFAULT, "_gfortran_flush_i4"))) {
    int unit = 6;
    flush(&unit);
  }
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(path);
  return ss.str();
}

}  // namespace

TEST_CASE("lbfgsb: availability, factory names and the default inner solver") {
  const auto names = inner_solver_names();
  const bool listed = std::find(names.begin(), names.end(), "lbfgsb") != names.end();
  CHECK(listed == lbfgsb_available());
  CHECK(default_inner_solver_name() == (lbfgsb_available() ? "lbfgsb" : "lbfgs"));
  if (!lbfgsb_available()) {
    CHECK_THROWS_AS(LbfgsbSolver{}, std::runtime_error);
    return;
  }
  auto p = make_autodiff_problem(BoxOnly{}, "box");
  auto solver = make_inner_solver("lbfgsb", p);
  CHECK(solver->name() == "lbfgsb");
  CHECK(solver->handles_bounds());
  CHECK_FALSE(make_inner_solver("lbfgs", p)->handles_bounds());
  LbfgsbOptions bad;
  bad.memory = 0;
  CHECK_THROWS_WITH_AS(LbfgsbSolver{bad}, doctest::Contains("memory"), std::invalid_argument);
}

TEST_CASE("lbfgsb: a bound-only problem is one subproblem, start projected, nu from the projected gradient") {
  if (!lbfgsb_available()) return;
  auto p = make_autodiff_problem(BoxOnly{}, "box");
  LbfgsbSolver inner;
  const AlmSummary s = solve_alm(p, inner);
  CHECK(s.status == AlmStatus::kConverged);
  CHECK(s.outer_iterations == 1);
  CHECK(s.x[0] == 0.0);  // exactly on the bounds, not within a penalty's reach
  CHECK(s.x[1] == 2.0);
  CHECK(s.nu[0] == doctest::Approx(-2.0).epsilon(1e-12));  // ∇f + ν = 0, ∇f = (2, −2)
  CHECK(s.nu[1] == doctest::Approx(2.0).epsilon(1e-12));
  CHECK(s.mu.size() == 0);
  CHECK(s.kkt.stationarity == 0.0);
}

TEST_CASE("lbfgsb: the iterates never leave the bounds (bounds are not penalized)") {
  if (!lbfgsb_available()) return;
  auto p = make_autodiff_problem(LogInBox{}, "log-in-box");
  LbfgsbSolver inner;
  bool inside = true;
  const AlmSummary s = solve_alm(p, inner, {}, {}, [&](const AlmIteration&, VectorCRef x) {
    inside = inside && (x.array() >= 0.2).all();
    return true;
  });
  CHECK(inside);
  CHECK(s.status == AlmStatus::kConverged);
  CHECK(s.objective == doctest::Approx(-std::sqrt(2.0)).epsilon(1e-8));
  CHECK(s.mu[0] == doctest::Approx(1.0 / std::sqrt(2.0)).epsilon(1e-6));
}

TEST_CASE("lbfgsb: NaN from the user's function ends with non_finite, x stays finite") {
  if (!lbfgsb_available()) return;
  auto p = make_autodiff_problem(NanBeyondOne{}, "nan");
  LbfgsbSolver inner;
  const AlmSummary s = solve_alm(p, inner);
  CHECK(s.status == AlmStatus::kNonFinite);
  CHECK(s.x.allFinite());
  CHECK(s.message.find("non-finite") != std::string::npos);
}

TEST_CASE("lbfgsb: an overflowing trial far away is cut back by the trust box and the run goes on") {
  if (!lbfgsb_available()) return;
  auto p = make_autodiff_problem(OverflowAtFirstTrial{}, "overflow");
  LbfgsbOptions no_box;
  no_box.nonfinite_retries = 0;
  LbfgsbSolver without(no_box), with;
  const AlmSummary a = solve_alm(p, without);
  const AlmSummary b = solve_alm(p, with);
  INFO(a.BriefReport(), " | ", b.BriefReport(), " — ", b.message);
  CHECK(a.status == AlmStatus::kNonFinite);  // the overflow happens on this path
  // f's curvature 1500 puts the lowest f within the rounding level of the gradient.
  CHECK((b.status == AlmStatus::kConverged || b.status == AlmStatus::kConvergedAtNoiseLevel));
  CHECK(b.x[0] == doctest::Approx(-1.5 - std::log(1500.0) / 1500.0).epsilon(1e-9));
  LbfgsbOptions bad;
  bad.nonfinite_retries = -1;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("nonfinite_retries"), std::invalid_argument);
}

TEST_CASE("lbfgsb: quiet keeps the Fortran code's messages off standard output") {
  if (!lbfgsb_available()) return;
  // hs013 at the continuation's penalties (β up to 1e40) makes L-BFGS-B 3.0 print
  // "ascent direction in projection" (docs/inner_solvers.md).
  auto p = find_problem("hs013")->make();
  LbfgsbOptions loud_options;
  loud_options.quiet = false;
  LbfgsbSolver loud(loud_options), quiet;
  AlmSummary a, b;
  const std::string printed = captured_stdout([&] { a = solve_alm(*p, loud); });
  const std::string silent = captured_stdout([&] { b = solve_alm(*p, quiet); });
  CHECK(printed.find("ascent direction") != std::string::npos);  // the message exists on this path
  CHECK(silent.empty());
  CHECK(a.objective == b.objective);  // same run
}

TEST_CASE("inner tolerance schedule: a feasible iterate gets the final tolerance at once") {
  // hs035 (Beale, 1 linear inequality): with the progress rule the run needs
  // fewer outer iterations than with the decade-per-iteration schedule.
  const auto* e = find_problem("hs035");
  REQUIRE(e != nullptr);
  auto p = e->make();
  auto inner = make_inner_solver(default_inner_solver_name(), *p);
  AlmOptions fast, slow;
  slow.safeguarded.inner_tolerance_progress = 0.0;
  slow.safeguarded.inner_tolerance_final_relative = 0.0;
  const AlmSummary a = solve_alm(*p, *inner, fast);
  const AlmSummary b = solve_alm(*p, *inner, slow);
  CHECK((a.status == AlmStatus::kConverged || a.status == AlmStatus::kConvergedAtNoiseLevel));
  CHECK((b.status == AlmStatus::kConverged || b.status == AlmStatus::kConvergedAtNoiseLevel));
  CHECK(a.outer_iterations < b.outer_iterations);
  CHECK(a.evaluations.gradient < b.evaluations.gradient);
  CHECK(a.objective == doctest::Approx(1.0 / 9.0).epsilon(1e-8));
}
