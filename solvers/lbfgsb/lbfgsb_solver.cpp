#include "almkit/solvers/lbfgsb/lbfgsb_solver.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/core.h>

#ifdef ALMKIT_HAVE_LBFGSB
// The reverse-communication driver of L-BFGS-B 3.0 (Fortran 77; the two
// trailing arguments are the hidden lengths of task and csave).
extern "C" void setulb_(int* n, int* m, double* x, double* l, double* u, int* nbd, double* f, double* g,
                        double* factr, double* pgtol, double* wa, int* iwa, char* task, int* iprint, char* csave,
                        int* lsave, int* isave, double* dsave, std::size_t task_len, std::size_t csave_len);
#endif

namespace almkit {

void LbfgsbOptions::validate() const {
  if (max_iterations < 1) throw std::invalid_argument(fmt::format("option max_iterations: expected an integer >= 1, got {}", max_iterations));
  if (memory < 1) throw std::invalid_argument(fmt::format("option memory: expected an integer >= 1, got {}", memory));
  if (!(factr >= 0) || !std::isfinite(factr)) throw std::invalid_argument("option factr: expected a finite number >= 0");
  if (!(max_seconds > 0)) throw std::invalid_argument("option max_seconds: expected a number > 0");
  if (restarts < 0) throw std::invalid_argument(fmt::format("option restarts: expected an integer >= 0, got {}", restarts));
  if (nonfinite_retries < 0)
    throw std::invalid_argument(fmt::format("option nonfinite_retries: expected an integer >= 0, got {}", nonfinite_retries));
}

bool lbfgsb_available() {
#ifdef ALMKIT_HAVE_LBFGSB
  return true;
#else
  return false;
#endif
}

LbfgsbSolver::LbfgsbSolver(LbfgsbOptions options) : options_(options) {
  options_.validate();
  if (!lbfgsb_available())
    throw std::runtime_error("inner solver 'lbfgsb' is not available: almkit was built without liblbfgsb "
                             "(install Debian's liblbfgsb-dev and rebuild)");
}

#ifdef ALMKIT_HAVE_LBFGSB
namespace {

constexpr std::size_t kTaskLength = 60;

void set_task(char* task, const char* text) {
  std::memset(task, ' ', kTaskLength);
  std::memcpy(task, text, std::strlen(text));
}
bool task_is(const char* task, const char* prefix) { return std::strncmp(task, prefix, std::strlen(prefix)) == 0; }
std::string task_text(const char* task) {
  std::string s(task, kTaskLength);
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

// Standard output to /dev/null for the lifetime of the object (LbfgsbOptions::quiet).
// gfortran buffers unit 6 when it is not a terminal, so the unit is flushed
// (libgfortran's FLUSH, looked up at run time: no link dependency) before
// file descriptor 1 is restored.
class SilencedStdout {
 public:
  explicit SilencedStdout(bool on) {
    if (!on) return;
    std::fflush(stdout);
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd < 0) return;
    saved_ = ::dup(1);
    if (saved_ >= 0 && ::dup2(null_fd, 1) < 0) {
      ::close(saved_);
      saved_ = -1;
    }
    ::close(null_fd);
  }
  ~SilencedStdout() {
    if (saved_ < 0) return;
    using FortranFlush = void (*)(int*);
    if (auto flush = reinterpret_cast<FortranFlush>(::dlsym(RTLD_DEFAULT, "_gfortran_flush_i4"))) {
      int unit = 6;
      flush(&unit);
    }
    std::fflush(stdout);
    ::dup2(saved_, 1);
    ::close(saved_);
  }
  SilencedStdout(const SilencedStdout&) = delete;
  SilencedStdout& operator=(const SilencedStdout&) = delete;

 private:
  int saved_ = -1;
};

}  // namespace
#endif

InnerResult LbfgsbSolver::minimize(const AugmentedLagrangian& L, VectorRef x, double tolerance) {
  InnerResult r;
#ifndef ALMKIT_HAVE_LBFGSB
  (void)L, (void)x, (void)tolerance;
  r.status = InnerStatus::kFailure;
  r.message = "built without liblbfgsb";
  return r;
#else
  const auto t0 = std::chrono::steady_clock::now();
  const SilencedStdout silenced(options_.quiet);
  const double max_seconds = std::max(0.0, std::min(options_.max_seconds, time_limit()));
  const ConstrainedProblem& problem = L.problem();
  int n = static_cast<int>(x.size());
  const Vector lo = problem.lower_bounds(), up = problem.upper_bounds();
  Vector xv = x.cwiseMax(lo).cwiseMin(up);
  if (n == 0) {
    r.status = InnerStatus::kConverged;
    r.final_value = L.value(xv);
    return r;
  }
  int m = options_.memory;
  std::vector<int> nbd(static_cast<size_t>(n));
  Vector l(n), u(n);
  // The run's box: the problem's bounds, intersected with the trust box
  // |x − center|∞ ≤ radius after a non-finite trial (radius = ∞: none).
  auto set_box = [&](const Vector& center, double radius) {
    for (int k = 0; k < n; ++k) {
      const double lk = std::max(lo[k], center[k] - radius), uk = std::min(up[k], center[k] + radius);
      const bool has_l = std::isfinite(lk), has_u = std::isfinite(uk);
      nbd[static_cast<size_t>(k)] = has_l ? (has_u ? 2 : 1) : (has_u ? 3 : 0);
      l[k] = has_l ? lk : 0.0;
      u[k] = has_u ? uk : 0.0;
    }
  };
  // Some component of xx on a face of the trust box that is not a bound of the problem.
  auto on_trust_face = [&](const Vector& xx) {
    for (int k = 0; k < n; ++k) {
      if (nbd[static_cast<size_t>(k)] == 0) continue;
      const bool at_l = (nbd[static_cast<size_t>(k)] != 3) && xx[k] <= l[k] && l[k] > lo[k];
      const bool at_u = (nbd[static_cast<size_t>(k)] == 2 || nbd[static_cast<size_t>(k)] == 3) && xx[k] >= u[k] && u[k] < up[k];
      if (at_l || at_u) return true;
    }
    return false;
  };
  const double kNoBox = std::numeric_limits<double>::infinity();
  double box_radius = kNoBox;
  int box_retries = 0;
  set_box(xv, kNoBox);
  const size_t nn = static_cast<size_t>(n), mm = static_cast<size_t>(m);
  std::vector<double> wa(2 * mm * nn + 5 * nn + 11 * mm * mm + 8 * mm);
  std::vector<int> iwa(3 * nn);
  char task[kTaskLength], csave[kTaskLength];
  int lsave[4], isave[44];
  double dsave[29];
  int iprint = -1;
  double factr = options_.factr, pgtol = tolerance;
  double f = 0.0;
  Vector g(n);
  // The best point evaluated (lowest finite L_β), line-search trial points
  // included: L-BFGS-B's Moré–Thuente search gives up after 20 trials when
  // the line minimizer sits against a steep penalty wall (hs100) and then
  // restores the previous iterate, although a trial had decreased L_β. The
  // run then restarts from the best point with an empty memory.
  Vector x_best = xv, g_best(n);
  double f_best = std::numeric_limits<double>::infinity();
  auto projected_gradient_norm = [&](const Vector& xx, const Vector& gg) {
    return ((xx - gg).cwiseMax(lo).cwiseMin(up) - xx).lpNorm<Eigen::Infinity>();
  };
  for (int restarts = 0;; ++restarts) {
    const double f_run_start = f_best;
    set_task(task, "START");
    std::memset(csave, ' ', kTaskLength);
    std::fill(std::begin(lsave), std::end(lsave), 0);
    std::fill(std::begin(isave), std::end(isave), 0);
    std::fill(std::begin(dsave), std::end(dsave), 0.0);
    bool restart = false, done = false;
    while (!done) {
      setulb_(&n, &m, xv.data(), l.data(), u.data(), nbd.data(), &f, g.data(), &factr, &pgtol, wa.data(), iwa.data(),
              task, &iprint, csave, lsave, isave, dsave, kTaskLength, kTaskLength);
      if (task_is(task, "FG")) {
        f = L.value_gradient(xv, g);
        ++r.evaluations;
        if (!std::isfinite(f) || !g.allFinite()) {
          r.status = InnerStatus::kNonFinite;
          r.message = std::isfinite(f_best) ? "non-finite augmented Lagrangian during the line search"
                                            : "non-finite augmented Lagrangian at the warm start";
          done = true;
          const double step = (xv - x_best).lpNorm<Eigen::Infinity>();
          if (std::isfinite(f_best) && box_retries < options_.nonfinite_retries && step > 0.0) {
            ++box_retries;
            box_radius = 0.5 * std::min(step, box_radius);
            restart = true;
          }
        } else if (f < f_best) {
          f_best = f, x_best = xv, g_best = g;
        }
        continue;
      }
      if (task_is(task, "NEW_X")) {
        ++r.iterations;
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (r.iterations >= options_.max_iterations || secs >= max_seconds) {
          r.status = InnerStatus::kIterationLimit;
          r.message = r.iterations >= options_.max_iterations ? "iteration limit" : "time limit";
          done = true;
        }
        continue;
      }
      r.message = task_text(task);
      done = true;
      if (box_radius < kNoBox && box_retries < options_.nonfinite_retries && on_trust_face(x_best) &&
          projected_gradient_norm(x_best, g_best) > tolerance && !task_is(task, "ERROR")) {
        // Stopped inside the trust box but not stationary for the true
        // bounds (on the box's face): go on from there with a larger box.
        ++box_retries;
        box_radius *= 2.0;
        restart = true;
      } else if (task_is(task, "CONV")) {
        r.status = InnerStatus::kConverged;  // checked against ε below
      } else if (task_is(task, "ABNO")) {
        r.status = InnerStatus::kNoProgress;
        restart = f_best < f_run_start && restarts < options_.restarts &&
                  projected_gradient_norm(x_best, g_best) > tolerance;
      } else {
        r.status = InnerStatus::kFailure;
      }
    }
    if (!restart) break;
    xv = x_best;
    set_box(x_best, box_radius);
  }
  if (std::isfinite(f_best)) {
    x = x_best;
    r.final_value = f_best;
    r.final_measure = projected_gradient_norm(x_best, g_best);
    // A far trial that overflowed does not matter once x_best is stationary;
    // otherwise the non-finite values are the reason the run stopped short
    // (a user's function undefined beyond some point: NaN, not a solution).
    if (r.final_measure <= tolerance) {
      r.status = InnerStatus::kConverged;
    } else if (r.status == InnerStatus::kNonFinite || (box_radius < kNoBox && on_trust_face(x_best))) {
      r.status = InnerStatus::kNonFinite;
      r.message = fmt::format("non-finite augmented Lagrangian during the line search ({} trust boxes, projected "
                              "gradient {:.3g} > {:.3g})", box_retries, r.final_measure, tolerance);
    } else if (r.status == InnerStatus::kConverged) {
      // CONVERGENCE may also mean the factr test (relative decrease at rounding level).
      r.status = InnerStatus::kNoProgress;
    }
  } else {
    r.final_value = f;
    r.final_measure = std::numeric_limits<double>::infinity();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
#endif
}

}  // namespace almkit
