#include "almkit/solvers/lbfgs/ceres_lbfgs.h"

#include <chrono>
#include <stdexcept>

#include <ceres/ceres.h>
#include <fmt/core.h>

namespace almkit {

void LbfgsOptions::validate() const {
  if (max_iterations < 1) throw std::invalid_argument(fmt::format("option max_iterations: expected an integer >= 1, got {}", max_iterations));
  if (memory < 1) throw std::invalid_argument(fmt::format("option memory: expected an integer >= 1, got {}", memory));
  if (!(function_tolerance >= 0)) throw std::invalid_argument("option function_tolerance: expected a number >= 0");
  if (!(parameter_tolerance >= 0)) throw std::invalid_argument("option parameter_tolerance: expected a number >= 0");
  if (!(max_seconds > 0)) throw std::invalid_argument("option max_seconds: expected a number > 0");
}

namespace {

// L_β as a Ceres first-order function; a non-finite value or gradient is
// reported as an evaluation failure so that the line search backs off.
class AlFunction final : public ceres::FirstOrderFunction {
 public:
  explicit AlFunction(const AugmentedLagrangian& L) : L_(L), n_(L.problem().num_variables()) {}
  bool Evaluate(const double* parameters, double* cost, double* gradient) const override {
    Eigen::Map<const Vector> x(parameters, n_);
    if (gradient != nullptr) {
      Eigen::Map<Vector> g(gradient, n_);
      *cost = L_.value_gradient(x, g);
      return std::isfinite(*cost) && g.allFinite();
    }
    *cost = L_.value(x);
    return std::isfinite(*cost);
  }
  int NumParameters() const override { return n_; }

 private:
  const AugmentedLagrangian& L_;
  const int n_;
};

}  // namespace

CeresLbfgsSolver::CeresLbfgsSolver(LbfgsOptions options) : options_(options) { options_.validate(); }

InnerResult CeresLbfgsSolver::minimize(const AugmentedLagrangian& L, VectorRef x, double tolerance) {
  const auto t0 = std::chrono::steady_clock::now();
  InnerResult r;
  const int n = static_cast<int>(x.size());
  Vector xv = x;
  Vector grad(n);
  if (n == 0) {
    r.status = InnerStatus::kConverged;
    r.final_value = L.value(xv);
    return r;
  }
  // Already stationary enough: Ceres would still take one step.
  r.final_value = L.value_gradient(xv, grad);
  r.evaluations = 1;
  if (!std::isfinite(r.final_value) || !grad.allFinite()) {
    r.status = InnerStatus::kNonFinite;
    r.message = "non-finite augmented Lagrangian at the warm start";
    return r;
  }
  r.final_measure = grad.lpNorm<Eigen::Infinity>();
  if (r.final_measure <= tolerance) {
    r.status = InnerStatus::kConverged;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

  ceres::GradientProblemSolver::Options o;
  o.line_search_direction_type = ceres::LBFGS;
  o.line_search_type = ceres::WOLFE;
  o.max_lbfgs_rank = options_.memory;
  o.max_num_iterations = options_.max_iterations;
  o.max_solver_time_in_seconds = options_.max_seconds;
  o.gradient_tolerance = tolerance;
  o.function_tolerance = options_.function_tolerance;
  o.parameter_tolerance = options_.parameter_tolerance;
  o.logging_type = ceres::SILENT;
  o.minimizer_progress_to_stdout = false;
  ceres::GradientProblem problem(new AlFunction(L));  // Ceres 2.1 takes ownership
  ceres::GradientProblemSolver::Summary summary;
  ceres::Solve(o, problem, xv.data(), &summary);

  r.iterations = summary.iterations.empty() ? 0 : static_cast<int>(summary.iterations.size()) - 1;
  r.evaluations += summary.num_gradient_evaluations + summary.num_cost_evaluations;
  r.final_value = L.value_gradient(xv, grad);
  r.evaluations += 1;
  r.final_measure = grad.allFinite() ? grad.lpNorm<Eigen::Infinity>() : std::numeric_limits<double>::infinity();
  r.message = summary.message;
  if (!std::isfinite(r.final_value) || !xv.allFinite()) {
    r.status = InnerStatus::kNonFinite;
  } else if (r.final_measure <= tolerance) {
    r.status = InnerStatus::kConverged;
  } else if (summary.termination_type == ceres::NO_CONVERGENCE) {
    r.status = InnerStatus::kIterationLimit;
  } else if (summary.termination_type == ceres::USER_FAILURE) {
    r.status = InnerStatus::kNonFinite;
  } else {
    // Line-search failure or a function/parameter tolerance: the point is kept,
    // the ALM decides whether the outer iteration still made progress.
    r.status = InnerStatus::kNoProgress;
  }
  if (xv.allFinite()) x = xv;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace almkit
