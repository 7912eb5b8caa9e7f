// Exposes every field of an options struct with a visit() member as a CLI
// flag --<prefix>.<name>, with its default shown in --help (no hidden state).
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace almkit::cli {

/// Fields named in `skip` get no flag (a command that sets them itself).
template <class Options>
void add_options(CLI::App* app, const std::string& prefix, Options& options, const std::string& group,
                 const std::vector<std::string>& skip = {}) {
  options.visit([&](const char* name, auto& field, const char* doc) {
    using T = std::decay_t<decltype(field)>;
    for (const auto& s : skip)
      if (s == name) return;
    const std::string flag = "--" + prefix + "." + name;
    if constexpr (std::is_enum_v<T>) {
      app->add_option_function<std::string>(
             flag,
             [&field, flag](const std::string& text) {
               if (!parse(text, &field)) throw CLI::ValidationError(flag, "unknown value '" + text + "'");
             },
             doc)
          ->default_str(to_string(field))
          ->group(group);
    } else if constexpr (std::is_floating_point_v<T>) {
      // Shortest round-trip text: CLI11's own keeps 6 digits, and --help then
      // showed 0.833333 for the 5/6 a run uses (docs/cli.md "Checking a command line").
      app->add_option(flag, field, doc)->default_str(fmt::format("{}", field))->group(group);
    } else {
      app->add_option(flag, field, doc)->capture_default_str()->group(group);
    }
  });
}

/// "a, b,c" -> {"a", "b", "c"}: comma-separated CLI lists, blanks trimmed, empty items dropped.
inline std::vector<std::string> split_comma_list(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text + ",") {
    if (ch == ',') {
      const size_t a = cur.find_first_not_of(' '), b = cur.find_last_not_of(' ');
      if (a != std::string::npos) out.push_back(cur.substr(a, b - a + 1));
      cur.clear();
    } else {
      cur += ch;
    }
  }
  return out;
}

}  // namespace almkit::cli
