// Placeholder until the predict command lands; replaced by its own issue's work.
#include "commands.h"

namespace almkit::cli {

void register_predict(CLI::App& app) {
  auto* sub = app.add_subcommand("predict", "(predict: not implemented yet)");
  sub->callback([] { throw UsageError("'predict' is not implemented yet"); });
}

}  // namespace almkit::cli
