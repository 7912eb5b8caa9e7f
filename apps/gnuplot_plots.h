// Plots of `almkit train` and `almkit compare` (docs/rnn.md §8,
// docs/compare.md): a plots.gp script next to the CSV files it reads, run by
// gnuplot when it is installed. One implementation of the terminal choice,
// the run and the atomic renames, so both commands behave the same.
#pragma once

#include <string>
#include <vector>

namespace almkit::cli {

/// Writes DIR/plots.gp = "# COMMENT", a PNG terminal line (pngcairo, or png
/// when pngcairo is missing) and BODY; runs gnuplot in DIR. BODY writes each
/// of `pngs` as "<name>.tmp", renamed to its name on success. Without gnuplot,
/// or when it fails, the script and data stay and a warning is printed: plots
/// never make a command fail.
void write_and_run_plots(const std::string& dir, const std::string& comment, const std::string& body,
                         const std::vector<std::string>& pngs);

/// The axis label of the prediction plot: the target's name, and with p > 1
/// targets which one is shown (the first).
std::string first_target_label(const std::vector<std::string>& targets);

}  // namespace almkit::cli
