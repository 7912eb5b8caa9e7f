// Sweeps of the distributed ALM-BCD over MPI ranks (docs/parallel.md §5).
//
//   mpirun -np P bench_mpi_sweep [--T N] [--m M] [--d D] [--sweeps K] [--sequences S]
//   bench/run_mpi_sweep.sh   (P = 1, 2, 4 at T = 1e5 and 1e6, m = 64, d = 11)
//
// Every rank builds only its own slice of a synthetic series (inputs and
// targets are a hash of the global index, so the data do not depend on P),
// random weights (the same on every rank) and small random multipliers, then
// times on its slice: the pipelined forward pass (the rollout, sequential over
// linked ranks; with --sequences S > 1 and the split by sequences the ranks
// run it side by side) and K sweeps (median). Rank 0 prints one line: P, T,
// the sweep time, the forward pass, the bytes and messages rank 0 sent per
// sweep, and the peak RSS of every rank (getrusage), which holds the rank's
// share of T plus the MPI library.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "almkit/problems/rnn/rnn_slice.h"
#include "mpi/mpi_communicator.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

double hash_uniform(std::uint64_t k) {  // splitmix64 → [−1, 1)
  k += 0x9E3779B97F4A7C15ull;
  k = (k ^ (k >> 30)) * 0xBF58476D1CE4E5B9ull;
  k = (k ^ (k >> 27)) * 0x94D049BB133111EBull;
  k ^= k >> 31;
  return static_cast<double>(k >> 11) * 0x1.0p-52 - 1.0;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  mpi::Session session(&argc, &argv);
  Communicator& comm = session.world();
  long T = 100000;
  int m = 64, d = 11, K = 3, S = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const long v = std::atol(argv[i + 1]);
    if (a == "--T") T = v;
    else if (a == "--m") m = static_cast<int>(v);
    else if (a == "--d") d = static_cast<int>(v);
    else if (a == "--sweeps") K = static_cast<int>(v);
    else if (a == "--sequences") S = static_cast<int>(v);
    else {
      if (comm.rank() == 0) std::fprintf(stderr, "bench_mpi_sweep: unknown option %s\n", a.c_str());
      session.abort(2);
    }
  }
  const int P = comm.size(), r = comm.rank();
  // The layout of rank_ranges without the global series: S equal sequences, cut at their starts when S ≥ P.
  RnnSeries shape;
  shape.X.resize(0, T);
  shape.sequence_starts.clear();
  for (int s = 0; s < S; ++s) shape.sequence_starts.push_back(static_cast<int>(T * s / S));
  const auto ranges = rank_ranges(shape, P, RankSplit::kSequences);
  const auto [first, last] = ranges[static_cast<size_t>(r)];
  const int n = last - first;
  RnnSliceData data;
  data.first = first;
  data.series.X.resize(d, n);
  data.series.Y.resize(1, n);
  data.series.omega = Vector::Ones(n);
  data.series.sequence_starts = {0};
  for (int s : shape.sequence_starts)
    if (s > first && s < last) data.series.sequence_starts.push_back(s - first);
  for (int t = 0; t < n; ++t) {
    for (int i = 0; i < d; ++i) data.series.X(i, t) = hash_uniform(static_cast<std::uint64_t>(first + t) * 64 + i);
    data.series.Y(0, t) = hash_uniform(static_cast<std::uint64_t>(first + t) * 64 + 63);
  }
  auto is_start = [&](long t) { return std::find(shape.sequence_starts.begin(), shape.sequence_starts.end(), t) != shape.sequence_starts.end(); };
  data.linked_left = !is_start(first);
  data.linked_right = last < T && !is_start(last);
  RnnSlice slice(std::move(data), m, RnnRegularization{}, comm);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 1.0);
  auto gauss = [&](Eigen::Index rows, Eigen::Index cols, double s) {
    return Matrix(Matrix::NullaryExpr(rows, cols, [&]() { return s * g(rng); }));
  };
  slice.w = RnnWeights{gauss(m, m, 0.5 / std::sqrt(m)), gauss(m, d, 0.3), Vector::Zero(m), gauss(1, m, 0.1), Vector::Zero(1)};
  std::mt19937_64 local(100 + static_cast<unsigned>(r));
  std::normal_distribution<double> gl(0.0, 0.01);
  slice.Xi1 = Matrix::NullaryExpr(m, n, [&]() { return gl(local); });
  slice.Xi2 = Matrix::NullaryExpr(m, n, [&]() { return gl(local); });

  comm.sum(0.0);  // start together
  double t0 = now();
  slice.forward_pass();
  comm.sum(0.0);
  const double forward = now() - t0;
  slice.exchange_halo();
  long bytes = 0, messages = 0;  // of the sweeps only, not of the timing barriers
  std::vector<double> times;
  for (int k = 0; k < K; ++k) {
    comm.sum(0.0);
    t0 = now();
    const long b0 = comm.bytes_sent(), m0 = comm.messages_sent();
    slice.sweep(1.0, 1e-5);
    bytes += comm.bytes_sent() - b0, messages += comm.messages_sent() - m0;
    comm.sum(0.0);
    times.push_back(now() - t0);
  }
  std::sort(times.begin(), times.end());
  std::vector<double> rss(static_cast<size_t>(P));
  const double mine = peak_rss_mib();
  comm.all_gather(&mine, 1, rss.data());
  if (r == 0) {
    std::string list;
    for (double v : rss) list += (list.empty() ? "" : " ") + std::to_string(static_cast<long>(v));
    std::printf("P %d  T %ld  m %d  d %d  sequences %d  sweep %.3f s (median of %d)  forward %.3f s  rank-0 sent %ld B in %ld messages per sweep  peak RSS MiB per rank: %s\n",
                P, T, m, d, S, times[times.size() / 2], K, forward, bytes / K, messages / K, list.c_str());
  }
  return 0;
}
