// RnnTrainingProblem: layout, analytic derivatives against central differences,
// BPTT multipliers, sequence independence (docs/rnn_bcd.md §1, docs/rnn.md §2–4).
#include <doctest/doctest.h>


#include "almkit/core/singular_values.h"
#include "almkit/problems/rnn/rnn_problem.h"
#include "rnn_test_helpers.h"

using namespace almkit;
using namespace almkit::rnn;
using namespace almkit::rnn::testing;

namespace {

double max_abs(const Vector& v) { return v.size() ? v.lpNorm<Eigen::Infinity>() : 0.0; }

Vector fd_gradient(const std::function<double(const Vector&)>& F, const Vector& x, double h = 1e-6) {
  Vector g(x.size()), xp = x;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    xp[i] = x[i] + h;
    const double fp = F(xp);
    xp[i] = x[i] - h;
    const double fm = F(xp);
    xp[i] = x[i];
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

Matrix fd_jacobian(const ConstrainedProblem& P, const Vector& x, double h = 1e-6) {
  const int me = P.num_equalities();
  Matrix J(me, x.size());
  Vector xp = x, cp(me), cm(me);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    xp[i] = x[i] + h;
    P.eval_c(xp, cp);
    xp[i] = x[i] - h;
    P.eval_c(xp, cm);
    xp[i] = x[i];
    J.col(i) = (cp - cm) / (2 * h);
  }
  return J;
}

struct Instance {
  int m, d, p, T;
  std::vector<int> starts;
  bool gaps;
};
const Instance kInstances[] = {
    {3, 2, 1, 6, {0}, false},
    {4, 3, 2, 9, {0, 4}, true},
    {2, 1, 2, 7, {0, 1, 5, 6}, true},  // length-1 sequences included
};

RnnWeights random_weights(int m, int d, int p, unsigned seed, double scale) {
  RnnWeights w;
  w.W = random_vector(m * m, seed, scale).reshaped(m, m);
  w.V = random_vector(m * d, seed + 1, scale).reshaped(m, d);
  w.b = random_vector(m, seed + 2, scale);
  w.A = random_vector(p * m, seed + 3, scale).reshaped(p, m);
  w.c = random_vector(p, seed + 4, scale);
  return w;
}

}  // namespace

TEST_CASE("rnn_problem: layout, views, feasible start") {
  RnnTrainingProblem P(random_series(3, 2, 10, {0, 6}, false, 1), 4, random_regularization(2));
  CHECK(P.num_variables() == 16 + 12 + 4 + 8 + 2 + 2 * 40);
  CHECK(P.num_equalities() == 80);
  CHECK(P.equality_family_sizes() == std::vector<int>{40, 40});
  CHECK(P.offset_H() == P.num_weights());
  const RnnWeights w = random_weights(4, 3, 2, 7, 0.7);
  const Vector x = P.make_point(w);
  const RnnWeights back = P.weights(x);
  CHECK(back.W == w.W);
  CHECK(back.V == w.V);
  CHECK(back.b == w.b);
  CHECK(back.A == w.A);
  CHECK(back.c == w.c);
  CHECK(infeasibility(P, x) <= 1e-14);
  const auto v = P.view(x);
  const RnnStates s = forward_pass(w, P.data());
  CHECK(v.H == s.H);
  CHECK(v.U == s.U);
  Vector y = random_point(P, 3);
  CHECK(infeasibility(P, y) > 0.1);
  CHECK(P.restore_feasibility(y));
  CHECK(infeasibility(P, y) <= 1e-14);
  CHECK(P.view(y).W == P.view(random_point(P, 3)).W);  // weights untouched
  CHECK(infeasibility(P, P.initial_point()) <= 1e-14);
  CHECK(!P.structural_nnamcq_certificate().empty());
  CHECK_THROWS_AS(RnnTrainingProblem(random_series(3, 2, 10, {1}, false, 1), 4), std::invalid_argument);
  CHECK_THROWS_AS(RnnTrainingProblem(random_series(3, 2, 10, {0, 12}, false, 1), 4), std::invalid_argument);
}

TEST_CASE("rnn_problem: f and grad f match central differences") {
  unsigned seed = 10;
  for (const Instance& in : kInstances) {
    RnnTrainingProblem P(random_series(in.d, in.p, in.T, in.starts, in.gaps, seed), in.m,
                         random_regularization(seed + 1));
    const Vector x = random_point(P, seed + 2);
    Vector g(P.num_variables());
    const double f = P.eval_grad_f(x, g);
    CHECK(f == doctest::Approx(P.eval_f(x)).epsilon(1e-14));
    const Vector gfd = fd_gradient([&](const Vector& z) { return P.eval_f(z); }, x);
    CHECK(max_abs(g - gfd) <= 1e-7 * std::max(1.0, max_abs(g)));
    seed += 10;
  }
}

TEST_CASE("rnn_problem: c, J and J^T y match central differences (away from kinks)") {
  unsigned seed = 40;
  for (const Instance& in : kInstances) {
    RnnTrainingProblem P(random_series(in.d, in.p, in.T, in.starts, in.gaps, seed), in.m,
                         random_regularization(seed + 1));
    const Vector x = random_point(P, seed + 2);
    const Matrix Jfd = fd_jacobian(P, x);
    const Matrix J = P.eval_jac_c(x);
    CHECK((J - Jfd).lpNorm<Eigen::Infinity>() <= 1e-7);
    const Vector y = random_vector(P.num_equalities(), seed + 3);
    Vector jty(P.num_variables());
    P.eval_jac_c_t_prod(x, y, jty);
    CHECK(max_abs(jty - Jfd.transpose() * y) <= 1e-7 * std::max(1.0, max_abs(jty)));
    // c itself: C1 = U − W Hprev − V X − b, C2 = H − σ(U), written out per step.
    Vector c(P.num_equalities());
    P.eval_c(x, c);
    const auto v = P.view(x);
    const auto cv = P.multiplier_view(c);
    for (int t = 0; t < in.T; ++t) {
      Vector a = v.V * P.data().X.col(t) + v.b;
      if (!P.data().is_sequence_start(t)) a += v.W * v.H.col(t - 1);
      CHECK(max_abs(cv.Xi1.col(t) - (v.U.col(t) - a)) <= 1e-14);
      CHECK(max_abs(cv.Xi2.col(t) - (v.H.col(t) - v.U.col(t).cwiseMax(0.0))) == 0.0);
    }
    seed += 10;
  }
}

TEST_CASE("rnn_problem: derivative of sigma at a kink is the selection 0") {
  RnnTrainingProblem P(random_series(2, 1, 4, {0}, false, 3), 2);
  Vector x = random_point(P, 4);
  P.mutable_view(x).U(1, 2) = 0.0;
  const Matrix J = P.eval_jac_c(x);
  const int row = P.num_equalities() / 2 + 1 + 2 * 2;  // C2 at (i = 1, t = 2)
  CHECK(J(row, P.offset_U() + 1 + 2 * 2) == 0.0);
  CHECK(J(row, P.offset_H() + 1 + 2 * 2) == 1.0);
}

TEST_CASE("rnn_problem: structural NNAMCQ, the state Jacobian is nonsingular for every selection at kinks") {
  RnnTrainingProblem P(random_series(2, 1, 5, {0, 3}, false, 5), 3);
  Vector x = random_point(P, 6);
  auto v = P.mutable_view(x);
  v.U(0, 1) = 0.0;
  v.U(2, 4) = 0.0;
  const int mT = 3 * 5;
  for (int sel = 0; sel < 4; ++sel) {
    Matrix J = P.eval_jac_c(x);
    // selection 1 at the two kinks (the problem uses 0)
    if (sel & 1) J(mT + 0 + 3 * 1, P.offset_U() + 0 + 3 * 1) = -1.0;
    if (sel & 2) J(mT + 2 + 3 * 4, P.offset_U() + 2 + 3 * 4) = -1.0;
    const Matrix Js = J.rightCols(2 * mT);  // columns (H, U)
    CHECK(almkit::singular_values(Js).minCoeff() > 1e-3);
  }
}

TEST_CASE("rnn_problem: BPTT multipliers zero the state rows and give the reduced gradient") {
  unsigned seed = 70;
  for (const Instance& in : kInstances) {
    RnnTrainingProblem P(random_series(in.d, in.p, in.T, in.starts, in.gaps, seed), in.m,
                         random_regularization(seed + 1));
    const RnnWeights w = random_weights(in.m, in.d, in.p, seed + 2, 0.6);
    const Vector x = P.make_point(w);
    REQUIRE((P.view(x).U.array().abs() > 1e-4).all());  // no kink: F is differentiable at θ
    const Vector lambda = P.bptt_multipliers(x);
    Vector g(P.num_variables()), jt(P.num_variables());
    P.eval_grad_f(x, g);
    P.eval_jac_c_t_prod(x, lambda, jt);
    const Vector stat = g + jt;
    CHECK(max_abs(stat.tail(2 * in.m * in.T)) <= 1e-13 * std::max(1.0, max_abs(g)));
    // Reduced objective F(θ) = f(θ, H(θ), U(θ)) by a forward pass, differentiated numerically.
    const int nw = P.num_weights();
    auto F = [&](const Vector& theta) {
      Vector z = x;
      z.head(nw) = theta;
      P.restore_feasibility(z);
      return P.eval_f(z);
    };
    const Vector gfd = fd_gradient(F, x.head(nw));
    CHECK(max_abs(stat.head(nw) - gfd) <= 1e-7 * std::max(1.0, max_abs(gfd)));
    seed += 10;
  }
}

TEST_CASE("rnn_problem: two sequences end to end behave as two independent ones") {
  const int m = 3, d = 2, p = 2, T1 = 5, T2 = 4;
  const RnnSeries both = random_series(d, p, T1 + T2, {0, T1}, true, 90);
  RnnSeries s1 = both, s2 = both;
  s1.X = both.X.leftCols(T1);
  s1.Y = both.Y.leftCols(T1);
  s1.omega = both.omega.head(T1);
  s1.sequence_starts = {0};
  s2.X = both.X.rightCols(T2);
  s2.Y = both.Y.rightCols(T2);
  s2.omega = both.omega.tail(T2);
  s2.sequence_starts = {0};
  RnnRegularization reg = random_regularization(91);
  reg.lambda6 = 0.0;  // then the BPTT multipliers scale exactly with N_i / N
  RnnTrainingProblem P(both, m, reg), P1(s1, m, reg), P2(s2, m, reg);
  const RnnWeights w = random_weights(m, d, p, 92, 0.6);
  const Vector x = P.make_point(w), x1 = P1.make_point(w), x2 = P2.make_point(w);
  const auto v = P.view(x), v1 = P1.view(x1), v2 = P2.view(x2);
  CHECK(v.H.leftCols(T1) == v1.H);
  CHECK(v.H.rightCols(T2) == v2.H);

  // c and the state rows of Jᵀy (no 1/N anywhere) split exactly.
  Vector y = random_point(P, 93);
  y.head(P.num_weights()) = x.head(P.num_weights());
  Vector z1 = x1, z2 = x2;
  P1.mutable_view(z1).H = P.view(y).H.leftCols(T1);
  P1.mutable_view(z1).U = P.view(y).U.leftCols(T1);
  P2.mutable_view(z2).H = P.view(y).H.rightCols(T2);
  P2.mutable_view(z2).U = P.view(y).U.rightCols(T2);
  Vector c(P.num_equalities()), c1(P1.num_equalities()), c2(P2.num_equalities());
  P.eval_c(y, c);
  P1.eval_c(z1, c1);
  P2.eval_c(z2, c2);
  const auto cv = P.multiplier_view(c), cv1 = P1.multiplier_view(c1), cv2 = P2.multiplier_view(c2);
  CHECK(max_abs((cv.Xi1.leftCols(T1) - cv1.Xi1).reshaped()) <= 1e-15);
  CHECK(max_abs((cv.Xi1.rightCols(T2) - cv2.Xi1).reshaped()) <= 1e-15);
  CHECK(max_abs((cv.Xi2.leftCols(T1) - cv1.Xi2).reshaped()) == 0.0);
  CHECK(max_abs((cv.Xi2.rightCols(T2) - cv2.Xi2).reshaped()) == 0.0);

  const Vector lam = random_vector(P.num_equalities(), 94);
  Vector lam1(P1.num_equalities()), lam2(P2.num_equalities());
  {
    const auto l = P.multiplier_view(lam);
    Eigen::Map<Matrix>(lam1.data(), m, T1) = l.Xi1.leftCols(T1);
    Eigen::Map<Matrix>(lam1.data() + m * T1, m, T1) = l.Xi2.leftCols(T1);
    Eigen::Map<Matrix>(lam2.data(), m, T2) = l.Xi1.rightCols(T2);
    Eigen::Map<Matrix>(lam2.data() + m * T2, m, T2) = l.Xi2.rightCols(T2);
  }
  Vector j(P.num_variables()), j1(P1.num_variables()), j2(P2.num_variables());
  P.eval_jac_c_t_prod(y, lam, j);
  P1.eval_jac_c_t_prod(z1, lam1, j1);
  P2.eval_jac_c_t_prod(z2, lam2, j2);
  CHECK(max_abs((P.view(j).H.leftCols(T1) - P1.view(j1).H).reshaped()) <= 1e-14);
  CHECK(max_abs((P.view(j).H.rightCols(T2) - P2.view(j2).H).reshaped()) <= 1e-14);
  CHECK(max_abs((P.view(j).W - P1.view(j1).W - P2.view(j2).W).reshaped()) <= 1e-13);

  // BPTT multipliers: the loss carries 1/N, so each part scales by N_i / N.
  const double N = both.N(), N1 = s1.N(), N2 = s2.N();
  const Vector b = P.bptt_multipliers(x), b1 = P1.bptt_multipliers(x1), b2 = P2.bptt_multipliers(x2);
  const auto bv = P.multiplier_view(b), bv1 = P1.multiplier_view(b1), bv2 = P2.multiplier_view(b2);
  CHECK(max_abs((bv.Xi1.leftCols(T1) - (N1 / N) * bv1.Xi1).reshaped()) <= 1e-14);
  CHECK(max_abs((bv.Xi2.rightCols(T2) - (N2 / N) * bv2.Xi2).reshaped()) <= 1e-14);

  // h and u blocks: with A = 0 (no 1/N term) they split exactly.
  Vector ya = y, za1 = z1, za2 = z2;
  P.mutable_view(ya).A.setZero();
  P1.mutable_view(za1).A.setZero();
  P2.mutable_view(za2).A.setZero();
  const Vector none;
  for (int k : {RnnTrainingProblem::kBlockH, RnnTrainingProblem::kBlockU}) {
    P.minimize_block(k, lam, none, 1.3, 1e-3, ya);
    P1.minimize_block(k, lam1, none, 1.3, 1e-3, za1);
    P2.minimize_block(k, lam2, none, 1.3, 1e-3, za2);
  }
  CHECK(max_abs((P.view(ya).H.leftCols(T1) - P1.view(za1).H).reshaped()) <= 1e-13);
  CHECK(max_abs((P.view(ya).H.rightCols(T2) - P2.view(za2).H).reshaped()) <= 1e-13);
  CHECK(max_abs((P.view(ya).U.leftCols(T1) - P1.view(za1).U).reshaped()) <= 1e-13);
  CHECK(max_abs((P.view(ya).U.rightCols(T2) - P2.view(za2).U).reshaped()) <= 1e-13);

  // With A ≠ 0: changing the second sequence's states never moves the first's h/u update.
  Vector q1 = y, q2 = y;
  P.mutable_view(q2).H.rightCols(T2).array() += 0.3;
  P.mutable_view(q2).U.rightCols(T2).array() -= 0.2;
  for (int k : {RnnTrainingProblem::kBlockH, RnnTrainingProblem::kBlockU}) {
    P.minimize_block(k, lam, none, 1.3, 1e-3, q1);
    P.minimize_block(k, lam, none, 1.3, 1e-3, q2);
  }
  CHECK(max_abs((P.view(q1).H.leftCols(T1) - P.view(q2).H.leftCols(T1)).reshaped()) <= 1e-13);
  CHECK(max_abs((P.view(q1).U.leftCols(T1 - 0) - P.view(q2).U.leftCols(T1)).reshaped()) <= 1e-13);
}
