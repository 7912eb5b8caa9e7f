// The Hock–Schittkowski verification collection (docs/verification.md).
//
// Source of every formula, start point and optimum:
//   W. Hock, K. Schittkowski, "Test Examples for Nonlinear Programming Codes",
//   Lecture Notes in Economics and Mathematical Systems 187, Springer, 1981.
// Problems are named "hsNNN" (three digits) in the registry (problems/registry.h).
//
// Sign convention: almkit writes equalities c(x) = 0 and inequalities
// g(x) ≤ 0. Hock & Schittkowski write inequalities as g(x) ≥ 0, so every HS
// inequality appears here negated. Start points are the published ones, also
// when they are infeasible or lie outside the bounds (hs021, hs065).
//
// Each problem is a templated functor (core/autodiff_problem.h) wrapped by
// make_autodiff_problem; known_optimal_value() returns the published f*.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "almkit/core/types.h"

namespace almkit {

/// Reference data of one HS problem.
struct HsReference {
  std::string name;              ///< registry name, e.g. "hs071"
  double optimal_value = 0.0;    ///< published f*
  std::optional<Vector> solution;  ///< a published minimizer x* (see the per-problem notes)
  bool nonunique_solution = false; ///< f* is attained at more than one point (hs009)
  bool kkt_point = true;           ///< false when x* is a minimizer but not a KKT point (hs013)
};

/// Every HS problem of the collection with its reference data, sorted by name.
const std::vector<HsReference>& hs_references();

/// The known minimizer x* of an HS problem ("hs071"), or nullopt when the
/// name is unknown or no x* is published. Where the book prints x* to 7
/// digits only (hs065, hs071, hs077, hs078, hs079) the stored x* is that
/// point refined by Newton's method on the KKT system (it agrees with the
/// printed digits), so that f(x*) = f* and feasibility hold to 1e-9.
std::optional<Vector> hs_known_solution(const std::string& name);

}  // namespace almkit
