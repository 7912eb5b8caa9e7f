// almkit list: the built-in problems, one line each.
#include <fmt/core.h>

#include "almkit/problems/registry.h"
#include "commands.h"

namespace almkit::cli {

void register_list(CLI::App& app) {
  auto* sub = app.add_subcommand("list", "List the built-in problems");
  sub->callback([] {
    if (parse_only() != ParseOnly::kOff) return;  // docs/cli.md "Checking a command line"
    for (const auto& e : builtin_problems()) fmt::print("{:<16} {}\n", e.name, e.description);
  });
}

}  // namespace almkit::cli
