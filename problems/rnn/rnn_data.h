// Time-series data for the RNN trainer (docs/rnn.md §6 "Data"): a CSV loader
// with a header line, column selection by name, a univariate mode
// (x_t = s_t, y_t = s_{t+1}), scaling fitted on the training part only, and a
// sequential train/test split.
//
// Every malformed input throws std::invalid_argument whose message names the
// file, the line (1-based, the header is line 1) and the column:
//   "data.csv:17: column 'MKT': non-numeric value 'abc'".
#pragma once

#include <string>
#include <vector>

#include "almkit/problems/rnn/rnn_types.h"

namespace almkit::rnn {

enum class Scaling {
  kNone,         ///< values used as they are
  kStandardize,  ///< (v − mean) / std, both from the training part
  kMinMax,       ///< (v − min) / (max − min), both from the training part
};
const char* to_string(Scaling scaling);
/// Parses "none" / "standardize" / "minmax"; returns false on anything else.
bool parse(const std::string& text, Scaling* scaling);

/// A CSV file read as text: header names and the cells of every data row.
/// Cells are parsed as numbers only when a column is used (so a text time
/// label column such as "1949-01" does not stop a univariate run).
struct CsvTable {
  std::string path;
  std::vector<std::string> columns;             ///< header names (may be empty: unnamed index)
  std::vector<std::vector<std::string>> cells;  ///< rows × columns
  std::vector<int> lines;                       ///< 1-based file line of each data row
  /// Index of a column by name; throws (naming file, line 1, column) when absent.
  int column_index(const std::string& name) const;
  /// Column j parsed as finite doubles; throws naming file, line and column on a bad cell.
  Vector numeric_column(int j) const;
  int rows() const { return static_cast<int>(cells.size()); }
};

/// Reads a header line and rectangular rows; throws on a missing file, an
/// empty file, a ragged row or a duplicate column name.
CsvTable read_csv(const std::string& path);
/// The same on the file's text; `path` only names the file in messages
/// (the fuzz harness fuzz/fuzz_csv.cpp enters here).
CsvTable parse_csv(const std::string& text, const std::string& path);

/// True for the leading row-index column pandas writes ("" or "Unnamed: 0", or "index").
bool is_index_column(const std::string& name);

/// Per-column affine map: scaled = (value − offset) / scale.
struct ColumnScaling {
  Vector offset;
  Vector scale;
  Matrix apply(const Matrix& values) const;   ///< values: rows = columns of this scaling
  Matrix invert(const Matrix& scaled) const;  ///< the inverse map
  static ColumnScaling identity(int n);
  /// Fits on `values` (columns × samples) for the given kind; a constant
  /// column gets scale 1 (never a division by zero).
  static ColumnScaling fit(Scaling kind, const Matrix& values);
};

/// The scaling fitted on the training part, kept with a saved model so new
/// data is mapped exactly as the training data was.
struct DataScaling {
  Scaling kind = Scaling::kNone;
  ColumnScaling inputs;   ///< d entries
  ColumnScaling targets;  ///< p entries
};

/// Which columns make the series and how (the CLI's --data/--target/...).
struct DataSpec {
  std::string path;                 ///< CSV file with a header line
  std::vector<std::string> targets;  ///< target columns (p of them, in this order); empty = the last column
  std::vector<std::string> inputs;   ///< input columns; empty = every other non-index column except the targets
  std::string univariate;            ///< non-empty: univariate mode on this column
  /// Non-empty (multivariate mode only): consecutive rows with the same value
  /// in this column form one sequence, h_0 = 0 at each start (docs/rnn.md §6
  /// "Several sequences"); the column is neither an input nor a target. The
  /// split is by whole sequences: the first max(1, floor(F·S)) of the S
  /// sequences train, the rest test. Every sequence needs at least 2 rows and
  /// contiguous rows.
  std::string sequence_column;
  Scaling scaling = Scaling::kNone;
  double train_fraction = 0.9;       ///< first floor(F·n) samples train, the rest test
};

/// Train and test parts in the scaled units: one sequence each, or whole
/// sequences with DataSpec::sequence_column.
struct RnnDataset {
  RnnSeries train;
  RnnSeries test;
  DataScaling scaling;
  std::vector<std::string> input_columns;
  std::vector<std::string> target_columns;
  bool univariate = false;
  std::string path;
  /// Data-row index (0-based, header excluded) of the target of every test
  /// step, and of every train step: the "t" column of predictions.csv.
  std::vector<int> train_rows;
  std::vector<int> test_rows;
};

/// Loads, selects, splits and scales; throws std::invalid_argument on bad data
/// or too few rows (each part needs at least one sample).
RnnDataset load_dataset(const DataSpec& spec);
/// The same on an already read table (spec.path only names the file in messages).
RnnDataset load_dataset(const DataSpec& spec, const CsvTable& table);

/// A whole file as one sequence, with a previously fitted scaling (prediction
/// on new data). Targets are optional: when the target column is absent,
/// `has_targets` is false and Y is NaN. In univariate mode the step for the
/// last row forecasts beyond the file (its target is NaN).
struct ApplySeries {
  RnnSeries series;
  bool has_targets = true;
  std::vector<int> rows;  ///< data-row index of each step's target (input row + 1 in univariate mode)
};
ApplySeries load_series_for_prediction(const std::string& path, const std::vector<std::string>& input_columns,
                                       const std::vector<std::string>& target_columns, bool univariate,
                                       const DataScaling& scaling);

/// The data folder of the source tree (compile definition ALMKIT_SOURCE_DATA_DIR),
/// falling back to ./data when that folder is gone (installed binaries).
std::string default_data_dir();
/// default_data_dir() + "/clean_SP500.csv": the embedded default of `almkit train`.
std::string default_data_path();

/// Same as almkit::write_file_atomically (core/io.h): a temporary file in the same folder,
/// flushed, then renamed over `path`. Creates missing parent folders.
/// Throws std::runtime_error on failure.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace almkit::rnn
