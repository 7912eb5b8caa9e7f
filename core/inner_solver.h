// The inner-solver contract (docs/inner_solvers.md): approximately minimize
// the augmented Lagrangian L_β(·; λ̄, μ̄) from a warm start x, to a tolerance
// ε given by the ALM driver, and report what happened.
#pragma once

#include <limits>
#include <memory>
#include <string>

#include "almkit/core/augmented_lagrangian.h"

namespace almkit {

enum class InnerStatus {
  kConverged,       ///< the solver's own criterion reached ε
  kIterationLimit,  ///< iteration (sweep) limit reached first
  kNoProgress,      ///< line search failed or steps became negligible
  kNonFinite,       ///< NaN or Inf met
  kFailure,         ///< any other failure (message in InnerResult::message)
};
const char* to_string(InnerStatus status);

struct InnerResult {
  InnerStatus status = InnerStatus::kFailure;
  int iterations = 0;          ///< L-BFGS iterations or BCD sweeps
  long evaluations = 0;        ///< value+gradient (or block) evaluations
  double final_value = 0.0;    ///< L_β at the returned x
  double final_measure = 0.0;  ///< the quantity compared with ε (‖∇L‖∞ or sweep change)
  double seconds = 0.0;
  std::string message;
};

class InnerSolver {
 public:
  virtual ~InnerSolver() = default;
  virtual std::string name() const = 0;
  /// Minimizes L from x (in place) until the solver's criterion is ≤ tolerance
  /// or its own limits stop it. x stays finite on return when it was finite.
  virtual InnerResult minimize(const AugmentedLagrangian& L, VectorRef x, double tolerance) = 0;

  /// Wall-clock budget, in seconds, of the following minimize calls: the ALM
  /// sets the remaining part of its time_limit_seconds before every subproblem
  /// (docs/inner_solvers.md "Time limit"). Solvers that honour it (Ceres
  /// L-BFGS) stop by then; others ignore it. Default: unlimited.
  void set_time_limit(double seconds) { time_limit_seconds_ = seconds; }
  double time_limit() const { return time_limit_seconds_; }

 private:
  double time_limit_seconds_ = std::numeric_limits<double>::infinity();
};

}  // namespace almkit
