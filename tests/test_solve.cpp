// The pieces of `almkit solve` tested directly (docs/json.md, docs/cli.md): the inner-solver
// factory, the `solve --json` schema of summary_to_json, the L-BFGS polish
// path, the problem names users type, and the command end to end.
#include <cmath>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "almkit/core/alm.h"
#include "almkit/core/alm_json.h"
#include "almkit/core/augmented_lagrangian.h"
#include "almkit/problems/registry.h"
#include "almkit/solvers/inner_solver_factory.h"
#include "cli_test_helpers.h"

using namespace almkit;

TEST_CASE("make_inner_solver: names, unknown names and unsuitable problems") {
  CHECK(inner_solver_names() == (lbfgsb_available() ? std::vector<std::string>{"lbfgs", "lbfgsb", "newton", "bcd"}
                                                     : std::vector<std::string>{"lbfgs", "newton", "bcd"}));
  CHECK(make_inner_solver("lbfgs")->name() == "lbfgs");
  CHECK(make_inner_solver("bcd")->name() == "bcd");
  CHECK(make_inner_solver("newton")->name() == "newton");
  CHECK_THROWS_WITH_AS(make_inner_solver("nosuch"), doctest::Contains("unknown inner solver 'nosuch'"),
                       std::invalid_argument);
  const auto hs = find_problem("hs071")->make();
  CHECK(inner_solver_names_for(*hs) == (lbfgsb_available() ? std::vector<std::string>{"lbfgs", "lbfgsb", "newton"}
                                                            : std::vector<std::string>{"lbfgs", "newton"}));
  CHECK(inner_solver_unsuitable("lbfgs", *hs).empty());
  CHECK_THROWS_WITH_AS(make_inner_solver("bcd", *hs), doctest::Contains("closed-form blocks"), std::invalid_argument);
  InnerSolverOptions o;
  o.lbfgs.memory = 7;
  auto s = make_inner_solver("lbfgs", *hs, o);
  REQUIRE(dynamic_cast<CeresLbfgsSolver*>(s.get()) != nullptr);
  CHECK(dynamic_cast<CeresLbfgsSolver*>(s.get())->options().memory == 7);
}

TEST_CASE("problem names: hs71, HS71 and hs071 are the same problem, list spells it hs071") {
  const ProblemEntry* e = find_problem("hs071");
  REQUIRE(e != nullptr);
  CHECK(find_problem("hs71") == e);
  CHECK(find_problem("HS71") == e);
  CHECK(find_problem("HS071") == e);
  CHECK(find_problem("hs0071") == e);
  CHECK(canonical_problem_name("Hs7") == "hs007");
  CHECK(find_problem("hs") == nullptr);
  CHECK(find_problem("hs9999") == nullptr);
  CHECK(find_problem("nosuch") == nullptr);
}

TEST_CASE("summary_to_json: the `almkit solve --json` schema (docs/json.md)") {
  const auto p = find_problem("hs071")->make();
  CeresLbfgsSolver inner;
  const AlmSummary s = solve_alm(*p, inner);
  const nlohmann::json j = summary_to_json(s);
  for (const char* key : {"problem", "status", "message", "x", "objective", "multipliers", "kkt", "statistics",
                          "best_feasible", "history", "options"})
    CHECK_MESSAGE(j.contains(key), key);
  CHECK(j["problem"] == "hs071");
  CHECK(j["status"] == "converged");
  CHECK(j["x"].size() == 4);
  CHECK(j["multipliers"]["equality"].size() == 1);
  CHECK(j["multipliers"]["inequality"].size() == 1);
  CHECK(j["multipliers"]["bounds"].size() == 4);
  for (const char* key : {"stationarity", "infeasibility", "complementarity", "sign_violation", "scaled_stationarity",
                          "multiplier_norm"})
    CHECK_MESSAGE(j["kkt"].contains(key), key);
  for (const char* key : {"outer_iterations", "inner_iterations", "inner_solver", "final_penalty", "seconds", "evaluations"})
    CHECK_MESSAGE(j["statistics"].contains(key), key);
  REQUIRE(!j["history"].empty());
  for (const char* key : {"iteration", "objective", "infeasibility", "stationarity", "penalty", "multiplier_norm",
                          "inner_tolerance", "inner_iterations", "inner_status", "seconds"})
    CHECK_MESSAGE(j["history"][0].contains(key), key);
  // Options flat under their CLI names: common, safeguarded and reference ones.
  for (const char* key : {"policy", "tol_feasibility", "degeneracy_max_variables", "tau", "stagnation_iterations",
                          "ref_gamma0", "ref_immediate"})
    CHECK_MESSAGE(j["options"].contains(key), key);
  CHECK(j["options"]["policy"] == "safeguarded");
  CHECK(std::abs(j["objective"].get<double>() - 17.0140173) < 1e-5);
}

TEST_CASE("L-BFGS inner solver: after Ceres stops short, the derivative-only polish continues") {
  const auto p = find_problem("hs071")->make();
  AugmentedLagrangian L(*p);
  L.set_parameters(Vector::Zero(p->num_equalities()), Vector::Zero(L.num_extended_inequalities()), 10.0);
  LbfgsOptions o;
  o.max_iterations = 1;  // Ceres returns after one iteration with ‖∇L‖∞ far above ε
  o.polish_iterations = 0;
  Vector x0 = p->initial_point();
  Vector x_plain = x0, x_polished = x0;
  const InnerResult plain = CeresLbfgsSolver(o).minimize(L, x_plain, 1e-8);
  o.polish_iterations = 500;
  const InnerResult polished = CeresLbfgsSolver(o).minimize(L, x_polished, 1e-8);
  CHECK(plain.status == InnerStatus::kIterationLimit);
  CHECK(plain.iterations <= 1);
  CHECK(polished.iterations > plain.iterations);
  CHECK(polished.final_measure < plain.final_measure);
  CHECK(polished.final_value <= plain.final_value);
  CHECK(x_polished.allFinite());
}

TEST_CASE("almkit solve: standard names, the iteration log, JSON with one verification, bad names") {
  namespace fs = std::filesystem;
  const fs::path dir = almkit::testing::fresh_temp_dir("almkit_test_solve", "json");
  for (const char* name : {"hs71", "HS71", "hs071"}) {
    const auto r = almkit::testing::run_cli(std::string("solve ") + name + " --quiet");
    CHECK_MESSAGE(r.code == 0, name);
    CHECK(r.output.find("hs071") != std::string::npos);
    CHECK(r.output.find("converged") != std::string::npos);
  }
  const fs::path json = dir / "s.json";
  const auto r = almkit::testing::run_cli("solve hs71 --json \"" + json.string() + "\"");
  REQUIRE(r.code == 0);
  CHECK(r.output.find("iter") != std::string::npos);  // the log header
  const nlohmann::json j = nlohmann::json::parse(almkit::testing::slurp(json));
  CHECK(j["problem"] == "hs071");
  CHECK(j["verification"].is_object());
  CHECK(j["options"]["alm"].contains("tau"));
  CHECK(j["options"]["inner_solver"] == default_inner_solver_name());  // lbfgsb when built with liblbfgsb
  const auto bad = almkit::testing::run_cli("solve hs72");
  CHECK(bad.code == 2);
  CHECK(bad.output.find("unknown problem 'hs72'") != std::string::npos);
  const auto bcd = almkit::testing::run_cli("solve hs071 --inner bcd");
  CHECK(bcd.code == 2);
  CHECK(bcd.output.find("closed-form blocks") != std::string::npos);
}
