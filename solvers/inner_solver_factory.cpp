#include "almkit/solvers/inner_solver_factory.h"

#include <stdexcept>

#include <fmt/format.h>

namespace almkit {

std::vector<std::string> inner_solver_names() {
  if (lbfgsb_available()) return {"lbfgs", "lbfgsb", "newton", "bcd"};
  return {"lbfgs", "newton", "bcd"};
}

std::string default_inner_solver_name() { return lbfgsb_available() ? "lbfgsb" : "lbfgs"; }

std::unique_ptr<InnerSolver> make_inner_solver(const std::string& name, const InnerSolverOptions& options) {
  if (name == "lbfgs") return std::make_unique<CeresLbfgsSolver>(options.lbfgs);
  if (name == "bcd") return std::make_unique<BcdSolver>(options.bcd);
  if (name == "lbfgsb" && lbfgsb_available()) return std::make_unique<LbfgsbSolver>(options.lbfgsb);
  if (name == "newton") return std::make_unique<NewtonCgSolver>(options.newton);
  throw std::invalid_argument(
      fmt::format("unknown inner solver '{}' (expected one of: {})", name, fmt::join(inner_solver_names(), ", ")));
}

std::string inner_solver_unsuitable(const std::string& name, const ConstrainedProblem& problem) {
  if (name == "bcd" && dynamic_cast<const BlockProblem*>(&problem) == nullptr)
    return fmt::format("inner solver 'bcd' needs a problem with closed-form blocks (a BlockProblem, such as the RNN "
                       "training problem); problem '{}' has none: use 'lbfgs'",
                       problem.name());
  // lbfgs, lbfgsb and newton take any problem (lbfgsb and newton keep the bounds themselves).
  return {};
}

std::vector<std::string> inner_solver_names_for(const ConstrainedProblem& problem) {
  std::vector<std::string> names;
  for (const auto& name : inner_solver_names())
    if (inner_solver_unsuitable(name, problem).empty()) names.push_back(name);
  return names;
}

std::unique_ptr<InnerSolver> make_inner_solver(const std::string& name, const ConstrainedProblem& problem,
                                               const InnerSolverOptions& options) {
  auto solver = make_inner_solver(name, options);  // unknown names first
  if (std::string why = inner_solver_unsuitable(name, problem); !why.empty()) throw std::invalid_argument(why);
  return solver;
}

}  // namespace almkit
