#include "almkit/problems/registry.h"

#include <algorithm>
#include <cctype>

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

std::string canonical_problem_name(const std::string& name) {
  std::string s;
  for (char ch : name) s += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  // Hock–Schittkowski numbers: hs71, HS71, hs071 → hs071 (the registry pads to three digits).
  if (s.size() > 2 && s.compare(0, 2, "hs") == 0 &&
      std::all_of(s.begin() + 2, s.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; })) {
    std::string digits = s.substr(2);
    digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
    if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
    return "hs" + digits;
  }
  return s;
}

const ProblemEntry* find_problem(const std::string& name) {
  const std::string key = canonical_problem_name(name);
  for (const auto& e : builtin_problems())
    if (canonical_problem_name(e.name) == key) return &e;
  return nullptr;
}

}  // namespace almkit
