// L-BFGS-B inner solver (docs/inner_solvers.md "lbfgsb"): minimizes L_β over
// the problem's box l ≤ x ≤ u with the reference L-BFGS-B 3.0 code of Byrd,
// Lu, Nocedal and Zhu (Zhu et al., ACM TOMS 23(4), 1997; Morales & Nocedal,
// ACM TOMS 38(1), 2011), linked from Debian's liblbfgsb-dev when it is
// installed (optional dependency; lbfgsb_available() says whether it is).
//
// The bounds are kept by the solver, not penalized: handles_bounds() is true,
// so the ALM leaves them out of L_β (as ALGENCAN's GENCAN does). The
// convergence test is the ALM's ε on the projected gradient,
// ‖P(x − ∇L_β(x)) − x‖∞ ≤ ε (L-BFGS-B's pgtol).
#pragma once

#include "almkit/core/inner_solver.h"

namespace almkit {

struct LbfgsbOptions {
  int max_iterations = 1000;  ///< L-BFGS-B iterations per subproblem
  int memory = 20;            ///< number of correction pairs (L-BFGS-B's m; 20 measured better than 10, docs/benchmark.md)
  /// Stop when the relative decrease of L_β over one iteration is ≤ factr · u
  /// (u = 2.2e-16, L-BFGS-B's factr; its relative test divides by max(|L|, 1),
  /// so it stops far too early where L_β ≈ 0, hs051). 0 = off: only the
  /// projected-gradient test and a failed line search stop.
  double factr = 0.0;
  /// After a failed line search in which a trial point decreased L_β, restart
  /// L-BFGS-B from the best point (empty memory) at most this many times.
  /// 0 by measurement (docs/benchmark.md): the best point is returned either
  /// way, and the ALM's next subproblem restarts anyway; 10 cost 42 % more
  /// gradients over the benchmark set (hs106: 6928 instead of 1547).
  int restarts = 0;
  /// After a non-finite L_β at a trial point x_t (an overflow of the penalty
  /// term far from the current point), restart from the best point x_b inside
  /// the trust box |x − x_b|∞ ≤ r, r = ‖x_t − x_b‖∞ / 2, intersected with the
  /// bounds, at most this many times; a run that ends on the box's face with
  /// the projected gradient (true bounds) above ε restarts there with 2r.
  /// 0 = stop with status non_finite at once (the behaviour before the box;
  /// docs/benchmark.md "hs013").
  int nonfinite_retries = 20;
  double max_seconds = 1e9;   ///< per subproblem wall-clock limit
  /// L-BFGS-B 3.0 writes "ascent direction in projection gd = …" to standard
  /// output (Fortran unit 6) whatever its iprint says. While quiet, file
  /// descriptor 1 points at /dev/null during each minimize() (the Fortran unit
  /// is flushed before it is restored). Turn off when other threads write to
  /// standard output during a solve: their output would be lost meanwhile.
  bool quiet = true;

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is LbfgsbOptions or const LbfgsbOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("max_iterations", self.max_iterations, "L-BFGS-B iterations per subproblem");
    v("memory", self.memory, "L-BFGS-B memory (correction pairs)");
    v("factr", self.factr, "stop when the relative decrease of L is <= factr * 2.2e-16, 0 = off");
    v("restarts", self.restarts, "restarts from the best trial point after a failed line search that decreased L");
    v("nonfinite_retries", self.nonfinite_retries, "restarts in a trust box after a non-finite trial value (0 = stop non_finite)");
    v("max_seconds", self.max_seconds, "wall-clock limit per subproblem, seconds");
    v("quiet", self.quiet, "discard what the Fortran code prints to standard output (fd 1 -> /dev/null during a subproblem)");
  }
  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

/// True when almkit was built with liblbfgsb (ALMKIT_HAVE_LBFGSB).
bool lbfgsb_available();

class LbfgsbSolver final : public InnerSolver {
 public:
  /// Throws std::runtime_error when lbfgsb_available() is false.
  explicit LbfgsbSolver(LbfgsbOptions options = {});
  std::string name() const override { return "lbfgsb"; }
  bool handles_bounds() const override { return true; }
  InnerResult minimize(const AugmentedLagrangian& L, VectorRef x, double tolerance) override;
  const LbfgsbOptions& options() const { return options_; }

 private:
  LbfgsbOptions options_;
};

}  // namespace almkit
