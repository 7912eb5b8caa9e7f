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
//   bench_shooting sp500 [CSV] [seconds] [chunks]   (the 8 starts on SP500)
//   methods: comma list of lbfgs (L-BFGS on F, sequential BPTT), rollout (the
//            current sequential default), shoot1 / shootK1 / shootK2 (multiple
//            shooting ALM: K = 1 one worker, K chunks one worker, K chunks two
//            threads), roll1 / rollK1 / rollK2 (relaxed rollout + L-BFGS, same)
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
#include "synthetic_series.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

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
  tr.status = fmt::format("{} ({} iterations, {} gradient evaluations)", r.status, r.iterations, r.evaluations);
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
  o.policy = TrainPolicy::kRollout;  // the default before policy time-parallel
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

Trace run_shooting(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& w0, const std::string& method,
                   int chunks, int workers, double budget) {
  Trace tr{fmt::format("{} K = {}, {} thread{}", method == "rollout" ? "relaxed rollout + L-BFGS" : "multiple shooting ALM",
                       chunks, workers, workers > 1 ? "s" : ""),
           {}, {}, 0, 0, 0, ""};
  ShootingOptions o;
  o.method = method;
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
    // The rollout method's every evaluation is an exact F(θ): the running
    // minimum is what the method has found by then (finer than outer iterations).
    double best = INFINITY;
    const auto observe = [&](double F) {
      if (comm.rank() != 0 || !(F < best)) return;
      best = F;
      tr.seconds.push_back(seconds_since(t0));
      tr.objective.push_back(F);
    };
    ShootingResult r = train_shooting(data, reg, w0, o, comm, record, observe);
    if (comm.rank() == 0) result = std::move(r);
  });
  tr.wall = result.seconds;
  if (std::getenv("BENCH_SHOOTING_VERBOSE") != nullptr)
    for (const auto& it : result.alm.history) fmt::print("  {}\n", alm_log_line(it));
  for (const auto& [s, w] : points) tr.seconds.push_back(s), tr.objective.push_back(reduced_objective(w, data, reg).value);
  const RolloutRounds& rr = result.rounds;
  tr.status = fmt::format("{}{} ({} outer, {} inner, {} restarts, {} gradients, gap {:.1e} rel, stationarity {:.1e}",
                          to_string(result.alm.status), result.certified ? ", certified" : "",
                          result.outer_iterations, result.inner_iterations, result.restarts,
                          result.alm.evaluations.gradient, result.gap_relative, result.stationarity);
  if (rr.evaluations > 0)
    tr.status += fmt::format("; {} evaluations, correction rounds fwd {} bwd {}, re-run steps fwd {} bwd {} (worker 0)",
                             rr.evaluations, rr.total_forward_rounds, rr.total_backward_rounds,
                             rr.total_forward_rerun_steps, rr.total_backward_rerun_steps);
  tr.status += ")";
  finish(tr, result.weights, data, reg);
  return tr;
}

}  // namespace

// SP500 (the default data of almkit train, docs/rnn.md §6) from the study's
// 8 starts: the rollout policy (rnn::train, TrainOptions::defaults() with
// policy rollout: the default before time-parallel) against the
// time-parallel method on one worker, each with `budget` seconds. Reports the
// time at which the time-parallel method first reached the default's final F.
int sp500(const std::string& path, double budget, int chunks, int seeds) {
  DataSpec spec;
  spec.path = path;
  const RnnDataset data = load_dataset(spec);
  const TrainOptions defaults = TrainOptions::defaults();
  fmt::print("bench_shooting sp500: {} (T = {}), m = {}, budget {} s, K = {}\n", path, data.train.T(), defaults.hidden,
             budget, chunks);
  fmt::print("| start | rollout policy: status | F | time | time-parallel (1 worker): status | F | time | time to the rollout policy's F |\n"
             "|---|---|---|---|---|---|---|---|\n");
  for (InitScheme scheme : {InitScheme::kGaussian, InitScheme::kLecun, InitScheme::kPytorch, InitScheme::kIrnn})
    for (std::uint64_t seed = 0; seed < static_cast<std::uint64_t>(seeds); ++seed) {
      const RnnWeights w0 = initialize_weights(defaults.hidden, data.train.d(), data.train.p(), scheme,
                                               defaults.init_std, seed, defaults.irnn_scale);
      TrainOptions o = defaults;
      o.policy = TrainPolicy::kRollout;
      o.initial_weights = w0;
      o.alm.time_limit_seconds = budget;
      const TrainResult d = train(data, o);
      const double Fd = d.history.back().objective;
      ShootingOptions so;
      so.chunks = chunks;
      so.time_limit_seconds = budget;
      SerialCommunicator comm;
      double hit = NAN;
      const auto t0 = std::chrono::steady_clock::now();
      const auto observe = [&](double F) {
        if (std::isnan(hit) && F <= Fd * (1 + 1e-9)) hit = seconds_since(t0);
      };
      const ShootingResult r = train_shooting(data.train, defaults.regularization, w0, so, comm, {}, observe);
      fmt::print("| {} {} | {} | {:.8g} | {:.1f} s | {}{} | {:.8g} | {:.1f} s | {} |\n", to_string(scheme), seed,
                 to_string(d.summary.status), Fd, d.wall_seconds, to_string(r.alm.status),
                 r.certified ? " (certified)" : "", r.objective, r.seconds,
                 std::isnan(hit) ? std::string("not reached") : fmt::format("{:.2f} s", hit));
      std::fflush(stdout);
    }
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "sp500")
    return sp500(argc > 2 ? argv[2] : "data/clean_SP500.csv", argc > 3 ? std::atof(argv[3]) : 10.0,
                 argc > 4 ? std::atoi(argv[4]) : 1, argc > 5 ? std::atoi(argv[5]) : 2);
  const int T = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int m = argc > 2 ? std::atoi(argv[2]) : 32;
  const int K = argc > 3 ? std::atoi(argv[3]) : 8;
  const double budget = argc > 4 ? std::atof(argv[4]) : 120.0;
  const std::string methods = argc > 5 ? argv[5] : "lbfgs,roll1,rollK1,rollK2,shootK2,rollout";
  const RnnSeries data = bench::synthetic_series(T, 1);
  const RnnRegularization reg;
  const RnnWeights w0 = initialize_weights(m, 1, 1, InitScheme::kGaussian, 1e-3, 0);
  fmt::print("bench_shooting: T = {}, m = {}, K = {}, budget {} s per method, methods {}\n", T, m, K, budget, methods);
  std::vector<Trace> traces;
  std::stringstream list(methods);
  for (std::string name; std::getline(list, name, ',');) {
    if (name == "lbfgs") traces.push_back(run_lbfgs(data, reg, w0, budget));
    else if (name == "rollout") traces.push_back(run_rollout(data, reg, w0, budget));
    else if (name == "shoot1") traces.push_back(run_shooting(data, reg, w0, "shooting", 1, 1, budget));
    else if (name == "shootK1") traces.push_back(run_shooting(data, reg, w0, "shooting", K, 1, budget));
    else if (name == "shootK2") traces.push_back(run_shooting(data, reg, w0, "shooting", K, 2, budget));
    else if (name == "roll1") traces.push_back(run_shooting(data, reg, w0, "rollout", 1, 1, budget));
    else if (name == "rollK1") traces.push_back(run_shooting(data, reg, w0, "rollout", K, 1, budget));
    else if (name == "rollK2") traces.push_back(run_shooting(data, reg, w0, "rollout", K, 2, budget));
    else {
      fmt::print(stderr, "bench_shooting: unknown method '{}' (expected lbfgs, rollout, shoot1, shootK1, shootK2, roll1, rollK1, rollK2)\n", name);
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
