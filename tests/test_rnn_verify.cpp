// docs/rnn.md §3–4 through the generic verifier: at a feasible stationary point
// of the RNN problem the KKT multipliers are unique, equal the BPTT adjoints,
// and verify_kkt finds them by least squares without being told.
#include <random>

// ceres.h brings glog, whose CHECK macros abort instead of reporting: include
// it first and drop them so doctest's CHECK/REQUIRE are the ones used below.
#include <ceres/ceres.h>
#undef CHECK
#undef CHECK_EQ
#undef CHECK_NE
#undef CHECK_LE
#undef CHECK_LT
#undef CHECK_GE
#undef CHECK_GT

#include <doctest/doctest.h>

#include "almkit/core/verify.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/solvers/lbfgs/ceres_options.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

// F(θ) with its BPTT gradient, for Ceres: an independent way to reach ∇F = 0.
class ReducedF final : public ceres::FirstOrderFunction {
 public:
  ReducedF(const RnnSeries& data, const RnnRegularization& reg, int m) : data_(data), reg_(reg), m_(m) {}
  bool Evaluate(const double* theta, double* cost, double* gradient) const override {
    const RnnWeights w = unflatten(Eigen::Map<const Vector>(theta, NumParameters()), m_, data_.d(), data_.p());
    RnnWeights g;
    *cost = reduced_objective(w, data_, reg_, {}, gradient ? &g : nullptr).value;
    if (gradient) Eigen::Map<Vector>(gradient, NumParameters()) = flatten(g);
    return std::isfinite(*cost);
  }
  int NumParameters() const override { return num_parameters(m_, data_.d(), data_.p()); }

 private:
  const RnnSeries& data_;
  RnnRegularization reg_;
  int m_;
};

}  // namespace

TEST_CASE("rnn verify: at a stationary forward-pass point verify_kkt finds the unique (BPTT) multipliers") {
  const int d = 1, p = 1, T = 6, m = 2;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0.0, 1.0);
  RnnSeries data;
  data.X = Matrix::NullaryExpr(d, T, [&]() { return g(rng); });
  data.Y = Matrix::NullaryExpr(p, T, [&]() { return g(rng); });
  data.omega = Vector::Ones(T);
  RnnRegularization reg;  // λ1..λ5 = 0.01, λ6 = 1e-8: the reference weights
  // Positive input weights and bias keep the units active (no kink at the solution).
  RnnWeights w0;
  w0.W = Eigen::Matrix2d{{0.1, -0.05}, {0.02, 0.2}};
  w0.V = Eigen::Vector2d(0.3, -0.2);
  w0.b = Eigen::Vector2d(2.0, 1.5);
  w0.A = Eigen::RowVector2d(0.2, -0.1);
  w0.c = Vector::Zero(p);
  Vector theta = flatten(w0);
  // Ceres' defaults for LBFGS (rank 20, no time limit), tolerances explicit (solvers/lbfgs/ceres_options.h).
  const ceres::GradientProblemSolver::Options o = lbfgs_solver_options(20, 2000, 1e9, 1e-13);
  ceres::GradientProblem problem(new ReducedF(data, reg, m));
  ceres::GradientProblemSolver::Summary summary;
  ceres::Solve(o, problem, theta.data(), &summary);
  const RnnWeights w = unflatten(theta, m, d, p);

  const RnnTrainingProblem P(data, m, reg);
  const Vector x = P.make_point(w);  // forward pass: feasible
  REQUIRE(infeasibility(P, x) <= 1e-14);
  REQUIRE(P.active_kinks(x, 1e-8).empty());
  const Vector xi = P.bptt_multipliers(x);
  // Stationary: the reduced gradient (weight rows with the BPTT multipliers) is ~0.
  Vector grad(P.num_variables()), jt(P.num_variables());
  P.eval_grad_f(x, grad);
  P.eval_jac_c_t_prod(x, xi, jt);
  REQUIRE((grad + jt).lpNorm<Eigen::Infinity>() <= 1e-7);

  // Least-squares multipliers (no multipliers given) coincide with the BPTT ones:
  // the state block of J_cᵀ is unit triangular, so they are unique.
  const KktVerification v = verify_kkt(P, x);
  const std::string report = v.to_string();  // INFO captures by reference: keep it alive
  INFO(report);
  CHECK(v.is_kkt);
  CHECK(v.clarke.residual <= 1e-7);
  CHECK((v.clarke.lambda - xi).lpNorm<Eigen::Infinity>() <= 1e-6 * std::max(1.0, xi.lpNorm<Eigen::Infinity>()));

  // A perturbed multiplier vector is not accepted: uniqueness is real.
  Vector wrong = xi;
  wrong[0] += 1e-3;
  CHECK_FALSE(verify_kkt(P, x, wrong, Vector()).is_kkt);
}
