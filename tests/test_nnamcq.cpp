// NNAMCQ checks (core/nnamcq.h) on the kink verification problems with known
// answers; docs/verification.md §5.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "almkit/core/autodiff_problem.h"
#include "almkit/core/nnamcq.h"
#include "almkit/problems/verification/kink_problems.h"

using namespace almkit;
using namespace almkit::verification;

namespace {
Vector v1(double a) { return Vector::Constant(1, a); }
Vector v2(double a, double b) { return Eigen::Vector2d(a, b); }

// c = 2σ(x) − x (= |x|): ∂c(0) = [−1, 1] ∋ 0 although both vertices give ±1.
struct HullOnly {
  int num_variables() const { return 1; }
  int num_equalities() const { return 1; }
  Vector initial_point() const { return Vector::Ones(1); }
  template <class T> T objective(const T* x) const { return x[0]; }
  template <class T> void equalities(const T* x, T* c) const { c[0] = 2.0 * relu(x[0]) - x[0]; }
};

// Two smooth equalities with a kink-free dependency: x0 + x1 = 0 twice.
struct Duplicated {
  int num_variables() const { return 2; }
  int num_equalities() const { return 2; }
  Vector initial_point() const { return Vector::Zero(2); }
  template <class T> T objective(const T* x) const { return x[0] * x[0]; }
  template <class T> void equalities(const T* x, T* c) const { c[0] = x[0] + x[1]; c[1] = 2.0 * (x[0] + x[1]); }
};

// Declares a structural certificate (like the RNN).
struct Declared : ConstrainedProblem {
  std::string name() const override { return "declared"; }
  int num_variables() const override { return 1; }
  int num_equalities() const override { return 1; }
  Vector initial_point() const override { return Vector::Zero(1); }
  std::string structural_nnamcq_certificate() const override { return "c = x has J = 1"; }
 protected:
  double f_impl(VectorCRef x) const override { return x[0]; }
  double grad_f_impl(VectorCRef, VectorRef g) const override { g[0] = 1.0; return 0.0; }
  void c_impl(VectorCRef x, VectorRef c) const override { c[0] = x[0]; }
  void jac_c_t_prod_impl(VectorCRef, VectorCRef y, VectorRef out) const override { out[0] = y[0]; }
};
}  // namespace

TEST_CASE("nnamcq (verify): kink-square fails with witness lambda = +-1") {
  const auto p = make_autodiff_problem(KinkSquare{});
  const NnamcqReport r = check_nnamcq(p, v1(0.0));
  CHECK_FALSE(r.holds);
  CHECK(r.certificate == NnamcqCertificate::kViolated);
  REQUIRE(r.has_witness);
  CHECK(std::abs(r.witness_lambda[0]) == doctest::Approx(1.0));
  CHECK(r.smallest_singular_value == doctest::Approx(0.0));
  // Away from 0 the constraint gradient is nonzero: NNAMCQ holds there.
  CHECK(check_nnamcq(p, v1(0.5)).holds);
}

TEST_CASE("nnamcq (verify): enumeration finds the witness of kink-abs (|x| = 0)") {
  const auto p = make_autodiff_problem(KinkAbs{});
  const NnamcqReport r = check_nnamcq(p, v1(0.0));
  CHECK_FALSE(r.holds);
  CHECK(r.num_active_kinks == 2);
  CHECK(r.selections_tested == 4);
  REQUIRE(r.has_witness);
  CHECK(r.witness_source == "vertex selection");
  REQUIRE(r.witness_selection.size() == 2);
  CHECK(r.witness_selection[0].factor == r.witness_selection[1].factor);  // s = (0,0) or (1,1)
  CHECK(r.witness_residual <= 1e-12);
  CHECK(std::abs(r.witness_lambda[0]) == doctest::Approx(1.0));
}

TEST_CASE("nnamcq (verify): a witness only in the Clarke hull (c = 2 relu(x) - x)") {
  const auto p = make_autodiff_problem(HullOnly{});
  const NnamcqReport r = check_nnamcq(p, v1(0.0));
  CHECK(r.smallest_singular_value == doctest::Approx(1.0));  // both vertices: |J| = 1
  CHECK(r.licq);
  CHECK_FALSE(r.holds);
  REQUIRE(r.has_witness);
  CHECK(r.witness_source.find("Clarke hull") != std::string::npos);
  CHECK(r.witness_selection[0].factor == doctest::Approx(0.5));
  CHECK(r.witness_residual <= 1e-9);
}

TEST_CASE("nnamcq (verify): kink-relu-2d holds, enumerated, smallest singular value 1") {
  const auto p = make_autodiff_problem(KinkRelu2d{});
  const NnamcqReport r = check_nnamcq(p, v2(0.0, 0.0));
  CHECK(r.holds);
  CHECK(r.certificate == NnamcqCertificate::kEnumerated);
  CHECK(r.selections_tested == 2);
  CHECK(r.smallest_singular_value == doctest::Approx(1.0));
  REQUIRE(r.smallest_selection.size() == 1);
  CHECK(r.smallest_selection[0].factor == 0.0);  // J = (0, 1)
  CHECK(r.licq);
  CHECK(r.clarke_margin > 0.1);
  CHECK(r.to_json()["certificate"] == "enumerated");
}

TEST_CASE("nnamcq (verify): relu-layer holds at a kink (J_h = I)") {
  const auto p = make_autodiff_problem(ReluLayer{});
  const NnamcqReport r = check_nnamcq(p, relu_layer_solution());
  CHECK(r.holds);
  CHECK(r.certificate == NnamcqCertificate::kEnumerated);
  CHECK(r.num_active_kinks == 1);
  CHECK(r.smallest_singular_value >= 1.0 - 1e-12);
}

TEST_CASE("nnamcq (verify): mfcq-not-licq holds by the positivity test, LICQ fails") {
  const auto p = make_autodiff_problem(MfcqNotLicq{});
  const NnamcqReport r = check_nnamcq(p, v2(0.5, 0.5));
  CHECK(r.num_rows == 2);
  CHECK(r.smallest_singular_value <= 1e-12);
  CHECK_FALSE(r.licq);
  CHECK(r.holds);
  CHECK(r.margin > 0.1);
  // Opposite inequalities x1 + x2 <= 1 and −(x1 + x2) <= −1 would fail; here a
  // duplicated equality fails with a witness.
  const auto d = make_autodiff_problem(Duplicated{});
  const NnamcqReport rd = check_nnamcq(d, v2(0.0, 0.0));
  CHECK_FALSE(rd.holds);
  REQUIRE(rd.has_witness);
  CHECK(std::abs(2.0 * rd.witness_lambda[1] + rd.witness_lambda[0]) <= 1e-12);
}

TEST_CASE("nnamcq (verify): structural certificate is reported and confirmed") {
  const Declared p;
  const NnamcqReport r = check_nnamcq(p, v1(0.0));
  CHECK(r.holds);
  CHECK(r.certificate == NnamcqCertificate::kStructural);
  CHECK(r.structural == "c = x has J = 1");
  CHECK(r.to_string().find("structural") != std::string::npos);
}

namespace {
// 20 independent y_i = σ(x_i): P = 20 > 16, so selections are sampled.
struct ManyKinks {
  static constexpr int k = 20;
  int num_variables() const { return 2 * k; }
  int num_equalities() const { return k; }
  Vector initial_point() const { return Vector::Zero(2 * k); }
  template <class T> T objective(const T* z) const { return z[0]; }
  template <class T> void equalities(const T* z, T* c) const {
    for (int i = 0; i < k; ++i) c[i] = z[k + i] - relu(z[i]);
  }
};
}  // namespace

TEST_CASE("nnamcq (verify): 20 kinks are sampled, and say so") {
  const auto p = make_autodiff_problem(ManyKinks{});
  NnamcqOptions opt;
  opt.samples = 64;
  const NnamcqReport r = check_nnamcq(p, Vector::Zero(40), opt);
  CHECK(r.holds);
  CHECK(r.certificate == NnamcqCertificate::kSampled);
  CHECK(r.selections_tested == 64);
  CHECK(r.method.find("sample") != std::string::npos);
  CHECK(r.smallest_singular_value >= 1.0 - 1e-12);
}
