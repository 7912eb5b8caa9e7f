// almkit compare (apps/cmd_compare.cpp, docs/compare.md) through the built
// CLI on a tiny data file: same seed → same tables, a diverging method is
// reported with its time and the comparison goes on, bad options exit 2,
// every run's model.json reproduces its F and train MSE.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "cli_test_helpers.h"

namespace {

namespace fs = std::filesystem;

fs::path compare_dir(const std::string& name) { return almkit::testing::fresh_temp_dir("almkit_test_compare", name); }
using almkit::testing::slurp;
int run(const std::string& args, const fs::path& log) { return almkit::testing::run_cli_to(args, log); }

// A small seeded two-column series: x noisy sine, y the next value of x.
fs::path tiny_data(const fs::path& dir) {
  std::mt19937 rng(5);
  std::normal_distribution<double> g(0.0, 0.1);
  std::ofstream out(dir / "tiny.csv");
  out << "x,y\n";
  double prev = 0.0;
  for (int t = 0; t < 41; ++t) {
    const double x = std::sin(0.4 * t) + g(rng);
    if (t > 0) out << prev << "," << x << "\n";
    prev = x;
  }
  return dir / "tiny.csv";
}

std::vector<std::vector<std::string>> rows(const std::string& csv) { return almkit::testing::csv_rows(csv); }

// The table without its wall-clock columns (seconds, time_to_target).
std::string without_columns(const std::string& csv, std::vector<std::string> drop) {
  const auto r = rows(csv);
  std::string out;
  for (const auto& row : r) {
    for (size_t j = 0; j < row.size(); ++j) {
      bool skip = false;
      for (const auto& d : drop) skip = skip || r[0][j] == d;
      if (!skip) out += row[j] + ";";
    }
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("compare: the same seeds give the same results table under an evaluation budget") {
  const fs::path dir = compare_dir("repeat");
  const fs::path data = tiny_data(dir);
  const std::string args = fmt::format(
      "compare --data \"{}\" --target y --hidden 3 --methods alm-bcd,gd,sgd,adam,lbfgs --inits gaussian,he "
      "--seeds 2 --budget-evals 20 --alm-outer 2 --windows 4 --learning-rates 1e-2,1e-1 --no-plots --quiet",
      data.string());
  REQUIRE(run(args + fmt::format(" --out \"{}\"", (dir / "a").string()), dir / "a.log") == 0);
  REQUIRE(run(args + fmt::format(" --out \"{}\"", (dir / "b").string()), dir / "b.log") == 0);
  const std::string ra = slurp(dir / "a" / "results.csv"), rb = slurp(dir / "b" / "results.csv");
  const auto table = rows(ra);
  REQUIRE(table.size() == 1 + 5 * 2 * 2);
  CHECK(slurp(dir / "a" / "results.csv").rfind(
            "method,init,seed,learning_rate,objective,train_mse,test_mse,seconds,time_to_target,kkt_stationarity,kkt_clarke,"
            "status,start_explodes\n",
            0) == 0);
  CHECK(without_columns(ra, {"seconds", "time_to_target"}) == without_columns(rb, {"seconds", "time_to_target"}));
  CHECK(without_columns(slurp(dir / "a" / "curves.csv"), {"seconds"}) ==
        without_columns(slurp(dir / "b" / "curves.csv"), {"seconds"}));
  for (const char* f : {"results.md", "results.json", "predictions.csv"}) CHECK(fs::exists(dir / "a" / f));
  // Learning rates chosen from the grid for gradient methods, none for the ALM and L-BFGS.
  for (size_t i = 1; i < table.size(); ++i) {
    const bool has_rate = table[i][0] != "alm-bcd" && table[i][0] != "lbfgs";
    CHECK((table[i][3].empty()) == !has_rate);
    if (has_rate) CHECK((table[i][3] == "0.01" || table[i][3] == "0.1"));
  }
  CHECK(slurp(dir / "a" / "results.md").find("no per-data-set tuning") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("compare: a diverging method is reported as diverged with its time and the comparison continues") {
  const fs::path dir = compare_dir("diverge");
  const fs::path data = tiny_data(dir);
  const int code = run(fmt::format("compare --data \"{}\" --target y --hidden 3 --methods gd,lbfgs --budget-seconds 0.2 "
                                   "--learning-rates 1e15 --no-plots --out \"{}\"",
                                   data.string(), (dir / "out").string()),
                       dir / "log.txt");
  REQUIRE(code == 0);
  const auto table = rows(slurp(dir / "out" / "results.csv"));
  REQUIRE(table.size() == 3);
  CHECK(table[1][0] == "gd");
  CHECK(table[1][11] == "diverged");
  // seconds: when it diverged (a number; no wall-clock bound here, which a
  // loaded machine could break — the budget logic is tested directly in test_rnn_compare.cpp).
  REQUIRE(!table[1][7].empty());
  CHECK(std::stod(table[1][7]) >= 0.0);
  CHECK(table[2][0] == "lbfgs");
  CHECK(table[2][11] != "diverged");
  CHECK(!table[2][4].empty());  // F
  CHECK(!table[2][5].empty());  // train MSE
  CHECK(slurp(dir / "log.txt").find("diverged") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("compare: method time-parallel (train's default policy) runs beside the others and refuses an evaluation budget") {
  const fs::path dir = compare_dir("time_parallel");
  const fs::path data = tiny_data(dir);
  const int code = run(fmt::format("compare --data \"{}\" --target y --hidden 3 --methods time-parallel,lbfgs "
                                   "--budget-seconds 2 --no-plots --out \"{}\"",
                                   data.string(), (dir / "out").string()),
                       dir / "log.txt");
  INFO(slurp(dir / "log.txt"));
  REQUIRE(code == 0);
  const auto table = rows(slurp(dir / "out" / "results.csv"));
  REQUIRE(table.size() == 3);
  CHECK(table[1][0] == "time-parallel");
  CHECK(table[1][11] == "converged");  // a certified stop (the Clarke form at kinks)
  REQUIRE(!table[1][4].empty());
  CHECK(std::isfinite(std::stod(table[1][4])));
  CHECK(fs::exists(dir / "out" / "runs" / "time-parallel-gaussian-seed0" / "model.json"));
  CHECK(run(fmt::format("compare --data \"{}\" --target y --methods time-parallel --budget-evals 100 --out \"{}\"",
                        data.string(), (dir / "evals").string()),
            dir / "evals.log") == 2);
  CHECK(slurp(dir / "evals.log").find("--methods time-parallel: --budget-evals is not supported") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("compare: bad options are one-line errors with exit code 2") {
  const fs::path dir = compare_dir("bad");
  CHECK(run("compare --methods alm-bcd,newton", dir / "1.log") == 2);
  CHECK(slurp(dir / "1.log").find("unknown method 'newton'") != std::string::npos);
  CHECK(run("compare --inits uniform", dir / "2.log") == 2);
  CHECK(run("compare --learning-rates 1e-2,abc", dir / "3.log") == 2);
  CHECK(run("compare --data /nonexistent/x.csv", dir / "4.log") == 2);
  CHECK(run("compare --grad.momentum 1.5", dir / "5.log") == 2);
  CHECK(slurp(dir / "5.log").find("momentum must be in [0, 1)") != std::string::npos);
  CHECK(run("compare --grad.learning_rate 0.1", dir / "6.log") != 0);  // set by the tuning, not a flag
  fs::remove_all(dir);
}

TEST_CASE("compare: several targets (p = 2) give per-target prediction columns — curves carry the violation") {
  const fs::path dir = compare_dir("multi");
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  {
    std::ofstream out(dir / "two.csv");
    out << "u,y1,y2\n";
    double s = 0.0;
    for (int t = 0; t < 40; ++t) {
      const double u = U(rng);
      s = 0.6 * s + u;
      out << fmt::format("{:.17g},{:.17g},{:.17g}\n", u, s, -2.0 * s + 1.0);
    }
  }
  REQUIRE(run(fmt::format("compare --data \"{}\" --target y1,y2 --inputs u --hidden 3 --methods alm-bcd,gd "
                          "--budget-evals 10 --alm-outer 2 --learning-rates 1e-2 --no-plots --quiet --out \"{}\"",
                          (dir / "two.csv").string(), (dir / "out").string()),
              dir / "log.txt") == 0);
  const auto pred = rows(slurp(dir / "out" / "predictions.csv"));
  REQUIRE(pred.size() == 1 + 4);  // floor(0.9 · 40) = 36 train rows, 4 test rows
  CHECK(pred[0] == std::vector<std::string>{"t", "truth_1", "truth_2", "alm-bcd_1", "alm-bcd_2", "gd_1", "gd_2"});
  // Truth columns are the file's y1, y2 in original units: y2 = −2 y1 + 1.
  for (size_t i = 1; i < pred.size(); ++i) CHECK(std::stod(pred[i][2]) == doctest::Approx(-2.0 * std::stod(pred[i][1]) + 1.0));
  const std::string json = slurp(dir / "out" / "results.json");
  CHECK(json.find("\"violation\"") != std::string::npos);
  CHECK(json.find("\"y2\"") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("compare: an ALM run whose forward-pass MSE blows up is reported as diverged, with its time") {
  // Values of order 1e15 without scaling: the MSE at the initial weights is
  // about 1e30, above the divergence threshold (1e20) shared with the gradient methods.
  const fs::path dir = compare_dir("alm_diverge");
  {
    std::ofstream out(dir / "huge.csv");
    out << "x,y\n";
    for (int t = 0; t < 20; ++t) out << fmt::format("{},{}\n", 1e15 * (1 + t % 3), 1e15 * (2 + t % 5));
  }
  REQUIRE(run(fmt::format("compare --data \"{}\" --target y --hidden 2 --methods alm-bcd,lbfgs --budget-seconds 1 "
                          "--no-plots --quiet --out \"{}\"",
                          (dir / "huge.csv").string(), (dir / "out").string()),
              dir / "log.txt") == 0);
  const auto table = rows(slurp(dir / "out" / "results.csv"));
  REQUIRE(table.size() == 3);
  for (size_t i = 1; i < 3; ++i) {  // L-BFGS: Ceres refuses the start, counted as diverged too
    CHECK(table[i][11] == "diverged");
    CHECK(std::stod(table[i][7]) < 1.0);
  }
  CHECK(slurp(dir / "out" / "results.md").find("| 1 (1 diverged) |") != std::string::npos);
  CHECK(slurp(dir / "out" / "results.json").find("\"diverged_at_seconds\": null") == std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("compare: every method starts from the same weights, drawn with --init-std — the 2 × 2 ALM variants run") {
  const fs::path dir = compare_dir("same_start");
  const fs::path data = tiny_data(dir);
  auto first_points = [&](const std::string& std_text, const std::string& name) {
    REQUIRE(run(fmt::format("compare --data \"{}\" --target y --hidden 3 --methods "
                            "alm-bcd,alm-lbfgs,alm-bcd-safeguarded,alm-lbfgs-safeguarded,gd,adam --init-std {} "
                            "--budget-evals 4 --alm-outer 1 --learning-rates 1e-2 --no-plots --quiet --out \"{}\"",
                            data.string(), std_text, (dir / name).string()),
                dir / (name + ".log")) == 0);
    std::vector<std::string> out;  // train MSE of every run's first curve point (at the initial weights): column 5
    std::string last;
    for (const auto& r : rows(slurp(dir / name / "curves.csv"))) {
      if (r[0] == "method") continue;
      if (r[0] != last) out.push_back(r[5]);
      last = r[0];
    }
    return out;
  };
  const auto small = first_points("1e-3", "small"), large = first_points("0.5", "large");
  REQUIRE(small.size() == 6);
  REQUIRE(large.size() == 6);
  for (size_t i = 1; i < small.size(); ++i) {
    CHECK(std::stod(small[i]) == doctest::Approx(std::stod(small[0])).epsilon(1e-12));
    CHECK(std::stod(large[i]) == doctest::Approx(std::stod(large[0])).epsilon(1e-12));
  }
  CHECK(std::stod(small[0]) != doctest::Approx(std::stod(large[0])));
  const auto table = rows(slurp(dir / "small" / "results.csv"));
  REQUIRE(table.size() == 7);
  CHECK(table[4][0] == "alm-lbfgs-safeguarded");
  CHECK(!table[4][4].empty());
  CHECK(!table[4][5].empty());
  CHECK(slurp(dir / "large" / "results.json").find("\"init_std\": 0.5") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("compare: --print-options shows every setting used, and results.json stores it") {
  const fs::path dir = compare_dir("options");
  const fs::path data = tiny_data(dir);
  REQUIRE(run(fmt::format("compare --data \"{}\" --target y --hidden 2 --methods alm-bcd,momentum --grad.momentum 0.75 "
                          "--budget-evals 3 --learning-rates 1e-2 --print-options --no-plots --quiet --out \"{}\"",
                          data.string(), (dir / "out").string()),
              dir / "log.txt") == 0);
  const std::string log = slurp(dir / "log.txt"), json = slurp(dir / "out" / "results.json");
  for (const std::string& text : {log, json}) {
    CHECK(text.find("\"momentum\": 0.75") != std::string::npos);
    CHECK(text.find("\"beta2\": 0.999") != std::string::npos);
    CHECK(text.find("\"alm-bcd\": {") != std::string::npos);
    CHECK(text.find("\"max_outer_iterations\": 3") != std::string::npos);  // --budget-evals 3: 3 outer iterations
  }
  fs::remove_all(dir);
}

TEST_CASE("compare: every run's model.json reproduces the F and train MSE of the tables, and the ranking is by F") {
  const fs::path dir = compare_dir("models");
  const fs::path data = tiny_data(dir);
  const fs::path out = dir / "out";
  REQUIRE(run(fmt::format("compare --data \"{}\" --target y --hidden 3 --methods alm-bcd,gd,adam,lbfgs --seeds 2 "
                          "--budget-evals 20 --alm-outer 3 --learning-rates 1e-2,1e-1 --target-factor 1.01 --no-plots "
                          "--quiet --out \"{}\"",
                          data.string(), out.string()),
              dir / "log.txt") == 0);
  // The data set as the CLI loads it (no scaling, 90/10 split).
  almkit::rnn::DataSpec spec;
  spec.path = data.string();
  spec.targets = {"y"};
  const almkit::rnn::RnnDataset ds = almkit::rnn::load_dataset(spec);
  const nlohmann::json j = nlohmann::json::parse(slurp(out / "results.json"));
  const auto table = rows(slurp(out / "results.csv"));
  REQUIRE(j["runs"].size() == 8);
  REQUIRE(table.size() == 1 + 8);
  REQUIRE(table[0][4] == "objective");
  for (size_t i = 0; i < 8; ++i) {
    const nlohmann::json& r = j["runs"][i];
    INFO(r["method"].get<std::string>() << " seed " << r["seed"].get<int>());
    const std::string rel = r["model"].get<std::string>();
    CHECK(rel == fmt::format("runs/{}-gaussian-seed{}/model.json", r["method"].get<std::string>(), r["seed"].get<int>()));
    REQUIRE(fs::exists(out / rel));
    const almkit::rnn::RnnModel model = almkit::rnn::load_model((out / rel).string());
    const double f = almkit::rnn::reduced_objective(model.weights, ds.train, model.regularization).value;
    const double mse = almkit::rnn::forward_metrics(model.weights, ds.train, ds.test, false).train_mse;
    CHECK(f == r["objective"].get<double>());
    CHECK(f == std::stod(table[1 + i][4]));
    CHECK(mse == r["train_mse"].get<double>());
    CHECK(mse == std::stod(table[1 + i][5]));
    CHECK(model.options["run"]["method"] == r["method"]);
    // Every method's test MSE continued from the training state (the default; docs/compare.md).
    CHECK(model.test_continues_from_train);
    CHECK(r["test_mse"].get<double>() ==
          doctest::Approx(almkit::rnn::forward_metrics(model.weights, ds.train, ds.test, true).test_mse).epsilon(1e-12));
  }
  CHECK(j["test_mse_mode"] == "continued");
  CHECK(j["options"]["compare"]["test_continues_from_train"] == true);
  // The ranking is by F: the best method has the lowest F median, the ratios are to the best gradient method's.
  double lowest = 1e300, lowest_gradient = 1e300;
  std::string best;
  for (const auto& [name, m] : j["methods"].items()) {
    const double f = m["objective_median"].get<double>();
    if (f < lowest) lowest = f, best = name;
    if (name != "alm-bcd") lowest_gradient = std::min(lowest_gradient, f);
  }
  CHECK(j["ranking"]["best_method"] == best);
  CHECK(j["ranking"]["best_gradient_objective_median"].get<double>() == lowest_gradient);
  for (const auto& [name, m] : j["methods"].items())
    CHECK(m["objective_ratio_to_best_gradient"].get<double>() ==
          doctest::Approx(m["objective_median"].get<double>() / lowest_gradient));
  CHECK(j["target_objective"].get<double>() == doctest::Approx(1.01 * j["best_objective"].get<double>()));
  CHECK(slurp(out / "results.md").find("| F / best gradient |") != std::string::npos);
  // The saved model is an ordinary model.json: almkit predict applies it.
  CHECK(run(fmt::format("predict \"{}\" \"{}\" --out \"{}\"", (out / "runs" / "alm-bcd-gaussian-seed0" / "model.json").string(),
                        data.string(), (dir / "pred.csv").string()),
            dir / "predict.log") == 0);
  CHECK(rows(slurp(dir / "pred.csv")).size() == 1 + 40);
  fs::remove_all(dir);
}

TEST_CASE("compare: --resume of a checkpoint written before the F column recomputes F from the stored weights") {
  const fs::path dir = compare_dir("old_checkpoint");
  const fs::path data = tiny_data(dir);
  const fs::path out = dir / "out";
  REQUIRE(run(fmt::format("compare --data \"{}\" --target y --hidden 3 --methods alm-bcd,gd --budget-evals 20 "
                          "--alm-outer 3 --learning-rates 1e-2,1e-1 --no-plots --quiet --out \"{}\"",
                          data.string(), out.string()),
              dir / "a.log") == 0);
  const auto before = rows(slurp(out / "results.csv"));
  // The checkpoint as an older almkit wrote it: no "objective", curve points of 4 numbers.
  nlohmann::json c = nlohmann::json::parse(slurp(out / "checkpoint.json"));
  c["status"] = "interrupted";
  for (auto& r : c["runs"]) {
    r.erase("objective");
    for (auto& p : r["curve"]) p.erase(4);
  }
  std::ofstream(out / "checkpoint.json") << c.dump();
  REQUIRE(run(fmt::format("compare --resume \"{}\" --quiet", out.string()), dir / "b.log") == 0);
  const auto after = rows(slurp(out / "results.csv"));
  REQUIRE(after.size() == before.size());
  for (size_t i = 1; i < after.size(); ++i) {
    CHECK(after[i][4] == before[i][4]);  // F, bit for bit (shortest round-trip text)
    CHECK(after[i][5] == before[i][5]);
    CHECK(after[i][8].empty());          // time to target: the old curves have no F
  }
  fs::remove_all(dir);
}

TEST_CASE("compare: --test-restart scores every method's test part from h_0 = 0, a resume keeps the mode") {
  const fs::path dir = compare_dir("test_restart");
  const fs::path data = tiny_data(dir);
  const fs::path out = dir / "out";
  const std::string args = fmt::format(
      "compare --data \"{}\" --target y --hidden 3 --methods alm-bcd,gd,lbfgs --inits irnn --budget-evals 20 --alm-outer 3 "
      "--learning-rates 1e-2,1e-1 --no-plots --quiet --out \"{}\"",
      data.string(), out.string());
  REQUIRE(run(args + " --test-restart", dir / "a.log") == 0);
  almkit::rnn::DataSpec spec;
  spec.path = data.string();
  spec.targets = {"y"};
  const almkit::rnn::RnnDataset ds = almkit::rnn::load_dataset(spec);
  const nlohmann::json j = nlohmann::json::parse(slurp(out / "results.json"));
  CHECK(j["test_mse_mode"] == "restart_h0");
  CHECK(j["options"]["compare"]["test_continues_from_train"] == false);
  for (const auto& [name, o] : j["options"]["alm"].items()) CHECK(o["test_continues_from_train"] == false);
  CHECK(slurp(out / "results.md").find("restarted from h_0 = 0") != std::string::npos);
  REQUIRE(j["runs"].size() == 3);
  int differ = 0;
  for (const auto& r : j["runs"]) {
    INFO(r["method"].get<std::string>());
    const almkit::rnn::RnnModel model = almkit::rnn::load_model((out / r["model"].get<std::string>()).string());
    CHECK(!model.test_continues_from_train);
    const double restart = almkit::rnn::forward_metrics(model.weights, ds.train, ds.test, false).test_mse;
    const double continued = almkit::rnn::forward_metrics(model.weights, ds.train, ds.test, true).test_mse;
    CHECK(r["test_mse"].get<double>() == doctest::Approx(restart).epsilon(1e-12));
    if (std::abs(restart - continued) > 1e-9 * std::abs(restart)) ++differ;
  }
  CHECK(differ >= 1);  // the modes differ on some run, so the checks above can tell them apart
  // The mode is a setting of the comparison: resuming with the other one is refused.
  nlohmann::json c = nlohmann::json::parse(slurp(out / "checkpoint.json"));
  c["status"] = "interrupted";
  std::ofstream(out / "checkpoint.json") << c.dump();
  CHECK(run(args + fmt::format(" --resume \"{}\"", out.string()), dir / "b.log") == 2);
  CHECK(slurp(dir / "b.log").find("test_continues_from_train") != std::string::npos);
  CHECK(run(fmt::format("compare --resume \"{}\" --quiet", out.string()), dir / "c.log") == 0);
  CHECK(nlohmann::json::parse(slurp(out / "results.json"))["test_mse_mode"] == "restart_h0");
  fs::remove_all(dir);
}
