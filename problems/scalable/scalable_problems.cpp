#include "almkit/problems/scalable/scalable_problems.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace almkit {

namespace {

struct Rosenbrock {  // 100 (x1 − x0²)² + (1 − x0)²
  template <class T>
  T operator()(const T* x) const {
    const T a = x[1] - x[0] * x[0], b = 1.0 - x[0];
    return 100.0 * a * a + b * b;
  }
};
struct WeightedSquare {  // w x²
  double w = 1.0;
  template <class T>
  T operator()(const T* x) const { return w * x[0] * x[0]; }
};
struct ScaledExp {  // w e^x
  double w = 1.0;
  template <class T>
  T operator()(const T* x) const {
    using std::exp;
    return w * exp(x[0]);
  }
};
struct ScaledDifferenceSquare {  // w (x1 − x0)²
  double w = 1.0;
  template <class T>
  T operator()(const T* x) const { return w * (x[1] - x[0]) * (x[1] - x[0]); }
};
struct ShiftedSquare {  // w (x − c)²
  double w = 1.0, c = 0.0;
  template <class T>
  T operator()(const T* x) const { return w * (x[0] - c) * (x[0] - c); }
};

void require_size(const char* family, int n, int min_n) {
  if (n < min_n) throw std::invalid_argument(fmt::format("{}: n = {}, expected n >= {}", family, n, min_n));
}

constexpr double kPi = 3.14159265358979323846;

}  // namespace

std::unique_ptr<ElementProblem> make_chain_rosenbrock(int n) {
  require_size("chain_rosenbrock", n, 2);
  auto p = std::make_unique<ElementProblem>("chain_rosenbrock", n);
  auto& rosenbrock = p->add_group<2>(Rosenbrock{});
  for (int i = 0; i + 1 < n; ++i) rosenbrock.add_objective({i, i + 1});
  const int sphere = p->add_equality(-0.5 * n);
  auto& square = p->add_group<1>(WeightedSquare{1.0});
  for (int i = 0; i < n; ++i) square.add_equality(sphere, {i});
  p->set_bounds(Vector::Constant(n, -5.0), Vector::Constant(n, 5.0));
  Vector x0(n);
  for (int i = 0; i < n; ++i) x0[i] = i % 2 == 0 ? -1.2 : 1.0;
  p->set_initial_point(x0);
  return p;
}

double lq_control_optimum(int n) {
  const int N = n / 2;
  const double h = 1.0 / N, A = 1.0 + h, B = h, x0 = 1.0;
  double P = 1.0;
  for (int k = N - 1; k >= 0; --k) P = h + A * A * P - (A * B * P) * (A * B * P) / (h + B * B * P);
  return 0.5 * P * x0 * x0 - 0.5 * h * x0 * x0;
}

std::unique_ptr<ElementProblem> make_lq_control(int n) {
  require_size("lq_control", n, 2);
  if (n % 2 != 0) throw std::invalid_argument(fmt::format("lq_control: n = {}, expected an even n (N = n/2 states and controls)", n));
  const int N = n / 2;
  const double h = 1.0 / N, A = 1.0 + h, B = h, x0 = 1.0;
  auto p = std::make_unique<ElementProblem>("lq_control", n);
  const auto x = [](int k) { return k - 1; };      // x_1..x_N
  const auto u = [N](int k) { return N + k; };     // u_0..u_{N−1}
  auto& stage = p->add_group<1>(WeightedSquare{0.5 * h});
  for (int k = 1; k < N; ++k) stage.add_objective({x(k)});
  for (int k = 0; k < N; ++k) stage.add_objective({u(k)});
  p->add_group<1>(WeightedSquare{0.5}).add_objective({x(N)});
  for (int k = 0; k < N; ++k) {  // x_{k+1} − A x_k − B u_k = 0
    const int r = p->add_equality(k == 0 ? -A * x0 : 0.0);
    p->add_linear_equality(r, x(k + 1), 1.0);
    if (k > 0) p->add_linear_equality(r, x(k), -A);
    p->add_linear_equality(r, u(k), -B);
  }
  p->set_known_optimal_value(lq_control_optimum(n));
  return p;
}

std::unique_ptr<ElementProblem> make_bratu(int n) {
  require_size("bratu", n, 1);
  const double h = 1.0 / (n + 1), lambda = 1.0;
  const auto u_star = [h](int i) { return 0.5 * std::sin(kPi * i * h); };  // i = 0..n+1, zero at both ends
  auto p = std::make_unique<ElementProblem>("bratu", n);
  auto& objective = p->add_group<1>(WeightedSquare{0.5 * h});
  auto& source = p->add_group<1>(ScaledExp{-lambda});
  double f_star = 0.0;
  for (int i = 1; i <= n; ++i) {
    const double s = (2.0 * u_star(i) - u_star(i - 1) - u_star(i + 1)) / (h * h) - lambda * std::exp(u_star(i));
    const int r = p->add_equality(-s);
    p->add_linear_equality(r, i - 1, 2.0 / (h * h));
    if (i > 1) p->add_linear_equality(r, i - 2, -1.0 / (h * h));
    if (i < n) p->add_linear_equality(r, i, -1.0 / (h * h));
    source.add_equality(r, {i - 1});
    objective.add_objective({i - 1});
    f_star += 0.5 * h * u_star(i) * u_star(i);
  }
  p->set_known_optimal_value(f_star);
  return p;
}

std::unique_ptr<ElementProblem> make_obstacle(int n) {
  require_size("obstacle", n, 1);
  const double h = 1.0 / (n + 1);
  const auto psi = [](double t) { return 0.5 - 2.0 * (t - 0.5) * (t - 0.5); };
  const auto d = [](double t) { return t < 0.3 ? (0.3 - t) * (0.3 - t) : t > 0.7 ? (t - 0.7) * (t - 0.7) : 0.0; };
  const auto u_star = [&](int i) { return psi(i * h) + d(i * h); };  // i = 0..n+1
  auto p = std::make_unique<ElementProblem>("obstacle", n);
  auto& spring = p->add_group<2>(ScaledDifferenceSquare{0.5 / h});
  for (int i = 1; i < n; ++i) spring.add_objective({i - 1, i});
  p->add_group<1>(ShiftedSquare{0.5 / h, u_star(0)}).add_objective({0});
  p->add_group<1>(ShiftedSquare{0.5 / h, u_star(n + 1)}).add_objective({n - 1});
  Vector lower(n), x0(n);
  double f_star = 0.0;
  for (int i = 0; i <= n; ++i) f_star += (u_star(i + 1) - u_star(i)) * (u_star(i + 1) - u_star(i)) * 0.5 / h;
  for (int i = 1; i <= n; ++i) {
    // KKT at u*: ∂E/∂u_i − b_i = ν_i ≥ 0, ν_i = h where u* touches ψ inside [0.3, 0.7].
    const double t = i * h, nu = (t >= 0.3 && t <= 0.7) ? h : 0.0;
    const double b = (2.0 * u_star(i) - u_star(i - 1) - u_star(i + 1)) / h - nu;
    p->add_linear_objective(i - 1, -b);
    f_star -= b * u_star(i);
    lower[i - 1] = psi(t);
    x0[i - 1] = psi(t) + 1.0;
  }
  p->set_bounds(lower, Vector::Constant(n, std::numeric_limits<double>::infinity()));
  p->set_initial_point(x0);
  p->set_known_optimal_value(f_star);
  return p;
}

const std::vector<ScalableProblemEntry>& scalable_problems() {
  static const std::vector<ScalableProblemEntry> all = [] {
    std::vector<ScalableProblemEntry> v = {
        {"bratu", "manufactured 1-D Bratu equations (lambda = 1) as n equalities, min (h/2)|u|^2; optimum known by construction",
         "n grid points (variables, equalities)", 1000, 1, make_bratu},
        {"chain_rosenbrock", "chained Rosenbrock on the sphere sum x_i^2 = n/2, bounds +-5; no closed-form optimum",
         "n variables", 1000, 2, make_chain_rosenbrock},
        {"lq_control", "discretized linear-quadratic control, N = n/2 steps; optimum by the discrete Riccati recursion",
         "n = 2N variables (even), N equalities", 1000, 2, make_lq_control},
        {"obstacle", "manufactured 1-D obstacle problem with lower bounds; convex, optimum known by construction",
         "n grid points (variables, bounds)", 1000, 1, make_obstacle},
    };
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return v;
  }();
  return all;
}

const ScalableProblemEntry* find_scalable_problem(const std::string& name) {
  std::string key;
  for (char ch : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const auto& e : scalable_problems())
    if (e.name == key) return &e;
  return nullptr;
}

}  // namespace almkit
