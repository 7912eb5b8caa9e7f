#include "almkit/problems/rnn/rnn_data.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/core.h>

#include "almkit/core/io.h"

namespace almkit::rnn {

namespace {

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r' || s[b - 1] == '\n')) --b;
  return s.substr(a, b - a);
}

// Splits one CSV line on commas; double-quoted fields may contain commas and "" escapes.
std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(trim(cur));
  return out;
}

bool parse_double(const std::string& text, double* value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return false;
  *value = v;
  return true;
}

std::string bad(const std::string& path, int line, const std::string& column, const std::string& what) {
  return fmt::format("{}:{}: column '{}': {}", path, line, column, what);
}

std::string column_label(const CsvTable& t, int j) {
  return t.columns[j].empty() ? fmt::format("#{}", j + 1) : t.columns[j];
}

}  // namespace

const char* to_string(Scaling scaling) {
  switch (scaling) {
    case Scaling::kNone: return "none";
    case Scaling::kStandardize: return "standardize";
    case Scaling::kMinMax: return "minmax";
  }
  return "none";
}

bool parse(const std::string& text, Scaling* scaling) {
  if (text == "none") *scaling = Scaling::kNone;
  else if (text == "standardize") *scaling = Scaling::kStandardize;
  else if (text == "minmax") *scaling = Scaling::kMinMax;
  else return false;
  return true;
}

bool is_index_column(const std::string& name) {
  return name.empty() || name == "index" || name.rfind("Unnamed:", 0) == 0;
}

int CsvTable::column_index(const std::string& name) const {
  for (size_t j = 0; j < columns.size(); ++j)
    if (columns[j] == name) return static_cast<int>(j);
  std::string names;
  for (const auto& c : columns)
    if (!c.empty()) names += (names.empty() ? "" : ", ") + c;
  throw std::invalid_argument(bad(path, 1, name, fmt::format("unknown column (the header has: {})", names)));
}

Vector CsvTable::numeric_column(int j) const {
  Vector v(rows());
  for (int r = 0; r < rows(); ++r) {
    const std::string& cell = cells[r][j];
    if (cell.empty()) throw std::invalid_argument(bad(path, lines[r], column_label(*this, j), "missing value"));
    double x = 0.0;
    if (!parse_double(cell, &x))
      throw std::invalid_argument(bad(path, lines[r], column_label(*this, j), fmt::format("non-numeric value '{}'", cell)));
    if (!std::isfinite(x))
      throw std::invalid_argument(bad(path, lines[r], column_label(*this, j), fmt::format("non-finite value '{}'", cell)));
    v(r) = x;
  }
  return v;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("{}:0: cannot open the data file", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_csv(text.str(), path);
}

CsvTable parse_csv(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  CsvTable t;
  t.path = path;
  std::string line;
  int lineno = 0;
  bool have_header = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (trim(line).empty()) continue;
    auto fields = split_csv_line(line);
    if (!have_header) {
      if (lineno == 1 && line.size() >= 3 && static_cast<unsigned char>(line[0]) == 0xEF) {  // UTF-8 BOM
        fields = split_csv_line(line.substr(3));
      }
      bool all_numeric = true;
      int named = 0;
      for (const auto& f : fields) {
        if (f.empty()) continue;
        ++named;
        double x;
        if (!parse_double(f, &x)) all_numeric = false;
      }
      if (named == 0 || all_numeric)
        throw std::invalid_argument(bad(path, lineno, fields.empty() ? std::string() : fields[0],
                                        "no header line (the first line must name the columns)"));
      std::set<std::string> seen;
      for (size_t j = 0; j < fields.size(); ++j) {
        if (!fields[j].empty() && !seen.insert(fields[j]).second)
          throw std::invalid_argument(bad(path, lineno, fields[j], "duplicate column name"));
      }
      t.columns = fields;
      have_header = true;
      continue;
    }
    if (fields.size() != t.columns.size()) {
      const size_t j = std::min(fields.size(), t.columns.size());
      const std::string col = j < t.columns.size() ? column_label(t, static_cast<int>(j)) : fmt::format("#{}", j + 1);
      throw std::invalid_argument(bad(path, lineno, col,
                                      fmt::format("ragged row: {} fields, the header has {}", fields.size(), t.columns.size())));
    }
    t.cells.push_back(std::move(fields));
    t.lines.push_back(lineno);
  }
  if (!have_header) throw std::invalid_argument(fmt::format("{}:1: column '': empty file (no header line)", path));
  return t;
}

// ---------------------------------------------------------------- scaling

Matrix ColumnScaling::apply(const Matrix& values) const {
  Matrix out = values;
  out.colwise() -= offset;
  out.array().colwise() /= scale.array();
  return out;
}

Matrix ColumnScaling::invert(const Matrix& scaled) const {
  Matrix out = scaled;
  out.array().colwise() *= scale.array();
  out.colwise() += offset;
  return out;
}

ColumnScaling ColumnScaling::identity(int n) {
  ColumnScaling s;
  s.offset = Vector::Zero(n);
  s.scale = Vector::Ones(n);
  return s;
}

ColumnScaling ColumnScaling::fit(Scaling kind, const Matrix& values) {
  const int n = static_cast<int>(values.rows());
  ColumnScaling s = identity(n);
  if (kind == Scaling::kNone || values.cols() == 0) return s;
  for (int i = 0; i < n; ++i) {
    const auto row = values.row(i);
    if (kind == Scaling::kStandardize) {
      const double mean = row.mean();
      const double var = (row.array() - mean).square().sum() / static_cast<double>(row.size());
      s.offset(i) = mean;
      s.scale(i) = var > 0 ? std::sqrt(var) : 1.0;
    } else {
      const double lo = row.minCoeff(), hi = row.maxCoeff();
      s.offset(i) = lo;
      s.scale(i) = hi > lo ? hi - lo : 1.0;
    }
  }
  return s;
}

// ---------------------------------------------------------------- datasets

namespace {

RnnSeries make_series(Matrix X, Matrix Y) {
  RnnSeries s;
  s.X = std::move(X);
  s.Y = std::move(Y);
  s.omega = Vector::Ones(s.X.cols());
  s.sequence_starts = {0};
  return s;
}

// Resolves the multivariate column choice of a spec against the table: the
// targets in the order given (default: the last named column), the inputs as
// given or every other non-index column that is not a target.
void resolve_columns(const CsvTable& table, const std::vector<std::string>& targets_in,
                     const std::vector<std::string>& inputs_in, std::vector<int>* input_idx,
                     std::vector<int>* target_idx, int sequence_idx) {
  target_idx->clear();
  if (targets_in.empty()) {
    int last = -1;
    for (size_t j = 0; j < table.columns.size(); ++j)
      if (!is_index_column(table.columns[j]) && static_cast<int>(j) != sequence_idx) last = static_cast<int>(j);
    if (last < 0) throw std::invalid_argument(bad(table.path, 1, "", "no named column to use as target"));
    target_idx->push_back(last);
  } else {
    for (const auto& name : targets_in) {
      const int j = table.column_index(name);
      if (std::find(target_idx->begin(), target_idx->end(), j) != target_idx->end())
        throw std::invalid_argument(bad(table.path, 1, name, "target column given twice"));
      target_idx->push_back(j);
    }
  }
  auto is_target = [&](int j) { return std::find(target_idx->begin(), target_idx->end(), j) != target_idx->end(); };
  input_idx->clear();
  if (inputs_in.empty()) {
    for (size_t j = 0; j < table.columns.size(); ++j) {
      if (is_target(static_cast<int>(j)) || is_index_column(table.columns[j]) || static_cast<int>(j) == sequence_idx)
        continue;
      input_idx->push_back(static_cast<int>(j));
    }
    if (input_idx->empty())
      throw std::invalid_argument(bad(table.path, 1, table.columns[target_idx->front()],
                                      "no input columns besides the targets (use --univariate for a single series)"));
  } else {
    for (const auto& name : inputs_in) {
      const int j = table.column_index(name);
      if (std::find(input_idx->begin(), input_idx->end(), j) != input_idx->end())
        throw std::invalid_argument(bad(table.path, 1, name, "input column given twice"));
      input_idx->push_back(j);
    }
  }
  if (sequence_idx >= 0 && (is_target(sequence_idx) || std::find(input_idx->begin(), input_idx->end(), sequence_idx) !=
                                                           input_idx->end()))
    throw std::invalid_argument(bad(table.path, 1, table.columns[sequence_idx],
                                    "the sequence column (--sequence-column) cannot be an input or a target"));
}

// Row indices where a sequence starts: consecutive rows with equal cells of
// column j form one sequence (docs/rnn.md §6 "Several sequences").
std::vector<int> sequence_starts_of(const CsvTable& table, int j) {
  std::vector<int> starts;
  std::set<std::string> seen;
  const std::string& name = table.columns[j];
  for (int r = 0; r < table.rows(); ++r) {
    const std::string& id = table.cells[r][j];
    if (r > 0 && id == table.cells[r - 1][j]) continue;
    if (!seen.insert(id).second)
      throw std::invalid_argument(bad(table.path, table.lines[r], name,
                                      fmt::format("sequence '{}' appears again after another sequence: the rows of a "
                                                  "sequence must be contiguous",
                                                  id)));
    if (!starts.empty() && r - starts.back() < 2)
      throw std::invalid_argument(bad(table.path, table.lines[r - 1], name,
                                      fmt::format("sequence '{}' has 1 row; a sequence needs at least 2",
                                                  table.cells[r - 1][j])));
    starts.push_back(r);
  }
  if (!starts.empty() && table.rows() - starts.back() < 2)
    throw std::invalid_argument(bad(table.path, table.lines.back(), name,
                                    fmt::format("sequence '{}' has 1 row; a sequence needs at least 2",
                                                table.cells.back()[j])));
  return starts;
}

Matrix gather(const CsvTable& table, const std::vector<int>& idx) {
  Matrix M(static_cast<int>(idx.size()), table.rows());
  for (size_t i = 0; i < idx.size(); ++i) M.row(static_cast<int>(i)) = table.numeric_column(idx[i]).transpose();
  return M;
}

}  // namespace

RnnDataset load_dataset(const DataSpec& spec) {
  if (!(spec.train_fraction > 0.0 && spec.train_fraction < 1.0))
    throw std::invalid_argument(fmt::format("train fraction must be in (0, 1), got {}", spec.train_fraction));
  return load_dataset(spec, read_csv(spec.path));
}

RnnDataset load_dataset(const DataSpec& spec, const CsvTable& table) {
  if (!(spec.train_fraction > 0.0 && spec.train_fraction < 1.0))
    throw std::invalid_argument(fmt::format("train fraction must be in (0, 1), got {}", spec.train_fraction));
  RnnDataset ds;
  ds.path = spec.path;
  ds.scaling.kind = spec.scaling;
  const int last_line = table.rows() > 0 ? table.lines.back() : 1;
  if (!spec.univariate.empty()) {
    ds.univariate = true;
    const int j = table.column_index(spec.univariate);
    const Vector s = table.numeric_column(j);
    const int pairs = table.rows() - 1;  // x_t = s_t, y_t = s_{t+1}
    const int n_train = pairs > 0 ? static_cast<int>(std::floor(spec.train_fraction * pairs)) : 0;
    if (n_train < 1 || pairs - n_train < 1)
      throw std::invalid_argument(bad(spec.path, last_line, spec.univariate,
                                      fmt::format("too few rows ({}) for a train/test split with fraction {} "
                                                  "(univariate mode needs at least 3 rows)",
                                                  table.rows(), spec.train_fraction)));
    // Fitted on every value the training pairs see: s_0 .. s_{n_train}.
    const ColumnScaling sc = ColumnScaling::fit(spec.scaling, s.head(n_train + 1).transpose());
    const Matrix z = sc.apply(s.transpose());
    ds.scaling.inputs = sc;
    ds.scaling.targets = sc;
    ds.input_columns = {spec.univariate};
    ds.target_columns = {spec.univariate};
    ds.train = make_series(z.leftCols(n_train), z.middleCols(1, n_train));
    ds.test = make_series(z.middleCols(n_train, pairs - n_train), z.rightCols(pairs - n_train));
    for (int t = 0; t < n_train; ++t) ds.train_rows.push_back(t + 1);
    for (int t = n_train; t < pairs; ++t) ds.test_rows.push_back(t + 1);
    return ds;
  }
  std::vector<int> in_idx, tgt_idx;
  int seq_idx = -1;
  if (!spec.sequence_column.empty()) {
    const auto it = std::find(table.columns.begin(), table.columns.end(), spec.sequence_column);
    if (it == table.columns.end())
      throw std::invalid_argument(bad(spec.path, 1, spec.sequence_column, "unknown sequence column (--sequence-column)"));
    seq_idx = static_cast<int>(it - table.columns.begin());
  }
  resolve_columns(table, spec.targets, spec.inputs, &in_idx, &tgt_idx, seq_idx);
  for (int j : in_idx) ds.input_columns.push_back(table.columns[j]);
  for (int j : tgt_idx) ds.target_columns.push_back(table.columns[j]);
  const int n = table.rows();
  int n_train = static_cast<int>(std::floor(spec.train_fraction * n));
  std::vector<int> starts{0};
  int S_train = 1;
  if (seq_idx >= 0) {
    // Split by whole sequences (the sample-average form: every sequence starts at h_0 = 0).
    starts = sequence_starts_of(table, seq_idx);
    const int S = static_cast<int>(starts.size());
    S_train = static_cast<int>(std::floor(spec.train_fraction * S));
    if (S_train < 1 || S - S_train < 1)
      throw std::invalid_argument(bad(spec.path, last_line, spec.sequence_column,
                                      fmt::format("too few sequences ({}) for a train/test split with fraction {} "
                                                  "(one train and one test sequence at least)",
                                                  S, spec.train_fraction)));
    n_train = starts[static_cast<size_t>(S_train)];
  }
  // Checked before the columns are read: no Eigen block of an empty matrix
  // (fuzz finding, tests/test_fuzz_regressions.cpp).
  if (n_train < 1 || n - n_train < 1)
    throw std::invalid_argument(bad(spec.path, last_line, table.columns[tgt_idx.front()],
                                    fmt::format("too few rows ({}) for a train/test split with fraction {}", n,
                                                spec.train_fraction)));
  const Matrix X = gather(table, in_idx);
  const Matrix Y = gather(table, tgt_idx);
  ds.scaling.inputs = ColumnScaling::fit(spec.scaling, X.leftCols(n_train));
  ds.scaling.targets = ColumnScaling::fit(spec.scaling, Y.leftCols(n_train));
  const Matrix Xs = ds.scaling.inputs.apply(X), Ys = ds.scaling.targets.apply(Y);
  ds.train = make_series(Xs.leftCols(n_train), Ys.leftCols(n_train));
  ds.test = make_series(Xs.rightCols(n - n_train), Ys.rightCols(n - n_train));
  if (seq_idx >= 0) {
    ds.train.sequence_starts.assign(starts.begin(), starts.begin() + S_train);
    ds.test.sequence_starts.clear();
    for (size_t k = static_cast<size_t>(S_train); k < starts.size(); ++k) ds.test.sequence_starts.push_back(starts[k] - n_train);
  }
  for (int t = 0; t < n; ++t) (t < n_train ? ds.train_rows : ds.test_rows).push_back(t);
  return ds;
}

ApplySeries load_series_for_prediction(const std::string& path, const std::vector<std::string>& input_columns,
                                       const std::vector<std::string>& target_columns, bool univariate,
                                       const DataScaling& scaling) {
  const CsvTable table = read_csv(path);
  ApplySeries out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (table.rows() < 1) throw std::invalid_argument(fmt::format("{}:2: column '': no data rows", path));
  if (univariate) {
    if (input_columns.size() != 1) throw std::invalid_argument("univariate model must have exactly one column");
    const Vector s = table.numeric_column(table.column_index(input_columns[0]));
    const Matrix z = scaling.inputs.apply(s.transpose());
    const int T = table.rows();
    Matrix Y = Matrix::Constant(1, T, nan);
    if (T > 1) Y.leftCols(T - 1) = z.rightCols(T - 1);
    out.series = make_series(z, Y);
    out.series.omega(T - 1) = 0.0;  // the forecast beyond the file has no target
    for (int t = 0; t < T; ++t) out.rows.push_back(t + 1);
    return out;
  }
  std::vector<int> in_idx;
  for (const auto& c : input_columns) in_idx.push_back(table.column_index(c));
  const Matrix X = scaling.inputs.apply(gather(table, in_idx));
  Matrix Y;
  bool present = true;
  for (const auto& c : target_columns) {
    bool found = false;
    for (const auto& h : table.columns) found = found || h == c;
    present = present && found;
  }
  if (present) {
    std::vector<int> t_idx;
    for (const auto& c : target_columns) t_idx.push_back(table.column_index(c));
    Y = scaling.targets.apply(gather(table, t_idx));
  } else {
    Y = Matrix::Constant(static_cast<int>(target_columns.size()), table.rows(), nan);
  }
  out.series = make_series(X, Y);
  out.has_targets = present;
  if (!present) out.series.omega.setZero();
  for (int t = 0; t < table.rows(); ++t) out.rows.push_back(t);
  return out;
}

std::string default_data_dir() {
#ifdef ALMKIT_SOURCE_DATA_DIR
  const std::string src = ALMKIT_SOURCE_DATA_DIR;
  std::error_code ec;
  if (std::filesystem::is_directory(src, ec)) return src;
#endif
  return "data";
}

std::string default_data_path() { return default_data_dir() + "/clean_SP500.csv"; }

void write_file_atomically(const std::string& path, const std::string& content) {
  almkit::write_file_atomically(path, content);  // core/io.h
}

}  // namespace almkit::rnn
