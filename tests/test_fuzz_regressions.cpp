// Inputs found by the libFuzzer harnesses of fuzz/ (CONTRIBUTING.md
// "Fuzzing"), kept in tests/data/fuzz/: each must be a clean
// std::invalid_argument; the sanitizer job (.ci/sanitize.sh) runs these under
// ASan + UBSan, where the original defects were reported.
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "almkit/core/io.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"

namespace {

std::string fuzz_input(const char* name) { return almkit::read_file(std::string(ALMKIT_TESTS_DIR) + "/data/fuzz/" + name); }

}  // namespace

TEST_CASE("fuzz regression: a CSV with a header and no data rows is refused before any column is read") {
  // fuzz_csv: UBSan "applying non-zero offset to null pointer" in gather() (an
  // Eigen row block of a 2 x 0 matrix) before the too-few-rows check.
  using namespace almkit::rnn;
  const CsvTable t = parse_csv(fuzz_input("csv_header_only_binary.csv"), "fuzz.csv");
  CHECK(t.rows() == 0);
  DataSpec spec;
  spec.path = "fuzz.csv";
  CHECK_THROWS_WITH_AS(load_dataset(spec, t), doctest::Contains("too few rows (0)"), std::invalid_argument);
}

TEST_CASE("fuzz regression: a model.json dimension out of the int range is refused before any cast") {
  // fuzz_model_json: UBSan "1e+88 is outside the range of representable
  // values of type 'int'" in model_from_json (p = 99…91).
  using namespace almkit::rnn;
  const auto j = nlohmann::json::parse(fuzz_input("model_huge_dimension.json"));
  CHECK_THROWS_WITH_AS(model_from_json(j), doctest::Contains("model.p: expected an integer in [1, 1e+06]"),
                       std::invalid_argument);
  auto k = j;
  k["p"] = 1.5;
  CHECK_THROWS_WITH_AS(model_from_json(k), doctest::Contains("model.p: expected an integer"), std::invalid_argument);
  k["p"] = 0;
  CHECK_THROWS_AS(model_from_json(k), std::invalid_argument);
}
