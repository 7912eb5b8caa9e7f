// Interruption, checkpoints and --resume for the CLI commands train and
// compare (docs/interruption.md). The machinery itself is in
// core/run_control.h and problems/rnn/rnn_checkpoint.h; this file holds the
// command-line side: which flags were given, running a command again with
// the flags of the interrupted run, reading a checkpoint folder.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "almkit/core/folder_lock.h"

namespace almkit::cli {

/// Thrown by a command after it wrote every output with status
/// "interrupted"; main() exits with kExitInterrupted (130).
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Defaults of the checkpoint schedule (--checkpoint-every, --checkpoint-seconds):
/// by time only. A checkpoint holds the whole history, so writing one every K
/// outer iterations costs O(iterations²) over a run; with the rollout policy's
/// sub-millisecond iterations K = 100 cost a 20 s SP500 run 31 % of its
/// iterations (docs/interruption.md §2).
inline constexpr int kDefaultCheckpointEvery = 0;
inline constexpr double kDefaultCheckpointSeconds = 60.0;

/// Default of --progress-seconds: at most two progress rows a second on the
/// terminal (the rollout policy's outer iterations take well under a
/// millisecond on SP500: one row each flooded it); every row still goes to
/// history.csv (docs/rnn.md §8).
inline constexpr double kDefaultProgressSeconds = 0.5;

/// The flags given on the command line of `sub` (long name, then its raw
/// values), in registration order, except the names in `skip` (e.g. "--resume").
std::vector<std::string> given_arguments(const CLI::App* sub, const std::vector<std::string>& skip);

/// True when no flag outside `run_flags` was given: a bare `--resume DIR`.
bool only_flags_given(const CLI::App* sub, const std::vector<std::string>& run_flags);

/// Parses and runs `almkit <command> ARGS` again in a fresh App built by
/// `register_command` (for a bare --resume: the interrupted run's flags).
void rerun_command(const std::string& command, void (*register_command)(CLI::App&),
                   const std::vector<std::string>& args);

/// DIR/checkpoint.json parsed, checked to have the given "format"; throws
/// UsageError naming the file.
nlohmann::json read_checkpoint(const std::string& dir, const char* format);

/// `--resume DIR` of `command`: reads DIR/checkpoint.json (checked to have
/// `format`) into *checkpoint and points `out` at DIR (UsageError when --out
/// names another folder). For a bare --resume (no flag outside `run_flags`)
/// it runs the command again with the checkpoint's arguments and returns true.
bool handle_resume(const CLI::App* sub, const std::string& resume, std::string& out, const char* format,
                   const std::vector<std::string>& run_flags, const std::string& command,
                   void (*register_command)(CLI::App&), nlohmann::json* checkpoint);

/// The output folder `out` of a train or compare run, locked for the run's
/// duration (docs/interruption.md §6; core/folder_lock.h). UsageError (exit 2)
/// naming the path when `out` exists and is not a folder, and naming the
/// holder's PID when another run holds the folder. Call it after the options
/// and the data are checked (it creates the folder) and before the first output.
FolderLock lock_output_folder(const std::string& out);

/// Refuses a resume whose options differ from the checkpoint's: UsageError
/// "--resume DIR: option X differs: ... in the checkpoint, ... now".
void require_same_options(const std::string& dir, const nlohmann::json& saved, const nlohmann::json& now,
                          const std::vector<std::string>& ignore);

}  // namespace almkit::cli
