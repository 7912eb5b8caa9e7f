// The aggregation of `almkit benchmark` (docs/benchmark.md): its rows, the
// solved criterion, the totals per solver, the comparison of almkit with
// NLopt AUGLAG, and Dolan–Moré performance profiles. apps/cmd_benchmark.cpp
// runs the solvers and prints and writes what these functions compute.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace almkit::benchmark {

/// One run: a solver on a problem (docs/benchmark.md "Output", one CSV line).
struct Row {
  std::string problem, solver, status;
  int n = 0, m_eq = 0, m_in = 0;
  double f_star = 0.0, f = 0.0, violation = 0.0, seconds = 0.0;
  long gradient_evaluations = 0, function_evaluations = 0;
  /// Products with the Lagrangian's Hessian (almkit's counter hessian_prod) or
  /// Hessian evaluations (a peer with exact second derivatives); 0 for first-order runs.
  long hessian_evaluations = 0;
  bool solved = false;
};

/// docs/benchmark.md "Criterion": |f − f*| ≤ 1e-6 · max(1, |f*|) and violation ≤ 1e-6.
bool is_solved(double f, double f_star, double violation);

/// The costs a profile compares (docs/benchmark.md "Performance profiles"):
/// gradient evaluations, at least 1 (a run that needed none is not infinitely
/// better); wall time, at least 1 µs (the timer's resolution).
double evaluation_cost(const Row& r);
double time_cost(const Row& r);
using Cost = double (*)(const Row&);

/// The row of (problem, solver), or nullptr.
const Row* find_row(const std::vector<Row>& rows, const std::string& problem, const std::string& solver);

/// Per solver: problems solved, gradient and Hessian evaluations and seconds summed over its rows.
struct Total {
  int solved = 0;
  long evals = 0;
  long hessian_evals = 0;  ///< hessian_evaluations summed
  double seconds = 0.0;
};
std::map<std::string, Total> totals(const std::vector<Row>& rows);

/// Dolan–Moré performance profile of one cost over a set of problems and
/// solvers (Dolan and Moré 2002; docs/benchmark.md "Performance profiles").
struct PerformanceProfile {
  std::vector<std::string> problems, solvers;
  /// ratios[s][p]: cost of solvers[s] on problems[p] divided by the smallest
  /// cost among the solvers that solved problems[p]; +∞ when solvers[s] did not
  /// solve it (also when no solver did, or the row is missing).
  std::vector<std::vector<double>> ratios;

  /// ρ_s(τ): the share of all problems (unsolved ones count) with a finite ratio ≤ τ
  /// (so ρ_s(∞) is the share solvers[s] solved).
  double rho(std::size_t s, double tau) const;
  /// The finite ratios of solvers[s], ascending.
  std::vector<double> sorted_finite_ratios(std::size_t s) const;
  /// The right end of the plot: max(2, 1.2 × the largest finite ratio).
  double tau_max() const;
  /// ρ_s as a step function from τ = 1 to tau_max(): (1, ρ_s(1)), then
  /// (r, share up to and including r) at each finite ratio r > 1, then (tau_max, ρ_s(∞)).
  struct Step {
    double tau, rho;
  };
  std::vector<Step> steps(std::size_t s) const;
};
PerformanceProfile performance_profile(const std::vector<Row>& rows, const std::vector<std::string>& problems,
                                       const std::vector<std::string>& solvers, Cost cost);

/// One solver against another on gradient evaluations (docs/benchmark.md
/// "Goal": almkit's default against NLopt AUGLAG).
struct Versus {
  long ours_evaluations = 0, theirs_evaluations = 0;  ///< summed over all problems
  std::vector<std::string> solved_by_theirs_only;     ///< solved by theirs, not by ours
  double largest_ratio = 0.0;                          ///< max evaluation_cost ratio ours/theirs where theirs solved
  std::string largest_ratio_problem;                   ///< its problem (the first one on ties)
};
/// nullopt unless both solvers are in `solvers`.
std::optional<Versus> versus(const std::vector<Row>& rows, const std::vector<std::string>& problems,
                             const std::vector<std::string>& solvers, const std::string& ours,
                             const std::string& theirs);

}  // namespace almkit::benchmark
