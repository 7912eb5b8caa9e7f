// Time-parallel BCD sweeps of the RNN problem (docs/parallel.md §5).
//
//   bench_parallel_sweep [--quick] [--sweeps K] [--m M] [--d D] [--chunk L]
//
// For T ∈ {1e5, 1e6} (--quick: 1e4, 1e5), m = 64, d = 11, p = 1, random data
// and a random (infeasible) point, each row in a forked child (its own peak RSS):
//
//   seq       the sequential code path (one chunk)
//   chunk/1   chunks of L = 4096 steps on 1 thread
//   chunk/2   the same chunks on 2 threads
//   rank P    the per-rank compute of a P-rank run (P = 2, 4): one sweep of a
//             T/P-step problem on one thread, i.e. the compute term of the
//             model in docs/parallel.md §4 (not an MPI run)
//
// Columns: wall seconds per sweep (median of K), peak RSS of the row, and for `seq` the sequential parts outside the sweep:
// the forward pass (the rollout: train MSE, the feasibility restart) and the
// BPTT multipliers, which walk t = 1..T in order. Then the same two with 8
// sequences of T/8 steps, on 1 and 2 threads by sequence groups. The last line
// prints the bytes a P-rank run would exchange per sweep (docs/parallel.md §3).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "almkit/problems/rnn/rnn_problem.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

double wall() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double peak_rss_gib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / (1024.0 * 1024.0);
}

struct Row {
  long T;
  int m, d, threads, chunk;
  const char* label;
};

// Median wall seconds per sweep (w, a, h, u); the first sweep allocates the work space and is not timed.
void run_row(const Row& r, int sweeps) {
  const int p = 1;
  std::mt19937_64 rng(42);
  std::normal_distribution<double> g(0.0, 1.0);
  RnnSeries s;
  s.X = Matrix::NullaryExpr(r.d, r.T, [&]() { return g(rng); });
  s.Y = Matrix::NullaryExpr(p, r.T, [&]() { return g(rng); });
  s.omega = Vector::Ones(r.T);
  RnnTrainingProblem P(std::move(s), r.m, RnnRegularization{});
  P.set_parallel({r.threads, r.chunk});
  Vector x = Vector::NullaryExpr(P.num_variables(), [&]() { return 0.1 * g(rng); });
  const Vector lambda = Vector::NullaryExpr(P.num_equalities(), [&]() { return 0.01 * g(rng); });
  const Vector mu;
  std::vector<double> times;
  for (int k = 0; k < sweeps + 1; ++k) {
    const double t0 = wall();
    P.begin_sweep(x);
    for (int b = 0; b < 4; ++b) P.minimize_block(b, lambda, mu, 1.0, 1e-5, x);
    if (k > 0) times.push_back(wall() - t0);
  }
  const double sweep = median(times);
  std::string extra;
  if (std::strcmp(r.label, "seq") == 0) {
    // The sequential parts: forward pass (rollout) and BPTT multipliers.
    const double t0 = wall();
    P.restore_feasibility(x);
    const double t_fwd = wall() - t0;
    const double t1 = wall();
    const Vector xi = P.bptt_multipliers(x);
    const double t_bptt = wall() - t1;
    char buf[160];
    std::snprintf(buf, sizeof buf, "  forward %.3e s (%.1f ns/step)  bptt %.3e s  (checksum %.2e)", t_fwd,
                  1e9 * t_fwd / static_cast<double>(r.T), t_bptt, xi.sum());
    extra = buf;
  }
  std::printf("%8ld %4d %3d %-8s %7d %6d %12.4e %9.3f%s\n", r.T, r.m, r.d, r.label, r.threads, P.num_chunks(), sweep,
              peak_rss_gib(), extra.c_str());
  std::fflush(stdout);
}

// The sequential parts with several sequences: forward pass (restore_feasibility)
// and BPTT multipliers by sequence groups on `threads` threads (docs/parallel.md
// §2), S sequences of T/S steps; median of 3 after one untimed call.
void run_sequences_row(long T, int m, int d, int S, int threads) {
  std::mt19937_64 rng(43);
  std::normal_distribution<double> g(0.0, 1.0);
  RnnSeries s;
  s.X = Matrix::NullaryExpr(d, T, [&]() { return g(rng); });
  s.Y = Matrix::NullaryExpr(1, T, [&]() { return g(rng); });
  s.omega = Vector::Ones(T);
  s.sequence_starts.clear();
  for (int k = 0; k < S; ++k) s.sequence_starts.push_back(static_cast<int>(T * k / S));
  RnnTrainingProblem P(std::move(s), m, RnnRegularization{});
  P.set_parallel({threads, 0});
  Vector x = Vector::NullaryExpr(P.num_variables(), [&]() { return 0.1 * g(rng); });
  std::vector<double> fwd, bptt;
  double checksum = 0.0;
  for (int k = 0; k < 4; ++k) {
    const double t0 = wall();
    P.restore_feasibility(x);
    const double t1 = wall();
    const Vector xi = P.bptt_multipliers(x);
    const double t2 = wall();
    checksum = xi.sum();
    if (k > 0) {
      fwd.push_back(t1 - t0);
      bptt.push_back(t2 - t1);
    }
  }
  std::printf("%8ld %4d %3d %9d %7d %6d %12.4e %12.4e   (checksum %.6e)\n", T, m, d, S, threads, P.num_sequence_groups(),
              median(fwd), median(bptt), checksum);
  std::fflush(stdout);
}

// `run` in its own child process, so a row's peak RSS is its own.
void run_forked(const std::function<void()>& run) {
  std::fflush(stdout);  // or the child would print the buffered lines again
  const pid_t pid = fork();
  if (pid == 0) {
    run();
    std::fflush(stdout);
    std::_Exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::printf("  row failed (status %d)\n", status);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int sweeps = 3, m = 64, d = 11, chunk = RnnParallelOptions{}.chunk_columns;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--sweeps") && i + 1 < argc) sweeps = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--m") && i + 1 < argc) m = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--d") && i + 1 < argc) d = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--chunk") && i + 1 < argc) chunk = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--sweeps K] [--m M] [--d D] [--chunk L]\n", argv[0]);
      return 2;
    }
  }
  const std::vector<long> Ts = quick ? std::vector<long>{10000, 100000} : std::vector<long>{100000, 1000000};
  std::printf("# time-parallel BCD sweep, p = 1, median wall seconds of %d sweeps (docs/parallel.md §5)\n", sweeps);
  std::printf("%8s %4s %3s %-8s %7s %6s %12s %9s\n", "T", "m", "d", "config", "threads", "chunks", "s/sweep", "rss_GiB");
  std::fflush(stdout);
  for (long T : Ts) {
    run_forked([&] { run_row({T, m, d, 1, 0, "seq"}, sweeps); });
    run_forked([&] { run_row({T, m, d, 1, chunk, "chunk/1"}, sweeps); });
    run_forked([&] { run_row({T, m, d, 2, chunk, "chunk/2"}, sweeps); });
    run_forked([&] { run_row({T / 2, m, d, 1, 0, "rank 2"}, sweeps); });
    run_forked([&] { run_row({T / 4, m, d, 1, 0, "rank 4"}, sweeps); });
  }
  std::printf("# forward pass and BPTT by sequence groups, median wall seconds of 3 (docs/parallel.md §5)\n");
  std::printf("%8s %4s %3s %9s %7s %6s %12s %12s\n", "T", "m", "d", "sequences", "threads", "groups", "forward_s",
              "bptt_s");
  for (long T : Ts)
    for (int threads : {1, 2}) run_forked([&] { run_sequences_row(T, m, d, 8, threads); });
  // Bytes per sweep and rank of a P-rank run (docs/parallel.md §3): three
  // one-column halos (h_{first-1} before w and before u, E(:, last) for h) of
  // m doubles, and the reductions of the w block (the H rows of Z Zᵀ, q m, and
  // (βU + Ξ1) Zᵀ, m q, q = m + d + 1; X Xᵀ, X 1 and T are constant), the
  // a block (Y Ω Hᵀ and H ω, p (m+1) + m doubles; H Hᵀ comes from the w block when ω ≡ 1) and
  // the change norms of the H and U blocks (4 doubles).
  const int p = 1, q = m + d + 1;
  const double halo = 3.0 * m * 8, red_w = 2.0 * m * q * 8, red_a = (double(p) * (m + 1) + m) * 8,
               red_n = 4 * 8;
  std::printf("# per sweep and rank (m = %d, d = %d, p = %d): halo %.0f B in 3 messages per neighbour, "
              "reductions %.0f + %.0f + %.0f B in 3 collectives, total %.1f KiB\n",
              m, d, p, halo, red_w, red_a, red_n, (halo + red_w + red_a + red_n) / 1024.0);
  return 0;
}
