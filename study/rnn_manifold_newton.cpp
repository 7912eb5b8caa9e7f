// Gauss–Newton steps on the kink manifold (study/rnn_manifold_newton.h,
// docs/rnn_bcd.md §8, "Manifold Gauss–Newton polish").
#include "almkit/study/rnn_manifold_newton.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>
#include <Eigen/QR>

namespace almkit::rnn {

double manifold_newton_flops(const RnnTrainingProblem& problem) {
  const double m = problem.m(), T = problem.T(), p = problem.p(), n = problem.num_weights();
  const double n_theta = problem.offset_A();
  return T * m * m * n_theta + problem.data().omega.sum() * p * n * n + n * n * n / 3.0;
}

GaussNewtonJacobians gauss_newton_jacobians(const RnnTrainingProblem& problem, VectorCRef x,
                                            const std::vector<int>& u_entries) {
  const RnnSeries& s = problem.data();
  const int m = problem.m(), d = problem.d(), p = problem.p(), T = problem.T();
  const int n = problem.num_weights(), n_theta = problem.offset_A();
  const int off_V = problem.offset_V(), off_b = problem.offset_b(), off_A = problem.offset_A(),
            off_c = problem.offset_c();
  const auto v = problem.view(x);
  const double N = s.N();
  int rows = 0;
  for (int t = 0; t < T; ++t) rows += s.omega(t) > 0.0 ? p : 0;
  GaussNewtonJacobians out;
  out.J = Matrix::Zero(rows, n);
  out.kink_rows = Matrix::Zero(static_cast<Eigen::Index>(u_entries.size()), n);
  // Which requested entries belong to step t (U is m × T, column-major).
  std::vector<std::vector<std::pair<int, int>>> at_step(static_cast<size_t>(T));
  for (size_t r = 0; r < u_entries.size(); ++r)
    at_step[static_cast<size_t>(u_entries[r] / m)].emplace_back(u_entries[r] % m, static_cast<int>(r));
  Matrix S = Matrix::Zero(m, n_theta), P(m, n_theta);  // S = ∂h_{t−1}/∂Θ, P = ∂u_t/∂Θ
  Vector h_prev = Vector::Zero(m);
  int row = 0;
  for (int t = 0; t < T; ++t) {
    if (s.is_sequence_start(t)) {
      S.setZero();
      h_prev.setZero();
    }
    P.noalias() = v.W * S;
    for (int j = 0; j < m; ++j) P.block(0, j * m, m, m).diagonal().array() += h_prev(j);
    for (int j = 0; j < d; ++j) P.block(0, off_V + j * m, m, m).diagonal().array() += s.X(j, t);
    P.block(0, off_b, m, m).diagonal().array() += 1.0;
    for (const auto& [i, r] : at_step[static_cast<size_t>(t)]) out.kink_rows.row(r).head(n_theta) = P.row(i);
    for (int i = 0; i < m; ++i) {
      if (v.U(i, t) > 0.0)
        S.row(i) = P.row(i);
      else
        S.row(i).setZero();
    }
    if (s.omega(t) > 0.0) {
      const double w = std::sqrt(2.0 * s.omega(t) / N);
      out.J.block(row, 0, p, n_theta).noalias() = w * (v.A * S);
      for (int j = 0; j < m; ++j)
        for (int i = 0; i < p; ++i) out.J(row + i, off_A + j * p + i) = w * v.H(j, t);
      for (int i = 0; i < p; ++i) out.J(row + i, off_c + i) = w;
      row += p;
    }
    h_prev = v.H.col(t);
  }
  return out;
}

namespace {

// The kinks held by a step: |u| ≤ tol · max(1, ‖U‖∞), the closest max_kinks.
std::vector<int> near_kinks(const RnnTrainingProblem& problem, VectorCRef x, const ManifoldNewtonOptions& o) {
  const auto U = problem.view(x).U;
  const double tol = o.kink_tolerance * std::max(1.0, U.lpNorm<Eigen::Infinity>());
  // Units with zero outgoing weights (a zeroed dead unit) are skipped: F does
  // not depend on their u, so holding them adds T constraints that change nothing.
  const auto v = problem.view(x);
  const int m = problem.m();
  std::vector<int> k;
  for (Eigen::Index q = 0; q < U.size(); ++q)
    if (std::abs(U.data()[q]) <= tol && !(v.A.col(q % m).isZero(0.0) && v.W.col(q % m).isZero(0.0)))
      k.push_back(static_cast<int>(q));
  if (static_cast<int>(k.size()) > o.max_kinks) {
    std::partial_sort(k.begin(), k.begin() + o.max_kinks, k.end(),
                      [&](int a, int b) { return std::abs(U.data()[a]) < std::abs(U.data()[b]); });
    k.resize(static_cast<size_t>(o.max_kinks));
    std::sort(k.begin(), k.end());
  }
  return k;
}

// 2λ per weight entry (the Hessian of the weight penalties).
Vector penalty_diagonal(const RnnTrainingProblem& problem) {
  const RnnRegularization& r = problem.regularization();
  Vector diag(problem.num_weights());
  diag.segment(0, problem.offset_V()).setConstant(2.0 * r.lambda2);
  diag.segment(problem.offset_V(), problem.offset_b() - problem.offset_V()).setConstant(2.0 * r.lambda3);
  diag.segment(problem.offset_b(), problem.offset_A() - problem.offset_b()).setConstant(2.0 * r.lambda4);
  diag.segment(problem.offset_A(), problem.offset_c() - problem.offset_A()).setConstant(2.0 * r.lambda1);
  diag.segment(problem.offset_c(), problem.num_weights() - problem.offset_c()).setConstant(2.0 * r.lambda5);
  return diag;
}

}  // namespace

ManifoldNewtonResult manifold_newton(const RnnTrainingProblem& problem, Vector& x,
                                     const ManifoldNewtonOptions& o, const std::function<bool(VectorCRef)>& stop) {
  ManifoldNewtonResult res;
  res.F_before = res.F_after = problem.eval_f(x);
  if (manifold_newton_flops(problem) > o.max_flops) {
    res.skipped = true;
    return res;
  }
  const int n = problem.num_weights();
  const Vector pen = penalty_diagonal(problem);
  Vector g(n), trial(x.size());
  Matrix G;
  std::vector<int> K;
  Vector uK;
  GaussNewtonJacobians jac;
  double F = res.F_before, mu = -1.0, scale = 1.0;
  auto linearize = [&] {
    K = near_kinks(problem, x, o);
    jac = gauss_newton_jacobians(problem, x, K);
    G.noalias() = jac.J.transpose() * jac.J;
    G.diagonal() += pen;
    problem.weight_gradient(x, problem.bptt_multipliers(x), g);
    uK.resize(static_cast<Eigen::Index>(K.size()));
    const auto U = problem.view(x).U;
    for (size_t j = 0; j < K.size(); ++j) uK(static_cast<Eigen::Index>(j)) = U.data()[K[j]];
    scale = std::max(G.trace() / n, std::numeric_limits<double>::min());
    if (mu < 0.0) mu = o.mu0 * scale;
  };
  linearize();
  res.kinks_held = static_cast<int>(K.size());
  int rejected_in_row = 0;
  double total_gain = 0.0;
  while (res.trials < o.max_steps && mu <= o.mu_max * scale && rejected_in_row < o.max_rejections) {
    ++res.trials;
    Matrix B = G;
    B.diagonal().array() += mu;
    const Eigen::LDLT<Matrix> ldlt(B);
    Vector delta = -ldlt.solve(g);
    if (!K.empty()) {
      const Matrix& AK = jac.kink_rows;
      const Matrix Y = ldlt.solve(AK.transpose());
      const Matrix S = AK * Y;
      const Vector nu = S.completeOrthogonalDecomposition().solve(AK * delta + uK);
      delta -= Y * nu;
    }
    const double predicted = -(g.dot(delta) + 0.5 * delta.dot(G * delta));
    trial = x;
    trial.head(n) += delta;
    problem.restore_feasibility(trial);
    const double F_trial = problem.eval_f(trial);
    const double rho = predicted > 0.0 && std::isfinite(F_trial) ? (F - F_trial) / predicted
                                                                 : -std::numeric_limits<double>::infinity();
    if (rho >= o.accept_ratio) {
      total_gain += F - F_trial;
      x = trial;
      F = F_trial;
      ++res.accepted;
      rejected_in_row = 0;
      if (rho >= 0.75) mu *= o.mu_decrease;
      if (total_gain < o.min_gain * res.accepted || (stop && stop(x))) break;
      linearize();
      res.kinks_held = static_cast<int>(K.size());
    } else {
      mu *= o.mu_increase;
      ++rejected_in_row;
    }
  }
  res.F_after = F;
  return res;
}

}  // namespace almkit::rnn
