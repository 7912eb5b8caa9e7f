// Gradient baselines (solvers/baselines/gradient_methods.h, docs/compare.md):
// the first updates of every optimizer against a hand computation on a
// quadratic, budgets, divergence, and the RNN window loop of SGD.
#include <cmath>
#include <limits>

#include <doctest/doctest.h>

#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_baselines.h"
#include "rnn_test_helpers.h"

namespace almkit::baselines {
namespace {

// f(x) = ½ Σ a_i x_i², ∇f = a ∘ x; batch j of two: f_j(x) = ½ ‖x − c_j‖².
Vector diag_a() { return (Vector(2) << 1.0, 4.0).finished(); }
Objective quadratic() {
  Objective f;
  f.num_batches = 2;
  f.value_gradient = [](const Vector& x, int batch, Vector* g) {
    if (batch >= 0) {
      const Vector c = Vector::Constant(2, batch == 0 ? 1.0 : -2.0);
      if (g) *g = x - c;
      return 0.5 * (x - c).squaredNorm();
    }
    const Vector a = diag_a();
    if (g) *g = a.cwiseProduct(x);
    return 0.5 * x.dot(a.cwiseProduct(x));
  };
  return f;
}
Vector grad(const Vector& x) { return diag_a().cwiseProduct(x); }
const Vector kX0 = (Vector(2) << 1.0, -0.5).finished();

GradientOptions steps(Method m, long n, double lr = 0.1) {
  GradientOptions o;
  o.method = m;
  o.learning_rate = lr;
  o.max_iterations = n;
  o.max_seconds = 60;
  return o;
}

void check_close(const Vector& a, const Vector& b) {
  REQUIRE(a.size() == b.size());
  for (Eigen::Index i = 0; i < a.size(); ++i) CHECK(a(i) == doctest::Approx(b(i)).epsilon(1e-14));
}

TEST_CASE("baseline: first steps of every optimizer match a hand computation on a quadratic") {
  const Objective f = quadratic();
  const double a = 0.1, beta = 0.9;
  SUBCASE("gd") {
    const Vector x1 = kX0 - a * grad(kX0);
    const Vector x2 = x1 - a * grad(x1);
    check_close(minimize(f, kX0, steps(Method::kGd, 2)).x, x2);
  }
  SUBCASE("gd-clip: the step is cut to length alpha c") {
    GradientOptions o = steps(Method::kGdClip, 1);
    o.clip_norm = 0.5;
    const Vector g = grad(kX0);  // ‖g‖ = √5 > 0.5
    check_close(minimize(f, kX0, o).x, kX0 - a * 0.5 * g / g.norm());
  }
  SUBCASE("heavy-ball momentum") {
    const Vector v1 = grad(kX0), x1 = kX0 - a * v1;
    const Vector v2 = beta * v1 + grad(x1), x2 = x1 - a * v2;
    check_close(minimize(f, kX0, steps(Method::kMomentum, 2)).x, x2);
  }
  SUBCASE("nesterov: gradient at the look-ahead point") {
    const Vector v1 = grad(kX0), x1 = kX0 - a * v1;
    const Vector v2 = beta * v1 + grad(x1 - a * beta * v1), x2 = x1 - a * v2;
    check_close(minimize(f, kX0, steps(Method::kNesterov, 2)).x, x2);
  }
  SUBCASE("adam: bias-corrected moments") {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const Vector g1 = grad(kX0);
    Vector m = (1 - b1) * g1, s = (1 - b2) * g1.cwiseAbs2();
    const Vector x1 = kX0 - a * ((m / (1 - b1)).array() / ((s / (1 - b2)).array().sqrt() + eps)).matrix();
    const Vector g2 = grad(x1);
    m = b1 * m + (1 - b1) * g2;
    s = b2 * s + (1 - b2) * g2.cwiseAbs2();
    const Vector x2 =
        x1 - a * ((m / (1 - b1 * b1)).array() / ((s / (1 - b2 * b2)).array().sqrt() + eps)).matrix();
    check_close(minimize(f, kX0, steps(Method::kAdam, 1)).x, x1);
    check_close(minimize(f, kX0, steps(Method::kAdam, 2)).x, x2);
  }
  SUBCASE("rmsprop") {
    const double rho = 0.9, eps = 1e-8;
    const Vector g1 = grad(kX0);
    Vector s = (1 - rho) * g1.cwiseAbs2();
    const Vector x1 = kX0 - a * (g1.array() / (s.array().sqrt() + eps)).matrix();
    const Vector g2 = grad(x1);
    s = rho * s + (1 - rho) * g2.cwiseAbs2();
    const Vector x2 = x1 - a * (g2.array() / (s.array().sqrt() + eps)).matrix();
    check_close(minimize(f, kX0, steps(Method::kRmsprop, 2)).x, x2);
  }
  SUBCASE("sgd: windows in order, one step each, then the next epoch") {
    auto gj = [](const Vector& x, int j) { return Vector(x - Vector::Constant(2, j == 0 ? 1.0 : -2.0)); };
    const Vector x1 = kX0 - a * gj(kX0, 0), x2 = x1 - a * gj(x1, 1), x3 = x2 - a * gj(x2, 0);
    const GradientResult r = minimize(f, kX0, steps(Method::kSgd, 3));
    check_close(r.x, x3);
    CHECK(r.evaluations == doctest::Approx(1.5));  // three half-gradients
  }
  SUBCASE("lbfgs (Ceres) reaches the minimizer") {
    GradientOptions o = steps(Method::kLbfgs, 100);
    o.gradient_tolerance = 1e-10;
    const GradientResult r = minimize(f, kX0, o);
    CHECK(r.x.norm() < 1e-8);
    CHECK(r.status == "converged");
  }
}

TEST_CASE("baseline: evaluation budget, history and divergence") {
  const Objective f = quadratic();
  SUBCASE("the evaluation budget stops the run") {
    GradientOptions o = steps(Method::kAdam, 1000000);
    o.max_evaluations = 7;
    const GradientResult r = minimize(f, kX0, o);
    CHECK(r.status == "budget_evaluations");
    CHECK(r.evaluations == doctest::Approx(7));
    CHECK(r.iterations == 7);
    REQUIRE(r.history.size() >= 2);
    CHECK(r.history.front().iteration == 0);
    CHECK(r.history.back().iteration == 7);
    CHECK(r.history.back().objective < r.history.front().objective);
  }
  SUBCASE("a huge learning rate diverges: status, time, last finite iterate") {
    GradientOptions o = steps(Method::kGd, 1000000, 1e3);
    const GradientResult r = minimize(f, kX0, o);
    CHECK(r.diverged);
    CHECK(r.status == "diverged");
    CHECK(std::isfinite(r.diverged_at_seconds));
    CHECK(r.diverged_at_seconds >= 0.0);
    CHECK(r.x.allFinite());
  }
  SUBCASE("lbfgs: an overshooting line-search trial is not a divergence") {
    // f = 5 x², f(x0) = 1.8; the first trial step x0 − ∇f(x0) = −5.4 has f = 145.8 > divergence_value.
    Objective steep;
    steep.value_gradient = [](const Vector& x, int, Vector* g) {
      if (g) *g = 10.0 * x;
      return 5.0 * x.squaredNorm();
    };
    GradientOptions o = steps(Method::kLbfgs, 100);
    o.divergence_value = 2.0;
    o.gradient_tolerance = 1e-10;
    const GradientResult r = minimize(steep, Vector::Constant(1, 0.6), o);
    CHECK_FALSE(r.diverged);
    CHECK(std::abs(r.x(0)) < 1e-8);
  }
  SUBCASE("invalid options are refused") {
    GradientOptions o;
    o.learning_rate = -1;
    CHECK_THROWS_AS(minimize(f, kX0, o), std::invalid_argument);
    CHECK(std::string(to_string(Method::kGdClip)) == "gd-clip");
    Method m{};
    CHECK(parse("rmsprop", &m));
    CHECK(m == Method::kRmsprop);
    CHECK_FALSE(parse("newton", &m));
  }
}

TEST_CASE("baseline: the RNN objective's SGD windows carry the state of the forward pass") {
  using namespace almkit::rnn;
  const RnnSeries data = testing::random_series(2, 1, 30, {0}, false, 41);
  const RnnRegularization reg = testing::random_regularization(42);
  const int m = 4;
  const RnnWeights w = initialize_weights(m, 2, 1, InitScheme::kHe, 1e-3, 7);
  const Vector theta = flatten(w);
  const int K = 4;
  const Objective f = make_rnn_objective(data, reg, m, K);
  CHECK(f.num_batches == K);
  const RnnStates full = forward_pass(w, data);
  // Full objective and gradient equal reduced_objective.
  Vector g;
  RnnWeights gw;
  CHECK(f.value_gradient(theta, -1, &g) == doctest::Approx(reduced_objective(w, data, reg, {}, &gw).value).epsilon(1e-14));
  CHECK((g - flatten(gw)).norm() < 1e-12);
  for (int j = 0; j < K; ++j) {
    ReducedWindow win;
    win.t0 = 30 * j / K;
    win.t1 = 30 * (j + 1) / K;
    Vector h;
    if (j > 0) {
      h = full.H.col(win.t0 - 1);
      win.h_initial = &h;
    }
    RnnWeights gj;
    const double expected = reduced_objective(w, data, reg, win, &gj).value;
    Vector gb;
    CHECK(f.value_gradient(theta, j, &gb) == doctest::Approx(expected).epsilon(1e-13));
    CHECK((gb - flatten(gj)).norm() < 1e-12);
  }
  // Window gradient (state held fixed: truncated BPTT) against central differences.
  Vector gb;
  f.value_gradient(theta, 0, nullptr);
  f.value_gradient(theta, 1, nullptr);
  // The carried state of window 2 is h_{t0−1} of the pass at θ; hold it fixed.
  ReducedWindow win;
  win.t0 = 15;
  win.t1 = 22;
  const Vector h = full.H.col(14);
  win.h_initial = &h;
  f.value_gradient(theta, 2, &gb);
  for (Eigen::Index i = 0; i < theta.size(); i += 3) {
    Vector tp = theta, tm = theta;
    tp(i) += 1e-6;
    tm(i) -= 1e-6;
    const double fd = (reduced_objective(unflatten(tp, m, 2, 1), data, reg, win).value -
                       reduced_objective(unflatten(tm, m, 2, 1), data, reg, win).value) / 2e-6;
    CHECK(gb(i) == doctest::Approx(fd).epsilon(1e-5));
  }
  // A jump back to window 0 restarts from h = 0 (a new epoch).
  CHECK(f.value_gradient(theta, 0, nullptr) ==
        doctest::Approx(reduced_objective(w, data, reg, ReducedWindow{0, 7}).value).epsilon(1e-14));
}

TEST_CASE("baseline: adam lowers the RNN training MSE under an evaluation budget, deterministically") {
  using namespace almkit::rnn;
  const RnnSeries train = testing::random_series(2, 1, 40, {0}, false, 51);
  const RnnSeries test = testing::random_series(2, 1, 10, {0}, false, 52);
  const RnnRegularization reg;
  const int m = 3;
  const Vector x0 = flatten(initialize_weights(m, 2, 1, InitScheme::kGlorot, 1e-3, 3));
  GradientOptions o;
  o.method = Method::kAdam;
  o.learning_rate = 1e-2;
  o.max_evaluations = 50;
  o.record_every_seconds = std::numeric_limits<double>::infinity();
  const Objective f = make_rnn_objective(train, reg, m);
  const Monitor mon = make_rnn_monitor(train, test, m, false);
  const GradientResult r1 = minimize(f, x0, o, mon), r2 = minimize(f, x0, o, mon);
  CHECK(r1.history.back().train_mse < r1.history.front().train_mse);
  REQUIRE(r1.history.size() == r2.history.size());
  CHECK((r1.x - r2.x).norm() == 0.0);
  CHECK(std::isfinite(r1.history.back().test_mse));
}

}  // namespace
}  // namespace almkit::baselines
