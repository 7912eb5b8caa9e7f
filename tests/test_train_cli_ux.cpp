// `almkit train` as a user meets it (docs/interruption.md §4, docs/rnn.md §8):
// a failed run exits with code 3 after writing its outputs and names the
// likely cause; the progress rows on stdout are throttled by time while
// history.csv keeps every row and the result does not depend on what is printed.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "almkit/core/folder_lock.h"
#include "almkit/core/run_control.h"
#include "almkit/study/rnn_train_outcome.h"
#include "cli_test_helpers.h"

using namespace almkit;

namespace {

namespace fs = std::filesystem;
using almkit::testing::CliRun;
using almkit::testing::run_cli;
using almkit::testing::slurp;

fs::path scratch(const std::string& name) { return almkit::testing::fresh_temp_dir("almkit_test_train_ux", name); }

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(slurp(p)); }

// dir/name: u = sin(0.3 t), target = cos(0.3 t) over `rows` rows; row `big_row` (if >= 0) has u = big.
fs::path sine_csv(const fs::path& dir, const std::string& name, int rows, int big_row = -1, double big = 0.0) {
  std::string csv = "u,target\n";
  for (int t = 0; t < rows; ++t)
    csv += fmt::format("{:.17g},{:.17g}\n", t == big_row ? big : std::sin(0.3 * t), std::cos(0.3 * t));
  const fs::path data = dir / name;
  std::ofstream(data) << csv;
  return data;
}


// The progress rows in the output: lines of at least 10 fields whose first is an integer (the outer iteration).
std::vector<int> progress_rows(const std::string& output) {
  std::vector<int> rows;
  std::stringstream ss(output);
  std::string line;
  while (std::getline(ss, line)) {
    std::stringstream ls(line);
    std::vector<std::string> fields;
    std::string f;
    while (ls >> f) fields.push_back(f);
    if (fields.size() < 10 || fields[0].find_first_not_of("0123456789") != std::string::npos) continue;
    rows.push_back(std::stoi(fields[0]));
  }
  return rows;
}

// dir/.almkit.lock as a killed run leaves it: a PID (no live process has it: above pid_max), no holder.
void stale_lock_file(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream(dir / FolderLock::kFileName) << "2147483646\n";
}

// history.csv without its wall-clock column "seconds" (column 1).
std::string history_without_seconds(const fs::path& p) {
  std::string out;
  for (const auto& cells : almkit::testing::csv_rows(slurp(p))) {
    for (size_t j = 0; j < cells.size(); ++j)
      if (j != 1) out += cells[j] + ";";
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("ProgressThrottle: the first line, then one per interval of the injected clock, and the pending last") {
  double now = 0.0;
  std::vector<std::string> printed;
  ProgressThrottle t(0.5, [&](const std::string& s) { printed.push_back(s); }, [&] { return now; });
  const std::vector<std::pair<double, std::string>> lines = {{0.0, "a"}, {0.1, "b"}, {0.2, "c"}, {0.6, "d"},
                                                             {0.7, "e"}, {1.0, "f"}, {1.1, "g"}, {1.3, "h"}};
  for (const auto& [at, text] : lines) {
    now = at;
    t.line(text);
  }
  // a (first); d at 0.6 ≥ 0 + 0.5; g at 1.1 ≥ 0.6 + 0.5; h pending (1.3 < 1.6).
  CHECK(printed == std::vector<std::string>{"a", "d", "g"});
  t.finish();
  CHECK(printed == std::vector<std::string>{"a", "d", "g", "h"});
  CHECK(t.printed() == 4);
  t.finish();  // nothing pending: prints nothing again
  CHECK(t.printed() == 4);

  std::vector<std::string> all;
  ProgressThrottle every(0.0, [&](const std::string& s) { all.push_back(s); }, [&] { return 0.0; });
  for (const char* s : {"a", "b", "c"}) every.line(s);
  every.finish();
  CHECK(all == std::vector<std::string>{"a", "b", "c"});

  CHECK_THROWS_AS(ProgressThrottle(-1.0, [](const std::string&) {}), std::invalid_argument);
  CHECK_THROWS_AS(ProgressThrottle(std::numeric_limits<double>::quiet_NaN(), [](const std::string&) {}),
                  std::invalid_argument);
}

TEST_CASE("training_failed: non_finite and inner_failure fail, limits and finite ends do not") {
  CHECK(rnn::is_failure(AlmStatus::kNonFinite));
  CHECK(rnn::is_failure(AlmStatus::kInnerFailure));
  for (AlmStatus s : {AlmStatus::kConverged, AlmStatus::kIterationLimit, AlmStatus::kTimeLimit,
                      AlmStatus::kPenaltyTooLarge, AlmStatus::kInfeasibleStationary, AlmStatus::kStoppedByCallback,
                      AlmStatus::kToleranceExhausted, AlmStatus::kMultipliersDiverging,
                      AlmStatus::kConvergedAtNoiseLevel, AlmStatus::kStagnated})
    CHECK_MESSAGE(!rnn::is_failure(s), to_string(s));

  rnn::TrainResult r;
  r.weights = rnn::initialize_weights(2, 1, 1, rnn::InitScheme::kGaussian, 0.1, 1);
  r.summary.status = AlmStatus::kIterationLimit;
  r.final_metrics.train_mse = 0.5;
  CHECK_FALSE(rnn::training_failed(r));
  r.final_metrics.train_mse = std::numeric_limits<double>::infinity();  // a limit status with an exploded model
  CHECK(rnn::training_failed(r));
  r.final_metrics.train_mse = 0.5;
  r.weights.W(0, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK(rnn::training_failed(r));

  // The cause: data whose squares overflow, unscaled → the scaling advice; a start explosion otherwise.
  rnn::InitDiagnostics start;
  start.divergence_value = 1e20;
  start.explodes = true;
  start.train_mse = std::numeric_limits<double>::infinity();
  const std::string big = rnn::failure_cause(r, rnn::Scaling::kNone, 1e308, start);
  CHECK(big.find("values up to 1e+308") != std::string::npos);
  CHECK(big.find("--scaling standardize|minmax") != std::string::npos);
  const std::string init = rnn::failure_cause(r, rnn::Scaling::kStandardize, 3.0, start);
  CHECK(init.find("--init-std") != std::string::npos);
  CHECK(init.find("--scaling") == std::string::npos);

  rnn::RnnSeries s;
  s.X = Matrix(1, 3);
  s.X << 1.0, -7.0, 2.0;
  s.Y = Matrix(1, 3);
  s.Y << std::numeric_limits<double>::quiet_NaN(), 3.0, -4.0;  // an unobserved NaN target is skipped
  CHECK(rnn::max_abs_training_value(s) == 7.0);
}

TEST_CASE("train CLI: unscaled data with 1e308 end non_finite with exit code 3, every output written, the cause named") {
  const fs::path dir = scratch("huge");
  const fs::path data = sine_csv(dir, "huge.csv", 40, 5, 1e308);
  const fs::path out = dir / "out";
  const CliRun r = run_cli(fmt::format("train --data \"{}\" --target target --hidden 2 --outer 5 --no-plots --out \"{}\"",
                                       data.string(), out.string()));
  INFO(r.output);
  CHECK(r.code == 3);
  CHECK(r.output.find("almkit: error: training failed: status non_finite") != std::string::npos);
  CHECK(r.output.find("the data have values up to 1e+308 and are not scaled (--scaling none); try --scaling "
                      "standardize|minmax") != std::string::npos);
  for (const char* f : {"summary.json", "history.csv", "model.json", "predictions.csv"})
    CHECK_MESSAGE(fs::exists(out / f), f);
  CHECK(read_json(out / "summary.json")["status"] == "non_finite");

  // The advice works: the same file with --scaling minmax trains to a finite model, exit 0.
  const CliRun scaled = run_cli(fmt::format(
      "train --data \"{}\" --target target --hidden 2 --outer 5 --no-plots --quiet --scaling minmax --out \"{}\"",
      data.string(), (dir / "scaled").string()));
  INFO(scaled.output);
  CHECK(scaled.code == 0);
  CHECK(std::isfinite(read_json(dir / "scaled" / "summary.json")["train_mse"].get<double>()));
}

TEST_CASE("train CLI: progress rows are throttled by time, --verbose prints every row, history.csv and the result do "
          "not change") {
  const fs::path dir = scratch("progress");
  const fs::path data = testing::seeded_series(dir, 400);
  const std::string args = fmt::format(
      "train --data \"{}\" --target y --policy rollout --hidden 6 --outer 200 --rollout.tol_gradient 0 --no-plots",
      data.string());
  const fs::path v = dir / "verbose", n = dir / "never", d = dir / "default";

  const CliRun verbose = run_cli(args + fmt::format(" --verbose --out \"{}\"", v.string()));
  INFO(verbose.output);
  REQUIRE(verbose.code == 0);
  const int iterations = read_json(v / "summary.json")["outer_iterations"].get<int>();
  REQUIRE(iterations > 10);
  std::vector<int> all(static_cast<size_t>(iterations) + 1);
  for (int i = 0; i <= iterations; ++i) all[static_cast<size_t>(i)] = i;
  CHECK(progress_rows(verbose.output) == all);  // every row 0..iterations, once, in order
  CHECK(verbose.output.find("progress: ") == std::string::npos);

  // An interval no run reaches: exactly the first and the last row.
  const CliRun never = run_cli(args + fmt::format(" --progress-seconds 1e9 --out \"{}\"", n.string()));
  INFO(never.output);
  REQUIRE(never.code == 0);
  CHECK(progress_rows(never.output) == std::vector<int>{0, iterations});
  CHECK(never.output.find("progress: the first row, one every 1e+09 s and the last") != std::string::npos);

  // The default (0.5 s): the first and last rows, at most one more per 0.5 s of the run's own wall time.
  const CliRun def = run_cli(args + fmt::format(" --out \"{}\"", d.string()));
  INFO(def.output);
  REQUIRE(def.code == 0);
  const std::vector<int> rows = progress_rows(def.output);
  const double wall = read_json(d / "summary.json")["wall_seconds"].get<double>();
  REQUIRE(rows.size() >= 2);
  CHECK(rows.front() == 0);
  CHECK(rows.back() == iterations);
  CHECK(static_cast<double>(rows.size()) <= 3.0 + wall / 0.5);

  // What is printed changes nothing computed: history.csv (every row) and the model are the same.
  CHECK(history_without_seconds(v / "history.csv") == history_without_seconds(n / "history.csv"));
  CHECK(history_without_seconds(v / "history.csv") == history_without_seconds(d / "history.csv"));
  CHECK(almkit::testing::csv_rows(slurp(n / "history.csv")).size() == static_cast<size_t>(iterations) + 2);
  CHECK(read_json(v / "model.json")["weights"] == read_json(n / "model.json")["weights"]);
  CHECK(read_json(v / "model.json")["weights"] == read_json(d / "model.json")["weights"]);

  // Bad values exit 2 naming the option.
  const CliRun neg = run_cli(args + fmt::format(" --progress-seconds -1 --out \"{}\"", (dir / "neg").string()));
  CHECK(neg.code == 2);
  CHECK(neg.output.find("--progress-seconds") != std::string::npos);
  const CliRun both = run_cli(args + fmt::format(" --verbose --quiet --out \"{}\"", (dir / "both").string()));
  CHECK(both.code == 2);
}

TEST_CASE("FolderLock: one holder at a time, the holder's PID named, a stale lock file blocks nobody") {
  const fs::path dir = scratch("lock") / "out";  // created by try_lock
  FolderLock a;
  REQUIRE(a.try_lock(dir.string()));
  CHECK(a.locked());
  CHECK(std::stol(slurp(dir / FolderLock::kFileName)) == static_cast<long>(::getpid()));
  // A second open lock (here: in the same process; flock locks belong to the open file) is refused.
  FolderLock b;
  long holder = -1;
  CHECK_FALSE(b.try_lock(dir.string(), &holder));
  CHECK_FALSE(b.locked());
  CHECK(holder == static_cast<long>(::getpid()));
  // Moved, the lock stays held; released, the next one gets it.
  FolderLock moved = std::move(a);
  CHECK_FALSE(a.locked());
  CHECK_FALSE(b.try_lock(dir.string()));
  moved.unlock();
  CHECK(b.try_lock(dir.string()));
  b.unlock();

  // The file a killed run leaves (its PID inside, no flock): taken over, our PID written.
  const fs::path stale = scratch("lock") / "stale";
  stale_lock_file(stale);
  FolderLock c;
  CHECK(c.try_lock(stale.string()));
  CHECK(std::stol(slurp(stale / FolderLock::kFileName)) == static_cast<long>(::getpid()));

  // A regular file where the folder should be: an error naming the path.
  const fs::path file = scratch("lock") / "file";
  std::ofstream(file) << "x";
  FolderLock d;
  CHECK_THROWS_AS(d.try_lock(file.string()), std::runtime_error);
}

TEST_CASE("train and compare CLI: --out held by another run or naming a file exits 2 naming it, a stale lock does not block") {
  const fs::path dir = scratch("outlock");
  const fs::path data = sine_csv(dir, "s.csv", 40);
  const std::string train = fmt::format("train --data \"{}\" --target target --hidden 2 --outer 3 --no-plots --quiet", data.string());
  const std::string compare = fmt::format(
      "compare --data \"{}\" --target target --hidden 2 --methods gd --inits gaussian --seeds 1 --budget-evals 5 --no-plots",
      data.string());

  // Held (by this test process, as a running almkit would hold it): refused, the PID named, nothing written.
  const fs::path held = dir / "held";
  FolderLock lock;
  REQUIRE(lock.try_lock(held.string()));
  for (const std::string& cmd : {train, compare}) {
    const CliRun r = run_cli(cmd + fmt::format(" --out \"{}\"", held.string()));
    INFO(r.output);
    CHECK(r.code == 2);
    CHECK(r.output.find(fmt::format("another almkit run (PID {}) is writing to this folder", ::getpid())) !=
          std::string::npos);
  }
  CHECK_FALSE(fs::exists(held / "summary.json"));
  CHECK_FALSE(fs::exists(held / "history.csv"));
  lock.unlock();
  const CliRun after = run_cli(train + fmt::format(" --out \"{}\"", held.string()));
  INFO(after.output);
  CHECK(after.code == 0);

  // A lock file left by a killed run blocks neither a new run nor --resume.
  const fs::path stale = dir / "stale";
  stale_lock_file(stale);
  const CliRun fresh = run_cli(train + fmt::format(" --checkpoint-every 1 --out \"{}\"", stale.string()));
  INFO(fresh.output);
  CHECK(fresh.code == 0);
  stale_lock_file(stale);
  const CliRun resumed = run_cli(fmt::format("train --resume \"{}\"", stale.string()));
  INFO(resumed.output);
  CHECK(resumed.code == 0);

  // --out naming a regular file: exit 2 with the path, for both commands.
  const fs::path file = dir / "a_file";
  std::ofstream(file) << "x";
  for (const std::string& cmd : {train, compare}) {
    const CliRun r = run_cli(cmd + fmt::format(" --out \"{}\"", file.string()));
    INFO(r.output);
    CHECK(r.code == 2);
    CHECK(r.output.find(fmt::format("--out {}: exists and is not a folder", file.string())) != std::string::npos);
  }
}
