#include "almkit/solvers/inner_solver_factory.h"

#include <stdexcept>

#include <fmt/format.h>

namespace almkit {

std::vector<std::string> inner_solver_names() { return {"lbfgs", "bcd"}; }

std::unique_ptr<InnerSolver> make_inner_solver(const std::string& name, const InnerSolverOptions& options) {
  if (name == "lbfgs") return std::make_unique<CeresLbfgsSolver>(options.lbfgs);
  if (name == "bcd") return std::make_unique<BcdSolver>(options.bcd);
  throw std::invalid_argument(
      fmt::format("unknown inner solver '{}' (expected one of: {})", name, fmt::join(inner_solver_names(), ", ")));
}

}  // namespace almkit
