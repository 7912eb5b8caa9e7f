// Placeholder until the compare command lands; replaced by its own issue's work.
#include "commands.h"

namespace almkit::cli {

void register_compare(CLI::App& app) {
  auto* sub = app.add_subcommand("compare", "(compare: not implemented yet)");
  sub->callback([] { throw UsageError("'compare' is not implemented yet"); });
}

}  // namespace almkit::cli
