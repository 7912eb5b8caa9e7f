#include "almkit/study/rnn_shooting_train.h"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/study/rnn_manifold_newton.h"
#include "almkit/solvers/inner_solver_factory.h"
#include "almkit/core/clock.h"

namespace almkit::rnn {

void ShootingOptions::validate() const {
  if (chunks < 1) throw std::invalid_argument(fmt::format("shooting: chunks = {} must be >= 1", chunks));
  if (min_chunk_steps < 1)
    throw std::invalid_argument(fmt::format("shooting: min_chunk_steps = {} must be >= 1", min_chunk_steps));
  if (max_outer_iterations < 1)
    throw std::invalid_argument(fmt::format("shooting: max_outer_iterations = {} must be >= 1", max_outer_iterations));
  if (!(time_limit_seconds > 0))
    throw std::invalid_argument(fmt::format("shooting: time_limit_seconds = {} must be > 0", time_limit_seconds));
  if (!(tol_stationarity > 0)) throw std::invalid_argument("shooting: tol_stationarity must be > 0");
  if (!(tol_gap > 0)) throw std::invalid_argument("shooting: tol_gap must be > 0");
  if (lbfgs_memory < 1) throw std::invalid_argument("shooting: lbfgs_memory must be >= 1");
  if (method != "rollout" && method != "shooting")
    throw std::invalid_argument(fmt::format("shooting: method '{}' (expected rollout | shooting)", method));
  if (clarke_check_every < 0) throw std::invalid_argument("shooting: clarke_check_every must be >= 0");
  if (stall_restarts < 0) throw std::invalid_argument("shooting: stall_restarts must be >= 0");
  if (!(kink_polish_tolerance >= 0)) throw std::invalid_argument("shooting: kink_polish_tolerance must be >= 0");
  if (kink_polish_steps < 0) throw std::invalid_argument("shooting: kink_polish_steps must be >= 0");
  if (split_rescue_outer < 0) throw std::invalid_argument("shooting: split_rescue_outer must be >= 0");
}

namespace {

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
// F and ∇F come from a relaxed rollout over the workers (exact, time-parallel);
// the Clarke search at kinks is sequential in time (a few BPTT passes per
// kink), so rank 0 runs it and broadcasts the numbers: every worker decides alike.
struct Certificate {
  double objective = 0.0, gradient_inf = 0.0, stationarity = 0.0;
  KinkStationarity kinks;
};
// `rollout`: a ParallelRollout over the workers (the reduced problem's own, so
// that no second set of T/P buffers is allocated).
using Evaluate = std::function<double(const RnnWeights&, RnnWeights*)>;
Certificate certify(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& w, double tol,
                    const Evaluate& rollout, Communicator& comm) {
  Certificate c;
  RnnWeights g;
  c.objective = rollout(w, &g);
  c.gradient_inf = flatten(g).lpNorm<Eigen::Infinity>();
  c.stationarity = c.gradient_inf;
  if (!(c.gradient_inf > tol)) return c;
  double numbers[2] = {0, 0};
  if (comm.rank() == 0) {
    RnnTrainingProblem problem(data, w.m(), reg);
    problem.set_initial_weights(w);  // its initial point: w with the states of its forward pass
    c.kinks = kink_stationarity(problem, problem.initial_point());
    numbers[0] = c.kinks.kinks, numbers[1] = c.kinks.best;
  }
  comm.broadcast(numbers, 2, 0);
  c.kinks.kinks = static_cast<int>(numbers[0]), c.kinks.best = numbers[1];
  if (c.kinks.kinks > 0) c.stationarity = std::min(c.stationarity, c.kinks.best);
  return c;
}

// `step` on rank 0 at the forward-pass point x of w (it may move x and says
// whether it did), then x's weights broadcast: every worker continues from the
// same bits. The stall steps below are sequential in time; the run calls them
// only at stalls (docs/parallel.md §8.3).
using RankZeroStep = std::function<bool(const RnnTrainingProblem&, Vector&)>;
bool on_rank_zero(const RnnSeries& data, const RnnRegularization& reg, Communicator& comm, RnnWeights* w,
                  const RankZeroStep& step) {
  const int n = num_parameters(w->m(), data.d(), data.p());
  std::vector<double> buffer(static_cast<size_t>(n) + 1, 0.0);
  if (comm.rank() == 0) {
    RnnTrainingProblem problem(data, w->m(), reg);
    problem.set_initial_weights(*w);
    Vector x = problem.initial_point();
    buffer[0] = step(problem, x) ? 1.0 : 0.0;
    std::copy_n(x.data(), n, buffer.begin() + 1);  // θ: the first n entries of x
  }
  comm.broadcast(buffer.data(), n + 1, 0);
  if (buffer[0] == 0.0) return false;
  unflatten(Eigen::Map<const Vector>(buffer.data() + 1, n), w->m(), data.d(), data.p(), w);
  return true;
}

// One stall descent step (study/rnn_rollout.h); false when no step lowers F.
bool stall_descent(const RnnSeries& data, const RnnRegularization& reg, Communicator& comm, RnnWeights* w) {
  return on_rank_zero(data, reg, comm, w, [](const RnnTrainingProblem& problem, Vector& x) {
    double F = problem.eval_f(x);
    return stall_descent_step(problem, x, F, 1e-4, 1e-12);
  });
}

// Up to `steps` Gauss–Newton trials on the kink manifold, stopping where the
// certificate passes; false when none was accepted, no kink was near (then w
// is kept) or the step was too expensive (ManifoldNewtonOptions::max_flops).
bool kink_polish(const RnnSeries& data, const RnnRegularization& reg, int steps, double kink_tolerance, double tol,
                 Communicator& comm, RnnWeights* w) {
  return on_rank_zero(data, reg, comm, w, [&](const RnnTrainingProblem& problem, Vector& x) {
    ManifoldNewtonOptions mo;
    mo.max_steps = steps;
    mo.kink_tolerance = kink_tolerance;
    const auto certified = [&](VectorCRef xn) {
      const KinkStationarity k = kink_stationarity(problem, xn);
      return std::min(k.one_sided, k.kinks > 0 ? k.best : k.one_sided) <= tol;
    };
    // Without near kinks the stall is not a kink's (a stiff region): the
    // split rescue, not a Gauss–Newton crawl, is the remedy there.
    const ManifoldNewtonResult p = manifold_newton(problem, x, mo, certified);
    return p.accepted > 0 && p.kinks_held > 0;
  });
}

// `outer` iterations of the rollout ALM-BCD policy; false when they did not
// lower F. The split formulation's states are variables, so its steps are not
// bound by the stiffness of the rollout (docs/parallel.md §8.3).
bool split_rescue(const RnnSeries& data, const RnnRegularization& reg, int outer, Communicator& comm, RnnWeights* w) {
  return on_rank_zero(data, reg, comm, w, [&](const RnnTrainingProblem& problem, Vector& x) {
    const double F0 = problem.eval_f(x);
    AlmOptions alm;
    alm.max_outer_iterations = outer;
    x = solve_rollout(problem, RolloutOptions{}, BcdOptions{}, alm).x;
    return problem.eval_f(x) < F0;
  });
}

// The driver on `problem` (RnnShootingProblem or RnnParallelReducedProblem),
// with the time limit and the Clarke check decided on rank 0.
template <class Problem>
ShootingResult run(const Problem& problem, const Evaluate& evaluate, const RnnSeries& data,
                   const RnnRegularization& reg, const ShootingOptions& options, double state_scale, Communicator& comm,
                   const AlmCallback& callback, std::chrono::steady_clock::time_point t0) {
  InnerSolverOptions inner_options;
  inner_options.lbfgs.memory = options.lbfgs_memory;
  inner_options.lbfgsb.memory = options.lbfgs_memory;
  auto inner = make_inner_solver(options.inner_solver, problem, inner_options);
  ShootingResult r;
  r.workers = comm.size();
  const AlmOptions alm = driver_options(options, state_scale);
  // At a minimizer on ReLU kinks the one-sided gradients do not vanish and the
  // driver's stop test never fires: every clarke_check_every outer iterations
  // at a feasible point, the Clarke certificate on (P) decides (docs/parallel.md §8).
  bool clarke_stop = false;
  const AlmCallback go_on = [&](const AlmIteration& it, VectorCRef x) {  // true: continue
    double stop = seconds_since(t0) > options.time_limit_seconds ? 1.0 : 0.0;
    comm.broadcast(&stop, 1, 0);
    if (stop != 0.0) return false;
    if (callback && !callback(it, x)) return false;
    if (options.clarke_check_every > 0 && it.iteration % options.clarke_check_every == 0 &&
        it.infeasibility <= alm.tol_feasibility && it.stationarity > alm.tol_stationarity) {
      const Certificate c = certify(data, reg, problem.weights(x), options.tol_stationarity, evaluate, comm);
      if (c.stationarity <= options.tol_stationarity) return !(clarke_stop = true);
    }
    return true;
  };
  // Kink handling: where the driver stops short of a certificate (L-BFGS
  // cannot progress across a kink it only sees from one side), a stall
  // descent step along the Clarke direction (study/rnn_rollout.h; sequential,
  // on rank 0, broadcast) restarts it; docs/parallel.md §8.
  AlmStart start;
  AlmOptions budget = alm;  // max_outer_iterations bounds the run, restarts included
  for (;;) {
    budget.max_outer_iterations = alm.max_outer_iterations - r.outer_iterations;
    if (budget.max_outer_iterations < 1) {
      r.alm.status = AlmStatus::kIterationLimit;
      r.alm.message = fmt::format("{} outer iterations (restarts included)", alm.max_outer_iterations);
      break;
    }
    r.alm = solve_alm(problem, *inner, budget, start, go_on);
    r.outer_iterations += r.alm.outer_iterations;
    r.inner_iterations += r.alm.inner_iterations;
    const bool restartable = r.alm.status == AlmStatus::kStagnated || r.alm.status == AlmStatus::kConvergedAtNoiseLevel ||
                             r.alm.status == AlmStatus::kInnerFailure;
    if (clarke_stop || !restartable) break;
    RnnWeights w = problem.weights(r.alm.x);
    // A stall at a Clarke-stationary point is the answer, not a reason to move
    // (also after the last restart).
    if (options.clarke_check_every > 0 && r.alm.kkt.infeasibility <= alm.tol_feasibility &&
        certify(data, reg, w, options.tol_stationarity, evaluate, comm).stationarity <= options.tol_stationarity) {
      clarke_stop = true;
      break;
    }
    if (r.restarts >= options.stall_restarts) break;
    if (options.kink_polish_steps > 0 &&
        kink_polish(data, reg, options.kink_polish_steps, options.kink_polish_tolerance, options.tol_stationarity, comm,
                    &w)) {
      ++r.polishes;
      if (certify(data, reg, w, options.tol_stationarity, evaluate, comm).stationarity <= options.tol_stationarity) {
        r.alm.x = problem.feasible_point(w);
        clarke_stop = true;
        ++r.restarts;
        break;
      }
    } else if (!stall_descent(data, reg, comm, &w)) {
      if (options.split_rescue_outer == 0 || !split_rescue(data, reg, options.split_rescue_outer, comm, &w)) break;
      ++r.rescues;
    }
    start.x = problem.feasible_point(w);
    start.lambda = r.alm.lambda;
    ++r.restarts;
  }
  r.weights = problem.weights(r.alm.x);
  const int ns = problem.num_equalities();
  if (ns > 0) {
    Vector c(ns);
    problem.eval_c(r.alm.x, c);
    r.gap_inf = c.template lpNorm<Eigen::Infinity>();
    r.gap_relative = r.gap_inf / std::max(1.0, r.alm.x.tail(ns).template lpNorm<Eigen::Infinity>());
  }
  const Certificate cert = certify(data, reg, r.weights, options.tol_stationarity, evaluate, comm);
  r.objective = cert.objective;
  r.gradient_inf = cert.gradient_inf;
  r.stationarity = cert.stationarity;
  r.kinks = cert.kinks;
  r.clarke_stop = clarke_stop;
  r.certified = (r.alm.status == AlmStatus::kConverged || clarke_stop) && r.stationarity <= options.tol_stationarity &&
                r.gap_relative <= options.tol_gap;
  return r;
}

}  // namespace

ShootingResult train_shooting(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& initial,
                              const ShootingOptions& options, Communicator& comm, const AlmCallback& callback,
                              const std::function<void(double F)>& on_evaluation) {
  options.validate();
  const auto t0 = std::chrono::steady_clock::now();
  ShootingOptions o = options;
  o.chunks = options.chunks_for(data.T());
  ShootingResult r;
  if (options.method == "rollout") {
    RnnParallelReducedProblem problem(data, reg, initial, o.chunks, comm);
    problem.set_observer(on_evaluation);
    const Evaluate evaluate = [&problem](const RnnWeights& w, RnnWeights* g) { return problem.evaluate(w, g); };
    r = run(problem, evaluate, data, reg, o, 1.0, comm, callback, t0);
    r.rounds = problem.rollout().rounds();
  } else {
    RnnShootingProblem problem(data, reg, initial, o.chunks, comm);
    const int ns = problem.num_equalities();
    const Vector x0 = problem.initial_point();
    const double state_scale = std::max(1.0, ns > 0 ? x0.tail(ns).lpNorm<Eigen::Infinity>() : 0.0);
    ParallelRollout rollout(data, reg, initial.m(), o.chunks, comm);
    const Evaluate evaluate = [&rollout](const RnnWeights& w, RnnWeights* g) { return rollout.evaluate(w, g); };
    r = run(problem, evaluate, data, reg, o, state_scale, comm, callback, t0);
  }
  r.chunks = o.chunks;
  r.seconds = seconds_since(t0);
  return r;
}

}  // namespace almkit::rnn
