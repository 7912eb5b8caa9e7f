#include "almkit/solvers/lbfgs/ceres_lbfgs.h"
#include "almkit/solvers/lbfgs/ceres_options.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <limits>
#include <vector>
#include <stdexcept>

#include <ceres/ceres.h>
#include <glog/logging.h>
#include <fmt/core.h>

namespace almkit {

ceres::GradientProblemSolver::Options lbfgs_solver_options(int memory, long max_iterations, double max_seconds,
                                                           double gradient_tolerance, double function_tolerance,
                                                           double parameter_tolerance) {
  ceres::GradientProblemSolver::Options o;
  o.line_search_direction_type = ceres::LBFGS;
  o.line_search_type = ceres::WOLFE;  // LBFGS requires it (ARMIJO is rejected)
  o.max_lbfgs_rank = memory;
  o.max_num_iterations = static_cast<int>(std::min<long>(max_iterations, kMaxCeresIterations));
  o.max_solver_time_in_seconds = max_seconds;
  o.gradient_tolerance = gradient_tolerance;
  o.function_tolerance = function_tolerance;
  o.parameter_tolerance = parameter_tolerance;
  o.logging_type = ceres::SILENT;
  o.minimizer_progress_to_stdout = false;
  return o;
}

void LbfgsOptions::validate() const {
  if (max_iterations < 1) throw std::invalid_argument(fmt::format("option max_iterations: expected an integer >= 1, got {}", max_iterations));
  if (memory < 1) throw std::invalid_argument(fmt::format("option memory: expected an integer >= 1, got {}", memory));
  if (!(function_tolerance >= 0)) throw std::invalid_argument("option function_tolerance: expected a number >= 0");
  if (!(parameter_tolerance >= 0)) throw std::invalid_argument("option parameter_tolerance: expected a number >= 0");
  if (!(max_seconds > 0)) throw std::invalid_argument("option max_seconds: expected a number > 0");
  if (polish_iterations < 0) throw std::invalid_argument("option polish_iterations: expected an integer >= 0");
  if (crawl_iterations < 0) throw std::invalid_argument("option crawl_iterations: expected an integer >= 0");
}

namespace {

// L_β and ∇L_β at the last point asked for: the warm-start check, Ceres'
// first evaluation, Ceres' last point and the final measure are mostly the
// same x, and each repeat would cost one gradient of f and one Jᵀy
// (docs/inner_solvers.md "Evaluations").
class AlCache {
 public:
  explicit AlCache(const AugmentedLagrangian& L) : L_(L) {}
  double value_gradient(VectorCRef x, VectorRef grad) {
    if (!valid_ || x_.size() != x.size() || x_ != x) {
      x_ = x;
      grad_.resize(x.size());
      value_ = L_.value_gradient(x_, grad_);
      valid_ = true;
      ++evaluations_;
    }
    grad = grad_;
    return value_;
  }
  double value(VectorCRef x) {
    if (valid_ && x_.size() == x.size() && x_ == x) return value_;
    return L_.value(x);
  }
  long evaluations() const { return evaluations_; }

 private:
  const AugmentedLagrangian& L_;
  Vector x_, grad_;
  double value_ = 0.0;
  bool valid_ = false;
  long evaluations_ = 0;
};

// L_β as a Ceres first-order function; a non-finite value or gradient is
// reported as an evaluation failure so that the line search backs off.
class AlFunction final : public ceres::FirstOrderFunction {
 public:
  AlFunction(AlCache& cache, int n) : cache_(cache), n_(n) {}
  bool Evaluate(const double* parameters, double* cost, double* gradient) const override {
    Eigen::Map<const Vector> x(parameters, n_);
    if (gradient != nullptr) {
      Eigen::Map<Vector> g(gradient, n_);
      *cost = cache_.value_gradient(x, g);
      return std::isfinite(*cost) && g.allFinite();
    }
    *cost = cache_.value(x);
    return std::isfinite(*cost);
  }
  int NumParameters() const override { return n_; }

 private:
  AlCache& cache_;
  const int n_;
};

// Stops Ceres (USER_SUCCESS) after `window` consecutive iterations whose
// decrease of L is at its rounding level: Ceres' Wolfe search then crawls
// (hs047, hs048, hs050 ran into the 1000-iteration cap this way; docs/inner_solvers.md "Crawl stop"),
// while the derivative-only polish below still makes progress.
// "Rounding level" of L: kCrawlRoundingFactor u max(1, |L|) (LbfgsOptions::crawl_iterations).
constexpr double kCrawlRoundingFactor = 10.0;

class CrawlStop final : public ceres::IterationCallback {
 public:
  explicit CrawlStop(int window) : window_(window) {}
  ceres::CallbackReturnType operator()(const ceres::IterationSummary& s) override {
    if (s.iteration == 0) return ceres::SOLVER_CONTINUE;
    const double level = kCrawlRoundingFactor * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(s.cost));
    count_ = s.cost_change <= level ? count_ + 1 : 0;
    return count_ >= window_ ? ceres::SOLVER_TERMINATE_SUCCESSFULLY : ceres::SOLVER_CONTINUE;
  }

 private:
  int window_, count_ = 0;
};

// L-BFGS with a line search on the directional derivative only. Near a
// minimizer the decrease of L along a step, ~‖∇L‖²/curvature, falls below the
// rounding of L itself, so Ceres' Wolfe search (which needs a measurable
// decrease) fails with ‖∇L‖ still above ε. φ'(α) = ∇L(x + αd)ᵀd keeps full
// relative accuracy there; a sign change of φ' brackets the line minimizer,
// and regula falsi (Illinois) narrows it down (docs/inner_solvers.md).
struct PolishResult {
  int iterations = 0;
  long evaluations = 0;
};

// The polish's constants (docs/inner_solvers.md "Polish"), fixed rather than
// options: they shape the line search, not the result's accuracy (that is ε).
// Stall stop: kPolishStallIterations iterations in a row that do not lower the
// best ‖∇L‖∞ below kPolishProgress × its value end the polish.
constexpr int kPolishStallIterations = 10;
constexpr double kPolishProgress = 0.9;
// Bracketing: α = 1, 4, 16, … (kBracketGrowth) at most kBracketSteps times
// (4^30 ≈ 1e18: beyond that the direction is unbounded or the scale is lost).
constexpr int kBracketSteps = 30;
constexpr double kBracketGrowth = 4.0;
// Regula falsi until |φ'(α)| ≤ kCurvatureFraction |φ'(0)| (a strong-Wolfe
// curvature condition with c2 = 0.1) or kSectionSteps steps.
constexpr int kSectionSteps = 30;
constexpr double kCurvatureFraction = 0.1;
// An L-BFGS pair is kept when sᵀy > kCurvaturePairTolerance ‖s‖‖y‖ (positive
// curvature above rounding: the update stays positive definite).
constexpr double kCurvaturePairTolerance = 1e-16;

PolishResult polish(AlCache& L, Vector& x, Vector& grad, double tolerance, int max_iterations,
                    int memory, std::chrono::steady_clock::time_point deadline) {
  PolishResult r;
  const int n = static_cast<int>(x.size());
  std::vector<Vector> S, Y;
  std::vector<double> rho;
  Vector d(n), xt(n), gt(n);
  auto dphi = [&](double alpha) {
    xt = x + alpha * d;
    L.value_gradient(xt, gt);
    ++r.evaluations;
    return gt.allFinite() ? gt.dot(d) : std::numeric_limits<double>::quiet_NaN();
  };
  // The deadline is the subproblem's max_seconds: the polish never extends a
  // time budget (almkit compare gives every method the same wall time).
  // Stall stop: the polish is for the last digits of ‖∇L‖; when 10 iterations
  // in a row do not lower the best ‖∇L‖∞ by 10 %, it is not converging
  // (badly scaled subproblems, hs106) and further line searches are wasted.
  double best = grad.lpNorm<Eigen::Infinity>();
  int stalled = 0;
  for (; r.iterations < max_iterations && grad.lpNorm<Eigen::Infinity>() > tolerance &&
         std::chrono::steady_clock::now() < deadline && stalled < kPolishStallIterations;
       ++r.iterations) {
    // Two-loop recursion for d = −H ∇L.
    d = -grad;
    const int k = static_cast<int>(S.size());
    std::vector<double> a(static_cast<size_t>(k));
    for (int i = k - 1; i >= 0; --i) {
      a[static_cast<size_t>(i)] = rho[static_cast<size_t>(i)] * S[static_cast<size_t>(i)].dot(d);
      d -= a[static_cast<size_t>(i)] * Y[static_cast<size_t>(i)];
    }
    if (k > 0) d *= S.back().dot(Y.back()) / Y.back().squaredNorm();
    else d *= 1.0 / std::max(1.0, grad.lpNorm<Eigen::Infinity>());
    for (int i = 0; i < k; ++i) {
      const double b = rho[static_cast<size_t>(i)] * Y[static_cast<size_t>(i)].dot(d);
      d += (a[static_cast<size_t>(i)] - b) * S[static_cast<size_t>(i)];
    }
    double d0 = grad.dot(d);
    if (!(d0 < 0)) {  // not a descent direction: restart from steepest descent
      S.clear(), Y.clear(), rho.clear();
      d = -grad / std::max(1.0, grad.lpNorm<Eigen::Infinity>());
      d0 = grad.dot(d);
    }
    double lo = 0.0, dlo = d0, hi = 1.0, dhi = dphi(1.0);
    for (int e = 0; e < kBracketSteps && dhi < 0; ++e) {  // expand until φ' changes sign
      lo = hi, dlo = dhi;
      hi *= kBracketGrowth;
      dhi = dphi(hi);
    }
    if (!(dhi >= 0)) break;  // no bracket (unbounded direction or NaN)
    double alpha = hi, dalpha = dhi;
    int side = 0;
    for (int it = 0; it < kSectionSteps && std::abs(dalpha) > kCurvatureFraction * std::abs(d0); ++it) {
      alpha = (lo * dhi - hi * dlo) / (dhi - dlo);
      dalpha = dphi(alpha);
      if (!std::isfinite(dalpha)) break;
      if (dalpha < 0) {
        lo = alpha, dlo = dalpha;
        if (side == -1) dhi *= 0.5;
        side = -1;
      } else {
        hi = alpha, dhi = dalpha;
        if (side == 1) dlo *= 0.5;
        side = 1;
      }
    }
    if (!std::isfinite(dalpha)) break;
    dphi(alpha);  // leaves x + αd and its gradient in xt, gt
    Vector s = xt - x, y = gt - grad;
    const double sy = s.dot(y);
    x = xt;
    grad = gt;
    const double norm = grad.lpNorm<Eigen::Infinity>();
    if (norm < kPolishProgress * best) best = norm, stalled = 0;
    else ++stalled;
    if (sy > kCurvaturePairTolerance * s.norm() * y.norm()) {
      if (static_cast<int>(S.size()) == memory) S.erase(S.begin()), Y.erase(Y.begin()), rho.erase(rho.begin());
      S.push_back(std::move(s)), Y.push_back(std::move(y)), rho.push_back(1.0 / sy);
    }
  }
  return r;
}

}  // namespace

// Ceres logs through glog. Unless the program initialized glog itself or set
// GLOG_minloglevel, keep it quiet (docs/inner_solvers.md "Logging"): messages
// go to stderr (no log files in /tmp) and only errors pass, so neither
// "Logging before InitGoogleLogging" nor line-search warnings appear during
// solves. Done once, at the first solver construction.
static void quiet_glog_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (google::IsGoogleLoggingInitialized() || std::getenv("GLOG_minloglevel") != nullptr) return;
    FLAGS_logtostderr = true;
    FLAGS_minloglevel = std::max(FLAGS_minloglevel, static_cast<int>(google::GLOG_ERROR));
  });
}

CeresLbfgsSolver::CeresLbfgsSolver(LbfgsOptions options) : options_(options) {
  options_.validate();
  quiet_glog_once();
}

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
  AlCache cache(L);
  // Already stationary enough: Ceres would still take one step.
  r.final_value = cache.value_gradient(xv, grad);
  if (!std::isfinite(r.final_value) || !grad.allFinite()) {
    r.status = InnerStatus::kNonFinite;
    r.message = "non-finite augmented Lagrangian at the warm start";
    return r;
  }
  r.final_measure = grad.lpNorm<Eigen::Infinity>();
  if (r.final_measure <= tolerance) {
    r.status = InnerStatus::kConverged;
    r.evaluations = cache.evaluations();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

  // The subproblem's budget: max_seconds, cut to the ALM's remaining time
  // (InnerSolver::set_time_limit, docs/inner_solvers.md "Time limit").
  const double max_seconds = std::max(0.0, std::min(options_.max_seconds, time_limit()));
  ceres::GradientProblemSolver::Options o =
      lbfgs_solver_options(options_.memory, options_.max_iterations, max_seconds, tolerance,
                           options_.function_tolerance, options_.parameter_tolerance);
  CrawlStop crawl(options_.crawl_iterations);
  if (options_.crawl_iterations > 0) o.callbacks.push_back(&crawl);
  ceres::GradientProblem problem(new AlFunction(cache, n));  // Ceres 2.1 takes ownership
  ceres::GradientProblemSolver::Summary summary;
  ceres::Solve(o, problem, xv.data(), &summary);

  r.iterations = summary.iterations.empty() ? 0 : static_cast<int>(summary.iterations.size()) - 1;
  r.final_value = cache.value_gradient(xv, grad);
  // CONVERGENCE can come from |Δf| = 0 (function tolerance) before ‖∇L‖ ≤ ε;
  // NO_CONVERGENCE often means Ceres crawled with steps whose decrease is at
  // rounding level. The derivative-only search handles both.
  if (summary.termination_type != ceres::USER_FAILURE && xv.allFinite() && grad.allFinite() &&
      grad.lpNorm<Eigen::Infinity>() > tolerance && options_.polish_iterations > 0) {
    const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(std::min(max_seconds, 1e9)));
    const PolishResult p = polish(cache, xv, grad, tolerance, options_.polish_iterations, options_.memory, deadline);
    r.iterations += p.iterations;
    r.final_value = cache.value(xv);
  }
  r.evaluations = cache.evaluations();
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
