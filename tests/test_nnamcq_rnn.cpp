// NNAMCQ on a hand-written piecewise-smooth problem: the RNN (docs/rnn.md §4).
// The RNN's kinks sit at u_{t,i} = 0 and are known in closed form:
// RnnTrainingProblem provides active_kinks / jacobian_with_selection (the
// recipe of docs/verification.md §2), and check_nnamcq confirms the
// structural certificate by enumerating every vertex selection.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include <fmt/format.h>

#include "almkit/core/nnamcq.h"
#include "almkit/core/verify.h"
#include "almkit/problems/rnn/rnn_problem.h"

using namespace almkit;
using namespace almkit::rnn;


TEST_CASE("nnamcq (verify): the RNN's structural certificate is confirmed by enumeration at kinks") {
  const int d = 2, p = 1, T = 4, m = 2;
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0.0, 1.0);
  RnnSeries data;
  data.X = Matrix::NullaryExpr(d, T, [&]() { return g(rng); });
  data.Y = Matrix::NullaryExpr(p, T, [&]() { return g(rng); });
  data.omega = Vector::Ones(T);
  const RnnTrainingProblem P(data, m);
  RnnWeights w;
  w.W = Matrix::NullaryExpr(m, m, [&]() { return 0.5 * g(rng); });
  w.V = Matrix::NullaryExpr(m, d, [&]() { return g(rng); });
  w.A = Matrix::NullaryExpr(p, m, [&]() { return g(rng); });
  w.c = Vector::Zero(p);
  // u_{1,0} = (V x_1 + b)_0 = 0 and u_{1,1} = 0: two kinks at the first step.
  w.b = -(w.V * data.X.col(0));
  const Vector x = P.make_point(w);
  CHECK(infeasibility(P, x) <= 1e-12);
  // near_kinks: the column-major indices t·m + i with |u_{t,i}| <= tol, against a scan by (t, i).
  const auto U = P.view(x).U;
  for (double tol : {1e-12, 0.1, 1.0}) {
    std::vector<int> expected;
    for (int t = 0; t < T; ++t)
      for (int i = 0; i < m; ++i)
        if (std::abs(U(i, t)) <= tol) expected.push_back(t * m + i);
    CAPTURE(tol);
    CHECK(P.near_kinks(x, tol) == expected);
    CHECK(P.active_kinks(x, tol).size() == expected.size());
  }
  CHECK(P.near_kinks(x, 1e-12).size() >= 2);
  NnamcqOptions opt;
  opt.kink_tolerance = opt.active_tolerance = 1e-12;
  const NnamcqReport r = check_nnamcq(P, x, opt);
  INFO(r.to_string());
  CHECK(r.num_active_kinks >= 2);
  CHECK(r.selections_tested == (1L << r.num_pieces));
  CHECK(r.holds);
  CHECK(r.certificate == NnamcqCertificate::kStructural);
  CHECK_FALSE(r.has_witness);
  CHECK(r.smallest_singular_value > 1e-3);
  CHECK(r.clarke_margin > 1e-3);
  // The BPTT multipliers make the state rows of the KKT system vanish for the
  // selection 0 at kinks (the problem's own convention), so verify_kkt with them
  // leaves only the reduced gradient in the weight coordinates.
  const Vector lambda = P.bptt_multipliers(x);
  VerifyOptions vo;
  vo.kink_tolerance = 1e-12;
  const KktVerification v = verify_kkt(P, x, lambda, Vector(), vo);
  CHECK(v.active_kinks.size() == static_cast<size_t>(r.num_active_kinks));
  Vector grad(P.num_variables()), jt(P.num_variables());
  P.eval_grad_f(x, grad);
  P.eval_jac_c_t_prod(x, lambda, jt);
  const Vector reduced = (grad + jt).head(P.num_weights());
  CHECK(v.clarke.residual <= reduced.lpNorm<Eigen::Infinity>() + 1e-12);
}
