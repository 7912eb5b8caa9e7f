// `almkit verify` end to end through the built binary (ALMKIT_CLI_PATH):
// success paths and every bad-input path (one line, exit code 2);
// docs/verification.md §7.
#include <doctest/doctest.h>

#include "cli_test_helpers.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct Run {
  int code = -1;
  std::string out;  // stdout + stderr
};

// A scratch folder per test process, removed at exit.
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("almkit_verify_cli_" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

fs::path scratch() {
  static const Scratch s;
  return s.dir;
}

fs::path write(const std::string& name, const std::string& content) {
  const fs::path p = scratch() / name;
  std::ofstream(p) << content;
  return p;
}

Run run(const std::string& args) {
  const auto r = almkit::testing::run_cli("verify " + args);
  return {r.code, r.output};
}

void expect_usage_error(const std::string& args, const std::string& fragment) {
  const Run r = run(args);
  INFO(args, "\n", r.out);
  CHECK(r.code == 2);
  CHECK(r.out.find("almkit: error: ") == 0);
  CHECK(r.out.find(fragment) != std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);  // one line
}

}  // namespace

TEST_CASE("verify cli: a given point and multipliers, JSON written") {
  REQUIRE(fs::exists(ALMKIT_CLI_PATH));
  const fs::path point = write("p.json", R"({"x": [0, 0]})");
  const fs::path mult = write("m.json", R"({"equality": [-2]})");
  const fs::path json = scratch() / "sub" / "report.json";
  const Run r = run("kink-relu-2d --point " + point.string() + " --multipliers " + mult.string() + " --json " +
                    json.string());
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(r.out.find("verdict: KKT point") != std::string::npos);
  CHECK(r.out.find("NNAMCQ check of 'kink-relu-2d': holds") != std::string::npos);
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["kkt"]["is_kkt"] == true);
  CHECK(j["nnamcq"]["certificate"] == "enumerated");
  CHECK(j["kkt"]["clarke"]["lambda"][0].get<double>() == doctest::Approx(-2.0));
  // A point off the solution is reported as not KKT (exit code still 0).
  const Run off = run("kink-relu-2d --point " + write("q.json", R"({"x": [0.1, 0.1]})").string());
  CHECK(off.code == 0);
  CHECK(off.out.find("NOT a KKT point") != std::string::npos);
}

TEST_CASE("verify cli: kink-abs point 0 is KKT, NNAMCQ fails with a witness") {
  const Run r = run("kink-abs --point " + write("a.json", R"({"x": [0]})").string());
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(r.out.find("verdict: KKT point") != std::string::npos);
  CHECK(r.out.find("FAILS") != std::string::npos);
  CHECK(r.out.find("witness") != std::string::npos);
}

TEST_CASE("verify cli: bad input is one line and exit code 2") {
  const std::string good = write("good.json", R"({"x": [0, 0]})").string();
  expect_usage_error("no-such-problem", "unknown problem 'no-such-problem'");
  expect_usage_error("kink-relu-2d --point " + (scratch() / "missing.json").string(), "missing.json");
  expect_usage_error("kink-relu-2d --point " + write("bad.json", "{\"x\": [0, ").string(), "bad.json: malformed JSON");
  expect_usage_error("kink-relu-2d --point " + write("dim.json", R"({"x": [0, 0, 0]})").string(),
                     "dim.json: field 'x' has 3 entries");
  expect_usage_error("kink-relu-2d --point " + write("nan.json", R"({"x": [0, null]})").string(),
                     "nan.json: field 'x' entry 1 is not a finite number");
  expect_usage_error("kink-relu-2d --point " + write("str.json", R"({"x": [0, "NaN"]})").string(),
                     "str.json: field 'x' entry 1 is not a finite number");
  expect_usage_error("kink-relu-2d --point " + write("nox.json", R"({"y": [0, 0]})").string(),
                     "nox.json: missing field 'x'");
  expect_usage_error("kink-relu-2d --point " + good + " --multipliers " + write("m2.json", R"({"equality": [1, 2]})").string(),
                     "m2.json: field 'equality' has 2 entries");
  expect_usage_error("kink-relu-2d --point " + good + " --tol -1", "--tol");
}
