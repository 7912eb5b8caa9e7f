// The aggregation of almkit benchmark (study/benchmark_profile.h,
// docs/benchmark.md "Performance profiles"): a Dolan–Moré profile worked out
// by hand on three solvers and four problems, one of them solved by nobody.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "almkit/study/benchmark_profile.h"

namespace {

using almkit::benchmark::Row;
constexpr double kInf = std::numeric_limits<double>::infinity();

Row row(const std::string& problem, const std::string& solver, long evals, bool solved) {
  Row r;
  r.problem = problem;
  r.solver = solver;
  r.gradient_evaluations = evals;
  r.seconds = 0.5;
  r.solved = solved;
  return r;
}

// Gradient evaluations (✗ = not solved):
//
//          A      B      C     best among the solved   ratios A, B, C
//   p1    10     20     40     10                       1,   2,   4
//   p2    30     15     ✗ 99   15                       2,   1,   ∞   (C failed)
//   p3    ✗ 50   25     25     25                       ∞,   1,   1
//   p4    ✗ 5    ✗ 5    ✗ 5    none                     ∞,   ∞,   ∞
//
// ρ_s(τ) = (problems with ratio ≤ τ) / 4, unsolved problems included:
//   A: ρ(1) = 1/4, ρ(2) = 2/4, ρ(∞) = 2/4
//   B: ρ(1) = 2/4, ρ(2) = 3/4, ρ(∞) = 3/4
//   C: ρ(1) = 1/4, ρ(3.9) = 1/4, ρ(4) = 2/4
// tau_max = max(2, 1.2 × 4) = 4.8, so C's steps are (1, 1/4), (4, 2/4), (4.8, 2/4).
std::vector<Row> hand_rows() {
  return {row("p1", "A", 10, true),  row("p1", "B", 20, true), row("p1", "C", 40, true),
          row("p2", "A", 30, true),  row("p2", "B", 15, true), row("p2", "C", 99, false),
          row("p3", "A", 50, false), row("p3", "B", 25, true), row("p3", "C", 25, true),
          row("p4", "A", 5, false),  row("p4", "B", 5, false), row("p4", "C", 5, false)};
}
const std::vector<std::string> kProblems{"p1", "p2", "p3", "p4"};
const std::vector<std::string> kSolvers{"A", "B", "C"};

}  // namespace

TEST_CASE("benchmark profile: ratios, rho and steps of a hand-computed Dolan-More profile") {
  const auto pp = almkit::benchmark::performance_profile(hand_rows(), kProblems, kSolvers,
                                                         &almkit::benchmark::evaluation_cost);
  const std::vector<std::vector<double>> expected{{1, 2, kInf, kInf}, {2, 1, 1, kInf}, {4, kInf, 1, kInf}};
  REQUIRE(pp.ratios.size() == 3);
  for (size_t s = 0; s < 3; ++s)
    for (size_t p = 0; p < 4; ++p) {
      CAPTURE(s);
      CAPTURE(p);
      CHECK(pp.ratios[s][p] == expected[s][p]);
    }
  CHECK(std::isinf(pp.ratios[2][1]));  // C failed on p2: ratio ∞
  CHECK(pp.rho(0, 1.0) == 0.25);
  CHECK(pp.rho(0, 2.0) == 0.5);
  CHECK(pp.rho(0, kInf) == 0.5);
  CHECK(pp.rho(1, 1.0) == 0.5);
  CHECK(pp.rho(1, 2.0) == 0.75);
  CHECK(pp.rho(2, 1.0) == 0.25);
  CHECK(pp.rho(2, 3.9) == 0.25);
  CHECK(pp.rho(2, 4.0) == 0.5);
  CHECK(pp.sorted_finite_ratios(1) == std::vector<double>{1, 1, 2});
  CHECK(pp.tau_max() == doctest::Approx(4.8));
  const auto steps = pp.steps(2);
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].tau == 1.0);
  CHECK(steps[0].rho == 0.25);
  CHECK(steps[1].tau == 4.0);
  CHECK(steps[1].rho == 0.5);
  CHECK(steps[2].tau == doctest::Approx(4.8));
  CHECK(steps[2].rho == 0.5);
  // B: two ratios of 1 fold into the first step.
  const auto b = pp.steps(1);
  REQUIRE(b.size() == 3);
  CHECK(b[0].rho == 0.5);
  CHECK(b[1].tau == 2.0);
  CHECK(b[1].rho == 0.75);
}

TEST_CASE("benchmark profile: totals and one solver against another") {
  const auto rows = hand_rows();
  auto t = almkit::benchmark::totals(rows);
  CHECK(t["A"].solved == 2);
  CHECK(t["B"].solved == 3);
  CHECK(t["C"].solved == 2);
  CHECK(t["A"].evals == 95);  // 10 + 30 + 50 + 5
  CHECK(t["C"].seconds == doctest::Approx(2.0));
  // A against B: B solved p3 and A did not; A/B ratios where B solved:
  // p1 10/20 = 0.5, p2 30/15 = 2, p3 50/25 = 2 → largest 2, first reached on p2.
  const auto v = almkit::benchmark::versus(rows, kProblems, kSolvers, "A", "B");
  REQUIRE(v.has_value());
  CHECK(v->ours_evaluations == 95);
  CHECK(v->theirs_evaluations == 65);  // 20 + 15 + 25 + 5
  CHECK(v->solved_by_theirs_only == std::vector<std::string>{"p3"});
  CHECK(v->largest_ratio == 2.0);
  CHECK(v->largest_ratio_problem == "p2");
  CHECK_FALSE(almkit::benchmark::versus(rows, kProblems, kSolvers, "A", "nlopt-auglag").has_value());
}

TEST_CASE("benchmark profile: the solved criterion of docs/benchmark.md") {
  using almkit::benchmark::is_solved;
  CHECK(is_solved(1.0 + 0.5e-6, 1.0, 0.0));
  CHECK_FALSE(is_solved(1.0 + 2e-6, 1.0, 0.0));
  CHECK(is_solved(1000.0 + 5e-4, 1000.0, 1e-7));  // relative for |f*| > 1
  CHECK_FALSE(is_solved(0.0, 0.0, 2e-6));
  CHECK_FALSE(is_solved(std::numeric_limits<double>::quiet_NaN(), 0.0, 0.0));
}
