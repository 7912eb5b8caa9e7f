// The rollout policy (docs/rnn_bcd.md §7) and the rollout gap (§6), checked
// against independent computations: rnn::forward_pass for the gap, the BPTT
// gradient of rnn_model for ∇F, and F itself for the monotone outer loop.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/QR>

#include "almkit/core/augmented_lagrangian.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_rollout.h"
#include "almkit/study/rnn_trainer.h"
#include "rnn_test_helpers.h"

using namespace almkit;
using namespace almkit::rnn;

TEST_CASE("rnn rollout: the gap equals the RMS distance to an independent forward pass") {
  const RnnSeries s = testing::random_series(3, 2, 40, {0, 17}, true, 5);
  const RnnRegularization reg = testing::random_regularization(6);
  RnnTrainingProblem P(s, 4, reg);
  const Vector x = testing::random_point(P, 7);
  const auto v = P.view(x);
  RnnWeights w{v.W, v.V, v.b, v.A, v.c};
  // forward_pass from rnn_types: the same recursion written independently of the problem.
  const RnnStates f = forward_pass(w, s);
  double sum = 0.0;
  for (int t = 0; t < s.T(); ++t)
    for (int i = 0; i < 4; ++i) sum += (v.H(i, t) - f.H(i, t)) * (v.H(i, t) - f.H(i, t));
  const double expected = std::sqrt(sum / (4.0 * s.T()));
  CHECK(expected > 0.1);
  CHECK(rollout_gap(P, x) == doctest::Approx(expected).epsilon(1e-13));
  // At the forward-pass point the gap is exactly 0.
  CHECK(rollout_gap(P, P.make_point(w)) == 0.0);
}

TEST_CASE("rnn rollout: weight_gradient with BPTT multipliers is the gradient of F") {
  const RnnSeries s = testing::random_series(3, 2, 30, {0, 11}, true, 8);
  const RnnRegularization reg = testing::random_regularization(9);
  RnnTrainingProblem P(s, 5, reg);
  const Vector xr = testing::random_point(P, 10);
  const auto v = P.view(xr);
  const RnnWeights w{v.W, v.V, v.b, v.A, v.c};
  const Vector x = P.make_point(w);
  Vector g(P.num_weights());
  P.weight_gradient(x, P.bptt_multipliers(x), g);
  RnnWeights gw;
  reduced_objective(w, s, reg, {}, &gw);
  CHECK((g - flatten(gw)).lpNorm<Eigen::Infinity>() <= 1e-12 * std::max(1.0, g.lpNorm<Eigen::Infinity>()));
  // And it is the θ part of the full ∇f + J_cᵀλ.
  const Vector full = lagrangian_gradient(P, x, P.bptt_multipliers(x), Vector(0), Vector::Zero(P.num_variables()));
  CHECK((g - full.head(P.num_weights())).lpNorm<Eigen::Infinity>() <= 1e-13);
}

TEST_CASE("rnn rollout: a heavily damped w step is steepest descent on F (the Levenberg-Marquardt limit)") {
  // At a feasible point with BPTT multipliers the w block solves
  // (γZZᵀ + 2Λ + ρI) ΔΘ = −∇_Θ F (docs/rnn_bcd.md §8): for ρ → ∞ the step
  // points along −∇_Θ F, compared with an independent BPTT gradient.
  const RnnSeries s = testing::random_series(3, 2, 40, {0}, true, 21);
  const RnnRegularization reg = testing::random_regularization(22);
  RnnTrainingProblem P(s, 4, reg);
  const RnnWeights w = initialize_weights(4, 3, 2, InitScheme::kLecun, 0.0, 23);
  const Vector x = P.make_point(w);
  const Vector xi = P.bptt_multipliers(x);
  RnnWeights g;
  reduced_objective(w, s, reg, {}, &g);
  auto w_part = [](const Matrix& W, const Matrix& V, const Vector& b) {
    Vector out(W.size() + V.size() + b.size());
    out << Eigen::Map<const Vector>(W.data(), W.size()), Eigen::Map<const Vector>(V.data(), V.size()), b;
    return out;
  };
  const Vector minus_grad = -w_part(g.W, g.V, g.b);
  const double gamma = 0.3;
  for (double kappa : {1e6, 1e9}) {
    Vector y = x;
    P.minimize_w_block(xi, gamma, kappa, y);
    const auto v = P.view(y), v0 = P.view(x);
    const Vector step = w_part(v.W - v0.W, v.V - v0.V, v.b - v0.b);
    const double cosine = step.dot(minus_grad) / (step.norm() * minus_grad.norm());
    CHECK(cosine >= 1.0 - 1e-5);
  }
  // κ = 0 is the undamped Gram-preconditioned step, which is not steepest descent here.
  Vector y = x;
  P.minimize_w_block(xi, gamma, 0.0, y);
  const auto v = P.view(y), v0 = P.view(x);
  const Vector step = w_part(v.W - v0.W, v.V - v0.V, v.b - v0.b);
  CHECK(step.dot(minus_grad) / (step.norm() * minus_grad.norm()) < 0.999);
  CHECK(step.dot(minus_grad) > 0.0);  // but a descent direction
}

TEST_CASE("rnn rollout: the kink-hold w step is the constrained block minimizer (feasible + KKT of the QP)") {
  // min_Θ L s.t. Θ_i z_t = 0 for the held (t, i) is a convex QP in Θ: its
  // minimizer is the point that satisfies the constraints and whose gradient
  // ∇_{Θ_i} L (the augmented Lagrangian's own gradient code) lies in span{z_t}.
  const RnnSeries s = testing::random_series(3, 2, 40, {0, 17}, true, 31);
  const RnnRegularization reg = testing::random_regularization(32);
  const int m = 4;
  RnnTrainingProblem P(s, m, reg);
  const Vector x = testing::random_point(P, 33);
  const Vector lambda = Vector::Random(P.num_equalities()) * 0.3;
  const double gamma = 0.7;
  // Held entries (t, i) → index t·m + i: two on unit 1 (one at the sequence start 17), one on unit 3.
  const std::vector<std::pair<int, int>> held{{5, 1}, {17, 1}, {30, 3}};
  std::vector<int> hold;
  for (auto [t, i] : held) hold.push_back(t * m + i);
  Vector y = x;
  P.minimize_w_block(lambda, gamma, 0.0, y, hold);
  const auto v = P.view(y), v0 = P.view(x);
  auto z = [&](int t) {
    Vector out(m + 3 + 1);
    const bool start = t == 0 || t == 17;
    out << (start ? Vector(Vector::Zero(m)) : Vector(v0.H.col(t - 1))), s.X.col(t), 1.0;
    return out;
  };
  auto row = [&](const RnnConstView& w, int i) {
    Vector out(m + 3 + 1);
    out << w.W.row(i).transpose(), w.V.row(i).transpose(), w.b(i);
    return out;
  };
  for (auto [t, i] : held) CHECK(std::abs(row(v, i).dot(z(t))) <= 1e-12 * (1.0 + row(v, i).norm() * z(t).norm()));
  AugmentedLagrangian L(P);
  L.set_parameters(lambda, Vector(0), gamma);
  Vector g(P.num_variables());
  L.value_gradient(y, g);
  const auto gv = P.view(g);
  double scale = 0.0;
  for (int i = 0; i < m; ++i) scale = std::max(scale, row(gv, i).norm());
  for (int i = 0; i < m; ++i) {
    std::vector<int> ts;
    for (auto [t, j] : held)
      if (j == i) ts.push_back(t);
    Matrix Z(m + 4, static_cast<Eigen::Index>(ts.size()));
    for (size_t j = 0; j < ts.size(); ++j) Z.col(static_cast<Eigen::Index>(j)) = z(ts[j]);
    const Vector gi = row(gv, i);
    const Vector residual = ts.empty() ? gi : Vector(gi - Z * Z.colPivHouseholderQr().solve(gi));
    CHECK(residual.lpNorm<Eigen::Infinity>() <= 1e-9 * std::max(1.0, scale));
  }
  // The held units' rows differ from the unconstrained step's, the others do not.
  Vector y0 = x;
  P.minimize_w_block(lambda, gamma, 0.0, y0);
  const auto u0 = P.view(y0);
  CHECK((row(u0, 1) - row(v, 1)).norm() > 1e-6);
  CHECK((row(u0, 0) - row(v, 0)).norm() <= 1e-12 * (1.0 + row(u0, 0).norm()));
  CHECK(L.value(y) >= L.value(y0) - 1e-12 * std::abs(L.value(y0)));
}

TEST_CASE("rnn rollout: F never increases, every accepted iterate is a forward pass, the stop is ‖∇F‖∞") {
  // The same checks with each acceleration/damping option on (docs/rnn_bcd.md §8).
  RolloutOptions ro;
  ro.tol_gradient = 1e-4;
  SUBCASE("defaults") {}
  SUBCASE("plain step") {
    ro = RolloutOptions::plain();
    ro.tol_gradient = 1e-4;
  }
  SUBCASE("Levenberg-Marquardt damping") { ro.damping = 1e-3; }
  SUBCASE("Anderson acceleration") { ro.anderson = 3; }
  SUBCASE("extrapolation") { ro.extrapolation = 0.5; }
  SUBCASE("two sweeps") { ro.sweeps = 2; }
  SUBCASE("stall descent at every rejection") {
    ro.gamma_max = ro.gamma0;  // the first rejected step raises γ·N above gamma_max
    ro.stall_descent_steps = 2;
  }
  // Every pre-activation stays positive along the run (b = 2 at the start and
  // linear targets): F is smooth there, so the policy must reach the tolerance.
  RnnSeries s = testing::random_series(2, 1, 60, {0}, false, 11);
  s.X *= 0.2;
  s.Y = 0.5 * s.X.row(0) - 0.3 * s.X.row(1);
  s.Y.array() += 0.1;
  RnnRegularization reg;  // λ1, λ2, λ3, λ5 = 0.01; no pull of b towards the kinks
  reg.lambda4 = 0.0;
  RnnTrainingProblem P(s, 3, reg);
  RnnWeights w0 = initialize_weights(3, 2, 1, InitScheme::kLecun, 0.0, 3);
  w0.W *= 0.1;
  w0.b.setConstant(2.0);
  P.set_initial_weights(w0);
  AlmOptions alm;
  alm.max_outer_iterations = 20000;
  double F_prev = reduced_objective(P.weights(P.initial_point()), s, reg).value;
  int accepted = 0, rejected = 0;
  bool monotone = true, feasible = true, gap_ok = true;
  const AlmSummary sum = solve_rollout(P, ro, BcdOptions{}, alm, [&](const AlmIteration& it, const RolloutStep& st, VectorCRef x) {
    const double F = reduced_objective(P.weights(x), s, reg).value;  // independent forward pass
    if (!(F <= F_prev)) monotone = false;
    if (std::abs(F - it.objective) > 1e-12 * std::max(1.0, F)) feasible = false;
    if (rollout_gap(P, x) != 0.0) gap_ok = false;
    (st.accepted ? accepted : rejected) += 1;
    F_prev = F;
    return true;
  });
  CHECK(monotone);
  CHECK(feasible);
  CHECK(gap_ok);
  CHECK(accepted > 0);
  CHECK(sum.status == AlmStatus::kConverged);
  RnnWeights g;
  reduced_objective(P.weights(sum.x), s, reg, {}, &g);
  CHECK(flatten(g).lpNorm<Eigen::Infinity>() <= 1e-4);
  CHECK(sum.kkt.stationarity <= 1e-4);
  CHECK(sum.kkt.infeasibility <= 1e-12);
  CHECK(P.view(sum.x).U.minCoeff() > 0.1);  // the smooth regime the test relies on
}

TEST_CASE("rnn rollout: options are validated with the option's name") {
  const std::vector<std::pair<const char*, std::function<void(RolloutOptions&)>>> invalid{
      {"rollout.sweeps", [](RolloutOptions& o) { o.sweeps = 0; }},
      {"rollout.gamma_increase", [](RolloutOptions& o) { o.gamma_increase = 1.0; }},
      {"rollout.w_proximal", [](RolloutOptions& o) { o.w_proximal = -1.0; }},
      {"rollout.damping_increase", [](RolloutOptions& o) { o.damping_increase = 1.0; }},
      {"rollout.anderson", [](RolloutOptions& o) { o.anderson = -1; }},
      {"rollout.accept_ratio", [](RolloutOptions& o) { o.accept_ratio = 0.0; }},
      {"rollout.kink_manifold", [](RolloutOptions& o) { o.kink_manifold = -1; }},
      {"rollout.kink_manifold_tolerance", [](RolloutOptions& o) { o.kink_manifold_tolerance = -1e-6; }},
      {"rollout.kink_manifold_release", [](RolloutOptions& o) { o.kink_manifold_release = std::nan(""); }},
      {"rollout.kink_manifold_margin", [](RolloutOptions& o) { o.kink_manifold_margin = -0.5; }},
      {"rollout.clarke_check_every", [](RolloutOptions& o) { o.clarke_check_every = 0; }},
      {"rollout.tol_clarke", [](RolloutOptions& o) { o.tol_clarke = std::nan(""); }},
      {"rollout.stall_descent_steps", [](RolloutOptions& o) { o.stall_descent_steps = -1; }},
      {"rollout.stall_descent_armijo", [](RolloutOptions& o) { o.stall_descent_armijo = 1.0; }},
      {"rollout.stall_descent_min_step", [](RolloutOptions& o) { o.stall_descent_min_step = 0.0; }},
  };
  for (const auto& [name, make_invalid] : invalid) {
    RolloutOptions o;
    make_invalid(o);
    CHECK_THROWS_WITH_AS(o.validate(), doctest::Contains(name), std::invalid_argument);
  }
  TrainOptions t = TrainOptions::defaults();
  t.policy = TrainPolicy::kRollout;
  t.inner = InnerKind::kLbfgs;
  CHECK_THROWS_WITH_AS(t.validate(), doctest::Contains("inner = bcd"), std::invalid_argument);
}

TEST_CASE("rnn rollout: kink stationarity minimizes over the relu derivative at a kink (grid search, affinity)") {
  const RnnSeries s = testing::random_series(2, 1, 25, {0}, false, 21);
  const RnnRegularization reg = testing::random_regularization(22);
  RnnTrainingProblem P(s, 3, reg);
  const Vector xr = testing::random_point(P, 23);
  const auto v = P.view(xr);
  RnnWeights w{v.W, v.V, v.b, v.A, v.c};
  // u_{0,1} = (V x_0 + b)_1 = 0: a kink at the first step (h_{-1} = 0).
  w.b[1] = -(w.V.row(1) * s.X.col(0))(0);
  const Vector x = P.make_point(w);
  const auto U = P.view(x).U;
  REQUIRE(std::abs(U(1, 0)) <= 1e-12);
  int near = 0;
  for (Eigen::Index k = 0; k < U.size(); ++k) near += std::abs(U.data()[k]) <= 1e-8 ? 1 : 0;
  REQUIRE(near == 1);
  const KinkStationarity ks = kink_stationarity(P, x, 1e-8, 3);
  CHECK(ks.kinks == 1);
  REQUIRE(ks.selection.size() == 1);
  auto grad = [&](double sel) {
    Vector g(P.num_weights());
    P.weight_gradient(x, P.bptt_multipliers(x, std::vector<int>{1}, std::vector<double>{sel}), g);
    return g;
  };
  const Vector g0 = grad(0.0), g1 = grad(1.0);
  // One kink: g is affine in its selection.
  CHECK((grad(0.3) - (0.7 * g0 + 0.3 * g1)).lpNorm<Eigen::Infinity>() <= 1e-12 * std::max(1.0, g0.lpNorm<Eigen::Infinity>()));
  // The selection found is the best on a fine grid (in the 2-norm it minimizes).
  double best_grid = 1e300;
  for (int i = 0; i <= 1000; ++i) best_grid = std::min(best_grid, grad(i / 1000.0).norm());
  CHECK(grad(ks.selection[0]).norm() <= best_grid + 1e-12);
  CHECK(ks.best == doctest::Approx(grad(ks.selection[0]).lpNorm<Eigen::Infinity>()).epsilon(1e-12));
  // The one-sided value is the problem's own BPTT gradient.
  Vector g(P.num_weights());
  P.weight_gradient(x, P.bptt_multipliers(x), g);
  CHECK(ks.one_sided == doctest::Approx(g.lpNorm<Eigen::Infinity>()).epsilon(1e-14));
  CHECK((g0 - g1).norm() > 1e-6);  // the kink matters at this point
}

TEST_CASE("rnn rollout: the stall descent takes the largest Armijo step along -g(s*), or leaves x unchanged") {
  // A point with one kink, as above: g(s*) is the KKT residual vector at the
  // Clarke selection; F along the ray is computed by an independent forward pass.
  const RnnSeries s = testing::random_series(2, 1, 25, {0}, false, 21);
  const RnnRegularization reg = testing::random_regularization(22);
  RnnTrainingProblem P(s, 3, reg);
  const Vector xr = testing::random_point(P, 23);
  const auto v = P.view(xr);
  RnnWeights w{v.W, v.V, v.b, v.A, v.c};
  w.b[1] = -(w.V.row(1) * s.X.col(0))(0);
  const Vector x0 = P.make_point(w);
  const KinkStationarity ks = kink_stationarity(P, x0);
  REQUIRE(ks.kinks == 1);
  Vector g(P.num_weights());
  P.weight_gradient(x0, P.bptt_multipliers(x0, ks.entries, ks.selection), g);
  const double F0 = reduced_objective(w, s, reg).value;
  auto F_at = [&](double alpha) {
    return reduced_objective(unflatten(flatten(w) - alpha * g, 3, 2, 1), s, reg).value;
  };
  const double armijo = 1e-4;
  double alpha = 1.0;
  while (!(F_at(alpha) <= F0 - armijo * alpha * g.squaredNorm())) alpha *= 0.5;
  REQUIRE(alpha < 1.0);  // the backtracking is exercised
  Vector x = x0;
  double F = P.eval_f(x0);
  CHECK(F == doctest::Approx(F0).epsilon(1e-13));
  REQUIRE(stall_descent_step(P, x, F, armijo, 1e-12));
  CHECK((flatten(P.weights(x)) - (flatten(w) - alpha * g)).lpNorm<Eigen::Infinity>() <= 1e-14);
  CHECK(F == doctest::Approx(F_at(alpha)).epsilon(1e-12));
  CHECK(F < F0);
  CHECK(rollout_gap(P, x) == 0.0);  // the new point is a forward pass
  // Only α = 1 allowed, with a decrease it does not reach: nothing changes.
  REQUIRE(!(F_at(1.0) <= F0 - 0.5 * g.squaredNorm()));
  Vector y = x0;
  double Fy = F0;
  CHECK_FALSE(stall_descent_step(P, y, Fy, 0.5, 1.0));
  CHECK(Fy == F0);
  CHECK(y == x0);
}

TEST_CASE("rnn rollout: pre_activation_gradient is the derivative of u_{t,i}(theta) (central differences)") {
  // Two sequences, so that the recursion must stop at a sequence start.
  const RnnSeries s = testing::random_series(3, 2, 25, {0, 12}, true, 21);
  RnnTrainingProblem P(s, 4, testing::random_regularization(22));
  const Vector xr = testing::random_point(P, 23);
  const auto v = P.view(xr);
  const RnnWeights w{v.W, v.V, v.b, v.A, v.c};
  const Vector x = P.make_point(w);
  const int m = 4, d = 3;
  for (const int k : {0, 5, 4 * 11 + 2, 4 * 12 + 1, 4 * 20 + 3, 4 * 24}) {
    const Matrix G = P.pre_activation_gradient(x, k);
    REQUIRE(G.rows() == m);
    REQUIRE(G.cols() == m + d + 1);
    // forward_pass (rnn_types) at perturbed weights: independent of the problem.
    auto u_at = [&](int r, int c, double eps) {
      RnnWeights p = w;
      if (c < m) p.W(r, c) += eps;
      else if (c < m + d) p.V(r, c - m) += eps;
      else p.b(r) += eps;
      return forward_pass(p, s).U.data()[k];
    };
    double err = 0.0, scale = 0.0;
    for (int r = 0; r < m; ++r)
      for (int c = 0; c < m + d + 1; ++c) {
        const double fd = (u_at(r, c, 1e-6) - u_at(r, c, -1e-6)) / 2e-6;
        err = std::max(err, std::abs(fd - G(r, c)));
        scale = std::max(scale, std::abs(G(r, c)));
      }
    CAPTURE(k);
    CHECK(scale > 0.0);
    CHECK(err <= 1e-7 * std::max(1.0, scale));
  }
  // At a sequence start only the direct term e_i z_tᵀ remains (h_{t−1} = 0).
  const Matrix G0 = P.pre_activation_gradient(x, 4 * 12 + 1);
  CHECK(G0.leftCols(m).isZero(0.0));
  CHECK(G0.row(0).isZero(0.0));
}

TEST_CASE("rnn rollout: the kink manifold step is the constrained minimizer of the w model") {
  const RnnSeries s = testing::random_series(3, 1, 40, {0}, true, 31);
  RnnTrainingProblem P(s, 5, testing::random_regularization(32));
  const Vector xr = testing::random_point(P, 33);
  const auto v0 = P.view(xr);
  const Vector x = P.make_point(RnnWeights{v0.W, v0.V, v0.b, v0.A, v0.c});
  const Vector xi = P.bptt_multipliers(x);
  const double gamma = 0.7;
  Vector free_step = x;
  P.begin_sweep(free_step);
  P.minimize_w_block(xi, gamma, 0.0, free_step);
  const Matrix M = P.w_block_matrix();
  const std::vector<int> held{5 * 7 + 1, 5 * 20 + 4, 5 * 33};
  std::vector<Matrix> grads;
  for (int q : held) grads.push_back(P.pre_activation_gradient(x, q));
  const int q_cols = 5 + 3 + 1;
  auto theta_of = [&](VectorCRef y) {
    const auto v = P.view(y);
    Matrix th(5, q_cols);
    th << v.W, v.V, v.b;
    return th;
  };
  const Matrix th_k = theta_of(x), th_free = theta_of(free_step);
  for (const bool newton : {true, false}) {
    CAPTURE(newton);
    Vector trial = free_step;
    const Vector mu = kink_manifold_step(P, x, held, grads, trial, newton);
    const Matrix th = theta_of(trial);
    // Feasible for the linearized constraints.
    for (size_t j = 0; j < held.size(); ++j) {
      const double r = (newton ? P.view(x).U.data()[held[j]] : 0.0) + grads[j].cwiseProduct(th - th_k).sum();
      CHECK(std::abs(r) <= 1e-10);
    }
    // Stationary: (Θ − Θ̃) M + Σ μ_q a_q = 0, checked with M itself (no solve).
    Matrix res = (th - th_free) * M;
    for (size_t j = 0; j < held.size(); ++j) res += mu(static_cast<Eigen::Index>(j)) * grads[j];
    CHECK(res.lpNorm<Eigen::Infinity>() <= 1e-9 * std::max(1.0, M.lpNorm<Eigen::Infinity>()));
    // Only W, V, b move.
    CHECK(trial.tail(P.num_variables() - P.offset_A()) == free_step.tail(P.num_variables() - P.offset_A()));
  }
}

TEST_CASE("rnn rollout: with the kink manifold on F never increases and held kinks are used") {
  // SP500 (m = 10): the undamped policy's rejected steps cross ReLU kinks
  // within a few hundred outer iterations (docs/rnn_bcd.md §8), so the manifold
  // step engages.
  DataSpec spec;
  spec.path = std::string(ALMKIT_TEST_DATA_DIR) + "/clean_SP500.csv";
  spec.targets = {"RV_SP500"};
  const RnnDataset ds = load_dataset(spec);
  const RnnSeries& s = ds.train;
  const RnnRegularization reg;
  RnnTrainingProblem P(s, 10, reg);
  P.set_initial_weights(initialize_weights(10, s.d(), 1, InitScheme::kLecun, 0.0, 1));
  RolloutOptions ro = RolloutOptions::plain();  // the manifold alone: no Anderson or proximal term
  ro.kink_manifold = 32;
  SUBCASE("newton") { ro.kink_manifold_newton = true; }
  SUBCASE("tangent") { ro.kink_manifold_newton = false; }
  SUBCASE("with damping") {
    ro.kink_manifold_newton = true;
    ro.damping = 1e-3;
  }
  AlmOptions alm;
  alm.max_outer_iterations = 600;
  double F_prev = reduced_objective(P.weights(P.initial_point()), s, reg).value;
  bool monotone = true, feasible = true;
  int held_steps = 0;
  solve_rollout(P, ro, BcdOptions{}, alm, [&](const AlmIteration& it, const RolloutStep& st, VectorCRef x) {
    const double F = reduced_objective(P.weights(x), s, reg).value;  // independent forward pass
    if (!(F <= F_prev)) monotone = false;
    if (std::abs(F - it.objective) > 1e-12 * std::max(1.0, F)) feasible = false;
    if (st.kinks_held > 0) ++held_steps;
    F_prev = F;
    return true;
  });
  CHECK(monotone);
  CHECK(feasible);
  CHECK(held_steps > 0);
}

TEST_CASE("rollout-long: tol_clarke stops at a KKT point on kinks that the one-sided test does not see" * doctest::test_suite("long")) {
  // SP500 (m = 10): the default step ends next to kinks where ‖∇F‖∞ stays
  // above 1e-5 (docs/rnn_bcd.md §8). The stop is checked against an
  // independent kink_stationarity at the returned point.
  DataSpec spec;
  spec.path = std::string(ALMKIT_TEST_DATA_DIR) + "/clean_SP500.csv";
  spec.targets = {"RV_SP500"};
  const RnnDataset ds = load_dataset(spec);
  const RnnRegularization reg;
  RnnTrainingProblem P(ds.train, 10, reg);
  P.set_initial_weights(initialize_weights(10, ds.train.d(), 1, InitScheme::kLecun, 0.0, 1));
  RolloutOptions ro;
  ro.tol_clarke = 1e-4;
  ro.clarke_check_every = 50;
  AlmOptions alm;
  alm.max_outer_iterations = 5000;
  const AlmSummary sum = solve_rollout(P, ro, BcdOptions{}, alm);
  MESSAGE(sum.message);
  REQUIRE(sum.status == AlmStatus::kConverged);
  CHECK(sum.message.find("tol_clarke") != std::string::npos);
  CHECK((sum.outer_iterations % ro.clarke_check_every) == 0);
  const KinkStationarity ks = kink_stationarity(P, sum.x);
  CHECK(ks.kinks > 0);
  CHECK(ks.best <= 1e-4);
  CHECK(ks.one_sided > ro.tol_gradient);
  // Off (the default): the same run goes on past that iteration.
  RolloutOptions off = ro;
  off.tol_clarke = -1.0;
  AlmOptions more = alm;
  more.max_outer_iterations = sum.outer_iterations + 1;
  CHECK(solve_rollout(P, off, BcdOptions{}, more).status != AlmStatus::kConverged);
}

TEST_CASE("rnn rollout: the dead-unit step is the exact minimizer of F over a dead unit's weights") {
  // docs/rnn_bcd.md §8, "Dead units": a unit with u_{t,i} <= 0 at every step
  // enters F only through the regularization; zeroing its weights keeps every
  // prediction (independent forward pass) and lowers F by exactly that
  // regularization, and its one-sided gradient rows vanish afterwards.
  const RnnSeries s = testing::random_series(3, 2, 50, {0, 23}, false, 21);
  const RnnRegularization reg = testing::random_regularization(22);
  const int m = 4, dead = 2;
  RnnTrainingProblem P(s, m, reg);
  RnnWeights w = initialize_weights(m, 3, 2, InitScheme::kLecun, 0.0, 5);
  w.b(dead) = -50.0;  // u_{t,dead} < 0 for every t
  const Vector x0 = P.make_point(w);
  REQUIRE(P.view(x0).U.row(dead).maxCoeff() < 0.0);
  REQUIRE(P.view(x0).U.maxCoeff() > 0.0);
  Vector x = x0;
  CHECK(zero_dead_units(P, x) == 1);
  CHECK(zero_dead_units(P, x) == 0);  // idempotent: nothing left to change
  const auto v0 = P.view(x0);
  const auto v = P.view(x);
  // Independent forward pass of the new weights: the same predictions.
  RnnWeights wz{v.W, v.V, v.b, v.A, v.c};
  const RnnStates f = forward_pass(wz, s);
  CHECK(testing::rel_diff(Matrix(wz.A * f.H), Matrix(v0.A * v0.H)) <= 1e-14);
  CHECK(v.W.row(dead).isZero(0.0));
  CHECK(v.A.col(dead).isZero(0.0));
  // F falls by the dead unit's regularization terms, computed by hand.
  const double drop = reg.lambda1 * v0.A.col(dead).squaredNorm() +
                      reg.lambda2 * (v0.W.row(dead).squaredNorm() + v0.W.col(dead).squaredNorm() -
                                     v0.W(dead, dead) * v0.W(dead, dead)) +
                      reg.lambda3 * v0.V.row(dead).squaredNorm() + reg.lambda4 * v0.b(dead) * v0.b(dead) +
                      reg.lambda6 * v0.U.row(dead).squaredNorm();
  const double F0 = reduced_objective(w, s, reg).value, F1 = reduced_objective(wz, s, reg).value;
  CHECK(F0 - F1 == doctest::Approx(drop).epsilon(1e-10));
  CHECK(drop > 1.0);
  // The dead unit's rows of ∇F (one-sided relu'(0) = 0) are exactly 0.
  RnnWeights g;
  reduced_objective(wz, s, reg, {}, &g);
  CHECK(g.W.row(dead).isZero(0.0));
  CHECK(g.V.row(dead).isZero(0.0));
  CHECK(g.b(dead) == 0.0);
  CHECK(g.A.col(dead).isZero(0.0));
  CHECK(g.W.col(dead).isZero(0.0));
}
