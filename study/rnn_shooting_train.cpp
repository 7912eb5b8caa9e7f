#include "almkit/study/rnn_shooting_train.h"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/solvers/inner_solver_factory.h"

namespace almkit::rnn {

void ShootingOptions::validate() const {
  if (chunks < 1) throw std::invalid_argument(fmt::format("shooting: chunks = {} must be >= 1", chunks));
  if (max_outer_iterations < 1)
    throw std::invalid_argument(fmt::format("shooting: max_outer_iterations = {} must be >= 1", max_outer_iterations));
  if (!(time_limit_seconds > 0))
    throw std::invalid_argument(fmt::format("shooting: time_limit_seconds = {} must be > 0", time_limit_seconds));
  if (!(tol_stationarity > 0)) throw std::invalid_argument("shooting: tol_stationarity must be > 0");
  if (!(tol_gap > 0)) throw std::invalid_argument("shooting: tol_gap must be > 0");
  if (lbfgs_memory < 1) throw std::invalid_argument("shooting: lbfgs_memory must be >= 1");
  if (clarke_check_every < 0) throw std::invalid_argument("shooting: clarke_check_every must be >= 0");
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Options of the generic driver for the chunked problem. The time limit is
// not the driver's: a wall clock read on each worker could stop one worker and
// not another; the callback decides on rank 0 and broadcasts.
AlmOptions driver_options(const ShootingOptions& o, double state_scale) {
  AlmOptions a;
  a.time_limit_seconds = 1e9;
  a.policy = AlmPolicy::kSafeguarded;
  a.max_outer_iterations = o.max_outer_iterations;
  a.tol_stationarity = o.tol_stationarity;
  a.tol_feasibility = o.tol_gap * state_scale;
  a.safeguarded.relative_stationarity = false;
  // LICQ holds structurally (∂c_k/∂s_{k+1} = I), and the dense Jacobian these
  // two would assemble costs one backward sweep per gap row.
  a.check_degeneracy = false;
  a.constraint_scaling = false;
  return a;
}

// F(θ), ‖∇F(θ)‖∞ and, at kinks, the Clarke measure: the certificate on (P).
// Sequential in time (one forward pass and BPTT, a few more per kink), so rank
// 0 computes it and broadcasts the numbers: every worker decides alike.
struct Certificate {
  double objective = 0.0, gradient_inf = 0.0, stationarity = 0.0;
  KinkStationarity kinks;
};
Certificate certify(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& w, double tol,
                    Communicator& comm) {
  Certificate c;
  double numbers[5] = {0, 0, 0, 0, 0};
  if (comm.rank() == 0) {
    RnnWeights g;
    c.objective = reduced_objective(w, data, reg, {}, &g).value;
    c.gradient_inf = flatten(g).lpNorm<Eigen::Infinity>();
    c.stationarity = c.gradient_inf;
    if (c.gradient_inf > tol) {
      RnnTrainingProblem problem(data, w.m(), reg);
      Vector x = Vector::Zero(problem.num_variables());
      x.head(num_parameters(w.m(), data.d(), data.p())) = flatten(w);
      problem.restore_feasibility(x);
      c.kinks = kink_stationarity(problem, x);
      if (c.kinks.kinks > 0) c.stationarity = std::min(c.stationarity, c.kinks.best);
    }
    numbers[0] = c.objective, numbers[1] = c.gradient_inf, numbers[2] = c.stationarity;
    numbers[3] = c.kinks.kinks, numbers[4] = c.kinks.best;
  }
  comm.broadcast(numbers, 5, 0);
  c.objective = numbers[0], c.gradient_inf = numbers[1], c.stationarity = numbers[2];
  c.kinks.kinks = static_cast<int>(numbers[3]), c.kinks.best = numbers[4];
  return c;
}

}  // namespace

ShootingResult train_shooting(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& initial,
                              const ShootingOptions& options, Communicator& comm, const AlmCallback& callback) {
  options.validate();
  const auto t0 = std::chrono::steady_clock::now();
  RnnShootingProblem problem(data, reg, initial, options.chunks, comm);
  const Vector x0 = problem.initial_point();
  const int ns = problem.num_equalities();
  const double state_scale = std::max(1.0, ns > 0 ? x0.tail(ns).lpNorm<Eigen::Infinity>() : 0.0);
  InnerSolverOptions inner_options;
  inner_options.lbfgs.memory = options.lbfgs_memory;
  inner_options.lbfgsb.memory = options.lbfgs_memory;
  auto inner = make_inner_solver(options.inner_solver, problem, inner_options);
  ShootingResult r;
  r.workers = comm.size();
  const AlmOptions alm = driver_options(options, state_scale);
  // At a minimizer on ReLU kinks the one-sided gradients of the chunked
  // Lagrangian do not vanish and the driver's stop test never fires: every
  // clarke_check_every outer iterations at a feasible point, the Clarke
  // certificate on (P) decides (docs/parallel.md §8).
  bool clarke_stop = false;
  const AlmCallback go_on = [&](const AlmIteration& it, VectorCRef x) {  // true: continue
    double stop = seconds_since(t0) > options.time_limit_seconds ? 1.0 : 0.0;
    comm.broadcast(&stop, 1, 0);
    if (stop != 0.0) return false;
    if (callback && !callback(it, x)) return false;
    if (options.clarke_check_every > 0 && it.iteration % options.clarke_check_every == 0 &&
        it.infeasibility <= alm.tol_feasibility && it.stationarity > alm.tol_stationarity) {
      const Certificate c = certify(data, reg, problem.weights(x), options.tol_stationarity, comm);
      if (c.stationarity <= options.tol_stationarity) return !(clarke_stop = true);
    }
    return true;
  };
  r.alm = solve_alm(problem, *inner, alm, {}, go_on);
  r.weights = problem.weights(r.alm.x);
  Vector c(ns);
  problem.eval_c(r.alm.x, c);
  r.gap_inf = ns > 0 ? c.lpNorm<Eigen::Infinity>() : 0.0;
  r.gap_relative = r.gap_inf / std::max(1.0, ns > 0 ? r.alm.x.tail(ns).lpNorm<Eigen::Infinity>() : 0.0);
  const Certificate cert = certify(data, reg, r.weights, options.tol_stationarity, comm);
  r.objective = cert.objective;
  r.gradient_inf = cert.gradient_inf;
  r.stationarity = cert.stationarity;
  r.kinks = cert.kinks;
  r.clarke_stop = clarke_stop;
  r.certified = (r.alm.status == AlmStatus::kConverged || clarke_stop) && r.stationarity <= options.tol_stationarity &&
                r.gap_relative <= options.tol_gap;
  r.seconds = seconds_since(t0);
  return r;
}

}  // namespace almkit::rnn
