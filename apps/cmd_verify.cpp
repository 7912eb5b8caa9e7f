// almkit verify PROBLEM: checks whether a point is a KKT point (Clarke and
// limiting selections at ReLU kinks) and whether NNAMCQ holds there
// (docs/verification.md; file formats in its §7).
//
//   --point FILE        {"x": [x1, …, xn]}; without it the ALM (L-BFGS inner
//                       solver) is run from the problem's start point first
//   --multipliers FILE  {"equality": [λ…], "inequality": [μ…]}; without it the
//                       ALM's multipliers (after a solve) or least squares
//   --least-squares     ignore any multipliers: least-squares ones (μ ≥ 0)
//   --tol T             tolerance of every KKT residual (and kink/active sets)
//   --json OUT          the reports as one JSON object, written atomically
// Bad input (unknown problem, missing/malformed file, wrong length, non-finite
// entry) is one line naming the file and field, exit code 2.
#include <cmath>
#include <memory>
#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "almkit/core/alm.h"
#include "almkit/core/alm_json.h"
#include "almkit/core/io.h"
#include "almkit/core/nnamcq.h"
#include "almkit/core/vector_json.h"
#include "almkit/core/verify.h"
#include "almkit/problems/registry.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"
#include "commands.h"
#include "option_binding.h"

namespace almkit::cli {

namespace {

struct VerifyArgs {
  std::string problem;
  std::string point_file;
  std::string multipliers_file;
  std::string json;
  double tol = 1e-6;
  double kink_tol = -1.0;
  bool least_squares = false;
  bool print_options = false;
  AlmOptions alm;
};

nlohmann::json load_json(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  return parse_json_text(text, path);  // std::invalid_argument: exit 2 (apps/main.cpp)
}

// The array `field` of `j` as a vector of `size` finite numbers (core/vector_json.h).
Vector read_vector(const nlohmann::json& j, const std::string& path, const char* field, Eigen::Index size,
                   const std::string& what) {
  return read_json_vector(j, path, field, size, what);
}

}  // namespace

void register_verify(CLI::App& app) {
  auto args = std::make_shared<VerifyArgs>();
  auto* sub = app.add_subcommand(
      "verify", "Check whether a point is a KKT point and whether NNAMCQ holds there (docs/verification.md)");
  sub->add_option("problem", args->problem, "Problem name, as listed by 'almkit list'")->required();
  sub->add_option("--point", args->point_file, "JSON file {\"x\": [...]}; default: run the ALM first");
  sub->add_option("--multipliers", args->multipliers_file,
                  "JSON file {\"equality\": [...], \"inequality\": [...]}; default: the ALM's, or least squares");
  sub->add_flag("--least-squares", args->least_squares, "Use least-squares multipliers (mu >= 0) even when others are available");
  sub->add_option("--tol", args->tol, "Tolerance of the KKT residuals")->capture_default_str();
  sub->add_option("--kink-tol", args->kink_tol, "|v| <= this is an active kink, g >= -this is active (default: --tol)");
  sub->add_option("--json", args->json, "Write both reports as one JSON object to this file");
  sub->add_flag("--print-options", args->print_options, "Print every option with the value used, as JSON");
  add_options(sub, "alm", args->alm, "ALM options, when no --point is given (docs/alm.md)");
  sub->callback([args] {
    const ProblemEntry* entry = find_problem(args->problem);
    if (entry == nullptr) throw UsageError(fmt::format("unknown problem '{}' (run 'almkit list')", args->problem));
    if (!(args->tol > 0.0) || !std::isfinite(args->tol)) throw UsageError("--tol must be a positive number");
    if (args->print_options)
      fmt::print("{}\n", nlohmann::json{{"tol", args->tol},
                                         {"kink_tol", args->kink_tol > 0.0 ? args->kink_tol : args->tol},
                                         {"least_squares", args->least_squares},
                                         {"alm", options_to_json(args->alm)}}
                             .dump(2));
    if (parse_only() != ParseOnly::kOff) return args->alm.validate();  // docs/cli.md "Checking a command line"
    const auto problem = entry->make();
    const Eigen::Index n = problem->num_variables();
    const std::string variables = fmt::format("problem '{}' has", problem->name());

    // Everything the user gave is read and checked before any work.
    Vector x, lambda, mu;
    bool have_multipliers = false;
    if (!args->point_file.empty())
      x = read_vector(load_json(args->point_file), args->point_file, "x", n, variables + " variables:");
    if (!args->multipliers_file.empty()) {
      const nlohmann::json j = load_json(args->multipliers_file);
      lambda = read_vector(j, args->multipliers_file, "equality", problem->num_equalities(), variables + " equalities:");
      mu = read_vector(j, args->multipliers_file, "inequality", problem->num_inequalities(), variables + " inequalities:");
      have_multipliers = true;
    }
    args->alm.validate();

    nlohmann::json out = {{"problem", problem->name()}};
    if (args->point_file.empty()) {
      CeresLbfgsSolver inner;
      const AlmSummary s = solve_alm(*problem, inner, args->alm);
      fmt::print("ALM: {} after {} outer iterations — {}\n", to_string(s.status), s.outer_iterations, s.message);
      out["alm"] = {{"status", to_string(s.status)}, {"message", s.message}, {"outer_iterations", s.outer_iterations}};
      x = s.x;
      if (!have_multipliers && s.lambda.size() == problem->num_equalities() &&
          s.mu.size() == problem->num_inequalities()) {
        lambda = s.lambda;
        mu = s.mu;
        have_multipliers = true;
      }
    }
    VerifyOptions vopt;
    vopt.tolerance = args->tol;
    vopt.kink_tolerance = vopt.active_tolerance = args->kink_tol > 0.0 ? args->kink_tol : args->tol;
    NnamcqOptions nopt;
    static_cast<SelectionOptions&>(nopt) = vopt;  // the same kinks, rows and limits (core/verify.h)
    const KktVerification v = have_multipliers && !args->least_squares ? verify_kkt(*problem, x, lambda, mu, vopt)
                                                                       : verify_kkt(*problem, x, vopt);
    const NnamcqReport nn = check_nnamcq(*problem, x, nopt);
    fmt::print("{}\n{}", v.to_string(), nn.to_string());
    if (!args->json.empty()) {
      out["kkt"] = v.to_json();
      out["nnamcq"] = nn.to_json();
      try {
        write_file_atomically(args->json, out.dump(2) + "\n");
      } catch (const std::exception& e) {
        throw UsageError(e.what());
      }
    }
  });
}

}  // namespace almkit::cli
