// Cost of one value + gradient evaluation of the reduced RNN objective F(θ)
// (docs/rnn.md §5) with and without a reused rnn::ReducedWorkspace.
//
//   bench_reduced_objective [--seconds S] [--rounds R]
//
// Cases: T = 10⁴, m = 64, d = 1, p = 1 (a long univariate series) and
// T = 393, m = 20, d = 11, p = 1 (the SP500 training part), random data and
// LeCun weights scaled into a stable regime. Variants, timed alternately in
// R rounds (default 5) of about S/R CPU seconds each (S default 2) per
// variant, median over the rounds:
//   no workspace   reduced_objective(w, data, reg, {}, &g) with a fresh g
//   workspace      the same with a kept workspace and gradient
//   oracle, before the gradient baselines' oracle as it was: unflatten θ,
//                  evaluate with a fresh gradient and no workspace, flatten
//   oracle, now    baselines::make_rnn_objective (one workspace per oracle)
//   workspace, value  the value alone with the kept workspace
// and the heap allocations per call (glibc: malloc is wrapped in this
// executable, which also counts operator new and Eigen's aligned allocations).
// Times are thread CPU times (CLOCK_THREAD_CPUTIME_ID): the machine is shared.
#include <atomic>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_baselines.h"

#if defined(__GLIBC__)
// Counting wrapper around glibc's allocator (this executable only).
extern "C" void* __libc_malloc(std::size_t size);
namespace {
std::atomic<long> g_mallocs{0};
}
extern "C" void* malloc(std::size_t size) noexcept {
  g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
long malloc_count() { return g_mallocs.load(std::memory_order_relaxed); }
#else
long malloc_count() { return -1; }
#endif

using namespace almkit;
using namespace almkit::rnn;

namespace {

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

struct Case {
  int T, m, d, p;
};

struct Variant {
  const char* name;
  std::function<double()> call;  // one value + gradient evaluation
  std::vector<double> ms;        // per round
  double mallocs = 0.0;          // per call, after warm-up
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void run_case(const Case& c, double seconds, int rounds) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  RnnSeries data;
  data.X = Matrix::NullaryExpr(c.d, c.T, [&](Eigen::Index, Eigen::Index) { return U(rng); });
  data.Y = Matrix::NullaryExpr(c.p, c.T, [&](Eigen::Index, Eigen::Index) { return U(rng); });
  data.omega = Vector::Ones(c.T);
  RnnWeights w = initialize_weights(c.m, c.d, c.p, InitScheme::kLecun, 0.0, 2);
  w.W *= 0.5;  // ρ(W) about 0.5: a stable forward pass over 10⁴ steps
  const RnnRegularization reg;
  const Vector x = flatten(w);

  double sink = 0.0;
  RnnWeights g_kept;
  ReducedWorkspace ws;
  Vector grad_before, grad_now;
  const baselines::Objective oracle = baselines::make_rnn_objective(data, reg, c.m, 1);
  std::vector<Variant> variants = {
      {"no workspace",
       [&] {
         RnnWeights g;
         return reduced_objective(w, data, reg, {}, &g).value + g.W(0, 0);
       }, {}, 0.0},
      {"workspace",
       [&] { return reduced_objective(w, data, reg, {}, &g_kept, nullptr, &ws).value + g_kept.W(0, 0); }, {}, 0.0},
      {"oracle, before",
       [&] {
         const RnnWeights wx = unflatten(x, c.m, c.d, c.p);
         RnnWeights g;
         const double v = reduced_objective(wx, data, reg, {}, &g).value;
         grad_before = flatten(g);
         return v + grad_before(0);
       }, {}, 0.0},
      {"oracle, now", [&] { return oracle.value_gradient(x, -1, &grad_now) + grad_now(0); }, {}, 0.0},
      // No gradient: only the forward products (depth d and m), which Eigen
      // runs without heap buffers; the allocations left in "workspace" are
      // then those of Eigen's GEMM blocking in the gradient's products over T.
      {"workspace, value", [&] { return reduced_objective(w, data, reg, {}, nullptr, nullptr, &ws).value; }, {}, 0.0},
  };
  // Warm-up (sizes the kept buffers), allocation counts, and the calls per round.
  for (auto& v : variants) sink += v.call();
  const double t0 = cpu_now();
  for (int i = 0; i < 3; ++i) sink += variants[0].call();
  const double one = std::max(1e-6, (cpu_now() - t0) / 3);
  const long calls = std::max(1L, static_cast<long>(seconds / rounds / one));
  for (auto& v : variants) {
    const long before = malloc_count();
    const int n = 5;
    for (int i = 0; i < n; ++i) sink += v.call();
    v.mallocs = static_cast<double>(malloc_count() - before) / n;
  }
  for (int r = 0; r < rounds; ++r)
    for (auto& v : variants) {
      const double s = cpu_now();
      for (long i = 0; i < calls; ++i) sink += v.call();
      v.ms.push_back(1e3 * (cpu_now() - s) / static_cast<double>(calls));
    }
  std::printf("T = %d, m = %d, d = %d, p = %d  (%ld calls x %d rounds per variant; checksum %.6g)\n", c.T, c.m, c.d,
              c.p, calls, rounds, sink);
  std::printf("  %-16s %12s %14s\n", "variant", "ms/call", "mallocs/call");
  for (const auto& v : variants) std::printf("  %-16s %12.4f %14.1f\n", v.name, median(v.ms), v.mallocs);
  std::printf("  ratio no workspace / workspace:      %.3f\n", median(variants[0].ms) / median(variants[1].ms));
  std::printf("  ratio oracle before / oracle now:    %.3f\n\n", median(variants[2].ms) / median(variants[3].ms));
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: bench_reduced_objective [--seconds S] [--rounds R]\n");
      return 2;
    }
  }
  if (!(seconds > 0) || rounds < 1) {
    std::fprintf(stderr, "bench_reduced_objective: --seconds must be > 0 and --rounds >= 1\n");
    return 2;
  }
  std::printf("value + gradient of F (rnn::reduced_objective), thread CPU time, median of %d rounds\n\n", rounds);
  run_case({10000, 64, 1, 1}, seconds, rounds);
  run_case({393, 20, 11, 1}, seconds, rounds);
  return 0;
}
