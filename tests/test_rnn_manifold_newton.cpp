// The manifold Gauss–Newton polish (study/rnn_manifold_newton.h,
// docs/rnn_bcd.md §8): its Jacobians against central differences of an
// independent forward pass, and its steps against their defining properties.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_manifold_newton.h"
#include "almkit/study/rnn_rollout.h"
#include "rnn_test_helpers.h"

using namespace almkit;
using namespace almkit::rnn;

TEST_CASE("manifold newton: J and the kink rows are the derivatives of y_t and u_q (central differences)") {
  // Two sequences with gaps (ω_t = 0 rows are skipped), p = 2 outputs.
  const RnnSeries s = testing::random_series(3, 2, 25, {0, 12}, true, 31);
  RnnTrainingProblem P(s, 4, testing::random_regularization(32));
  const Vector xr = testing::random_point(P, 33);
  const auto v = P.view(xr);
  const RnnWeights w{v.W, v.V, v.b, v.A, v.c};
  const Vector x = P.make_point(w);
  const std::vector<int> entries{0, 5, 4 * 11 + 2, 4 * 12 + 1, 4 * 24 + 3};
  const GaussNewtonJacobians jac = gauss_newton_jacobians(P, x, entries);
  const int n = P.num_weights();
  REQUIRE(jac.J.cols() == n);
  REQUIRE(jac.kink_rows.rows() == static_cast<Eigen::Index>(entries.size()));
  const Vector theta = flatten(w);
  auto rows_at = [&](const Vector& th, Vector& yrows, Vector& urows) {
    const RnnWeights p = unflatten(th, 4, 3, 2);
    const RnnStates f = forward_pass(p, s);
    std::vector<double> y;
    for (int t = 0; t < s.T(); ++t) {
      if (!(s.omega(t) > 0.0)) continue;
      const Vector yt = p.A * f.H.col(t) + p.c;
      for (int i = 0; i < 2; ++i) y.push_back(std::sqrt(2.0 * s.omega(t) / s.N()) * yt(i));
    }
    yrows = Eigen::Map<const Vector>(y.data(), static_cast<Eigen::Index>(y.size()));
    urows.resize(static_cast<Eigen::Index>(entries.size()));
    for (size_t j = 0; j < entries.size(); ++j) urows(static_cast<Eigen::Index>(j)) = f.U.data()[entries[j]];
  };
  double errJ = 0.0, errK = 0.0, scaleJ = 0.0, scaleK = 0.0;
  Vector yp, up, ym, um;
  for (int k = 0; k < n; ++k) {
    Vector tp = theta, tm = theta;
    tp(k) += 1e-6;
    tm(k) -= 1e-6;
    rows_at(tp, yp, up);
    rows_at(tm, ym, um);
    REQUIRE(yp.size() == jac.J.rows());
    errJ = std::max(errJ, ((yp - ym) / 2e-6 - jac.J.col(k)).lpNorm<Eigen::Infinity>());
    errK = std::max(errK, ((up - um) / 2e-6 - jac.kink_rows.col(k)).lpNorm<Eigen::Infinity>());
    scaleJ = std::max(scaleJ, jac.J.col(k).lpNorm<Eigen::Infinity>());
    scaleK = std::max(scaleK, jac.kink_rows.col(k).lpNorm<Eigen::Infinity>());
  }
  CHECK(scaleJ > 0.1);
  CHECK(scaleK > 0.1);
  CHECK(errJ <= 1e-7 * std::max(1.0, scaleJ));
  CHECK(errK <= 1e-7 * std::max(1.0, scaleK));
  // The kink rows agree with the adjoint recursion of pre_activation_gradient.
  const Matrix G = P.pre_activation_gradient(x, entries[2]);  // m × (m+d+1): [W V b] row-wise
  const int m = 4, d = 3;
  for (int r = 0; r < m; ++r)
    for (int c = 0; c < m + d + 1; ++c) {
      const int idx = c < m ? c * m + r : c < m + d ? P.offset_V() + (c - m) * m + r : P.offset_b() + r;
      CHECK(jac.kink_rows(2, idx) == doctest::Approx(G(r, c)).epsilon(1e-12).scale(1.0));
    }
}

TEST_CASE("manifold newton: F never increases and held kinks stay on their kink to first order") {
  // A point next to a kink: shift b so that one pre-activation is exactly 0.
  const RnnSeries s = testing::random_series(2, 1, 60, {0}, false, 41);
  RnnTrainingProblem P(s, 3, RnnRegularization{});
  RnnWeights w = initialize_weights(3, 2, 1, InitScheme::kLecun, 0.0, 4);
  Vector x = P.make_point(w);
  const int t = 30, i = 1;
  // b_i moves earlier states too: a few secant steps put u_{t,i} on 0.
  double b_prev = w.b(i), u_prev = P.view(x).U(i, t);
  w.b(i) -= u_prev;
  for (int it = 0; it < 50; ++it) {
    x = P.make_point(w);
    const double u = P.view(x).U(i, t);
    if (std::abs(u) <= 1e-14 || u == u_prev) break;
    const double b_next = w.b(i) - u * (w.b(i) - b_prev) / (u - u_prev);
    b_prev = w.b(i);
    u_prev = u;
    w.b(i) = b_next;
  }
  REQUIRE(std::abs(P.view(x).U(i, t)) <= 1e-12);
  const double F0 = P.eval_f(x);
  const Matrix U0 = P.view(x).U;
  ManifoldNewtonOptions o;
  o.max_steps = 6;
  o.kink_tolerance = 1e-9;
  std::vector<double> F;
  const ManifoldNewtonResult r = manifold_newton(P, x, o, [&](VectorCRef y) {
    F.push_back(P.eval_f(y));
    return false;
  });
  CHECK(r.trials >= 1);
  CHECK(r.accepted >= 1);
  CHECK(r.F_after < F0);
  double prev = F0;
  for (double f : F) {
    CHECK(f < prev);
    prev = f;
  }
  // A short step (large μ) keeps the held entry on its kink to first order: it
  // moves by O(‖δ‖²) while the others move by O(‖δ‖).
  Vector z = P.make_point(w);
  ManifoldNewtonOptions short_step = o;
  short_step.max_steps = 1;
  short_step.mu0 = 1e2;
  REQUIRE(manifold_newton(P, z, short_step).accepted == 1);
  const Matrix dU = P.view(z).U - U0;
  CHECK(dU.lpNorm<Eigen::Infinity>() > 1e-4);
  CHECK(std::abs(P.view(z).U(i, t)) <= 1e-2 * dU.lpNorm<Eigen::Infinity>());
  // Too expensive for max_flops: no step, x unchanged.
  Vector y = P.make_point(w);
  const Vector y0 = y;
  ManifoldNewtonOptions tiny;
  tiny.max_flops = 1.0;
  CHECK(manifold_newton(P, y, tiny).skipped);
  CHECK(y == y0);
}
