// Long-series training: multiple shooting on 1 and 2 workers against
// L-BFGS on F via BPTT and the sequential default (docs/parallel.md §8).
//
// The series (docs/parallel.md §8 "Measured"): s_t = 1.2 s_{t−1} − 0.5 s_{t−2}
// + 0.8 sin(2πt/53) + 0.3 max(0, sin(t/300)) + N(0, 0.2²), T + 1 values,
// min-max scaled to [0, 1]; x_t = s_t, y_t = s_{t+1}; all T steps train.
// Gaussian start (std 1e-3), the default regularization.
//
// For each method: wall time, the time to reach F ≤ (1 + 1e-4) F_best (F_best:
// the lowest final F of all methods in this run), the final F and ‖∇F‖∞ by
// BPTT. Shooting's F is that of the weights at the end of each outer
// iteration (evaluated afterwards, outside the clock).
//
//   bench_shooting [T] [m] [chunks] [seconds] [methods]
//   methods: comma list of lbfgs, rollout, shoot1 (K = 1, one worker),
//            shootK1 (K chunks, one worker), shootK2 (K chunks, two threads)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "almkit/core/communicator.h"
#include "almkit/solvers/baselines/gradient_methods.h"
#include "almkit/study/rnn_shooting_train.h"
#include "almkit/study/rnn_trainer.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

RnnSeries synthetic_series(int T, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.2);
  std::vector<double> s(static_cast<size_t>(T) + 1, 0.0);
  for (int t = 2; t <= T; ++t)
    s[static_cast<size_t>(t)] = 1.2 * s[static_cast<size_t>(t) - 1] - 0.5 * s[static_cast<size_t>(t) - 2] +
                                0.8 * std::sin(2 * M_PI * t / 53.0) + 0.3 * std::max(0.0, std::sin(t / 300.0)) +
                                noise(rng);
  double lo = s[0], hi = s[0];
  for (double v : s) lo = std::min(lo, v), hi = std::max(hi, v);
  RnnSeries d;
  d.X.resize(1, T);
  d.Y.resize(1, T);
  for (int t = 0; t < T; ++t) {
    d.X(0, t) = (s[static_cast<size_t>(t)] - lo) / (hi - lo);
    d.Y(0, t) = (s[static_cast<size_t>(t) + 1] - lo) / (hi - lo);
  }
  d.omega = Vector::Ones(T);
  return d;
}

struct Trace {
  std::string method;
  std::vector<double> seconds, objective;
  double wall = 0.0, final_F = 0.0, grad_inf = 0.0;
  std::string status;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void finish(Trace& tr, const RnnWeights& w, const RnnSeries& data, const RnnRegularization& reg) {
  RnnWeights g;
  tr.final_F = reduced_objective(w, data, reg, {}, &g).value;
  tr.grad_inf = flatten(g).lpNorm<Eigen::Infinity>();
  tr.seconds.push_back(tr.wall);
  tr.objective.push_back(tr.final_F);
}

Trace run_lbfgs(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& w0, double budget) {
  Trace tr{"L-BFGS on F (BPTT), 1 process", {}, {}, 0, 0, 0, ""};
  const int m = w0.m(), d = data.d(), p = data.p();
  ReducedWorkspace ws;
  RnnWeights w, g;
  baselines::Objective f;
  f.value_gradient = [&](const Vector& x, int, Vector* grad) {
    unflatten(x, m, d, p, &w);
    const double v = reduced_objective(w, data, reg, {}, grad ? &g : nullptr, nullptr, &ws).value;
    if (grad) flatten(g, grad);
    return v;
  };
  baselines::GradientOptions o;
  o.method = baselines::Method::kLbfgs;
  o.max_seconds = budget;
  o.gradient_tolerance = 1e-5;
  o.lbfgs_memory = 10;
  const auto r = baselines::minimize(f, flatten(w0), o);
  for (const auto& h : r.history) tr.seconds.push_back(h.seconds), tr.objective.push_back(h.objective);
  tr.wall = r.seconds;
  tr.status = r.status;
  finish(tr, unflatten(r.x, m, d, p), data, reg);
  return tr;
}

Trace run_rollout(const RnnSeries& series, const RnnRegularization& reg, const RnnWeights& w0, double budget) {
  Trace tr{"current default (rollout ALM-BCD), 1 process", {}, {}, 0, 0, 0, ""};
  RnnDataset data;
  data.train = series;
  data.test = series;  // not measured here
  data.test.X = series.X.leftCols(2);
  data.test.Y = series.Y.leftCols(2);
  data.test.omega = series.omega.head(2);
  TrainOptions o = TrainOptions::defaults();
  o.hidden = w0.m();
  o.initial_weights = w0;
  o.regularization = reg;
  o.threads = 1;
  o.alm.time_limit_seconds = budget;
  o.alm.max_outer_iterations = 1000000;
  const TrainResult r = train(data, o);
  for (const auto& h : r.history) tr.seconds.push_back(h.seconds), tr.objective.push_back(h.objective);
  tr.wall = r.wall_seconds;
  tr.status = to_string(r.summary.status);
  finish(tr, r.weights, series, reg);
  return tr;
}

Trace run_shooting(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& w0, int chunks, int workers,
                   double budget) {
  Trace tr{fmt::format("shooting K = {}, {} thread{}", chunks, workers, workers > 1 ? "s" : ""), {}, {}, 0, 0, 0, ""};
  ShootingOptions o;
  o.chunks = chunks;
  if (const char* inner = std::getenv("BENCH_SHOOTING_INNER")) o.inner_solver = inner;
  o.time_limit_seconds = budget;
  std::vector<std::pair<double, RnnWeights>> points;
  ShootingResult result;
  const int n_theta = num_parameters(w0.m(), data.d(), data.p());
  InProcessGroup group(workers);
  const auto t0 = std::chrono::steady_clock::now();
  group.run([&](Communicator& comm) {
    const AlmCallback record = [&](const AlmIteration&, VectorCRef x) {
      if (comm.rank() == 0) points.emplace_back(seconds_since(t0), unflatten(x.head(n_theta), w0.m(), data.d(), data.p()));
      return true;
    };
    ShootingResult r = train_shooting(data, reg, w0, o, comm, record);
    if (comm.rank() == 0) result = std::move(r);
  });
  tr.wall = result.seconds;
  if (std::getenv("BENCH_SHOOTING_VERBOSE") != nullptr)
    for (const auto& it : result.alm.history) fmt::print("  {}\n", alm_log_line(it));
  for (const auto& [s, w] : points) tr.seconds.push_back(s), tr.objective.push_back(reduced_objective(w, data, reg).value);
  tr.status = fmt::format("{}{} ({} outer, {} inner, gap {:.1e} rel, stationarity {:.1e})", to_string(result.alm.status),
                          result.certified ? ", certified" : "", result.alm.outer_iterations,
                          result.alm.inner_iterations, result.gap_relative, result.stationarity);
  finish(tr, result.weights, data, reg);
  return tr;
}

}  // namespace

int main(int argc, char** argv) {
  const int T = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int m = argc > 2 ? std::atoi(argv[2]) : 32;
  const int K = argc > 3 ? std::atoi(argv[3]) : 8;
  const double budget = argc > 4 ? std::atof(argv[4]) : 120.0;
  const std::string methods = argc > 5 ? argv[5] : "lbfgs,shoot1,shootK1,shootK2,rollout";
  const RnnSeries data = synthetic_series(T, 1);
  const RnnRegularization reg;
  const RnnWeights w0 = initialize_weights(m, 1, 1, InitScheme::kGaussian, 1e-3, 0);
  fmt::print("bench_shooting: T = {}, m = {}, K = {}, budget {} s per method, methods {}\n", T, m, K, budget, methods);
  std::vector<Trace> traces;
  std::stringstream list(methods);
  for (std::string name; std::getline(list, name, ',');) {
    if (name == "lbfgs") traces.push_back(run_lbfgs(data, reg, w0, budget));
    else if (name == "rollout") traces.push_back(run_rollout(data, reg, w0, budget));
    else if (name == "shoot1") traces.push_back(run_shooting(data, reg, w0, 1, 1, budget));
    else if (name == "shootK1") traces.push_back(run_shooting(data, reg, w0, K, 1, budget));
    else if (name == "shootK2") traces.push_back(run_shooting(data, reg, w0, K, 2, budget));
    else {
      fmt::print(stderr, "bench_shooting: unknown method '{}' (expected lbfgs, rollout, shoot1, shootK1, shootK2)\n", name);
      return 2;
    }
    std::fflush(stdout);
  }
  double best = INFINITY;
  for (const auto& tr : traces) best = std::min(best, tr.final_F);
  const double target = best * (1 + 1e-4);
  fmt::print("\nF_best = {:.8g}, target F <= {:.8g}\n", best, target);
  fmt::print("| method | time to target (s) | wall (s) | final F | ‖∇F‖∞ | status |\n|---|---|---|---|---|---|\n");
  for (const auto& tr : traces) {
    double hit = NAN;
    for (size_t i = 0; i < tr.seconds.size(); ++i)
      if (tr.objective[i] <= target) { hit = tr.seconds[i]; break; }
    fmt::print("| {} | {} | {:.1f} | {:.8g} | {:.1e} | {} |\n", tr.method,
               std::isnan(hit) ? std::string("not reached") : fmt::format("{:.1f}", hit), tr.wall, tr.final_F,
               tr.grad_inf, tr.status);
  }
  return 0;
}
