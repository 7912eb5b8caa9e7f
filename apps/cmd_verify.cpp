// Placeholder until the verify command lands; replaced by its own issue's work.
#include "commands.h"

namespace almkit::cli {

void register_verify(CLI::App& app) {
  auto* sub = app.add_subcommand("verify", "(verify: not implemented yet)");
  sub->callback([] { throw UsageError("'verify' is not implemented yet"); });
}

}  // namespace almkit::cli
