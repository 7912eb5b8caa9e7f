// Placeholder until the train command lands; replaced by its own issue's work.
#include "commands.h"

namespace almkit::cli {

void register_train(CLI::App& app) {
  auto* sub = app.add_subcommand("train", "(train: not implemented yet)");
  sub->callback([] { throw UsageError("'train' is not implemented yet"); });
}

}  // namespace almkit::cli
