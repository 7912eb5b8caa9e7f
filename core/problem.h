// The abstract constrained problem (docs/problem.md, docs/alm.md §1):
//
//     minimize f(x)  subject to  c(x) = 0,  g(x) <= 0,  l <= x <= u,   x in R^n.
//
// Evaluations go through the public non-virtual eval_* functions, which count
// every call (EvaluationCounters) and forward to the protected virtual hooks
// that a concrete problem overrides. Counting in one place means no solver can
// forget to count, and a benchmark's evaluation numbers are comparable across
// inner solvers.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/SparseCore>

#include "almkit/core/kinks.h"
#include "almkit/core/types.h"

namespace almkit {

/// Number of calls of each evaluation routine since the last reset().
struct EvaluationCounters {
  long objective = 0;           ///< f(x)
  long gradient = 0;            ///< ∇f(x) (value included)
  long equalities = 0;          ///< c(x)
  long inequalities = 0;        ///< g(x)
  long equality_jtprod = 0;     ///< J_c(x)ᵀ y
  long inequality_jtprod = 0;   ///< J_g(x)ᵀ y
  long jacobian = 0;            ///< dense or sparse Jacobian
  long equality_jprod = 0;      ///< J_c(x) v
  long inequality_jprod = 0;    ///< J_g(x) v
  long hessian_prod = 0;        ///< ∇²ℓ(x) v, ℓ = σf + y_cᵀc + y_gᵀg
  void reset() { *this = EvaluationCounters{}; }

  /// Calls v(name, field, description) for every counter (core/record.h).
  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("objective", self.objective, "evaluations of f(x)");
    v("gradient", self.gradient, "evaluations of grad f(x) (value included)");
    v("equalities", self.equalities, "evaluations of c(x)");
    v("inequalities", self.inequalities, "evaluations of g(x)");
    v("equality_jtprod", self.equality_jtprod, "products J_c(x)^T y");
    v("inequality_jtprod", self.inequality_jtprod, "products J_g(x)^T y");
    v("jacobian", self.jacobian, "dense or sparse Jacobian evaluations");
    v("equality_jprod", self.equality_jprod, "products J_c(x) v");
    v("inequality_jprod", self.inequality_jprod, "products J_g(x) v");
    v("hessian_prod", self.hessian_prod, "products of the Lagrangian's Hessian with a vector");
  }
};

class ConstrainedProblem {
 public:
  virtual ~ConstrainedProblem() = default;

  // ----- description ------------------------------------------------------
  virtual std::string name() const = 0;
  virtual int num_variables() const = 0;
  virtual int num_equalities() const { return 0; }
  virtual int num_inequalities() const { return 0; }
  /// Lower bounds l (entries may be -inf). Default: all -inf.
  virtual Vector lower_bounds() const;
  /// Upper bounds u (entries may be +inf). Default: all +inf.
  virtual Vector upper_bounds() const;
  /// The problem's standard start point x0.
  virtual Vector initial_point() const = 0;
  /// Published optimal objective value, for verification problems.
  virtual std::optional<double> known_optimal_value() const { return std::nullopt; }
  /// Sizes of the consecutive families that partition the equalities. The
  /// reference ALM policy (docs/alm.md §3) measures infeasibility and
  /// multipliers per family (the RNN has C1 and C2). Default: one family.
  virtual std::vector<int> equality_family_sizes() const { return {num_equalities()}; }
  /// Replaces x by a feasible point with the same "free" variables when the
  /// problem knows one cheaply (the RNN: a forward pass for h, u from the
  /// weights). Used by the reference policy's restart safeguard. Returns false
  /// when the problem has no such completion (default).
  virtual bool restore_feasibility(VectorRef /*x*/) const { return false; }
  /// A structural NNAMCQ certificate, when the problem can prove that NNAMCQ
  /// holds at every feasible point (docs/verification.md). Empty: none.
  virtual std::string structural_nnamcq_certificate() const { return {}; }

  // ----- piecewise-smooth constraints (core/kinks.h, docs/verification.md) --
  // Added for verify_kkt / check_nnamcq. Smooth problems keep the defaults;
  // AutoDiffProblem implements both through core/piecewise.h; a hand-written
  // problem with ReLU kinks (the RNN) overrides both.
  /// The kinks of c (family kEquality) and g (kInequality) whose argument is
  /// within tol of the breakpoint at x. Default: none (a smooth problem).
  virtual std::vector<Kink> active_kinks(VectorCRef /*x*/, double /*tol*/) const { return {}; }
  /// The generalized Jacobian J_c(x; s) or J_g(x; s) (dense, rows × n) for the
  /// selection s: σ'(v) := s.factor_of(k) at every kink k with |v| ≤
  /// s.tolerance, the ordinary derivative elsewhere. Default: the ordinary
  /// Jacobian (no kinks).
  virtual Matrix jacobian_with_selection(VectorCRef x, ConstraintFamily family,
                                         const KinkSelection& /*selection*/) const {
    return family == ConstraintFamily::kEquality ? eval_jac_c(x) : eval_jac_g(x);
  }

  // ----- counted evaluations ----------------------------------------------
  double eval_f(VectorCRef x) const {
    ++counters_.objective;
    return f_impl(x);
  }
  /// Writes ∇f(x) into grad and returns f(x).
  double eval_grad_f(VectorCRef x, VectorRef grad) const {
    ++counters_.gradient;
    return grad_f_impl(x, grad);
  }
  void eval_c(VectorCRef x, VectorRef c) const {
    ++counters_.equalities;
    c_impl(x, c);
  }
  void eval_g(VectorCRef x, VectorRef g) const {
    ++counters_.inequalities;
    g_impl(x, g);
  }
  /// grad = ∇f(x) + J_c(x)ᵀ y, returns f(x): the gradient of the equality
  /// Lagrangian in one call (docs/problem.md "Evaluations"), which the
  /// augmented Lagrangian needs at every inner iteration with y = λ + βc(x).
  /// The default is eval_grad_f plus eval_jac_c_t_prod; a problem whose
  /// derivatives come from one adjoint sweep (the time chunks of
  /// problems/rnn/rnn_shooting.h) overrides it to seed the sweep once. Counted as
  /// one gradient and one J_cᵀy product.
  double eval_grad_lagrangian(VectorCRef x, VectorCRef y, VectorRef grad) const {
    ++counters_.gradient;
    ++counters_.equality_jtprod;
    return grad_lagrangian_impl(x, y, grad);
  }
  /// out = J_c(x)ᵀ y   (y has num_equalities() entries, out has n).
  void eval_jac_c_t_prod(VectorCRef x, VectorCRef y, VectorRef out) const {
    ++counters_.equality_jtprod;
    jac_c_t_prod_impl(x, y, out);
  }
  /// out = J_g(x)ᵀ y   (y has num_inequalities() entries, out has n).
  void eval_jac_g_t_prod(VectorCRef x, VectorCRef y, VectorRef out) const {
    ++counters_.inequality_jtprod;
    jac_g_t_prod_impl(x, y, out);
  }
  /// Dense J_c(x), num_equalities() x n. Default: assembled from Jᵀe_i products.
  Matrix eval_jac_c(VectorCRef x) const {
    ++counters_.jacobian;
    return jac_c_impl(x);
  }
  /// Dense J_g(x), num_inequalities() x n.
  Matrix eval_jac_g(VectorCRef x) const {
    ++counters_.jacobian;
    return jac_g_impl(x);
  }
  /// Sparse J_c(x). Default: the dense Jacobian, sparsified.
  Eigen::SparseMatrix<double> eval_jac_c_sparse(VectorCRef x) const {
    ++counters_.jacobian;
    return jac_c_sparse_impl(x);
  }

  /// out = J_c(x) v   (v has n entries, out has num_equalities()).
  /// Default: the dense Jacobian times v; sparse problems override it.
  void eval_jac_c_prod(VectorCRef x, VectorCRef v, VectorRef out) const {
    ++counters_.equality_jprod;
    jac_c_prod_impl(x, v, out);
  }
  /// out = J_g(x) v   (v has n entries, out has num_inequalities()).
  void eval_jac_g_prod(VectorCRef x, VectorCRef v, VectorRef out) const {
    ++counters_.inequality_jprod;
    jac_g_prod_impl(x, v, out);
  }
  /// out = ∇²ℓ(x) v with ℓ = σ f + y_cᵀ c + y_gᵀ g, the Hessian of the
  /// Lagrangian times v (docs/inner_solvers.md "Hessian products"), for
  /// second-order inner solvers. Default: the central difference
  /// (∇ℓ(x + hv) − ∇ℓ(x − hv)) / (2h), h = ε^{1/3} max(1, ‖x‖∞) / ‖v‖∞,
  /// through the uncounted hooks (one count here, four gradients of work);
  /// exact_hessian_products() says whether a problem overrides it exactly.
  void eval_lagrangian_hess_prod(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g, VectorCRef v,
                                 VectorRef out) const {
    ++counters_.hessian_prod;
    lagrangian_hess_prod_impl(x, sigma, y_c, y_g, v, out);
  }
  /// True when eval_lagrangian_hess_prod is exact (not the default difference).
  virtual bool exact_hessian_products() const { return false; }

  /// The sparse structure of problems that have one (docs/inner_solvers.md
  /// "Hessian products"): false by default; an element problem writes the
  /// Lagrangian's Hessian (both triangles), J_c and J_g as sparse matrices
  /// at O(nnz) cost and returns true. Counted as one hessian_prod and one
  /// jacobian. Used to precondition the newton inner solver.
  bool eval_sparse_second_order(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g,
                                Eigen::SparseMatrix<double>& hessian, Eigen::SparseMatrix<double>& jac_c,
                                Eigen::SparseMatrix<double>& jac_g) const {
    if (!sparse_second_order_impl(x, sigma, y_c, y_g, hessian, jac_c, jac_g)) return false;
    ++counters_.hessian_prod;
    ++counters_.jacobian;
    return true;
  }

  const EvaluationCounters& counters() const { return counters_; }
  void reset_counters() const { counters_.reset(); }

 protected:
  virtual double f_impl(VectorCRef x) const = 0;
  virtual double grad_f_impl(VectorCRef x, VectorRef grad) const = 0;
  virtual void c_impl(VectorCRef x, VectorRef c) const;
  virtual void g_impl(VectorCRef x, VectorRef g) const;
  virtual void jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const;
  virtual double grad_lagrangian_impl(VectorCRef x, VectorCRef y, VectorRef grad) const;
  virtual void jac_g_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const;
  virtual Matrix jac_c_impl(VectorCRef x) const;
  virtual Matrix jac_g_impl(VectorCRef x) const;
  virtual Eigen::SparseMatrix<double> jac_c_sparse_impl(VectorCRef x) const;
  virtual void jac_c_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const;
  virtual void jac_g_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const;
  virtual void lagrangian_hess_prod_impl(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g, VectorCRef v,
                                         VectorRef out) const;
  virtual bool sparse_second_order_impl(VectorCRef /*x*/, double /*sigma*/, VectorCRef /*y_c*/, VectorCRef /*y_g*/,
                                        Eigen::SparseMatrix<double>& /*hessian*/, Eigen::SparseMatrix<double>& /*jac_c*/,
                                        Eigen::SparseMatrix<double>& /*jac_g*/) const {
    return false;
  }

 private:
  mutable EvaluationCounters counters_;
};

/// Maximum constraint violation ‖(c(x), max(0, g(x)), l - x, x - u)_+‖∞.
double infeasibility(const ConstrainedProblem& problem, VectorCRef x);

}  // namespace almkit
