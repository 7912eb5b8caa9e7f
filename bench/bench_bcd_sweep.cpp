// Time per BCD sweep of the RNN problem (docs/rnn_bcd.md §3 and §5).
//
//   bench_bcd_sweep [--quick] [--max-gib G] [--sweeps K]
//   bench_bcd_sweep --stop-test [--quick]
//
// --stop-test: the BCD stop test across series lengths. Teacher-RNN data
// (m = 20, d = p = 1) of T ∈ {1e2, 1e3, 1e4, 1e5}, the reference ALM policy
// for 10 outer iterations with BcdOptions defaults, once with the relative
// and once with the absolute change measure; prints the sweeps of every outer
// iteration, the train MSE (forward pass) and the time.
//
// Rows: T ∈ {1e3, 1e4, 1e5, 1e6} × m ∈ {20, 64, 256} × d ∈ {1, 11}, p = 1,
// random data and a random (infeasible) point; each row runs in a forked
// child so its peak RSS (getrusage) is its own. A row is skipped when its
// estimated memory exceeds --max-gib (default 16) or the MemAvailable of
// /proc/meminfo minus 2 GiB.
//
// One sweep = minimize_block for w, a, h, u (BcdSolver adds one copy and one
// norm per block for its change measure, O(n) memory traffic). Flops counted
// per sweep: the products only, 2·rows·cols·inner each,
//   w: H Hᵀ, G Hprevᵀ (2m²T each), X Hprevᵀ, G Xᵀ (2mdT each)
//   a: Y Ω Hᵀ (2pmT)                               (H Hᵀ reused from w when ω ≡ 1)
//   h: V X (2mdT), Aᵀ Y Ω (2pmT), Wᵀ E, M⁻¹ B (2m²T each)
//   u: W Hprev (2m²T)
//   total F = 2T (5m² + 3md + 2pm); element-wise passes (about 12 per sweep,
//   O(mT) each) and the O((m+d)³) factorizations are not counted.
// Reference: an Eigen GEMM C = P Qᵀ with P, Q of size m × T (2m²T flops),
// the shape of H Hᵀ, in the same process, timed alternately with the sweeps.
// Times are thread CPU times (CLOCK_THREAD_CPUTIME_ID), medians.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "almkit/core/alm.h"
#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/solvers/bcd/bcd_solver.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

// Thread CPU time: the machine is shared, and wall time would charge other
// processes' time slices to whichever kernel happened to be running.
double now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double mem_available_gib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib / (1024.0 * 1024.0);
  return 1e9;
}

// Bytes: x (2mT + weights), λ (2mT), two m×T work matrices, the data (X, Y, Yω, XXᵀ).
double estimate_gib(long T, long m, long d) {
  const double doubles = 6.0 * m * T + 2.0 * d * T + 4.0 * T + 2.0 * m * (m + d);
  return doubles * 8.0 / (1024.0 * 1024.0 * 1024.0);
}

void run_row(long T, int m, int d, int sweeps) {
  const int p = 1;
  std::mt19937_64 rng(42);
  std::normal_distribution<double> g(0.0, 1.0);
  RnnSeries s;
  s.X = Matrix::NullaryExpr(d, T, [&]() { return g(rng); });
  s.Y = Matrix::NullaryExpr(p, T, [&]() { return g(rng); });
  s.omega = Vector::Ones(T);
  RnnTrainingProblem P(std::move(s), m, RnnRegularization{});
  Vector x = Vector::NullaryExpr(P.num_variables(), [&]() { return 0.1 * g(rng); });
  Vector lambda = Vector::NullaryExpr(P.num_equalities(), [&]() { return 0.01 * g(rng); });
  const Vector mu;
  const double beta = 1.0, sigma_p = 1e-5;

  // Reference GEMM of the same (m × T)(T × m) shape, on the H and U blocks of
  // x, timed alternately with the sweeps so both see the same machine load.
  Matrix C(m, m);
  std::vector<double> t_sweep, t_gemm;
  for (int k = 0; k < sweeps + 1; ++k) {  // the first sweep allocates the work space: not timed
    double t0 = now();
    for (int b = 0; b < 4; ++b) P.minimize_block(b, lambda, mu, beta, sigma_p, x);
    if (k > 0) t_sweep.push_back(now() - t0);
    const auto v = P.view(x);
    t0 = now();
    C.noalias() = v.H * v.U.transpose();
    if (k > 0) t_gemm.push_back(now() - t0);
  }
  const double sweep = median(t_sweep);
  const double flops = 2.0 * T * (5.0 * m * m + 3.0 * m * d + 2.0 * p * m);
  const double gemm = median(t_gemm);
  const double gemm_rate = 2.0 * m * m * T / gemm * 1e-9;
  const double rate = flops / sweep * 1e-9;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("%8ld %4d %3d %12.4e %9.2f %9.2f %6.2f %9.3f   (checksum %.3e)\n", T, m, d, sweep, rate, gemm_rate,
              rate / gemm_rate, ru.ru_maxrss / (1024.0 * 1024.0), C.sum() + x.sum());
  std::fflush(stdout);
}

RnnSeries teacher_series(long T, int m, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  RnnWeights w;
  w.W = Matrix::NullaryExpr(m, m, [&]() { return 0.5 / std::sqrt(m) * g(rng); });
  w.V = Matrix::NullaryExpr(m, 1, [&]() { return g(rng); });
  w.b = Vector::NullaryExpr(m, [&]() { return 0.1 * g(rng); });
  w.A = Matrix::NullaryExpr(1, m, [&]() { return g(rng) / std::sqrt(m); });
  w.c = Vector::Zero(1);
  RnnSeries s;
  s.X = Matrix::NullaryExpr(1, T, [&]() { return u(rng); });
  s.Y = Matrix::Zero(1, T);
  s.omega = Vector::Ones(T);
  s.Y = predict(w, forward_pass(w, s).H);
  s.Y += Matrix::NullaryExpr(1, T, [&]() { return 0.01 * g(rng); });
  return s;
}

void stop_test_scaling(bool quick) {
  std::printf("# reference ALM policy, 10 outer iterations, BcdOptions defaults except change_measure; m = 20, d = p = 1\n");
  std::printf("%8s %9s %7s %11s %8s  %s\n", "T", "measure", "sweeps", "train_mse", "cpu_s", "sweeps per outer iteration");
  const std::vector<long> Ts = quick ? std::vector<long>{100, 1000} : std::vector<long>{100, 1000, 10000, 100000};
  for (long T : Ts)
    for (auto measure : {BcdChangeMeasure::kRelative, BcdChangeMeasure::kAbsolute}) {
      RnnTrainingProblem P(teacher_series(T, 20, 7), 20, RnnRegularization{});
      BcdOptions bo;
      bo.change_measure = measure;
      BcdSolver bcd(bo);
      AlmOptions ao;
      ao.policy = AlmPolicy::kReference;
      ao.max_outer_iterations = 10;
      const double t0 = now();
      const AlmSummary s = solve_alm(P, bcd, ao);
      const double secs = now() - t0;
      const RnnWeights w = P.weights(s.x);
      const double mse = mean_squared_error(predict(w, forward_pass(w, P.data()).H), P.data());
      std::string per;
      for (const auto& it : s.history) per += std::to_string(it.inner.iterations) + " ";
      std::printf("%8ld %9s %7ld %11.4e %8.2f  %s\n", T, to_string(measure), s.inner_iterations, mse, secs, per.c_str());
      std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  double max_gib = 16.0;
  int sweeps = 5;
  bool stop_test = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--stop-test")) stop_test = true;
    else if (!std::strcmp(argv[i], "--max-gib") && i + 1 < argc) max_gib = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--sweeps") && i + 1 < argc) sweeps = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--max-gib G] [--sweeps K] | --stop-test [--quick]\n", argv[0]);
      return 2;
    }
  }
  if (stop_test) {
    stop_test_scaling(quick);
    return 0;
  }
  const std::vector<long> Ts = quick ? std::vector<long>{1000, 10000} : std::vector<long>{1000, 10000, 100000, 1000000};
  const std::vector<int> ms = quick ? std::vector<int>{20, 64} : std::vector<int>{20, 64, 256};
  const std::vector<int> ds = {1, 11};
  std::printf("# BCD sweep of the RNN problem, p = 1, median of %d sweeps; GFLOP/s counts 2T(5m^2+3md+2pm) per sweep\n",
              sweeps);
  std::printf("# gemm = Eigen (m x T)(T x m) product; ratio = sweep GFLOP/s / gemm GFLOP/s; rss = peak RSS of the row\n");
  std::printf("%8s %4s %3s %12s %9s %9s %6s %9s\n", "T", "m", "d", "s/sweep", "GFLOP/s", "gemmGF/s", "ratio",
              "rss_GiB");
  std::fflush(stdout);
  for (long T : Ts)
    for (int m : ms)
      for (int d : ds) {
        const double need = estimate_gib(T, m, d);
        const double avail = mem_available_gib() - 2.0;
        if (need > max_gib || need > avail) {
          std::printf("%8ld %4d %3d   skipped: needs ~%.1f GiB (limit %.1f GiB, available %.1f GiB)\n", T, m, d, need,
                      max_gib, avail);
          std::fflush(stdout);
          continue;
        }
        const pid_t pid = fork();
        if (pid == 0) {
          run_row(T, m, d, sweeps);
          std::_Exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
          std::printf("%8ld %4d %3d   failed (status %d)\n", T, m, d, status);
      }
  return 0;
}
