// CSV loader of the RNN trainer (docs/rnn.md §6): bad data names file, line
// and column; scaling is fitted on the training part only; univariate mode.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <unistd.h>

#include <doctest/doctest.h>

#include "cli_test_helpers.h"

#include "almkit/problems/rnn/rnn_data.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

std::string temp_csv(const std::string& name, const std::string& content) {
  static const auto dir = almkit::testing::fresh_temp_dir("almkit_test_rnn_data", "csv");
  const auto path = (dir / name).string();
  std::ofstream(path) << content;
  return path;
}

// Runs load_dataset and returns the error message ("" when it did not throw).
std::string error_of(const DataSpec& spec) {
  try {
    load_dataset(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("rnn data: bad files give an error naming file, line and column") {
  const std::string good = "t,a,b,y\n0,1,2,3\n1,2,3,4\n2,3,4,5\n3,4,5,6\n";
  DataSpec spec;
  spec.targets = {"y"};
  spec.train_fraction = 0.5;

  SUBCASE("missing file") {
    spec.path = "/nonexistent/almkit/none.csv";
    const auto e = error_of(spec);
    CHECK(contains(e, "/nonexistent/almkit/none.csv"));
    CHECK(contains(e, "cannot open"));
  }
  SUBCASE("no header") {
    spec.path = temp_csv("noheader.csv", "0,1,2,3\n1,2,3,4\n");
    const auto e = error_of(spec);
    CHECK(contains(e, spec.path + ":1:"));
    CHECK(contains(e, "header"));
  }
  SUBCASE("empty file") {
    spec.path = temp_csv("empty.csv", "");
    CHECK(contains(error_of(spec), spec.path + ":1:"));
  }
  SUBCASE("non-numeric cell") {
    spec.path = temp_csv("nonnum.csv", "t,a,b,y\n0,1,2,3\n1,2,x3,4\n2,3,4,5\n");
    const auto e = error_of(spec);
    CHECK(contains(e, spec.path + ":3:"));
    CHECK(contains(e, "column 'b'"));
    CHECK(contains(e, "non-numeric"));
  }
  SUBCASE("missing cell") {
    spec.path = temp_csv("missing.csv", "t,a,b,y\n0,1,2,3\n1,2,3,\n2,3,4,5\n");
    const auto e = error_of(spec);
    CHECK(contains(e, spec.path + ":3:"));
    CHECK(contains(e, "column 'y'"));
    CHECK(contains(e, "missing"));
  }
  SUBCASE("NaN and Inf") {
    spec.path = temp_csv("nan.csv", "t,a,b,y\n0,1,2,3\n1,2,3,4\n2,nan,4,5\n");
    auto e = error_of(spec);
    CHECK(contains(e, spec.path + ":4:"));
    CHECK(contains(e, "column 'a'"));
    spec.path = temp_csv("inf.csv", "t,a,b,y\n0,1,2,3\n1,2,-inf,4\n2,3,4,5\n");
    e = error_of(spec);
    CHECK(contains(e, spec.path + ":3:"));
    CHECK(contains(e, "column 'b'"));
    CHECK(contains(e, "non-finite"));
  }
  SUBCASE("ragged rows") {
    spec.path = temp_csv("ragged.csv", "t,a,b,y\n0,1,2,3\n1,2,3\n2,3,4,5\n");
    auto e = error_of(spec);
    CHECK(contains(e, spec.path + ":3:"));
    CHECK(contains(e, "column 'y'"));
    CHECK(contains(e, "ragged"));
    spec.path = temp_csv("ragged2.csv", "t,a,b,y\n0,1,2,3\n1,2,3,4,9\n");
    e = error_of(spec);
    CHECK(contains(e, spec.path + ":3:"));
    CHECK(contains(e, "column '#5'"));
  }
  SUBCASE("unknown column") {
    spec.path = temp_csv("good.csv", good);
    spec.targets = {"nope"};
    auto e = error_of(spec);
    CHECK(contains(e, spec.path + ":1:"));
    CHECK(contains(e, "column 'nope'"));
    CHECK(contains(e, "unknown column"));
    spec.targets = {"y"};
    spec.inputs = {"a", "zz"};
    e = error_of(spec);
    CHECK(contains(e, "column 'zz'"));
    spec.inputs.clear();
    spec.univariate = "qq";
    e = error_of(spec);
    CHECK(contains(e, "column 'qq'"));
  }
  SUBCASE("too few rows for the split") {
    spec.path = temp_csv("short.csv", "t,a,y\n0,1,2\n");
    auto e = error_of(spec);
    CHECK(contains(e, spec.path + ":2:"));
    CHECK(contains(e, "column 'y'"));
    CHECK(contains(e, "too few rows"));
    spec.path = temp_csv("good.csv", good);
    spec.train_fraction = 0.1;  // floor(0.4) = 0 training rows
    CHECK(contains(error_of(spec), "too few rows"));
    spec.univariate = "a";
    spec.path = temp_csv("short_uni.csv", "t,a\n0,1\n1,2\n");
    spec.train_fraction = 0.5;
    e = error_of(spec);
    CHECK(contains(e, "too few rows"));
    CHECK(contains(e, "column 'a'"));
  }
  SUBCASE("train fraction out of range") {
    spec.path = temp_csv("good.csv", good);
    spec.train_fraction = 1.0;
    CHECK(contains(error_of(spec), "train fraction"));
  }
}

TEST_CASE("rnn data: column selection, index column skipped, sequential split") {
  DataSpec spec;
  spec.path = temp_csv("sel.csv", ",a,b,y\n0,1,10,100\n1,2,20,200\n2,3,30,300\n3,4,40,400\n4,5,50,500\n");
  spec.train_fraction = 0.6;  // floor(3.0) = 3 rows train
  const RnnDataset ds = load_dataset(spec);  // target: the last column, inputs: a, b
  REQUIRE(ds.input_columns == std::vector<std::string>{"a", "b"});
  REQUIRE(ds.target_columns == std::vector<std::string>{"y"});
  CHECK(ds.train.T() == 3);
  CHECK(ds.test.T() == 2);
  CHECK(ds.train.d() == 2);
  CHECK(ds.train.X(1, 2) == 30);
  CHECK(ds.test.Y(0, 1) == 500);
  CHECK(ds.test_rows == std::vector<int>{3, 4});
  spec.inputs = {"b"};
  spec.targets = {"a"};
  const RnnDataset ds2 = load_dataset(spec);
  CHECK(ds2.train.d() == 1);
  CHECK(ds2.train.Y(0, 0) == 1);
}

TEST_CASE("rnn data: several target columns (p > 1), in the order given, each scaled on its own") {
  DataSpec spec;
  spec.path = temp_csv("multi.csv", "a,y1,b,y2\n1,10,100,-1\n2,20,200,-2\n3,30,300,-3\n4,40,400,-4\n5,50,500,-5\n");
  spec.train_fraction = 0.6;
  spec.targets = {"y2", "y1"};
  spec.scaling = Scaling::kMinMax;
  const RnnDataset ds = load_dataset(spec);
  REQUIRE(ds.target_columns == std::vector<std::string>{"y2", "y1"});
  REQUIRE(ds.input_columns == std::vector<std::string>{"a", "b"});  // targets are not inputs by default
  REQUIRE(ds.train.p() == 2);
  // Min–max on the training rows only: y2 ∈ [−3, −1], y1 ∈ [10, 30].
  CHECK(ds.train.Y(0, 0) == doctest::Approx(1.0));   // y2 = −1 is its training max
  CHECK(ds.train.Y(1, 0) == doctest::Approx(0.0));   // y1 = 10 is its training min
  CHECK(ds.test.Y(1, 1) == doctest::Approx(2.0));    // y1 = 50 → (50 − 10)/20
  const Matrix back = ds.scaling.targets.invert(ds.test.Y);
  CHECK(back(0, 1) == doctest::Approx(-5.0));
  CHECK(back(1, 0) == doctest::Approx(40.0));

  spec.targets = {"y1", "y1"};
  const std::string e = error_of(spec);
  CHECK(contains(e, spec.path + ":1:"));
  CHECK(contains(e, "column 'y1'"));
  CHECK(contains(e, "given twice"));
}

TEST_CASE("rnn data: scaling is fitted on the training part only") {
  // Training rows hold 1..8; the test rows hold huge values that must not leak into the fit.
  std::string csv = "a,y\n";
  for (int i = 1; i <= 8; ++i) csv += std::to_string(i) + "," + std::to_string(2 * i) + "\n";
  csv += "1000,5000\n2000,9000\n";
  DataSpec spec;
  spec.path = temp_csv("scale.csv", csv);
  spec.train_fraction = 0.8;
  spec.scaling = Scaling::kMinMax;
  RnnDataset ds = load_dataset(spec);
  REQUIRE(ds.train.T() == 8);
  CHECK(ds.train.X.minCoeff() == doctest::Approx(0.0));
  CHECK(ds.train.X.maxCoeff() == doctest::Approx(1.0));
  CHECK(ds.train.Y.maxCoeff() == doctest::Approx(1.0));
  CHECK(ds.test.X(0, 0) == doctest::Approx((1000.0 - 1.0) / 7.0));
  // Inverse maps predictions back to the original units.
  CHECK(ds.scaling.targets.invert(ds.test.Y)(0, 1) == doctest::Approx(9000.0));

  spec.scaling = Scaling::kStandardize;
  ds = load_dataset(spec);
  CHECK(std::abs(ds.train.X.mean()) < 1e-12);
  const double var = (ds.train.X.array() - ds.train.X.mean()).square().mean();
  CHECK(var == doctest::Approx(1.0));
  CHECK(ds.scaling.inputs.offset(0) == doctest::Approx(4.5));
  CHECK(ds.test.X(0, 0) > 100.0);
}

TEST_CASE("rnn data: univariate mode builds x_t = s_t, y_t = s_{t+1}") {
  DataSpec spec;
  spec.path = temp_csv("uni.csv", "month,value\n1949-01,1\n1949-02,2\n1949-03,4\n1949-04,8\n1949-05,16\n1949-06,32\n");
  spec.univariate = "value";  // the text label column is never parsed
  spec.train_fraction = 0.8;  // 5 pairs, floor(4.0) = 4 train
  spec.scaling = Scaling::kMinMax;
  const RnnDataset ds = load_dataset(spec);
  REQUIRE(ds.univariate);
  REQUIRE(ds.train.T() == 4);
  REQUIRE(ds.test.T() == 1);
  // Fitted on s_0..s_4 = 1..16 (every value the training pairs see).
  const auto sc = [](double v) { return (v - 1.0) / 15.0; };
  for (int t = 0; t < 4; ++t) {
    CHECK(ds.train.X(0, t) == doctest::Approx(sc(std::pow(2.0, t))));
    CHECK(ds.train.Y(0, t) == doctest::Approx(sc(std::pow(2.0, t + 1))));
  }
  CHECK(ds.test.X(0, 0) == doctest::Approx(1.0));
  CHECK(ds.test.Y(0, 0) == doctest::Approx(sc(32.0)));
  CHECK(ds.test_rows == std::vector<int>{5});
}

TEST_CASE("rnn data: the shipped SP500 file loads as the reference split") {
  DataSpec spec;
  spec.path = default_data_path();
  const RnnDataset ds = load_dataset(spec);
  CHECK(ds.train.T() == 393);
  CHECK(ds.test.T() == 44);
  CHECK(ds.train.d() == 11);
  CHECK(ds.target_columns[0] == "RV_SP500");
  CHECK(ds.input_columns.front() == "DP");
  CHECK(ds.input_columns.back() == "IP");
}

TEST_CASE("rnn data: write_file_atomically replaces the file and leaves no temp file") {
  const auto dir = almkit::testing::fresh_temp_dir("almkit_test_rnn_atomic", "dir") / "sub";
  const auto path = (dir / "f.txt").string();
  write_file_atomically(path, "one");
  write_file_atomically(path, "two");
  std::ifstream in(path);
  std::string s;
  in >> s;
  CHECK(s == "two");
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);
}
