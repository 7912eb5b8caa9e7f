#include "almkit/problems/registry.h"

#include <algorithm>

namespace almkit {

const std::vector<ProblemEntry>& builtin_problems() {
  static const std::vector<ProblemEntry> all = [] {
    std::vector<ProblemEntry> v = hs_problem_entries();
    for (auto& e : kink_problem_entries()) v.push_back(std::move(e));
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return v;
  }();
  return all;
}

const ProblemEntry* find_problem(const std::string& name) {
  for (const auto& e : builtin_problems())
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace almkit
