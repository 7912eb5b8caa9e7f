// Built-in problem families with a size parameter n (docs/problem.md
// "Scalable families"), written as element problems (core/element_problem.h)
// so that derivatives cost O(n): `almkit list` shows them with their
// parameter, `almkit solve NAME --n N` builds one.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "almkit/core/element_problem.h"

namespace almkit {

struct ScalableProblemEntry {
  std::string name;         ///< e.g. "chain_rosenbrock"
  std::string description;  ///< one line: the problem and where its optimum comes from
  std::string parameter;    ///< what n is, e.g. "n variables"
  int default_n = 100;      ///< the size `almkit solve NAME` uses without --n
  int min_n = 2;            ///< the least n the family is defined for
  std::function<std::unique_ptr<ElementProblem>(int n)> make;  ///< throws std::invalid_argument for n < min_n
};

/// Every family, sorted by name.
const std::vector<ScalableProblemEntry>& scalable_problems();
/// The family with this name (lower case), or nullptr.
const ScalableProblemEntry* find_scalable_problem(const std::string& name);

/// Chained Rosenbrock Σ 100(x_{i+1} − x_i²)² + (1 − x_i)² on the sphere
/// Σ x_i² = n/2, bounds ±5, start (−1.2, 1, −1.2, …). No closed-form optimum.
std::unique_ptr<ElementProblem> make_chain_rosenbrock(int n);
/// chain_rosenbrock as a problem struct for make_autodiff_problem (the dense
/// forward mode, O(n²) per gradient) or make_reverse_autodiff_problem: the
/// second formulation the element form is checked and measured against.
struct ChainRosenbrockFunctor {
  int n = 2;
  std::string name() const { return "chain_rosenbrock_dense"; }
  int num_variables() const { return n; }
  int num_equalities() const { return 1; }
  Vector initial_point() const {
    Vector x0(n);
    for (int i = 0; i < n; ++i) x0[i] = i % 2 == 0 ? -1.2 : 1.0;
    return x0;
  }
  Vector lower_bounds() const { return Vector::Constant(n, -5.0); }
  Vector upper_bounds() const { return Vector::Constant(n, 5.0); }
  template <class T>
  T objective(const T* x) const {
    T f(0.0);
    for (int i = 0; i + 1 < n; ++i)
      f += 100.0 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (1.0 - x[i]) * (1.0 - x[i]);
    return f;
  }
  template <class T>
  void equalities(const T* x, T* c) const {
    c[0] = T(-0.5 * n);
    for (int i = 0; i < n; ++i) c[0] += x[i] * x[i];
  }
};

/// Discretized linear–quadratic control: N = n/2 steps of x_{k+1} = (1 + h a) x_k + h u_k,
/// h = 1/N, a = 1, x_0 = 1; minimize Σ_k (h/2)(x_k² + u_k²) + x_N²/2 over x_1..x_N,
/// u_0..u_{N−1}. Optimum from the discrete Riccati recursion (lq_control_optimum).
std::unique_ptr<ElementProblem> make_lq_control(int n);
/// The optimal value of make_lq_control(n) by the Riccati recursion
/// P_N = 1, P_k = h + A²P_{k+1} − (A B P_{k+1})² / (h + B²P_{k+1}), A = 1 + h, B = h:
/// J* = P_0 x_0²/2 − h x_0²/2 (the x_0 term is a constant left out of f).
double lq_control_optimum(int n);
/// A manufactured Bratu problem: minimize (h/2) Σ u_i² subject to
/// (2u_i − u_{i−1} − u_{i+1})/h² − λ e^{u_i} − s_i = 0, u_0 = u_{n+1} = 0,
/// h = 1/(n+1), λ = 1, with s_i chosen so that u*_i = sin(π i h)/2 solves
/// the equations exactly; the feasible point near u* is the optimum.
std::unique_ptr<ElementProblem> make_bratu(int n);
/// A manufactured 1-D obstacle problem: minimize Σ (u_{i+1} − u_i)²/(2h) − bᵀu
/// subject to u ≥ ψ, ψ(x) = 1/2 − 2(x − 1/2)², with Dirichlet values u*(0),
/// u*(1) and b chosen so that u* = ψ + d (d = 0 on [0.3, 0.7], squared distance
/// outside) is the solution with bound multipliers h on [0.3, 0.7]. Convex:
/// u* is the global minimizer.
std::unique_ptr<ElementProblem> make_obstacle(int n);

}  // namespace almkit
