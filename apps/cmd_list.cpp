// almkit list: the built-in problems, one line each.
#include <memory>

#include <fmt/core.h>

#include "almkit/problems/registry.h"
#include "almkit/problems/scalable/scalable_problems.h"
#include "commands.h"

namespace almkit::cli {

void register_list(CLI::App& app) {
  auto* sub = app.add_subcommand("list", "List the built-in problems and the scalable families");
  auto scalable = std::make_shared<bool>(false);
  sub->add_flag("--scalable", *scalable, "Print only the names of the scalable families, one per line");
  sub->callback([scalable] {
    if (parse_only() != ParseOnly::kOff) return;  // docs/cli.md "Checking a command line"
    if (*scalable) {
      for (const auto& f : scalable_problems()) fmt::print("{}\n", f.name);
      return;
    }
    for (const auto& e : builtin_problems()) fmt::print("{:<16} {}\n", e.name, e.description);
    // docs/problem.md "Scalable families": almkit solve NAME --n N.
    fmt::print("\nscalable families (almkit solve NAME --n N):\n");
    for (const auto& f : scalable_problems())
      fmt::print("{:<16} n: {} (default {}, at least {}); {}\n", f.name, f.parameter, f.default_n, f.min_n, f.description);
  });
}

}  // namespace almkit::cli
