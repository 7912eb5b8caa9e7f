// Ceres L-BFGS inner solver (docs/inner_solvers.md): minimizes L_β with
// ceres::GradientProblemSolver, line search LBFGS + WOLFE.
//
// Ceres' defaults stop far too early for an ALM subproblem (50 iterations,
// relative function tolerance 1e-6); here the only convergence test is the
// ALM's: ‖∇L_β(x)‖∞ ≤ ε (Ceres' gradient_tolerance is absolute in the
// line-search minimizer), and function/parameter tolerances are 0 unless set.
// When Ceres' line search fails because the decrease of L_β falls below its
// rounding error, a derivative-only line search continues (polish_iterations).
// Bounds are never seen by this solver: the ALM moves finite bounds into the
// augmented Lagrangian as inequalities (core/augmented_lagrangian.h).
#pragma once

#include "almkit/core/inner_solver.h"

namespace almkit {

struct LbfgsOptions {
  int max_iterations = 1000;         ///< per subproblem (Ceres max_num_iterations), then the polish
  int memory = 20;                   ///< L-BFGS rank (Ceres max_lbfgs_rank)
  double function_tolerance = 0.0;   ///< Ceres: stop when |Δf| ≤ function_tolerance · |f| (0: off)
  double parameter_tolerance = 0.0;  ///< Ceres: stop when ‖Δx‖ ≤ parameter_tolerance · (‖x‖ + parameter_tolerance) (0: off)
  double max_seconds = 1e9;          ///< per subproblem wall-clock limit (Ceres and the polish together)
  /// After a Ceres line-search failure with ‖∇L‖∞ > ε: at most this many
  /// L-BFGS iterations with a derivative-only line search (0: off).
  int polish_iterations = 200;
  /// Hand over from Ceres to the polish after this many consecutive Ceres
  /// iterations whose decrease of L is ≤ 10 u max(1, |L|) (u = 2.2e-16: the
  /// rounding level of L, where Ceres' Wolfe search only crawls); 0: off
  /// (docs/inner_solvers.md "Crawl stop").
  int crawl_iterations = 5;

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is LbfgsOptions or const LbfgsOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("max_iterations", self.max_iterations, "L-BFGS iterations per subproblem");
    v("memory", self.memory, "L-BFGS memory (rank)");
    v("function_tolerance", self.function_tolerance, "relative function-change stop, 0 = off");
    v("parameter_tolerance", self.parameter_tolerance, "relative step stop, 0 = off");
    v("max_seconds", self.max_seconds, "wall-clock limit per subproblem (Ceres and the polish together), seconds");
    v("polish_iterations", self.polish_iterations, "derivative-only L-BFGS iterations after a Ceres line-search failure, 0 = off");
    v("crawl_iterations", self.crawl_iterations, "hand over to the polish after this many Ceres iterations with a decrease at the rounding level of L, 0 = off");
  }
  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

class CeresLbfgsSolver final : public InnerSolver {
 public:
  explicit CeresLbfgsSolver(LbfgsOptions options = {});
  std::string name() const override { return "lbfgs"; }
  InnerResult minimize(const AugmentedLagrangian& L, VectorRef x, double tolerance) override;
  const LbfgsOptions& options() const { return options_; }

 private:
  LbfgsOptions options_;
};

}  // namespace almkit
