// The data flags shared by `almkit train` and `almkit compare` (docs/rnn.md §6).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "almkit/problems/rnn/rnn_data.h"

namespace almkit::cli {

struct DataArgs {
  std::string data;        ///< CSV path; empty: the shipped data/clean_SP500.csv
  std::string target;      ///< comma-separated target columns; empty: the last column
  std::string inputs;      ///< comma-separated input columns; empty: every other non-index column
  std::string univariate;  ///< univariate mode on this column
  std::string sequence_column;  ///< split the rows into sequences by this column (docs/rnn.md §6); empty: one sequence
  std::string scaling = "none";
  double train_fraction = 0.9;
};

/// --data, --target, --inputs, --univariate, --sequence-column, --scaling, --train-fraction.
void add_data_options(CLI::App* app, DataArgs& args, const std::string& group);

/// Validates the flags (UsageError naming the flag) and loads the data set;
/// data errors (file, line, column) become UsageError too. `spec` receives
/// the resolved specification when non-null.
rnn::RnnDataset load_data(const DataArgs& args, rnn::DataSpec* spec = nullptr);

}  // namespace almkit::cli
