// almkit solve PROBLEM: runs the ALM on a built-in problem, prints the
// iteration log and the final KKT report, optionally writes JSON (docs/json.md).
#include <memory>
#include <string>

#include <fmt/core.h>

#include "almkit/core/alm.h"
#include "almkit/core/alm_json.h"
#include "almkit/core/io.h"
#include "almkit/core/solve_verification.h"
#include "almkit/problems/registry.h"
#include "almkit/problems/scalable/scalable_problems.h"
#include "almkit/solvers/inner_solver_factory.h"
#include "commands.h"
#include "option_binding.h"

namespace almkit::cli {

namespace {
struct SolveArgs {
  std::string problem;
  std::string inner = default_inner_solver_name();  // docs/inner_solvers.md
  std::string json;
  int n = 0;  // --n: size of a scalable family (0: its default)
  bool quiet = false;
  bool print_options = false;
  AlmOptions alm;
  InnerSolverOptions inner_options;
};

nlohmann::json inner_options_json(const std::string& inner, const InnerSolverOptions& o) {
  if (inner == "lbfgs") return options_to_json(o.lbfgs);
  if (inner == "lbfgsb") return options_to_json(o.lbfgsb);
  if (inner == "newton") return options_to_json(o.newton);
  return options_to_json(o.bcd);
}
// A built-in problem, or a scalable family at size n (docs/problem.md "Scalable families").
std::unique_ptr<ConstrainedProblem> make_named_problem(const std::string& name, int n) {
  if (const ScalableProblemEntry* family = find_scalable_problem(name)) {
    const int size = n > 0 ? n : family->default_n;
    try {
      return family->make(size);
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("--n: {}", e.what()));
    }
  }
  const ProblemEntry* entry = find_problem(name);
  if (entry == nullptr) throw UsageError(fmt::format("unknown problem '{}' (run 'almkit list')", name));
  if (n > 0) throw UsageError(fmt::format("--n: problem '{}' has a fixed size; --n needs a scalable family (almkit list --scalable)", name));
  return entry->make();
}
}  // namespace

void register_solve(CLI::App& app) {
  auto args = std::make_shared<SolveArgs>();
  auto* sub = app.add_subcommand("solve", "Solve a built-in problem with the ALM (see: almkit list)");
  sub->add_option("problem", args->problem, "Problem name, as listed by 'almkit list'")->required();
  sub->add_option("--inner", args->inner, "Inner solver: lbfgs | lbfgsb (bound-constrained, when built with liblbfgsb) | newton (bound-constrained, projected Newton-CG) | bcd (bcd needs a problem with closed-form blocks)")->capture_default_str();
  sub->add_option("--n", args->n, "Size of a scalable family (almkit list --scalable); default: the family's default n")
      ->check(CLI::PositiveNumber);
  sub->add_option("--json", args->json, "Write the result as one JSON object to this file (docs/json.md)");
  sub->add_flag("--quiet", args->quiet, "Print only the final report");
  sub->add_flag("--print-options", args->print_options, "Print every option with the value used, as JSON");
  add_options(sub, "alm", args->alm, "ALM options (docs/alm.md)");
  add_options(sub, "lbfgs", args->inner_options.lbfgs, "L-BFGS inner solver options (docs/inner_solvers.md)");
  add_options(sub, "bcd", args->inner_options.bcd, "BCD inner solver options (docs/rnn_bcd.md)");
  add_options(sub, "lbfgsb", args->inner_options.lbfgsb, "L-BFGS-B inner solver options (docs/inner_solvers.md)");
  add_options(sub, "newton", args->inner_options.newton, "Projected Newton-CG inner solver options (docs/inner_solvers.md)");
  sub->callback([args] {
    args->alm.validate();
    std::unique_ptr<ConstrainedProblem> problem = make_named_problem(args->problem, args->n);
    std::unique_ptr<InnerSolver> inner;
    try {
      inner = make_inner_solver(args->inner, *problem, args->inner_options);
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("--inner: {}", e.what()));
    }
    if (args->print_options) {
      nlohmann::json o = {{"alm", options_to_json(args->alm)}, {"inner", args->inner}};
      o[args->inner] = inner_options_json(args->inner, args->inner_options);
      fmt::print("{}\n", o.dump(2));
    }
    if (parse_only() != ParseOnly::kOff) return;  // docs/cli.md "Checking a command line"
    AlmCallback log;
    if (!args->quiet) {
      fmt::print("{}\n", alm_log_header());
      log = [](const AlmIteration& it, VectorCRef) {
        fmt::print("{}\n", alm_log_line(it));
        std::fflush(stdout);
        return true;
      };
    }
    const AlmSummary summary = solve_alm(*problem, *inner, args->alm, {}, log);
    fmt::print("\n{}", summary.FullReport());
    if (auto fstar = problem->known_optimal_value())
      fmt::print("  known optimum f*       {:.12g}   (|f - f*| = {:.3e})\n", *fstar,
                 std::abs(summary.objective - *fstar));
    // One verification for the text and the JSON (docs/verification.md).
    const SolveVerification verification = verify_solution(*problem, summary);
    fmt::print("\n{}", verification.to_string());
    if (!args->json.empty()) {
      nlohmann::json j = summary_to_json(summary);
      j["verification"] = verification.to_json();
      j["options"] = {{"alm", options_to_json(args->alm)}, {"inner_solver", args->inner}};
      j["options"][args->inner] = inner_options_json(args->inner, args->inner_options);
      try {
        write_file_atomically(args->json, j.dump(2) + "\n");
      } catch (const std::exception& e) {
        throw UsageError(e.what());
      }
    }
  });
}

}  // namespace almkit::cli
