#include "gnuplot_plots.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/core.h>

#include "almkit/core/io.h"

namespace almkit::cli {

void write_and_run_plots(const std::string& dir, const std::string& comment, const std::string& body,
                         const std::vector<std::string>& pngs) {
  namespace fs = std::filesystem;
  const bool have_gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  std::string terminal = "pngcairo size 900,600 noenhanced font ',10'";
  if (have_gnuplot && std::system("gnuplot -e \"set terminal pngcairo\" >/dev/null 2>&1") != 0)
    terminal = "png size 900,600 noenhanced";
  write_file_atomically(dir + "/plots.gp", fmt::format("# {}\nset terminal {}\n{}", comment, terminal, body));
  if (!have_gnuplot) {
    fmt::print(stderr, "almkit: warning: gnuplot not found; wrote {}/plots.gp (run it with gnuplot to draw the PNGs)\n", dir);
    return;
  }
  const std::string cmd = fmt::format("cd '{}' && gnuplot plots.gp >/dev/null 2>gnuplot.log", dir);
  if (std::system(cmd.c_str()) != 0) {
    fmt::print(stderr, "almkit: warning: gnuplot failed (see {}/gnuplot.log); plots.gp and the data are kept\n", dir);
    return;
  }
  std::error_code ec;
  fs::remove(dir + "/gnuplot.log", ec);
  for (const auto& name : pngs) {
    fs::rename(dir + "/" + name + ".tmp", dir + "/" + name, ec);
    if (ec) fmt::print(stderr, "almkit: warning: could not write {}/{}\n", dir, name);
  }
}

std::string first_target_label(const std::vector<std::string>& targets) {
  return targets.size() > 1 ? fmt::format("{}, first of {} targets", targets[0], targets.size()) : targets.at(0);
}

}  // namespace almkit::cli
