// libFuzzer harness: the CSV loader (problems/rnn/rnn_data.h) on arbitrary
// bytes — parse_csv, then load_dataset with the default column choice, in
// univariate mode on the first column, and a prediction series under the
// scaling just fitted. Bad data must be a std::invalid_argument naming file,
// line and column; anything else (another exception, a sanitizer report, an
// Eigen assertion) is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "almkit/problems/rnn/rnn_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace almkit::rnn;
  const std::string text(reinterpret_cast<const char*>(data), size);
  CsvTable table;
  try {
    table = parse_csv(text, "fuzz.csv");
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const Scaling kinds[] = {Scaling::kNone, Scaling::kStandardize, Scaling::kMinMax};
  DataSpec spec;
  spec.path = "fuzz.csv";
  spec.scaling = kinds[size % 3];
  spec.train_fraction = 0.5 + 0.1 * static_cast<double>(size % 4);
  try {
    const RnnDataset ds = load_dataset(spec, table);
    (void)ds;
  } catch (const std::invalid_argument&) {
  }
  if (!table.columns.empty()) {
    spec.univariate = table.columns.front();
    try {
      const RnnDataset ds = load_dataset(spec, table);
      (void)ds;
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
