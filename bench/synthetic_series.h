// The long synthetic series of the time-parallel benchmarks (docs/parallel.md §8):
// s_t = 1.2 s_{t−1} − 0.5 s_{t−2} + 0.8 sin(2πt/53) + 0.3 max(0, sin(t/300)) + N(0, 0.2²),
// T + 1 values from std::mt19937_64(seed), min-max scaled to [0, 1];
// x_t = s_t, y_t = s_{t+1}.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "almkit/problems/rnn/rnn_types.h"

namespace almkit::rnn::bench {

inline RnnSeries synthetic_series(int T, std::uint64_t seed) {
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

}  // namespace almkit::rnn::bench
