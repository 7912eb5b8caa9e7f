// Subcommands of the almkit command line; one file per command (docs/cli.md).
#pragma once

#include <CLI/CLI.hpp>

#include "almkit/core/communicator.h"

namespace almkit::cli {

/// Exit code for bad input: unknown problem, bad option value, missing or malformed file.
inline constexpr int kExitBadInput = 2;

/// Thrown by a command for a user error; main prints "almkit: error: <what>" and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Exit code of `almkit train` after a failed run (rnn::training_failed:
/// status non_finite or inner_failure, or non-finite final weights), with its
/// outputs written (docs/interruption.md §4). Limits are not failures: exit 0.
inline constexpr int kExitTrainingFailed = 3;

/// Thrown by train after writing every output of a failed run; main prints
/// "almkit: error: <what>" (one line naming the likely cause) and exits 3.
struct TrainingFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The ranks this process belongs to when it was started by mpirun with
/// several ranks and almkit has MPI (main.cpp sets it); nullptr otherwise.
Communicator* mpi_world();

/// The environment variable ALMKIT_PARSE_ONLY (docs/cli.md "Checking a command
/// line"): unset, empty or 0: off; "ranks": check as under mpirun with several
/// ranks (docs/parallel.md §3); any other value: check as one process. A command
/// in this mode parses its flags, resolves and validates them, reads its data
/// set, prints --print-options, and returns before any work or output file.
enum class ParseOnly { kOff, kOneProcess, kRanks };
ParseOnly parse_only();

void register_list(CLI::App& app);
void register_solve(CLI::App& app);
void register_verify(CLI::App& app);
void register_train(CLI::App& app);
void register_predict(CLI::App& app);
void register_compare(CLI::App& app);
void register_benchmark(CLI::App& app);

}  // namespace almkit::cli
