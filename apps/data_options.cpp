#include "data_options.h"

#include <fmt/core.h>

#include "commands.h"
#include "option_binding.h"

namespace almkit::cli {

void add_data_options(CLI::App* app, DataArgs& a, const std::string& group) {
  app->add_option("--data", a.data, "CSV file with a header line (default: the shipped data/clean_SP500.csv)")->group(group);
  app->add_option("--target", a.target, "Comma-separated target columns, p of them (default: the last column)")->group(group);
  app->add_option("--inputs", a.inputs, "Comma-separated input columns (default: every other non-index column)")->group(group);
  app->add_option("--univariate", a.univariate, "Univariate mode on this column: x_t = s_t, y_t = s_{t+1}")->group(group);
  app->add_option("--sequence-column", a.sequence_column,
                  "Rows with equal consecutive values of this column form one sequence (h_0 = 0 at each start); "
                  "the first floor(F S) of the S sequences train, the rest test")->group(group);
  app->add_option("--scaling", a.scaling, "standardize | minmax | none, fitted on the training part")->capture_default_str()->group(group);
  app->add_option("--train-fraction", a.train_fraction, "First floor(F n) samples train, the rest test")->capture_default_str()->group(group);
}

rnn::RnnDataset load_data(const DataArgs& a, rnn::DataSpec* spec_out) {
  rnn::DataSpec spec;
  spec.path = a.data.empty() ? rnn::default_data_path() : a.data;
  spec.targets = split_comma_list(a.target);
  spec.inputs = split_comma_list(a.inputs);
  spec.univariate = a.univariate;
  spec.sequence_column = a.sequence_column;
  spec.train_fraction = a.train_fraction;
  if (!rnn::parse(a.scaling, &spec.scaling))
    throw UsageError(fmt::format("--scaling: unknown scaling '{}' (standardize | minmax | none)", a.scaling));
  if (!spec.univariate.empty() && (!spec.targets.empty() || !spec.inputs.empty()))
    throw UsageError("--univariate cannot be combined with --target or --inputs");
  if (!spec.univariate.empty() && !spec.sequence_column.empty())
    throw UsageError("--sequence-column cannot be combined with --univariate (multivariate columns only)");
  if (spec_out != nullptr) *spec_out = spec;
  try {
    return rnn::load_dataset(spec);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

}  // namespace almkit::cli
