#include "almkit/solvers/newton/newton_cg_solver.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include <Eigen/SparseCholesky>
#include <fmt/core.h>

namespace almkit {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kRoundoff = std::numeric_limits<double>::epsilon();
// Near a minimizer the decrease of L_β along a good step can fall below the
// rounding error of L_β itself (docs/inner_solvers.md "lbfgs", polish), so
// the Armijo test fails although the step is right. A trial whose value is
// within the noise level kNoiseFactor · u · max(1, |L|) of L(x) and whose
// projected gradient is at most kNoiseProgress times the current one is
// accepted as well: the projected gradient, the quantity the ALM tests,
// keeps full relative accuracy there.
constexpr double kNoiseFactor = 10.0;
constexpr double kNoiseProgress = 0.5;

struct Point {
  Vector x, g;
  double f = kInf;
};

enum class Search { kAccepted, kFailed, kNonFinite };

// The state of one minimize call: the box, the options and the counts.
class NewtonRun {
 public:
  NewtonRun(AugmentedLagrangian& L, const NewtonCgOptions& o)
      : L_(L), o_(o), lo_(L.problem().lower_bounds()), up_(L.problem().upper_bounds()) {}

  Vector project(const Vector& x) const { return x.cwiseMax(lo_).cwiseMin(up_); }
  double measure(const Point& p) const {
    return p.x.size() > 0 ? (project(p.x - p.g) - p.x).lpNorm<Eigen::Infinity>() : 0.0;
  }
  /// Value and gradient at p.x; false when either is not finite.
  bool evaluate(Point& p) {
    p.g.resize(p.x.size());
    p.f = L_.value_gradient(p.x, p.g);
    ++evaluations;
    return std::isfinite(p.f) && p.g.allFinite();
  }
  /// One Newton iteration from p (measure pg = ‖pg‖∞ > 0): p moves on kAccepted.
  Search step(Point& p, double pg);

  long evaluations = 0, cg_iterations = 0, hessian_products = 0, steepest_steps = 0, factorizations = 0;

 private:
  Vector free_mask(const Point& p, double eps) const;
  Vector newton_direction(const Point& p, const Vector& free);
  double cauchy_step(const Point& p);
  Search search(const Point& p, const Vector& d, double alpha, double pg, bool expand_first, Point& trial);
  void expand(const Point& p, const Vector& d, double alpha, Point& trial);

  AugmentedLagrangian& L_;
  const NewtonCgOptions& o_;
  const Vector lo_, up_;
  bool negative_curvature_ = false;  ///< the last CG run stopped at pᵀHp ≤ 0
  double delta_ = 0.0;               ///< the shift δ of H_FF + δI (options regularize)
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt_;
  bool preconditioned_ = false;      ///< ldlt_ holds M for this Newton step
  void factor_preconditioner(const Vector& free);
  bool cg(const Point& p, const Vector& free, Vector& d, double& rayleigh);
};

// 1 on the free set F, 0 on the ε-active set A (Bertsekas): within eps of a
// bound with the gradient pointing out of the box.
Vector NewtonRun::free_mask(const Point& p, double eps) const {
  Vector free(p.x.size());
  for (Eigen::Index i = 0; i < p.x.size(); ++i) {
    const bool active = (p.x[i] <= lo_[i] + eps && p.g[i] > 0.0) || (p.x[i] >= up_[i] - eps && p.g[i] < 0.0);
    free[i] = active ? 0.0 : 1.0;
  }
  return free;
}

// d_F ≈ −H_FF⁻¹ g_F by CG from d_F = 0, d_A = −g_A. H_FF p is the F part of
// H p with p zero outside F. Negative (or non-finite) curvature pᵀH_FF p ≤ 0
// ends CG with −g_F at the first iteration (Steihaug), later with the current
// iterate plus the direction p of negative curvature, and sets
// negative_curvature_: that d is no Newton step, its length means nothing.
Vector NewtonRun::newton_direction(const Point& p, const Vector& free) {
  Vector d = Vector::Zero(p.x.size());
  double rayleigh = 0.0;
  negative_curvature_ = false;
  for (int restart = 0;; ++restart) {
    if (cg(p, free, d, rayleigh)) break;
    if (!o_.regularize || restart >= o_.max_regularizations || !std::isfinite(rayleigh)) {
      negative_curvature_ = true;
      break;
    }
    // pᵀ(H + δI)p / ‖p‖² = rayleigh ≤ 0: δ − 2·rayleigh makes that direction's curvature positive.
    delta_ = std::max({10.0 * delta_, delta_ - 2.0 * rayleigh, o_.regularize_min});
  }
  return d - (Vector::Ones(p.x.size()) - free).cwiseProduct(p.g);
}

// CG on (H_FF + δI) d_F = −g_F from d_F = 0. False at curvature
// pᵀ(H_FF + δI)p ≤ 0 (rayleigh = that over ‖p‖²), with d set to the Steihaug
// direction: −g_F at the first iteration, else d_F + (‖d_F‖/‖p‖) p, which is a
// descent direction at x too (gᵀp = −‖r‖², CG's conjugacy).
bool NewtonRun::cg(const Point& p, const Vector& free, Vector& d, double& rayleigh) {
  const Vector gF = free.cwiseProduct(p.g);
  d.setZero();
  const double g_norm = gF.norm();
  const double eta = std::min(o_.cg_forcing, std::sqrt(gF.lpNorm<Eigen::Infinity>()));
  const int cap = static_cast<int>(std::min<double>(o_.max_cg_iterations, 2.0 * free.sum()));
  // z = M⁻¹ r (preconditioned), or z = r.
  const auto precondition = [&](const Vector& r) { return preconditioned_ ? Vector(free.cwiseProduct(ldlt_.solve(r))) : r; };
  Vector r = -gF, z = precondition(r), dir = z, Hdir(p.x.size());
  double rz = r.dot(z), q = 0.0;
  for (int k = 0; k < cap && g_norm > 0.0; ++k) {
    L_.hess_prod(dir, Hdir);
    ++hessian_products;
    Hdir = free.cwiseProduct(Hdir) + delta_ * dir;
    const double curvature = dir.dot(Hdir);
    if (!(curvature > 0.0) || !std::isfinite(curvature)) {
      rayleigh = curvature / dir.squaredNorm();
      d = k == 0 ? Vector(-gF) : Vector(d + (d.norm() / dir.norm()) * dir);
      return false;
    }
    ++cg_iterations;
    const double a = rz / curvature;
    d += a * dir;
    r -= a * Hdir;
    // Model q(d) = gᵀd + ½dᵀHd falls by ½ a rᵀz per CG step (CG's orthogonality).
    const double dq = 0.5 * a * rz;
    q -= dq;
    const double r_norm = r.norm();
    if (o_.cg_model_test > 0.0) {
      // Nash's truncation: stop once the k-th step's share of the decrease so far is small.
      if ((k + 1) * dq <= o_.cg_model_test * std::abs(q) || r_norm <= 1e-12 * g_norm) break;
    } else if (r_norm <= eta * g_norm) {
      break;
    }
    z = precondition(r);
    const double rz_next = r.dot(z);
    dir = z + (rz_next / rz) * dir;
    rz = rz_next;
  }
  return true;
}

// M_FF + τI of the sparse part of H (AugmentedLagrangian::sparse_hessian),
// identity on the active set, factored by LDLᵀ; τ grows until every pivot is
// positive (a preconditioner must be positive definite).
void NewtonRun::factor_preconditioner(const Vector& free) {
  preconditioned_ = false;
  Eigen::SparseMatrix<double> M;
  if (!o_.precondition || !L_.sparse_hessian(M, o_.dense_row)) return;
  const Eigen::Index n = M.rows();
  M.prune([&](Eigen::Index i, Eigen::Index j, double) { return free[i] != 0.0 && free[j] != 0.0; });
  const double scale = n > 0 ? Vector(M.diagonal()).cwiseAbs().maxCoeff() : 0.0;
  Eigen::SparseMatrix<double> I(n, n);
  I.setIdentity();
  const Eigen::SparseMatrix<double> active = I - Eigen::SparseMatrix<double>(free.asDiagonal() * I);
  M += active;
  double tau = 0.0;
  for (int attempt = 0; attempt < 12; ++attempt) {
    ldlt_.compute(tau > 0.0 ? Eigen::SparseMatrix<double>(M + tau * I) : M);
    ++factorizations;
    if (ldlt_.info() == Eigen::Success && ldlt_.vectorD().minCoeff() > 0.0) {
      preconditioned_ = true;
      return;
    }
    tau = std::max(10.0 * tau, 1e-8 * std::max(1.0, scale));
  }
}

// First trial of the steepest-descent fallback: the minimizer ‖v‖²/(vᵀHv) of
// the quadratic model along v = −g (components blocked by a bound removed),
// which has the scale of the problem where 1/‖g‖∞ only has that of g (used,
// with negative_curvature_ set, when vᵀHv ≤ 0).
double NewtonRun::cauchy_step(const Point& p) {
  const Vector v = -free_mask(p, 0.0).cwiseProduct(p.g);
  Vector Hv(v.size());
  L_.hess_prod(v, Hv);
  ++hessian_products;
  const double curvature = v.dot(Hv), alpha = v.squaredNorm() / curvature;
  negative_curvature_ = !(curvature > 0.0 && std::isfinite(alpha) && alpha > 0.0);
  return negative_curvature_ ? 1.0 / p.g.lpNorm<Eigen::Infinity>() : alpha;
}

// Projected backtracking along x(α) = P(x + α d), α = alpha, τ alpha, …:
// kAccepted with trial = x(α) at the first α passing the Armijo test (or the
// noise-level test, kNoiseFactor), kNonFinite when every trial was non-finite.
// With expand_first, a first trial that passes is extended (expand()).
Search NewtonRun::search(const Point& p, const Vector& d, double alpha, double pg, bool expand_first, Point& trial) {
  const double noise = kNoiseFactor * kRoundoff * std::max(1.0, std::abs(p.f));
  bool finite_trial = false;
  for (int k = 0; k < o_.max_backtracks; ++k, alpha *= o_.backtrack) {
    trial.x = project(p.x + alpha * d);
    const Vector s = trial.x - p.x;
    if (s.lpNorm<Eigen::Infinity>() == 0.0) break;  // shorter steps are blocked as well
    if (!evaluate(trial)) continue;
    finite_trial = true;
    const double slope = p.g.dot(s);
    if (slope < 0.0 && trial.f <= p.f + o_.armijo * slope) {
      if (k == 0 && expand_first) expand(p, d, alpha, trial);
      return Search::kAccepted;
    }
    if (trial.f <= p.f + noise && measure(trial) <= kNoiseProgress * pg) return Search::kAccepted;
  }
  return finite_trial ? Search::kFailed : Search::kNonFinite;
}

// Along a direction without a natural length (a negative-curvature exit of
// CG, or the steepest-descent fallback without positive curvature) the unit
// step may be far too short. While the Armijo test holds and L_β keeps
// decreasing, α grows by 1/τ (at most max_backtracks times); trial holds the
// best point. Measured: without it hs038 (Wood) took 217 gradients and 546
// Hessian products instead of 125 and 186, all HS problems 16 % more gradients.
void NewtonRun::expand(const Point& p, const Vector& d, double alpha, Point& trial) {
  Point next;
  for (int k = 0; k < o_.max_backtracks; ++k) {
    alpha /= o_.backtrack;
    next.x = project(p.x + alpha * d);
    if ((next.x - trial.x).lpNorm<Eigen::Infinity>() == 0.0) return;  // the bounds block longer steps
    if (!evaluate(next)) return;
    const double slope = p.g.dot(next.x - p.x);
    if (!(slope < 0.0 && next.f <= p.f + o_.armijo * slope && next.f < trial.f)) return;
    std::swap(trial, next);
  }
}

Search NewtonRun::step(Point& p, double pg) {
  L_.set_hessian_point(p.x);  // once per iteration: CG and the Cauchy step share it
  const Vector free = free_mask(p, std::min(o_.active_tolerance, pg));
  factor_preconditioner(free);
  const Vector d = newton_direction(p, free);
  Point trial;
  Search result = Search::kFailed;
  if (d.allFinite() && p.g.dot(d) < 0.0) result = search(p, d, 1.0, pg, negative_curvature_, trial);
  // A full step accepted: the shift was large enough; try a smaller one next time.
  if (result == Search::kAccepted && (trial.x - project(p.x + d)).lpNorm<Eigen::Infinity>() == 0.0)
    delta_ = delta_ / 10.0 < o_.regularize_min ? 0.0 : delta_ / 10.0;
  if (result != Search::kAccepted) {
    ++steepest_steps;
    const double alpha = cauchy_step(p);
    result = search(p, -p.g, alpha, pg, negative_curvature_, trial);
  }
  if (result == Search::kAccepted) p = std::move(trial);
  return result;
}

}  // namespace

void NewtonCgOptions::validate() const {
  auto positive_int = [](const char* name, int v) {
    if (v < 1) throw std::invalid_argument(fmt::format("option {}: expected an integer >= 1, got {}", name, v));
  };
  positive_int("max_iterations", max_iterations);
  positive_int("max_cg_iterations", max_cg_iterations);
  positive_int("max_backtracks", max_backtracks);
  if (!(cg_forcing > 0.0 && cg_forcing < 1.0))
    throw std::invalid_argument(fmt::format("option cg_forcing: expected a number in (0, 1), got {}", cg_forcing));
  if (!(cg_model_test >= 0.0 && cg_model_test < 1.0))
    throw std::invalid_argument(fmt::format("option cg_model_test: expected a number in [0, 1), got {}", cg_model_test));
  if (!(armijo > 0.0 && armijo < 1.0))
    throw std::invalid_argument(fmt::format("option armijo: expected a number in (0, 1), got {}", armijo));
  if (!(backtrack > 0.0 && backtrack < 1.0))
    throw std::invalid_argument(fmt::format("option backtrack: expected a number in (0, 1), got {}", backtrack));
  if (!(active_tolerance >= 0.0) || !std::isfinite(active_tolerance))
    throw std::invalid_argument("option active_tolerance: expected a finite number >= 0");
  if (!(regularize_min > 0.0) || !std::isfinite(regularize_min))
    throw std::invalid_argument(fmt::format("option regularize_min: expected a finite number > 0, got {}", regularize_min));
  if (max_regularizations < 0)
    throw std::invalid_argument(fmt::format("option max_regularizations: expected an integer >= 0, got {}", max_regularizations));
  if (dense_row < 1) throw std::invalid_argument(fmt::format("option dense_row: expected an integer >= 1, got {}", dense_row));
  if (!(max_seconds > 0)) throw std::invalid_argument("option max_seconds: expected a number > 0");
}

NewtonCgSolver::NewtonCgSolver(NewtonCgOptions options) : options_(options) { options_.validate(); }

InnerResult NewtonCgSolver::minimize(const AugmentedLagrangian& L, VectorRef x, double tolerance) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const double max_seconds = std::max(0.0, std::min(options_.max_seconds, time_limit()));
  // hess_prod needs set_hessian_point, which is not const although it only
  // caches the point; the ALM's augmented Lagrangian is a non-const object.
  NewtonRun run(const_cast<AugmentedLagrangian&>(L), options_);
  InnerResult r;
  Point p;
  p.x = run.project(x);
  double pg = kInf;
  if (!run.evaluate(p)) {
    r.status = InnerStatus::kNonFinite;
    r.message = "non-finite augmented Lagrangian at the warm start";
  } else {
    for (;;) {
      pg = run.measure(p);
      if (pg <= tolerance) {
        r.status = InnerStatus::kConverged;
        r.message = "projected gradient <= tolerance";
        break;
      }
      if (r.iterations >= options_.max_iterations || elapsed() >= max_seconds) {
        r.status = InnerStatus::kIterationLimit;
        r.message = r.iterations >= options_.max_iterations ? "iteration limit" : "time limit";
        break;
      }
      ++r.iterations;
      const Search s = run.step(p, pg);
      if (s == Search::kAccepted) continue;
      r.status = s == Search::kNonFinite ? InnerStatus::kNonFinite : InnerStatus::kNoProgress;
      r.message = s == Search::kNonFinite ? "non-finite augmented Lagrangian at every trial step"
                                          : "line search failed (Newton and steepest descent)";
      break;
    }
  }
  x = p.x;
  r.evaluations = run.evaluations;
  r.final_value = p.f;
  r.final_measure = pg;
  r.message += fmt::format(" ({} CG iterations, {} Hessian products, {} factorizations, {} steepest-descent steps)",
                           run.cg_iterations, run.hessian_products, run.factorizations, run.steepest_steps);
  r.seconds = elapsed();
  return r;
}

}  // namespace almkit
