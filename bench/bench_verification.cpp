// Verification benchmark: every built-in problem (problems/registry.h) solved
// by the safeguarded ALM (default options) with an inner solver, one table row
// per problem, then totals.
//
//   bench_verification [--inner lbfgs] [--markdown] [--filter PREFIX]
//
// "solved" means: |f − f*| ≤ 1e-6 max(1, |f*|) (when f* is known),
// infeasibility ≤ 1e-6 and KKT stationarity ≤ 1e-6 — the criteria of
// tests/test_hs_problems.cpp. Evaluations count f and ∇f calls
// (summary.evaluations: objective + gradient).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "almkit/core/alm.h"
#include "almkit/problems/registry.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"

namespace {

using namespace almkit;

std::unique_ptr<InnerSolver> make_inner(const std::string& name) {
  if (name == "lbfgs") return std::make_unique<CeresLbfgsSolver>();
  return nullptr;
}

struct Row {
  std::string name;
  int n = 0, m_eq = 0, m_in = 0;
  bool solved = false;
  std::string status;
  double f = 0.0, f_err = NAN, infeas = 0.0, stat = 0.0;
  int outer = 0;
  long inner = 0, evals = 0;
  double ms = 0.0;
};

std::string sci(double v) { return std::isnan(v) ? std::string("-") : fmt::format("{:.2e}", v); }

}  // namespace

int main(int argc, char** argv) {
  std::string inner_name = "lbfgs", filter;
  bool markdown = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--markdown") markdown = true;
    else if (a == "--inner" && i + 1 < argc) inner_name = argv[++i];
    else if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--inner lbfgs] [--markdown] [--filter PREFIX]\n", argv[0]);
      return 2;
    }
  }
  if (!make_inner(inner_name)) {
    std::fprintf(stderr, "unknown inner solver '%s' (available: lbfgs)\n", inner_name.c_str());
    return 2;
  }

  std::vector<Row> rows;
  for (const auto& entry : builtin_problems()) {
    if (!filter.empty() && entry.name.rfind(filter, 0) != 0) continue;
    const auto problem = entry.make();
    auto inner = make_inner(inner_name);
    const auto t0 = std::chrono::steady_clock::now();
    const AlmSummary s = solve_alm(*problem, *inner);
    const auto t1 = std::chrono::steady_clock::now();
    Row r;
    r.name = entry.name;
    r.n = problem->num_variables();
    r.m_eq = problem->num_equalities();
    r.m_in = problem->num_inequalities();
    r.status = to_string(s.status);
    r.f = s.objective;
    r.infeas = s.kkt.infeasibility;
    r.stat = s.kkt.stationarity;
    r.outer = s.outer_iterations;
    r.inner = s.inner_iterations;
    r.evals = s.evaluations.objective + s.evaluations.gradient;
    r.ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    bool ok = r.infeas <= 1e-6 && r.stat <= 1e-6 && std::isfinite(r.f);
    if (const auto fstar = problem->known_optimal_value()) {
      r.f_err = std::abs(r.f - *fstar);
      ok = ok && r.f_err <= 1e-6 * std::max(1.0, std::abs(*fstar));
    }
    r.solved = ok;
    rows.push_back(r);
  }

  const char* head[] = {"problem", "n", "#eq", "#ineq", "solved", "status", "f", "|f-f*|", "infeas",
                        "stationarity", "outer", "inner", "f/grad evals", "time [ms]"};
  if (markdown) {
    std::string h = "|", sep = "|";
    for (const char* c : head) {
      h += fmt::format(" {} |", c);
      sep += "---|";
    }
    std::puts(h.c_str());
    std::puts(sep.c_str());
  } else {
    std::puts(fmt::format("{:<12} {:>4} {:>4} {:>5} {:>6} {:<22} {:>16} {:>9} {:>9} {:>12} {:>5} {:>7} {:>12} {:>9}",
                          head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7], head[8], head[9],
                          head[10], head[11], head[12], head[13]).c_str());
  }
  int solved = 0;
  long outer = 0, inner = 0, evals = 0;
  double ms = 0.0;
  for (const auto& r : rows) {
    solved += r.solved;
    outer += r.outer;
    inner += r.inner;
    evals += r.evals;
    ms += r.ms;
    if (markdown)
      std::puts(fmt::format("| {} | {} | {} | {} | {} | {} | {:.10g} | {} | {} | {} | {} | {} | {} | {:.2f} |", r.name, r.n,
                            r.m_eq, r.m_in, r.solved ? "yes" : "**no**", r.status, r.f, sci(r.f_err), sci(r.infeas),
                            sci(r.stat), r.outer, r.inner, r.evals, r.ms).c_str());
    else
      std::puts(fmt::format("{:<12} {:>4} {:>4} {:>5} {:>6} {:<22} {:>16.10g} {:>9} {:>9} {:>12} {:>5} {:>7} {:>12} {:>9.2f}",
                            r.name, r.n, r.m_eq, r.m_in, r.solved ? "yes" : "NO", r.status, r.f, sci(r.f_err),
                            sci(r.infeas), sci(r.stat), r.outer, r.inner, r.evals, r.ms).c_str());
  }
  const std::string totals = fmt::format(
      "solved {}/{} (inner solver {}); outer iterations {}, inner iterations {}, f/grad evaluations {}, time {:.1f} ms",
      solved, rows.size(), inner_name, outer, inner, evals, ms);
  if (markdown) std::printf("\n**Totals:** %s\n", totals.c_str());
  else std::printf("\nTotals: %s\n", totals.c_str());
  return solved == static_cast<int>(rows.size()) ? 0 : 1;
}
