// Interruption, checkpoints and --resume of almkit train and compare
// (docs/interruption.md) through the built CLI: SIGINT sent by the test once
// progress is on disk, status "interrupted" and exit code 130, complete
// progress lines, a resume that ends bit for bit as the uninterrupted run
// (wall-clock columns aside), and a resume with a changed option refused.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli_test_helpers.h"

namespace {

namespace fs = std::filesystem;
using almkit::testing::run_cli;
using almkit::testing::slurp;

fs::path scratch(const std::string& name) { return almkit::testing::fresh_temp_dir("almkit_test_resume", name); }

// Starts `almkit ARGS` (output to log) and returns its pid.
pid_t spawn_cli(const std::string& args, const fs::path& log) {
  const std::string cmd = "exec \"" + std::string(ALMKIT_CLI_PATH) + "\" " + args + " >\"" + log.string() + "\" 2>&1";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

size_t count_lines(const fs::path& p) {
  const std::string s = slurp(p);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Waits (at most 60 s) until `file` has at least `lines` complete lines.
bool wait_for_lines(const fs::path& file, size_t lines, pid_t pid) {
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60)) {
    if (fs::exists(file) && count_lines(file) >= lines) return true;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;  // ended before: no interruption possible
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// Drops the named CSV columns (wall-clock ones).
std::string without_columns(const std::string& csv, const std::vector<std::string>& drop) {
  const auto table = almkit::testing::csv_rows(csv);
  std::string out;
  for (const auto& cells : table) {
    for (size_t j = 0; j < cells.size(); ++j) {
      bool skip = false;
      for (const auto& d : drop) skip = skip || (j < table[0].size() && table[0][j] == d);
      if (!skip) out += cells[j] + ";";
    }
    out += "\n";
  }
  return out;
}


nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(slurp(p)); }

}  // namespace

TEST_CASE("train: SIGINT stops at the next outer iteration, writes every output as interrupted and --resume ends bit "
          "for bit as the uninterrupted run") {
  const fs::path dir = scratch("train");
  const fs::path data = almkit::testing::seeded_series(dir, 400);
  const std::string base = fmt::format(
      "train --data \"{}\" --target y --policy rollout --outer 2000 --rollout.tol_gradient 0 --rollout.tol_clarke -1 --checkpoint-every 0 "
      "--checkpoint-seconds 0 --no-plots --quiet",
      data.string());
  const std::string args = base + " --hidden 6";
  const fs::path a = dir / "a", b = dir / "b";
  // The uninterrupted run.
  const auto full = run_cli(args + fmt::format(" --out \"{}\"", a.string()));
  INFO(full.output);
  REQUIRE(full.code == 0);
  REQUIRE(read_json(a / "summary.json")["outer_iterations"] == 2000);

  // The interrupted one: SIGINT once the history has rows 0 and 1.
  const pid_t pid = spawn_cli(args + fmt::format(" --out \"{}\"", b.string()), dir / "b.log");
  REQUIRE(wait_for_lines(b / "history.csv", 3, pid));
  ::kill(pid, SIGINT);
  const int code = wait_exit_code(pid);
  INFO(slurp(dir / "b.log"));
  REQUIRE(code == 130);
  const nlohmann::json s = read_json(b / "summary.json");
  CHECK(s["status"] == "interrupted");
  const int stopped_at = s["outer_iterations"].get<int>();
  CHECK(stopped_at >= 1);
  CHECK(stopped_at < 2000);
  for (const char* f : {"model.json", "predictions.csv", "checkpoint.json"}) CHECK(fs::exists(b / f));
  const nlohmann::json c = read_json(b / "checkpoint.json");
  CHECK(c["status"] == "interrupted");
  CHECK(c["iteration"] == stopped_at);
  // Every history line complete: 12 fields, rows 0..stopped_at.
  {
    const std::string h = slurp(b / "history.csv");
    REQUIRE(!h.empty());
    CHECK(h.back() == '\n');
    std::stringstream ss(h);
    std::string line;
    int n = 0;
    while (std::getline(ss, line)) {
      CHECK(std::count(line.begin(), line.end(), ',') == 11);
      ++n;
    }
    CHECK(n == stopped_at + 2);
  }
  // A changed option is refused, naming it; the folder is untouched.
  const auto changed = run_cli(base + fmt::format(" --hidden 7 --resume \"{}\"", b.string()));
  CHECK(changed.code == 2);
  CHECK(changed.output.find("option hidden: 6 in the checkpoint, 7 now") != std::string::npos);
  CHECK(read_json(b / "summary.json")["status"] == "interrupted");

  // A bare --resume reuses the interrupted run's flags.
  const auto resumed = run_cli(fmt::format("train --resume \"{}\"", b.string()));
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  const nlohmann::json sa = read_json(a / "summary.json"), sb = read_json(b / "summary.json");
  CHECK(sb["resumed_from_iteration"] == stopped_at);
  for (const char* k : {"train_mse", "test_mse", "outer_iterations", "sweeps", "status", "final_gamma", "objective",
                        "grad_inf", "evaluations", "kkt", "kkt_bptt"})
    CHECK_MESSAGE(sa[k] == sb[k], k);
  CHECK(read_json(a / "model.json")["weights"] == read_json(b / "model.json")["weights"]);
  CHECK(slurp(a / "predictions.csv") == slurp(b / "predictions.csv"));
  CHECK(without_columns(slurp(a / "history.csv"), {"seconds"}) == without_columns(slurp(b / "history.csv"), {"seconds"}));
}

TEST_CASE("train: a periodic checkpoint survives SIGKILL and --resume from it is bit for bit the uninterrupted run (with the damping state)") {
  const fs::path dir = scratch("kill");
  const fs::path data = almkit::testing::seeded_series(dir, 400);
  const std::string args = fmt::format(
      "train --data \"{}\" --target y --policy rollout --hidden 6 --outer 300 --rollout.tol_gradient 0 --rollout.damping 0.01 --checkpoint-every 5 "
      "--checkpoint-seconds 0 --no-plots --quiet",
      data.string());
  const fs::path a = dir / "a", b = dir / "b";
  REQUIRE(run_cli(args + fmt::format(" --out \"{}\"", a.string())).code == 0);
  const pid_t pid = spawn_cli(args + fmt::format(" --out \"{}\"", b.string()), dir / "b.log");
  REQUIRE(wait_for_lines(b / "history.csv", 12, pid));
  ::kill(pid, SIGKILL);
  wait_exit_code(pid);
  const nlohmann::json c = read_json(b / "checkpoint.json");
  CHECK(c["status"] == "running");
  CHECK(c["iteration"].get<int>() % 5 == 0);
  const auto resumed = run_cli(fmt::format("train --resume \"{}\"", b.string()));
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  CHECK(read_json(a / "model.json")["weights"] == read_json(b / "model.json")["weights"]);
  CHECK(without_columns(slurp(a / "history.csv"), {"seconds"}) == without_columns(slurp(b / "history.csv"), {"seconds"}));
}

TEST_CASE("compare: SIGINT after the first run writes every output as interrupted and --resume with --budget-evals ends "
          "with the uninterrupted tables, a changed option is refused") {
  const fs::path dir = scratch("compare");
  const fs::path data = almkit::testing::seeded_series(dir, 60);
  const std::string base = fmt::format(
      "compare --data \"{}\" --target y --hidden 3 --methods alm-bcd,gd,adam,lbfgs,alm-bcd+lbfgs --seeds 3 "
      "--alm-outer 1000 --learning-rates 1e-2,1e-1 --no-plots --quiet",
      data.string());
  const std::string args = base + " --budget-evals 3000";
  const fs::path a = dir / "a", b = dir / "b";
  const auto full = run_cli(args + fmt::format(" --out \"{}\"", a.string()));
  INFO(full.output);
  REQUIRE(full.code == 0);
  CHECK(read_json(a / "results.json")["status"] == "complete");

  const pid_t pid = spawn_cli(args + fmt::format(" --out \"{}\"", b.string()), dir / "b.log");
  REQUIRE(wait_for_lines(b / "curves.csv", 2, pid));  // the first run's curve is on disk
  ::kill(pid, SIGINT);
  const int code = wait_exit_code(pid);
  INFO(slurp(dir / "b.log"));
  REQUIRE(code == 130);
  const nlohmann::json rj = read_json(b / "results.json");
  CHECK(rj["status"] == "interrupted");
  const int done = rj["runs_completed"].get<int>();
  CHECK(done >= 1);
  CHECK(done < 15);
  CHECK(slurp(b / "results.md").find("**Interrupted**") != std::string::npos);
  CHECK(read_json(b / "checkpoint.json")["completed"] == done);
  for (const char* f : {"results.csv", "curves.csv", "predictions.csv"}) CHECK(fs::exists(b / f));
  {
    const std::string cv = slurp(b / "curves.csv");
    CHECK(cv.back() == '\n');
    std::stringstream ss(cv);
    std::string line;
    while (std::getline(ss, line)) CHECK(std::count(line.begin(), line.end(), ',') == 6);
  }
  const auto changed = run_cli(base + fmt::format(" --budget-evals 3001 --resume \"{}\"", b.string()));
  CHECK(changed.code == 2);
  CHECK(changed.output.find("option compare.budget_evals: 3000") != std::string::npos);

  const auto resumed = run_cli(fmt::format("compare --resume \"{}\"", b.string()));
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  CHECK(read_json(b / "results.json")["status"] == "complete");
  CHECK(without_columns(slurp(a / "results.csv"), {"seconds", "time_to_target"}) ==
        without_columns(slurp(b / "results.csv"), {"seconds", "time_to_target"}));
  CHECK(without_columns(slurp(a / "curves.csv"), {"seconds"}) == without_columns(slurp(b / "curves.csv"), {"seconds"}));
  CHECK(slurp(a / "predictions.csv") == slurp(b / "predictions.csv"));
}

TEST_CASE("train and compare: too few training steps is exit 2 naming the count and the minimum, degenerate data warns") {
  const fs::path dir = scratch("small");
  {
    std::ofstream(dir / "three.csv") << "x,y\n1,2\n2,3\n3,5\n";
    const auto r = run_cli(fmt::format("train --data \"{}\" --no-plots --out \"{}\"", (dir / "three.csv").string(),
                                       (dir / "o1").string()));
    CHECK(r.code == 2);
    CHECK(r.output.find("2 training steps, fewer than the minimum of 10 (--min-train-steps") != std::string::npos);
    CHECK(!fs::exists(dir / "o1" / "summary.json"));
    const auto c = run_cli(fmt::format("compare --data \"{}\" --no-plots --out \"{}\"", (dir / "three.csv").string(),
                                       (dir / "o2").string()));
    CHECK(c.code == 2);
    CHECK(c.output.find("fewer than the minimum of 10") != std::string::npos);
  }
  {
    // 12 rows, the last one the only test row; a constant target; 11 steps for m = 20.
    std::string csv = "x,y\n";
    for (int t = 0; t < 12; ++t) csv += fmt::format("{},4\n", t);
    std::ofstream(dir / "flat.csv") << csv;
    const auto r = run_cli(fmt::format("train --data \"{}\" --train-fraction 0.95 --outer 2 --no-plots --quiet --out \"{}\"",
                                       (dir / "flat.csv").string(), (dir / "o3").string()));
    INFO(r.output);
    CHECK(r.code == 0);
    CHECK(r.output.find("warning: 11 training steps for 461 parameters") != std::string::npos);
    CHECK(r.output.find("warning: target column 'y' is constant") != std::string::npos);
    CHECK(r.output.find("warning: the test part has a single step") != std::string::npos);
    // The minimum is an option.
    const auto m = run_cli(fmt::format("train --data \"{}\" --min-train-steps 12 --no-plots --out \"{}\"",
                                       (dir / "flat.csv").string(), (dir / "o4").string()));
    CHECK(m.code == 2);
    CHECK(m.output.find("10 training steps, fewer than the minimum of 12") != std::string::npos);
  }
}
