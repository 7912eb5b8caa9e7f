// KKT verification (core/verify.h), the piecewise-smooth machinery
// (core/piecewise.h) and the kink verification problems with known answers
// (problems/verification/kink_problems.h); docs/verification.md.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include <Eigen/QR>

#include <nlohmann/json.hpp>

#include "almkit/core/alm.h"
#include "almkit/core/autodiff_problem.h"
#include "almkit/core/piecewise.h"
#include "almkit/core/solve_verification.h"
#include "almkit/core/verify.h"
#include "almkit/problems/registry.h"
#include "almkit/problems/verification/hs_problems.h"
#include "almkit/problems/verification/kink_problems.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"

using namespace almkit;
using namespace almkit::verification;

namespace {
Vector v1(double a) { return Vector::Constant(1, a); }
Vector v2(double a, double b) { return Eigen::Vector2d(a, b); }

// c = max(x0, x1) − min(x0, x1) − |x0 − x1| ≡ 0: pw helpers, three relu calls.
struct PwHelpers {
  int num_variables() const { return 2; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return Vector::Zero(2); }
  template <class T> T objective(const T* x) const { return x[0]; }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = pw::max(x[0], x[1]) - pw::min(x[0], x[1]) - pw::abs(T(x[0] - x[1]));
  }
};
}  // namespace

TEST_CASE("verify: relu derivative is one-sided outside a context, selected inside") {
  using Jet = ceres::Jet<double, 2>;
  Jet v(0.0, 0);
  CHECK(relu(v).v[0] == 0.0);                   // σ'(0) := 0, not Ceres' averaged ½
  CHECK(relu(Jet(1e-3, 0)).v[0] == 1.0);
  CHECK(relu(Jet(-1e-3, 0)).v[0] == 0.0);
  KinkSelection sel;
  sel.tolerance = 1e-2;
  sel.factor = {{1, 0.25}};
  sel.default_factor = 1.0;
  pw::KinkContext ctx(ConstraintFamily::kEquality, sel);
  CHECK(relu(Jet(1e-3, 0)).v[0] == 1.0);   // index 0: default factor
  CHECK(relu(Jet(-1e-3, 0)).v[0] == 0.25); // index 1: selected
  CHECK(relu(Jet(-1.0, 0)).v[0] == 0.0);   // index 2: not a kink
  CHECK(relu(Jet(-1e-3, 0)).a == 0.0);     // values are never changed
}

TEST_CASE("verify: active kinks and generalized Jacobians of an autodiff problem") {
  const auto p = make_autodiff_problem(KinkAbs{});
  const auto kinks = p.active_kinks(v1(0.0), 1e-8);
  REQUIRE(kinks.size() == 2);
  CHECK(kinks[0].index == 0);
  CHECK(kinks[1].index == 1);
  CHECK(p.active_kinks(v1(0.5), 1e-8).empty());
  KinkSelection sel;
  sel.tolerance = 1e-8;
  sel.factor = {{0, 1.0}, {1, 0.25}};
  // Which index is σ(x) and which σ(−x) depends on the compiler's operand order.
  CHECK(std::abs(p.jacobian_with_selection(v1(0.0), ConstraintFamily::kEquality, sel)(0, 0)) == doctest::Approx(0.75));
  const SelectionModel m = build_selection_model(p, v1(0.0), 1e-8);
  CHECK(m.pieces.size() == 2);
  CHECK(m.affine);
  CHECK(m.separate);
  // pw::max/min/abs at a tie: three kinks in one row, all affine.
  const auto q = make_autodiff_problem(PwHelpers{});
  const SelectionModel mq = build_selection_model(q, v2(0.3, 0.3), 1e-8);
  CHECK(mq.kinks.size() == 4);  // max, min, abs (2)
  CHECK(mq.affine);
  Vector c(1);
  q.eval_c(v2(0.3, -0.4), c);
  CHECK(std::abs(c[0]) < 1e-15);
}

TEST_CASE("verify: bvls agrees with brute force over active sets") {
  std::mt19937 rng(7);
  std::normal_distribution<double> N(0.0, 1.0);
  for (int trial = 0; trial < 40; ++trial) {
    const int m = 3 + trial % 4, n = 1 + trial % 4;
    Matrix A(m, n);
    Vector b(m), lo(n), hi(n);
    for (int i = 0; i < m; ++i) {
      b[i] = N(rng);
      for (int j = 0; j < n; ++j) A(i, j) = N(rng);
    }
    for (int j = 0; j < n; ++j) {
      const int kind = (trial + j) % 4;  // free, nonneg, box, nonpos
      lo[j] = kind == 0 ? -INFINITY : kind == 3 ? -INFINITY : 0.0;
      hi[j] = kind == 2 ? 1.0 : kind == 3 ? 0.0 : INFINITY;
    }
    const BvlsResult r = bvls(A, b, lo, hi);
    CHECK(r.converged);
    // Brute force: every assignment of each variable to {lower, upper, free}.
    double best = INFINITY;
    int combos = 1;
    for (int j = 0; j < n; ++j) combos *= 3;
    for (int code = 0; code < combos; ++code) {
      Vector z = Vector::Zero(n);
      std::vector<int> F;
      int cc = code;
      bool ok = true;
      for (int j = 0; j < n; ++j, cc /= 3) {
        const int st = cc % 3;
        if (st == 0) { if (!std::isfinite(lo[j])) ok = false; else z[j] = lo[j]; }
        else if (st == 1) { if (!std::isfinite(hi[j])) ok = false; else z[j] = hi[j]; }
        else F.push_back(j);
      }
      if (!ok) continue;
      Vector rhs = b - A * z;
      if (!F.empty()) {
        Matrix AF(m, static_cast<int>(F.size()));
        for (size_t k = 0; k < F.size(); ++k) AF.col(static_cast<int>(k)) = A.col(F[k]);
        const Vector zf = AF.colPivHouseholderQr().solve(rhs);
        for (size_t k = 0; k < F.size(); ++k) z[F[k]] = zf[static_cast<int>(k)];
      }
      if (((z - lo).minCoeff() < -1e-12) || ((hi - z).minCoeff() < -1e-12)) continue;
      best = std::min(best, (A * z - b).norm());
    }
    CHECK(r.residual == doctest::Approx(best).epsilon(1e-9));
    CHECK((r.z - lo).minCoeff() >= -1e-12);
    CHECK((hi - r.z).minCoeff() >= -1e-12);
  }
}

TEST_CASE("verify: kink-square x* = 0 is not a KKT point") {
  const auto p = make_autodiff_problem(KinkSquare{});
  const KktVerification v = verify_kkt(p, v1(0.0));
  CHECK(v.infeasibility == 0.0);
  CHECK(v.clarke.residual == doctest::Approx(1.0));
  CHECK(v.limiting.residual == doctest::Approx(1.0));
  CHECK_FALSE(v.is_kkt);
  CHECK_FALSE(v.limiting.is_kkt);
  REQUIRE_FALSE(v.failures.empty());
  CHECK(v.failures[0].find("stationarity") != std::string::npos);
  CHECK(v.to_string().find("NOT a KKT point") != std::string::npos);
}

TEST_CASE("verify: kink-abs x* = 0 is Clarke- and limiting-KKT with lambda = -1, s = (1, 0)") {
  const auto p = make_autodiff_problem(KinkAbs{});
  const KktVerification v = verify_kkt(p, v1(0.0));
  CHECK(v.active_kinks.size() == 2);
  CHECK(v.is_kkt);
  CHECK(v.limiting.is_kkt);
  CHECK(v.clarke.residual <= 1e-12);
  CHECK(v.limiting.residual <= 1e-12);
  REQUIRE(v.limiting.selection.size() == 2);
  // 1 + λ J(0; s) = 0 with the reported vertex s, recomputed independently.
  auto J = [&](const std::vector<PieceChoice>& sel) {
    KinkSelection ks;
    ks.tolerance = 1e-6;
    for (const PieceChoice& c : sel) ks.factor[c.kink.index] = c.factor;
    return p.jacobian_with_selection(v1(0.0), ConstraintFamily::kEquality, ks)(0, 0);
  };
  CHECK(std::abs(J(v.limiting.selection)) == doctest::Approx(1.0));
  CHECK(1.0 + v.limiting.lambda[0] * J(v.limiting.selection) == doctest::Approx(0.0));
  CHECK(1.0 + v.clarke.lambda[0] * J(v.clarke.selection) == doctest::Approx(0.0));
  // Given multipliers: λ = −1 works (s = vertex with J = 1), λ = −½ cannot (|J| ≤ 1).
  const KktVerification g1 = verify_kkt(p, v1(0.0), v1(-1.0), Vector());
  CHECK(g1.is_kkt);
  CHECK(g1.limiting.is_kkt);
  CHECK(J(g1.limiting.selection) == doctest::Approx(1.0));
  const KktVerification g2 = verify_kkt(p, v1(0.0), v1(-0.5), Vector());
  CHECK_FALSE(g2.is_kkt);
  CHECK(g2.clarke.residual == doctest::Approx(0.5));
}

TEST_CASE("verify: kink-relu-2d (0,0) is KKT with lambda = -2 and selection 1") {
  const auto p = make_autodiff_problem(KinkRelu2d{});
  for (bool given : {false, true}) {
    const KktVerification v = given ? verify_kkt(p, v2(0.0, 0.0), v1(-2.0), Vector()) : verify_kkt(p, v2(0.0, 0.0));
    CHECK(v.is_kkt);
    CHECK(v.limiting.is_kkt);
    CHECK(v.clarke.lambda[0] == doctest::Approx(-2.0));
    CHECK(v.limiting.lambda[0] == doctest::Approx(-2.0));
    REQUIRE(v.clarke.selection.size() == 1);
    CHECK(v.clarke.selection[0].factor == doctest::Approx(1.0));
    CHECK(v.limiting.selection[0].factor == 1.0);
  }
  // Wrong sign of λ: stationarity fails for every selection.
  const KktVerification w = verify_kkt(p, v2(0.0, 0.0), v1(2.0), Vector());
  CHECK_FALSE(w.is_kkt);
  // A feasible point off the solution: not KKT, because of stationarity.
  const KktVerification off = verify_kkt(p, v2(0.1, 0.1));
  CHECK(off.infeasibility <= 1e-15);
  CHECK_FALSE(off.is_kkt);
  CHECK(off.clarke.residual == doctest::Approx(0.2));
  REQUIRE(off.failures.size() == 1);
  CHECK(off.failures[0].find("stationarity") != std::string::npos);
  // An infeasible point: the report says infeasibility.
  const KktVerification inf = verify_kkt(p, v2(0.0, 0.5));
  CHECK_FALSE(inf.is_kkt);
  CHECK(inf.failures[0].find("infeasibility") != std::string::npos);
}

TEST_CASE("verify: relu-layer known solution on a kink is KKT with lambda = 0") {
  const auto p = make_autodiff_problem(ReluLayer{});
  const Vector z = relu_layer_solution();
  CHECK(p.eval_f(z) == doctest::Approx(0.0));
  const KktVerification v = verify_kkt(p, z);
  CHECK(v.infeasibility <= 1e-15);
  CHECK(v.active_kinks.size() == 1);
  CHECK(v.is_kkt);
  CHECK(v.limiting.is_kkt);
  CHECK(v.clarke.lambda.lpNorm<Eigen::Infinity>() <= 1e-12);
  // The feasible start is not optimal.
  const Vector z0 = ReluLayer{}.initial_point();
  CHECK(infeasibility(p, z0) <= 1e-15);
  CHECK_FALSE(verify_kkt(p, z0).is_kkt);
}

TEST_CASE("verify: mfcq-not-licq multipliers are mu >= 0 with mu1 + mu2 = 1") {
  const auto p = make_autodiff_problem(MfcqNotLicq{});
  const KktVerification v = verify_kkt(p, v2(0.5, 0.5));
  CHECK(v.is_kkt);
  CHECK(v.active_inequalities == 2);
  CHECK(v.clarke.mu.minCoeff() >= 0.0);
  CHECK(v.clarke.mu.sum() == doctest::Approx(1.0));
  CHECK(verify_kkt(p, v2(0.5, 0.5), Vector(), v2(1.0, 0.0)).is_kkt);
  const KktVerification bad = verify_kkt(p, v2(0.5, 0.5), Vector(), v2(-1.0, 2.0));
  CHECK_FALSE(bad.is_kkt);
  CHECK(bad.sign_violation == doctest::Approx(1.0));
  // Inactive constraint with a positive multiplier: complementarity.
  const KktVerification comp = verify_kkt(p, v2(0.0, 0.0), Vector(), v2(0.5, 0.5));
  CHECK(comp.complementarity == doctest::Approx(0.5));
  CHECK_FALSE(comp.is_kkt);
}

TEST_CASE("verify: least-squares stationarity <= 1e-8 at every known HS solution") {
  int checked = 0;
  for (const HsReference& ref : hs_references()) {
    if (!ref.solution || !ref.kkt_point) continue;  // hs013: a minimizer that is no KKT point
    const ProblemEntry* e = find_problem(ref.name);
    REQUIRE(e != nullptr);
    const auto problem = e->make();
    const KktVerification v = verify_kkt(*problem, *ref.solution);
    INFO(ref.name, "\n", v.to_string());
    CHECK(v.clarke.residual <= 1e-8);
    CHECK(v.infeasibility <= 1e-8);
    ++checked;
    // Moved off the solution (along a fixed direction), it is no longer KKT.
    Vector moved = *ref.solution;
    moved += 1e-2 * Vector::LinSpaced(moved.size(), 1.0, 2.0);
    CHECK_FALSE(verify_kkt(*problem, moved).is_kkt);
  }
  CHECK(checked >= 10);
}

TEST_CASE("verify: report JSON and text") {
  const auto p = make_autodiff_problem(KinkRelu2d{});
  const KktVerification v = verify_kkt(p, v2(0.0, 0.0));
  const nlohmann::json j = v.to_json();
  CHECK(j["is_kkt"] == true);
  CHECK(j["clarke"]["lambda"][0].get<double>() == doctest::Approx(-2.0));
  CHECK(j["active_kinks"].size() == 1);
  CHECK(j["clarke"]["selection"][0]["factor"].get<double>() == doctest::Approx(1.0));
  CHECK(v.to_string().find("KKT point") != std::string::npos);
  CHECK_THROWS_AS(verify_kkt(p, v1(0.0)), std::invalid_argument);
}

TEST_CASE("verify: the ALM on kink-square does not converge and its multipliers grow") {
  const auto p = make_autodiff_problem(KinkSquare{});
  CeresLbfgsSolver inner;
  AlmOptions opt;
  opt.max_outer_iterations = 30;
  const AlmSummary s = solve_alm(p, inner, opt);
  INFO(s.BriefReport());
  CHECK(s.status != AlmStatus::kConverged);
  REQUIRE(s.history.size() >= 3);
  CHECK(s.history.back().multiplier_norm > 100.0 * std::max(1.0, s.history.front().multiplier_norm));
  // The summary for `almkit solve` explains it: NNAMCQ fails at the limit.
  const std::string text = verification_summary(p, s);
  CHECK(text.find("NNAMCQ") != std::string::npos);
}

namespace {
// 20 copies of kink-relu-2d: z = (x_1..x_20, y_1..y_20), c_i = y_i − σ(x_i).
// At z = 0 all 20 kinks are active (P = 20 > 16): the greedy, alternating and
// sampled paths run. Known answer: λ_i = −2, s_i = 1.
struct ManyKinks {
  static constexpr int k = 20;
  int num_variables() const { return 2 * k; }
  int num_equalities() const { return k; }
  Vector initial_point() const { return Vector::Zero(2 * k); }
  template <class T> T objective(const T* z) const {
    T f = T(0.0);
    for (int i = 0; i < k; ++i) f += (z[i] - 1.0) * (z[i] - 1.0) + (z[k + i] + 1.0) * (z[k + i] + 1.0);
    return f;
  }
  template <class T> void equalities(const T* z, T* c) const {
    for (int i = 0; i < k; ++i) c[i] = z[k + i] - relu(z[i]);
  }
};
}  // namespace

TEST_CASE("verify: beyond the enumeration limits (20 kinks) greedy and alternating still find the KKT selection") {
  const auto p = make_autodiff_problem(ManyKinks{});
  const Vector z = Vector::Zero(40);
  const KktVerification v = verify_kkt(p, z);
  CHECK(v.num_pieces == 20);
  CHECK_FALSE(v.limiting.exhaustive);
  CHECK(v.limiting.method.find("greedy") != std::string::npos);
  CHECK(v.is_kkt);
  CHECK(v.limiting.is_kkt);
  CHECK((v.clarke.lambda.array() + 2.0).abs().maxCoeff() <= 1e-9);
  const KktVerification g = verify_kkt(p, z, Vector::Constant(20, -2.0), Vector());
  CHECK(g.is_kkt);
  CHECK(g.limiting.is_kkt);
  for (const PieceChoice& c : g.limiting.selection) CHECK(c.factor == 1.0);
}
