// Shared-memory parallel loop over independent work items (docs/parallel.md §2).
//
// parallel_for(n, threads, fn) calls fn(i) for every i in [0, n) on at most
// `threads` threads, the caller being one of them; thread j takes the
// contiguous items [j·n/t, (j+1)·n/t). Items must write disjoint memory.
// Callers that reduce per-item partial results add them afterwards in item
// order, so the result never depends on `threads` (docs/parallel.md §3).
// std::thread, not OpenMP: OpenMP would also switch on Eigen's own GEMM
// threading in every translation unit, which changes the other code paths.
#pragma once

#include <algorithm>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace almkit {

/// Hardware threads of this machine (std::thread::hardware_concurrency), at least 1.
inline int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

/// fn(i) for i in [0, n) on min(threads, n) threads; the first exception
/// thrown by any item is rethrown after all threads have joined.
inline void parallel_for(int n, int threads, const std::function<void(int)>& fn) {
  const int t = std::max(1, std::min(threads, n));
  if (t <= 1) {
    for (int i = 0; i < n; ++i) fn(i);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<size_t>(t));
  auto run = [&](int j) {
    try {
      const int lo = static_cast<int>(static_cast<long>(n) * j / t), hi = static_cast<int>(static_cast<long>(n) * (j + 1) / t);
      for (int i = lo; i < hi; ++i) fn(i);
    } catch (...) {
      errors[static_cast<size_t>(j)] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(t - 1));
  for (int j = 1; j < t; ++j) pool.emplace_back(run, j);
  run(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace almkit
