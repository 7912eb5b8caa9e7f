// Piecewise-smooth building blocks for templated (auto-differentiated)
// problems, and the selection model of their generalized Jacobians
// (docs/verification.md §2).
//
// Write constraints with almkit::relu and the helpers built on it:
//
//     relu(v) = max(0, v)
//     pw::abs(v)    = relu(v) + relu(−v)         (two kinks)
//     pw::max(a, b) = b + relu(a − b)            (one kink)
//     pw::min(a, b) = a − relu(a − b)            (one kink)
//
// They work for T = double and T = ceres::Jet<double, N>. Outside a kink
// context the derivative of relu at v ≤ 0 is 0 (so σ'(0) = 0, one-sided; note
// that ceres' fmax would average to ½ on a tie, which is neither selection).
//
// Inside a KinkContext (thread-local, installed by AutoDiffProblem's
// active_kinks / jacobian_with_selection for one evaluation of c or g), every
// relu call receives a sequential index 0, 1, 2, … in execution order; a call
// with |v| ≤ tol is either recorded as an active Kink or, when a
// KinkSelection is given, gets derivative factor selection.factor_of(index).
// The indices match between the double and the Jet evaluation as long as the
// sequence of relu calls does not depend on branches taken on the values.
#pragma once

#include <optional>
#include <vector>

#include <ceres/jet.h>

#include "almkit/core/kinks.h"
#include "almkit/core/problem.h"

namespace almkit {

namespace pw {

/// Records kinks or applies a selection during one evaluation of a family.
/// Constructing one installs it for the current thread; the destructor
/// restores the previous context (contexts nest).
class KinkContext {
 public:
  /// Recording mode: kinks with |v| ≤ tol are appended to *out.
  KinkContext(ConstraintFamily family, double tol, std::vector<Kink>* out);
  /// Selection mode: kinks with |v| ≤ selection.tolerance get its factors.
  KinkContext(ConstraintFamily family, const KinkSelection& selection);
  ~KinkContext();
  KinkContext(const KinkContext&) = delete;
  KinkContext& operator=(const KinkContext&) = delete;

  /// Restarts the sequential numbering; call before each functor evaluation.
  void restart() { next_index_ = 0; }
  /// Called by relu with its argument: numbers the call, records it, and
  /// returns the selected derivative factor when the call is a selected kink.
  std::optional<double> on_relu(double v);

  static KinkContext* current();

 private:
  ConstraintFamily family_;
  double tol_;
  std::vector<Kink>* out_ = nullptr;
  const KinkSelection* selection_ = nullptr;
  int next_index_ = 0;
  KinkContext* previous_ = nullptr;
};

inline double relu(double v) {
  if (KinkContext* ctx = KinkContext::current()) ctx->on_relu(v);
  return v > 0.0 ? v : 0.0;
}

template <class T, int N>
ceres::Jet<T, N> relu(const ceres::Jet<T, N>& v) {
  double factor = v.a > 0.0 ? 1.0 : 0.0;
  if (KinkContext* ctx = KinkContext::current())
    if (const std::optional<double> s = ctx->on_relu(static_cast<double>(v.a))) factor = *s;
  return ceres::Jet<T, N>(v.a > 0.0 ? v.a : T(0), v.v * T(factor));
}

template <class T> T abs(const T& v) { return relu(v) + relu(T(-v)); }
template <class T> T max(const T& a, const T& b) { return b + relu(T(a - b)); }
template <class T> T min(const T& a, const T& b) { return a - relu(T(a - b)); }

}  // namespace pw

using pw::relu;

// ---------------------------------------------------------------------------
// The selection model (docs/verification.md §3).
//
// For the active kinks k = 1..K, E_k = J(x; e_k) − J(x; 0) is the change of
// the generalized Jacobian when kink k's factor goes from 0 to 1. Split by
// rows, each nonzero row of E_k is a *piece* p = (kink, family, row, d_p):
//
//     J(x; s).row(i) = J(x; 0).row(i) + Σ_{p in row i} s_p d_pᵀ,   s_p ∈ [0, 1].
//
// Giving each (kink, row) pair its own factor is what 0 ∈ Σ λ_i ∂c_i(x) asks
// for (each c_i has its own subdifferential); when every kink enters one row,
// pieces and kinks coincide. The model is exact when J is affine in the
// factors (no kink nested inside another at the same point): `affine` checks
// J(x; 1) = J(x; 0) + Σ_k E_k. Each row's set {a_i(s) : s ∈ [0,1]^{p_i}} is
// then the chain-rule hull, which contains Clarke's ∂c_i(x).
struct KinkPiece {
  int kink = 0;  ///< position in SelectionModel::kinks
  ConstraintFamily family = ConstraintFamily::kEquality;
  int row = 0;       ///< constraint index within its family
  Vector direction;  ///< d_p, n entries
};

struct SelectionModel {
  std::vector<Kink> kinks;  ///< active kinks (both families)
  Matrix JE0, JI0;          ///< J_c(x; 0), J_g(x; 0)
  std::vector<KinkPiece> pieces;
  bool affine = true;    ///< J(x; 1) matched J(x; 0) + Σ_k E_k
  bool separate = true;  ///< every kink enters at most one row

  /// J_family(x; s) for piece factors s (pieces.size() entries).
  Matrix jacobian(ConstraintFamily family, const Vector& s) const;
  /// The vertex selection numbered `bits`: s_p = 1 for relevant[j] with bit j
  /// set, 0 elsewhere (enumeration of {0,1}^|relevant|).
  Vector vertex(const std::vector<int>& relevant, unsigned long bits) const;
};

/// Builds the model with K + 2 generalized Jacobian evaluations per family.
SelectionModel build_selection_model(const ConstrainedProblem& problem, VectorCRef x,
                                     double kink_tolerance);

/// One row of the active constraint system used by verify_kkt and
/// check_nnamcq: an equality (free multiplier λ_i), an inequality or an
/// active bound (multiplier ≥ 0). Bounds are the inequalities l_k − x_k ≤ 0
/// (gradient −e_k) and x_k − u_k ≤ 0 (gradient +e_k), so that the bound
/// multiplier of kkt.h is ν = μ_upper − μ_lower.
enum class RowKind { kEquality, kInequality, kLowerBound, kUpperBound };
const char* to_string(RowKind kind);

struct ModelRow {
  RowKind kind = RowKind::kEquality;
  int index = 0;            ///< constraint index in its family, or variable index for a bound
  Vector a0;                ///< the row's gradient at s = 0
  std::vector<int> pieces;  ///< SelectionModel::pieces acting on this row
  bool nonnegative() const { return kind != RowKind::kEquality; }
  /// a_i(s) = a0 + Σ_{p in pieces} s_p d_p (s indexed like SelectionModel::pieces).
  Vector at(const SelectionModel& model, const Vector& s) const;
};

/// The rows: every equality; the inequalities with g_j(x) ≥ −active_tol (all
/// of them when all_inequalities); the bounds with x_k within active_tol of l_k / u_k.
std::vector<ModelRow> model_rows(const ConstrainedProblem& problem, const SelectionModel& model,
                                 VectorCRef x, double active_tol, bool all_inequalities);

// ---------------------------------------------------------------------------
/// Bounded-variable least squares  min ‖A z − b‖₂  s.t.  lo ≤ z ≤ hi
/// (entries of lo/hi may be ∓inf). Active-set method of Lawson–Hanson as
/// generalized by Stark & Parker (BVLS, 1995); each subproblem is solved by a
/// complete orthogonal decomposition, so rank-deficient A is fine (the
/// minimum-norm solution on the free set). Small dense problems only.
struct BvlsResult {
  Vector z;
  double residual = 0.0;  ///< ‖A z − b‖₂
  int iterations = 0;
  bool converged = false;
};
BvlsResult bvls(const Matrix& A, const Vector& b, const Vector& lo, const Vector& hi);

}  // namespace almkit
