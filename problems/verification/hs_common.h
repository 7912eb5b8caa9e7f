// Shared helpers of the Hock–Schittkowski transcriptions (hs_problems.cpp,
// hs_problems_more.cpp); internal to problems/verification, not installed API.
#pragma once

#include <cmath>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "almkit/core/autodiff_problem.h"
#include "almkit/problems/registry.h"
#include "almkit/problems/verification/hs_problems.h"

namespace almkit::hs_detail {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Copies through a Map: an element-by-element loop over the initializer_list
// was miscompiled by GCC 12.2 at -O3 -DNDEBUG -march=native (AVX-512): hs039's
// x* = (1, 1, 0, 0) came out as (1, 1, 1, 1); the Map copy is correct.
inline Vector vec(std::initializer_list<double> values) {
  return Eigen::Map<const Vector>(values.begin(), static_cast<Eigen::Index>(values.size()));
}
inline Vector constant(int n, double value) { return Vector::Constant(n, value); }

template <class T> T sq(const T& a) { return a * a; }
template <class T> T pow4(const T& a) { return sq(sq(a)); }
template <class T> T pow6(const T& a) { return sq(a) * pow4(a); }

/// Gives every functor known_optimal_value() from its static kOptimalValue.
template <class Derived>
struct HsBase {
  std::optional<double> known_optimal_value() const { return Derived::kOptimalValue; }
};

/// One registered problem with its reference data.
struct HsItem {
  ProblemEntry entry;
  HsReference reference;
};

template <class P>
HsItem item(const std::string& name, const std::string& description, bool nonunique = false, bool kkt_point = true) {
  HsItem it;
  it.entry.name = name;
  it.entry.description = description;
  it.entry.make = [name]() -> std::unique_ptr<ConstrainedProblem> {
    return std::make_unique<AutoDiffProblem<P>>(make_autodiff_problem(P{}, name));
  };
  it.reference.name = name;
  it.reference.optimal_value = P::kOptimalValue;
  it.reference.solution = P::solution();
  it.reference.nonunique_solution = nonunique;
  it.reference.kkt_point = kkt_point;
  return it;
}

/// The problems of hs_problems_more.cpp (appended to the collection).
std::vector<HsItem> more_hs_items();

}  // namespace almkit::hs_detail
