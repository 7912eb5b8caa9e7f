// Problems written as sums of small element functions (docs/problem.md
// "Element problems"), the structure of LANCELOT's group-partially-separable
// problems and of Ceres' residual blocks:
//
//   f(x)   = aᵀx + Σ_{e ∈ E_f}   φ_e(x_{S_e})
//   c_r(x) = b_r + a_rᵀx + Σ_{e ∈ E_r} φ_e(x_{S_e})      (equality rows)
//   g_r(x) = b_r + a_rᵀx + Σ_{e ∈ E_r} φ_e(x_{S_e})      (inequality rows, ≤ 0)
//
// Every element φ_e reads K variables S_e (K a compile-time constant of its
// group, typically 1–8) and is differentiated on its own: its gradient by
// ceres::Jet<double, K>, its Hessian by HessianJet<K>. A gradient, J_cᵀy,
// J_c v or the sparse Jacobian therefore costs O(Σ_e K_e) = O(nnz), not the
// O(n²) of make_autodiff_problem's forward mode over all n variables; a
// Hessian-vector product of the Lagrangian costs one sparse assembly
// O(Σ_e K_e²) per point, then O(nnz(H)) per product.
//
// An element functor is any copyable type with
//
//     template <class T> T operator()(const T* x) const;   // x has K entries
//
// that computes with T = double, ceres::Jet<double, K> and HessianJet<K>
// (write `using std::exp; exp(x[0])` so that argument-dependent lookup finds
// each type's function). Elements are smooth: an element with kinks (ReLU)
// belongs in a hand-written problem with active_kinks() (docs/verification.md).
//
// Example (the chained Rosenbrock function with one sphere equality):
//
//     ElementProblem p("chain", n);
//     auto& rosenbrock = p.add_group<2>(Rosenbrock{});   // 100 (x1 − x0²)² + (1 − x0)²
//     for (int i = 0; i + 1 < n; ++i) rosenbrock.add_objective({i, i + 1});
//     const int sphere = p.add_equality(-0.5 * n);        // Σ x_i² − n/2 = 0
//     auto& square = p.add_group<1>(Square{});
//     for (int i = 0; i < n; ++i) square.add_equality(sphere, {i});
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ceres/jet.h>

#include "almkit/core/hessian_jet.h"
#include "almkit/core/problem.h"

namespace almkit {

class ElementProblem;

/// Where an element's value goes: the objective, or a row of c or g.
enum class ElementTarget : unsigned char { kObjective, kEquality, kInequality };

/// What the evaluation loops see of one element.
struct ElementView {
  ElementTarget target;
  int row;          ///< constraint row (kObjective: 0)
  const int* vars;  ///< the K variable indices S_e
  int arity;        ///< K
};

/// A group of elements sharing one functor and arity. The problem owns its
/// groups; the loops below are the only virtual calls (one per group).
class ElementGroupBase {
 public:
  virtual ~ElementGroupBase() = default;
  virtual int arity() const = 0;
  int size() const { return static_cast<int>(rows_.size()); }

  /// sink(view, φ_e) for every element of the given targets.
  virtual void each_value(const double* x, const bool* targets, const std::function<void(const ElementView&, double)>& sink) const = 0;
  /// sink(view, φ_e, ∇φ_e) (∇φ_e has K entries).
  virtual void each_gradient(const double* x, const bool* targets,
                             const std::function<void(const ElementView&, double, const double*)>& sink) const = 0;
  /// sink(view, ∇²φ_e) (K × K, column-major).
  virtual void each_hessian(const double* x, const bool* targets,
                            const std::function<void(const ElementView&, const double*)>& sink) const = 0;

 protected:
  friend class ElementProblem;
  std::vector<int> vars_;              // K per element
  std::vector<int> rows_;              // constraint row, 0 for the objective
  std::vector<ElementTarget> targets_;
  const ElementProblem* owner_ = nullptr;  // for the index checks of add()
  /// Throws std::out_of_range naming the element when a variable or row index is out of range.
  void add(ElementTarget target, int row, const int* vars, int k);
};

template <int K, class F>
class ElementGroup final : public ElementGroupBase {
 public:
  explicit ElementGroup(F functor) : functor_(std::move(functor)) {}
  int arity() const override { return K; }
  void add_objective(const std::array<int, K>& vars) { add(ElementTarget::kObjective, 0, vars.data(), K); }
  /// Adds φ_e(x_vars) to equality row `row` (from ElementProblem::add_equality).
  void add_equality(int row, const std::array<int, K>& vars) { add(ElementTarget::kEquality, row, vars.data(), K); }
  /// Adds φ_e(x_vars) to inequality row `row` (from ElementProblem::add_inequality).
  void add_inequality(int row, const std::array<int, K>& vars) { add(ElementTarget::kInequality, row, vars.data(), K); }
  const F& functor() const { return functor_; }

  void each_value(const double* x, const bool* targets,
                  const std::function<void(const ElementView&, double)>& sink) const override {
    double xe[K];
    for (int e = 0; e < size(); ++e) {
      if (!targets[static_cast<int>(targets_[e])]) continue;
      const int* s = &vars_[static_cast<size_t>(e) * K];
      for (int k = 0; k < K; ++k) xe[k] = x[s[k]];
      sink(ElementView{targets_[e], rows_[e], s, K}, functor_(static_cast<const double*>(xe)));
    }
  }
  void each_gradient(const double* x, const bool* targets,
                     const std::function<void(const ElementView&, double, const double*)>& sink) const override {
    using Jet = ceres::Jet<double, K>;
    Jet xe[K];
    double ge[K];
    for (int e = 0; e < size(); ++e) {
      if (!targets[static_cast<int>(targets_[e])]) continue;
      const int* s = &vars_[static_cast<size_t>(e) * K];
      for (int k = 0; k < K; ++k) xe[k] = Jet(x[s[k]], k);
      const Jet v = functor_(static_cast<const Jet*>(xe));
      for (int k = 0; k < K; ++k) ge[k] = v.v[k];
      sink(ElementView{targets_[e], rows_[e], s, K}, v.a, ge);
    }
  }
  void each_hessian(const double* x, const bool* targets,
                    const std::function<void(const ElementView&, const double*)>& sink) const override {
    using HJet = HessianJet<K>;
    HJet xe[K];
    for (int e = 0; e < size(); ++e) {
      if (!targets[static_cast<int>(targets_[e])]) continue;
      const int* s = &vars_[static_cast<size_t>(e) * K];
      for (int k = 0; k < K; ++k) xe[k] = HJet::variable(x[s[k]], k);
      const HJet v = functor_(static_cast<const HJet*>(xe));
      sink(ElementView{targets_[e], rows_[e], s, K}, v.H.data());
    }
  }

 private:
  F functor_;
};

class ElementProblem : public ConstrainedProblem {
 public:
  /// n variables, no constraints, no bounds, x0 = 0.
  ElementProblem(std::string name, int n);

  /// A new group of elements evaluated by `functor` over K variables each.
  template <int K, class F>
  ElementGroup<K, F>& add_group(F functor) {
    static_assert(K >= 1, "an element reads at least one variable");
    auto group = std::make_unique<ElementGroup<K, F>>(std::move(functor));
    ElementGroup<K, F>& ref = *group;
    attach(std::move(group));
    return ref;
  }
  /// A new equality row c_r(x) = constant + (linear part) + (its elements); returns r.
  int add_equality(double constant = 0.0);
  /// A new inequality row g_r(x) = constant + … ≤ 0; returns r.
  int add_inequality(double constant = 0.0);
  /// f(x) += coefficient · x_var.
  void add_linear_objective(int var, double coefficient);
  /// c_row(x) += coefficient · x_var.
  void add_linear_equality(int row, int var, double coefficient);
  /// g_row(x) += coefficient · x_var.
  void add_linear_inequality(int row, int var, double coefficient);
  void set_bounds(Vector lower, Vector upper);
  void set_initial_point(Vector x0);
  void set_known_optimal_value(double value) { known_optimum_ = value; }

  /// The Hessian of ℓ = σ f + y_cᵀc + y_gᵀg at x, sparse and symmetric (both
  /// triangles), assembled from the element Hessians. Cached: a second call
  /// with the same arguments (or hess prods at the same point) reuses it.
  const Eigen::SparseMatrix<double>& lagrangian_hessian(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g) const;
  /// Sparse J_g(x).
  Eigen::SparseMatrix<double> jac_g_sparse(VectorCRef x) const;
  /// Number of elements over all groups.
  long num_elements() const;

  std::string name() const override { return name_; }
  int num_variables() const override { return n_; }
  int num_equalities() const override { return static_cast<int>(eq_constant_.size()); }
  int num_inequalities() const override { return static_cast<int>(in_constant_.size()); }
  Vector lower_bounds() const override;
  Vector upper_bounds() const override;
  Vector initial_point() const override { return x0_; }
  std::optional<double> known_optimal_value() const override { return known_optimum_; }
  bool exact_hessian_products() const override { return true; }

 protected:
  double f_impl(VectorCRef x) const override;
  double grad_f_impl(VectorCRef x, VectorRef grad) const override;
  void c_impl(VectorCRef x, VectorRef c) const override;
  void g_impl(VectorCRef x, VectorRef g) const override;
  void jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override;
  void jac_g_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override;
  Matrix jac_c_impl(VectorCRef x) const override;
  Matrix jac_g_impl(VectorCRef x) const override;
  Eigen::SparseMatrix<double> jac_c_sparse_impl(VectorCRef x) const override;
  void jac_c_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const override;
  void jac_g_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const override;
  void lagrangian_hess_prod_impl(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g, VectorCRef v,
                                 VectorRef out) const override;
  bool sparse_second_order_impl(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g,
                                Eigen::SparseMatrix<double>& hessian, Eigen::SparseMatrix<double>& jac_c,
                                Eigen::SparseMatrix<double>& jac_g) const override;

 private:
  struct Linear {
    int row, var;
    double coefficient;
  };
  void attach(std::unique_ptr<ElementGroupBase> group);
  void rows(ElementTarget target, VectorCRef x, VectorRef out) const;
  void rows_t_prod(ElementTarget target, VectorCRef x, VectorCRef y, VectorRef out) const;
  void rows_prod(ElementTarget target, VectorCRef x, VectorCRef v, VectorRef out) const;
  Eigen::SparseMatrix<double> rows_jacobian(ElementTarget target, VectorCRef x) const;
  const std::vector<Linear>& linear(ElementTarget target) const {
    return target == ElementTarget::kEquality ? eq_linear_ : in_linear_;
  }
  int num_rows(ElementTarget target) const {
    return target == ElementTarget::kEquality ? num_equalities() : num_inequalities();
  }

  std::string name_;
  int n_;
  std::vector<std::unique_ptr<ElementGroupBase>> groups_;
  Vector objective_linear_;
  std::vector<double> eq_constant_, in_constant_;
  std::vector<Linear> eq_linear_, in_linear_;
  Vector lower_, upper_, x0_;
  std::optional<double> known_optimum_;
  // The cached Lagrangian Hessian and the arguments it was assembled for.
  mutable Eigen::SparseMatrix<double> hessian_;
  mutable Vector hessian_x_, hessian_y_c_, hessian_y_g_;
  mutable double hessian_sigma_ = 0.0;
  mutable bool hessian_valid_ = false;
};

}  // namespace almkit
