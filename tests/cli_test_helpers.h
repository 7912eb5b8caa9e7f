// Helpers for tests that run the built `almkit` executable (ALMKIT_CLI_PATH)
// and inspect what it printed and wrote.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/core.h>

namespace almkit::testing {

namespace fs = std::filesystem;

/// Folders removed when the test process ends (a failed CHECK does not leak them).
inline std::vector<fs::path>& temp_dirs_removed_at_exit() {
  static struct Registry {
    std::vector<fs::path> dirs;
    ~Registry() {
      for (const auto& d : dirs) {
        std::error_code ec;
        fs::remove_all(d, ec);
      }
    }
  } registry;
  return registry.dirs;
}

/// An empty folder private to this test process (ctest runs cases in
/// parallel), removed with its contents when the process ends.
inline fs::path fresh_temp_dir(const std::string& prefix, const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  temp_dirs_removed_at_exit().push_back(dir);
  return dir;
}

/// The cells of every line of a CSV text (a trailing comma makes an empty last cell).
inline std::vector<std::vector<std::string>> csv_rows(const std::string& csv) {
  std::vector<std::vector<std::string>> out;
  std::stringstream ss(csv);
  std::string line;
  while (std::getline(ss, line)) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    std::string c;
    while (std::getline(ls, c, ',')) cells.push_back(c);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    out.push_back(cells);
  }
  return out;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs `almkit ARGS` with stdout and stderr sent to `log`; returns the exit code (−1: killed).
inline int run_cli_to(const std::string& args, const fs::path& log) {
  const std::string cmd = fmt::format("\"{}\" {} >\"{}\" 2>&1", ALMKIT_CLI_PATH, args, log.string());
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct CliRun {
  int code = -1;
  std::string output;  ///< stdout and stderr
};

/// Runs `almkit ARGS` and returns its exit code and output.
inline CliRun run_cli(const std::string& args) {
  static int counter = 0;
  const fs::path log = fs::temp_directory_path() / ("almkit_test_cli_" + std::to_string(::getpid()) + "_" +
                                                    std::to_string(counter++) + ".txt");
  CliRun r;
  r.code = run_cli_to(args, log);
  r.output = slurp(log);
  fs::remove(log);
  return r;
}

// A seeded series y_t = 0.6 y_{t-1} + u_t, u_t = sin(0.3 t) + N(0, 0.1²), in
// dir/series.csv (columns u, y): long enough for a few hundred cheap outer iterations.
inline fs::path seeded_series(const fs::path& dir, int rows) {
  std::mt19937_64 rng(21);
  std::normal_distribution<double> g(0.0, 0.1);
  std::ofstream out(dir / "series.csv");
  out << "u,y\n";
  double s = 0.0;
  for (int t = 0; t < rows; ++t) {
    const double u = std::sin(0.3 * t) + g(rng);
    s = 0.6 * s + u;
    out << fmt::format("{:.17g},{:.17g}\n", u, s);
  }
  return dir / "series.csv";
}

}  // namespace almkit::testing
