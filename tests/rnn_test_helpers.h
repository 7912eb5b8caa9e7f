// Small random RNN instances shared by tests/test_rnn_problem.cpp and tests/test_bcd.cpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "almkit/problems/rnn/rnn_problem.h"

namespace almkit::rnn::testing {

/// Random series: d × T inputs, p × T targets, ω with some zeros when
/// `with_gaps`, sequences starting at `starts`.
inline RnnSeries random_series(int d, int p, int T, std::vector<int> starts, bool with_gaps, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  RnnSeries s;
  s.X = Matrix::NullaryExpr(d, T, [&]() { return g(rng); });
  s.Y = Matrix::NullaryExpr(p, T, [&]() { return g(rng); });
  s.omega = Vector::Ones(T);
  if (with_gaps)
    for (int t = 1; t < T; t += 3) s.omega[t] = 0.0;
  s.sequence_starts = std::move(starts);
  return s;
}

/// Uniform(−1, 1) inputs and targets from std::mt19937_64(seed); with
/// `with_gaps` the targets at t = 3, 8, 13, … are unobserved.
inline RnnSeries uniform_series(int d, int p, int T, std::vector<int> starts, std::uint64_t seed, bool with_gaps) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  RnnSeries s;
  s.X = Matrix::NullaryExpr(d, T, [&](Eigen::Index, Eigen::Index) { return U(rng); });
  s.Y = Matrix::NullaryExpr(p, T, [&](Eigen::Index, Eigen::Index) { return U(rng); });
  s.omega = Vector::Ones(T);
  if (with_gaps)
    for (int t = 3; t < T; t += 5) s.omega(t) = 0.0;
  s.sequence_starts = std::move(starts);
  return s;
}

inline RnnRegularization random_regularization(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.01, 0.2);
  return RnnRegularization{u(rng), u(rng), u(rng), u(rng), u(rng), u(rng)};
}

/// A random (infeasible) point whose U entries keep |u| ≥ margin away from the kink.
inline Vector random_point(const RnnTrainingProblem& P, unsigned seed, double scale = 0.5, double margin = 0.05) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, scale);
  Vector x = Vector::NullaryExpr(P.num_variables(), [&]() { return g(rng); });
  auto v = P.mutable_view(x);
  for (Eigen::Index i = 0; i < v.U.size(); ++i) {
    double& u = v.U.data()[i];
    if (std::abs(u) < margin) u = u < 0 ? u - margin : u + margin;
  }
  return x;
}

/// ‖a − b‖ / ‖b‖ (Frobenius for matrices), and |a − b| / |b| for numbers.
inline double rel_diff(const Matrix& a, const Matrix& b) { return (a - b).norm() / std::max(1e-300, b.norm()); }
inline double rel_diff(double a, double b) { return std::abs(a - b) / std::max(1e-300, std::abs(b)); }

inline Vector random_vector(Eigen::Index n, unsigned seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, scale);
  return Vector::NullaryExpr(n, [&]() { return g(rng); });
}

}  // namespace almkit::rnn::testing
