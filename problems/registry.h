// The built-in problems, by name (almkit list / almkit solve NAME).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "almkit/core/problem.h"

namespace almkit {

struct ProblemEntry {
  std::string name;         ///< e.g. "hs071"
  std::string description;  ///< one line: what it is, its source, its known answer
  std::function<std::unique_ptr<ConstrainedProblem>()> make;
};

/// Every built-in problem, sorted by name.
const std::vector<ProblemEntry>& builtin_problems();
/// The name as the registry spells it: lower case, and Hock–Schittkowski
/// numbers padded to three digits, so "hs71", "HS71" and "hs071" all give
/// "hs071" (the spelling `almkit list` shows).
std::string canonical_problem_name(const std::string& name);
/// The entry with this name (any spelling canonical_problem_name accepts), or nullptr.
const ProblemEntry* find_problem(const std::string& name);

// Each family of problems contributes its entries (problems/<family>/).
std::vector<ProblemEntry> hs_problem_entries();
std::vector<ProblemEntry> kink_problem_entries();

}  // namespace almkit
