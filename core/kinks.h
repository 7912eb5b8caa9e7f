// Vocabulary of piecewise-smooth constraints (docs/verification.md §2).
//
// A constraint built with almkit::relu (core/piecewise.h) is smooth except at
// the breakpoints v = 0 of its ReLU calls σ(v) = max(0, v). There the
// derivative of σ is not unique: the Clarke generalized derivative is the
// interval [0, 1], the limiting one the set {0, 1}. A *kink* is one ReLU call
// whose argument is within a tolerance of 0 at the point x; a *selection*
// gives one derivative factor s ∈ [0, 1] per kink and so one generalized
// Jacobian J(x; s), obtained by the chain rule with σ'(v) := s at that kink.
//
// This header has no dependencies so that core/problem.h can use it.
#pragma once

#include <map>
#include <string>

namespace almkit {

/// Which constraint family a Jacobian or a kink belongs to.
enum class ConstraintFamily { kEquality, kInequality };

inline const char* to_string(ConstraintFamily family) {
  return family == ConstraintFamily::kEquality ? "equality" : "inequality";
}

/// One ReLU call with argument |v| ≤ tol at the evaluated point.
struct Kink {
  ConstraintFamily family = ConstraintFamily::kEquality;
  /// Identifier of the ReLU call within one evaluation of its family. For
  /// AutoDiffProblem it is the sequential index of the call (0, 1, 2, … in the
  /// order the functor executes them); a hand-written problem may use its own
  /// numbering (the RNN: the flat index of u_{t,i}). KinkSelection is keyed by it.
  int index = 0;
  double argument = 0.0;  ///< v at x (|v| ≤ tol)
  std::string label;      ///< optional human-readable name, e.g. "u[3,1]"
};

/// Derivative factors σ'(v) := factor at the kinks of one family.
///
/// A ReLU call is treated as a kink when |v| ≤ tolerance; its factor is
/// factor[index] when present, default_factor otherwise. Calls with |v| >
/// tolerance keep their ordinary derivative (1 if v > 0, 0 if v < 0). The
/// value of σ itself is never changed, only its derivative.
struct KinkSelection {
  double tolerance = 0.0;
  std::map<int, double> factor;
  double default_factor = 0.0;

  double factor_of(int index) const {
    const auto it = factor.find(index);
    return it == factor.end() ? default_factor : it->second;
  }
};

}  // namespace almkit
