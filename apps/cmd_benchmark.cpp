// almkit benchmark: every solver on every built-in problem with a known
// optimum, judged by one criterion; a table (CSV, Markdown, JSON) and
// Dolan–Moré performance profiles (docs/benchmark.md).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "almkit/core/alm.h"
#include "almkit/core/alm_json.h"
#include "almkit/core/io.h"
#include "almkit/core/json_util.h"
#include "almkit/problems/registry.h"
#include "almkit/solvers/inner_solver_factory.h"
#include "almkit/study/benchmark_profile.h"
#include "benchmark_peers.h"
#include "commands.h"
#include "gnuplot_plots.h"
#include "option_binding.h"

namespace almkit::cli {

namespace {

/// The almkit solvers of the benchmark: the safeguarded ALM with an inner
/// solver ("alm-" + its name: alm-lbfgs = Ceres L-BFGS, alm-lbfgsb = L-BFGS-B
/// when built with liblbfgsb, alm-newton = projected Newton-CG), all with
/// their defaults unless --alm.*, --lbfgs.*, --lbfgsb.*, --newton.* say otherwise.
std::vector<std::string> almkit_solver_names() {
  std::vector<std::string> v{"alm-lbfgs"};
  if (lbfgsb_available()) v.push_back("alm-lbfgsb");
  v.push_back("alm-newton");
  return v;
}
bool is_almkit_solver(const std::string& s) { return s.rfind("alm-", 0) == 0; }
/// almkit's default (default_inner_solver_name), compared with NLopt AUGLAG.
std::string almkit_default_solver() { return "alm-" + default_inner_solver_name(); }

struct BenchmarkArgs {
  std::string problems = "all";
  std::string solvers = "all";
  std::string out = "out/benchmark";
  double time_limit = 60.0;
  bool quiet = false;
  bool print_options = false;
  AlmOptions alm;
  LbfgsOptions lbfgs;
  LbfgsbOptions lbfgsb;
  NewtonCgOptions newton;
};

using benchmark::Row;

std::string fmt_g(double v) { return std::isfinite(v) ? fmt::format("{:.10g}", v) : std::string("nan"); }

Row run_one(const ProblemEntry& entry, const std::string& solver, const BenchmarkArgs& a) {
  auto problem = entry.make();
  Row r;
  r.problem = entry.name;
  r.solver = solver;
  r.n = problem->num_variables();
  r.m_eq = problem->num_equalities();
  r.m_in = problem->num_inequalities();
  r.f_star = *problem->known_optimal_value();
  Vector x = problem->initial_point();
  const auto t0 = std::chrono::steady_clock::now();
  try {
    if (is_almkit_solver(solver)) {
      AlmOptions o = a.alm;
      o.time_limit_seconds = std::min(o.time_limit_seconds, a.time_limit);
      InnerSolverOptions io;
      io.lbfgs = a.lbfgs;
      io.lbfgsb = a.lbfgsb;
      io.newton = a.newton;
      auto inner = make_inner_solver(solver.substr(4), *problem, io);
      const AlmSummary s = solve_alm(*problem, *inner, o);
      x = s.x;
      r.status = to_string(s.status);
    } else {
      problem->reset_counters();
      PeerOptions po;
      po.time_limit_seconds = a.time_limit;
      const PeerResult p = run_peer(solver, *problem, po);
      x = p.x;
      r.status = p.status;
    }
  } catch (const std::exception& e) {
    r.status = fmt::format("error: {}", e.what());
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.gradient_evaluations = problem->counters().gradient;
  r.function_evaluations = problem->counters().objective;
  r.hessian_evaluations = problem->counters().hessian_prod;
  r.f = x.allFinite() ? problem->eval_f(x) : std::numeric_limits<double>::quiet_NaN();
  r.violation = x.allFinite() ? infeasibility(*problem, x) : std::numeric_limits<double>::infinity();
  r.solved = benchmark::is_solved(r.f, r.f_star, r.violation);
  return r;
}

// One gnuplot data block per solver (separated by two blank lines): the
// step function ρ_s(τ) from τ = 1 to tau_max (study/benchmark_profile.h).
std::string profile_data(const benchmark::PerformanceProfile& pp) {
  std::string out;
  for (size_t s = 0; s < pp.solvers.size(); ++s) {
    out += fmt::format("# {}\n# tau rho\n", pp.solvers[s]);
    for (const auto& step : pp.steps(s)) out += fmt::format("{:.6g} {:.6g}\n", step.tau, step.rho);
    out += "\n\n";
  }
  return out;
}

void write_csv(const std::string& dir, const std::vector<Row>& rows) {
  std::string csv = "problem,n,m_eq,m_in,solver,solved,f,f_star,violation,gradient_evaluations,"
                    "function_evaluations,seconds,status,hessian_evaluations\n";
  for (const auto& r : rows)
    csv += fmt::format("{},{},{},{},{},{},{},{},{:.3e},{},{},{:.6f},\"{}\",{}\n", r.problem, r.n, r.m_eq, r.m_in, r.solver,
                       r.solved ? 1 : 0, fmt_g(r.f), fmt_g(r.f_star), r.violation, r.gradient_evaluations,
                       r.function_evaluations, r.seconds, r.status, r.hessian_evaluations);
  write_file_atomically(dir + "/benchmark.csv", csv);
}

// Markdown: per problem the gradient evaluations of each solver, ✗ when
// unsolved; the totals; almkit against NLopt AUGLAG (docs/benchmark.md "Goal").
void write_markdown(const std::string& dir, const std::vector<Row>& rows, const std::vector<std::string>& problems,
                    const std::vector<std::string>& solvers, const std::optional<benchmark::Versus>& vs) {
  auto totals = benchmark::totals(rows);
  std::string md = "| problem | n | m_eq | m_in |";
  std::string rule = "|---|---|---|---|";
  for (const auto& s : solvers) md += fmt::format(" {} |", s), rule += "---|";
  md += "\n" + rule + "\n";
  for (const auto& p : problems) {
    const Row* first = benchmark::find_row(rows, p, solvers.front());
    md += fmt::format("| {} | {} | {} | {} |", p, first->n, first->m_eq, first->m_in);
    for (const auto& s : solvers) {
      const Row* r = benchmark::find_row(rows, p, s);
      md += r->solved ? fmt::format(" {} |", r->gradient_evaluations)
                      : fmt::format(" ✗ {} ({}) |", r->gradient_evaluations, r->status);
    }
    md += "\n";
  }
  md += "| **solved** | | | |";
  for (const auto& s : solvers) md += fmt::format(" {} / {} |", totals[s].solved, problems.size());
  md += "\n| **gradient evaluations** | | | |";
  for (const auto& s : solvers) md += fmt::format(" {} |", totals[s].evals);
  md += "\n| **Hessian(-vector) evaluations** | | | |";
  for (const auto& s : solvers) md += fmt::format(" {} |", totals[s].hessian_evals);
  md += "\n| **seconds** | | | |";
  for (const auto& s : solvers) md += fmt::format(" {:.2f} |", totals[s].seconds);
  md += "\n";
  if (vs) {
    const std::string ours = almkit_default_solver();
    const auto& missed = vs->solved_by_theirs_only;
    md += fmt::format("\n{} vs nlopt-auglag: gradient evaluations {} vs {}; problems solved by nlopt-auglag but not by "
                      "{}: {}; largest ratio on a problem nlopt-auglag solved: {:.2f} ({})\n",
                      ours, vs->ours_evaluations, vs->theirs_evaluations, ours,
                      missed.empty() ? "none" : fmt::format("{}", fmt::join(missed, ", ")), vs->largest_ratio,
                      vs->largest_ratio_problem);
  }
  write_file_atomically(dir + "/benchmark.md", md);
}

void write_json(const std::string& dir, const std::vector<Row>& rows, const std::vector<std::string>& problems,
                const std::vector<std::string>& solvers, const std::optional<benchmark::Versus>& vs,
                const BenchmarkArgs& a) {
  nlohmann::json j;
  j["criterion"] = "|f - f*| <= 1e-6 max(1, |f*|) and violation <= 1e-6 at the returned x";
  j["solvers"] = solvers;
  j["problems"] = problems;
  j["time_limit_seconds"] = a.time_limit;
  j["options"] = {{"alm", options_to_json(a.alm)}, {"lbfgs", options_to_json(a.lbfgs)},
                  {"lbfgsb", options_to_json(a.lbfgsb)}, {"newton", options_to_json(a.newton)}};
  nlohmann::json jr = nlohmann::json::array();
  for (const auto& r : rows)
    jr.push_back({{"problem", r.problem}, {"solver", r.solver}, {"solved", r.solved}, {"f", json_number(r.f)},
                  {"f_star", r.f_star}, {"violation", json_number(r.violation)},
                  {"gradient_evaluations", r.gradient_evaluations}, {"function_evaluations", r.function_evaluations},
                  {"hessian_evaluations", r.hessian_evaluations}, {"seconds", r.seconds}, {"status", r.status}});
  j["rows"] = jr;
  auto totals = benchmark::totals(rows);
  nlohmann::json jt;
  for (const auto& s : solvers)
    jt[s] = {{"solved", totals[s].solved}, {"gradient_evaluations", totals[s].evals},
             {"hessian_evaluations", totals[s].hessian_evals}, {"seconds", totals[s].seconds}};
  j["totals"] = jt;
  nlohmann::json versus = nullptr;
  if (vs)
    versus = {{"almkit_solver", almkit_default_solver()},
              {"almkit_gradient_evaluations", vs->ours_evaluations},
              {"nlopt_auglag_gradient_evaluations", vs->theirs_evaluations},
              {"solved_by_nlopt_auglag_not_almkit", vs->solved_by_theirs_only},
              {"largest_ratio", vs->largest_ratio},
              {"largest_ratio_problem", vs->largest_ratio_problem}};
  j["almkit_vs_nlopt_auglag"] = versus;
  write_file_atomically(dir + "/benchmark.json", j.dump(2) + "\n");
}

// The performance profiles of gradient evaluations and of wall time: data
// files and a gnuplot script (study/benchmark_profile.h computes them).
void write_profiles(const std::string& dir, const std::vector<Row>& rows, const std::vector<std::string>& problems,
                    const std::vector<std::string>& solvers) {
  std::string plot_body;
  std::vector<std::string> pngs;
  for (const auto& [key, label, cost] : {std::tuple{"evaluations", "gradient evaluations", &benchmark::evaluation_cost},
                                         std::tuple{"time", "wall time", &benchmark::time_cost}}) {
    const auto pp = benchmark::performance_profile(rows, problems, solvers, cost);
    const double tau_max = pp.tau_max();
    write_file_atomically(fmt::format("{}/profile_{}.dat", dir, key), profile_data(pp));
    std::string plot = fmt::format(
        "set output 'profile_{0}.png.tmp'\n"
        "set title 'Dolan-More performance profile: {1} ({2} problems)'\n"
        "set logscale x 2\nset xrange [1:{3:.6g}]\nset yrange [0:1.05]\n"
        "set xlabel 'tau: {1} / best solver on the problem'\n"
        "set ylabel 'share of problems solved within tau of the best'\nset key bottom right\nset grid\nplot ",
        key, label, problems.size(), tau_max);
    for (size_t i = 0; i < solvers.size(); ++i)
      plot += fmt::format("{}'profile_{}.dat' index {} using 1:2 with steps lw 2 title '{}'", i ? ", \\\n     " : "", key,
                          i, solvers[i]);
    plot_body += plot + "\nset output\n";
    pngs.push_back(fmt::format("profile_{}.png", key));
  }
  write_and_run_plots(dir, "almkit benchmark performance profiles (docs/benchmark.md): run `gnuplot plots.gp` here.",
                      plot_body, pngs);
}

void write_outputs(const std::string& dir, const std::vector<Row>& rows, const std::vector<std::string>& problems,
                   const std::vector<std::string>& solvers, const BenchmarkArgs& a) {
  const auto vs = benchmark::versus(rows, problems, solvers, almkit_default_solver(), "nlopt-auglag");
  write_csv(dir, rows);
  write_markdown(dir, rows, problems, solvers, vs);
  write_json(dir, rows, problems, solvers, vs, a);
  write_profiles(dir, rows, problems, solvers);
}

void run_benchmark(const BenchmarkArgs& a) {
  a.alm.validate();
  a.lbfgs.validate();
  a.lbfgsb.validate();
  a.newton.validate();
  if (!(a.time_limit > 0)) throw UsageError(fmt::format("--time-limit: expected a number > 0, got {}", a.time_limit));
  // Problems: every built-in one with a published optimum, or the given list.
  std::vector<const ProblemEntry*> entries;
  if (a.problems == "all") {
    for (const auto& e : builtin_problems())
      if (e.make()->known_optimal_value()) entries.push_back(&e);
  } else {
    for (const auto& name : split_comma_list(a.problems)) {
      const ProblemEntry* e = find_problem(name);
      if (e == nullptr) throw UsageError(fmt::format("--problems: unknown problem '{}' (run 'almkit list')", name));
      if (!e->make()->known_optimal_value())
        throw UsageError(fmt::format("--problems: problem '{}' has no known optimal value to judge against", name));
      entries.push_back(e);
    }
  }
  if (entries.empty()) throw UsageError("--problems: no problem selected");
  // Solvers: almkit's, then the reference solvers compiled in.
  std::vector<std::string> available = almkit_solver_names();
  for (const auto& s : peer_solver_names()) available.push_back(s);
  std::vector<std::string> solvers;
  if (a.solvers == "all") {
    solvers = available;
  } else {
    for (const auto& s : split_comma_list(a.solvers)) {
      if (std::find(available.begin(), available.end(), s) != available.end()) {
        if (std::find(solvers.begin(), solvers.end(), s) == solvers.end()) solvers.push_back(s);
        continue;
      }
      if (s == "alm-lbfgsb")
        throw UsageError("--solvers: 'alm-lbfgsb' needs almkit built with liblbfgsb (install Debian's "
                         "liblbfgsb-dev and rebuild; see docs/inner_solvers.md)");
      const auto known = known_peer_solver_names();
      if (std::find(known.begin(), known.end(), s) != known.end())
        throw UsageError(fmt::format("--solvers: '{}' was not found when almkit was built (install its Debian "
                                     "package and rebuild; see docs/benchmark.md)",
                                     s));
      throw UsageError(fmt::format("--solvers: unknown solver '{}' (available: {})", s, fmt::join(available, ", ")));
    }
  }
  if (solvers.empty()) throw UsageError("--solvers: no solver selected");
  if (a.print_options) {
    std::vector<std::string> names;
    for (const auto* e : entries) names.push_back(e->name);
    const nlohmann::json o = {{"problems", names},           {"solvers", solvers},
                              {"time_limit_seconds", a.time_limit}, {"out", a.out},
                              {"alm", options_to_json(a.alm)}, {"lbfgs", options_to_json(a.lbfgs)},
                              {"lbfgsb", options_to_json(a.lbfgsb)}, {"newton", options_to_json(a.newton)}};
    fmt::print("{}\n", o.dump(2));
  }
  if (parse_only() != ParseOnly::kOff) return;  // docs/cli.md "Checking a command line"

  std::vector<Row> rows;
  std::vector<std::string> problems;
  for (const auto* e : entries) {
    problems.push_back(e->name);
    for (const auto& s : solvers) {
      rows.push_back(run_one(*e, s, a));
      const Row& r = rows.back();
      if (!a.quiet)
        fmt::print("{:<8} {:<13} {:<7} f = {:<17.10g} viol {:.1e}  grad evals {:>7}  {:>8.3f} s  {}\n", r.problem,
                   r.solver, r.solved ? "solved" : "FAILED", r.f, r.violation, r.gradient_evaluations, r.seconds,
                   r.status);
    }
  }
  write_outputs(a.out, rows, problems, solvers, a);
  fmt::print("wrote {0}/benchmark.csv, {0}/benchmark.md, {0}/benchmark.json and the performance profiles\n", a.out);
}

}  // namespace

void register_benchmark(CLI::App& app) {
  auto a = std::make_shared<BenchmarkArgs>();
  auto* sub = app.add_subcommand(
      "benchmark", "Run every solver on every built-in problem with a known optimum; table and performance profiles");
  sub->add_option("--problems", a->problems, "all | comma-separated problem names (see: almkit list)")
      ->capture_default_str();
  std::string solvers_help = fmt::format("all | comma-separated list of: {}", fmt::join(almkit_solver_names(), ", "));
  for (const auto& s : peer_solver_names()) solvers_help += ", " + s;
  sub->add_option("--solvers", a->solvers, solvers_help)->capture_default_str();
  sub->add_option("--out", a->out, "Output folder (benchmark.csv/.md/.json, profile_*.png)")->capture_default_str();
  sub->add_option("--time-limit", a->time_limit, "Wall-clock limit per run, seconds")->capture_default_str();
  sub->add_flag("--quiet", a->quiet, "Print only the output location");
  sub->add_flag("--print-options", a->print_options, "Print every option with the value used, as JSON");
  add_options(sub, "alm", a->alm, "ALM options of the alm-* solvers (docs/alm.md)", {"time_limit_seconds"});
  add_options(sub, "lbfgs", a->lbfgs, "L-BFGS options of alm-lbfgs (docs/inner_solvers.md)");
  add_options(sub, "lbfgsb", a->lbfgsb, "L-BFGS-B options of alm-lbfgsb (docs/inner_solvers.md)");
  add_options(sub, "newton", a->newton, "Projected Newton-CG options of alm-newton (docs/inner_solvers.md)");
  sub->callback([a] { run_benchmark(*a); });
}

}  // namespace almkit::cli
