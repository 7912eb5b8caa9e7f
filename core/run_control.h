// Run control for long runs (docs/interruption.md): Ctrl-C / SIGTERM as a stop
// request polled by the solvers' progress callbacks, progress files appended
// line by line while a run goes, atomic checkpoints on a schedule, and the
// JSON comparison that refuses a resume with changed options.
//
// Nothing here installs itself: the CLI commands train and compare call
// install_interrupt_handlers(); library users (the Python module) keep their
// own signal handling.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace almkit {

/// Exit code of a command stopped by SIGINT or SIGTERM after writing its
/// outputs with status "interrupted" (128 + SIGINT, the shell convention;
/// also used for SIGTERM). A second signal exits at once with the same code.
inline constexpr int kExitInterrupted = 130;

/// First SIGINT/SIGTERM: sets the stop request (interrupt_requested()) and
/// prints one line to stderr; the second: _exit(kExitInterrupted) at once.
/// Idempotent.
void install_interrupt_handlers();
/// True once a stop was requested (by a signal or request_interrupt()).
bool interrupt_requested();
/// The signal number of the first request (SIGINT, SIGTERM), 0 when none.
int interrupt_signal();
/// Thrown by an objective wrapper once a stop was requested (compare stops a
/// gradient method at its next evaluation this way: study/rnn_compare.cpp).
struct RunInterrupted {};

/// Requests a stop as the first signal would (tests, embedding code).
void request_interrupt(int signal_number);
/// Forgets a request (tests).
void clear_interrupt();

/// A text file that grows by complete lines while a run goes: every append()
/// is one write(2) of whole lines (a killed process leaves no partial line
/// from a finished append), flushed to the kernel before append() returns.
class LineAppender {
 public:
  LineAppender() = default;
  LineAppender(const LineAppender&) = delete;
  LineAppender& operator=(const LineAppender&) = delete;
  ~LineAppender();
  /// Replaces `path` atomically by `initial` (e.g. the header, or the lines
  /// kept from an interrupted run), then opens it for appending.
  void open(const std::string& path, const std::string& initial);
  bool is_open() const { return fd_ >= 0; }
  /// Appends `lines` (each ending in '\n'). Throws std::runtime_error on a write error.
  void append(const std::string& lines);
  void close();

 private:
  int fd_ = -1;
  std::string path_;
};

/// When to write a checkpoint: every `every_iterations` iterations (0: never
/// by count) or when `every_seconds` have passed since the last one (0: never
/// by time), whichever comes first.
class CheckpointSchedule {
 public:
  CheckpointSchedule(int every_iterations, double every_seconds);
  /// True when a checkpoint is due after `iteration`; resets the clock then.
  bool due(int iteration);

 private:
  int every_iterations_;
  double every_seconds_;
  std::chrono::steady_clock::time_point last_;
};

/// Which progress lines a person sees (docs/rnn.md §8 "Progress on the
/// terminal"): the first line, then at most one every `seconds` of wall time,
/// and the last one (finish()); `seconds` = 0 prints every line. Only what
/// is printed depends on the clock: the caller computes and records every
/// row as before (history.csv has them all).
class ProgressThrottle {
 public:
  using Print = std::function<void(const std::string&)>;
  /// Seconds on a monotone clock; default: std::chrono::steady_clock.
  using Clock = std::function<double()>;
  /// Throws std::invalid_argument unless seconds >= 0 (and finite).
  ProgressThrottle(double seconds, Print print, Clock clock = {});
  /// Prints `text` when it is the first line or `seconds` passed since the
  /// last printed one; otherwise keeps it as the pending last line.
  void line(const std::string& text);
  /// Prints the pending line, if any (the final row).
  void finish();
  long printed() const { return printed_; }

 private:
  double seconds_;
  Print print_;
  Clock clock_;
  double last_ = 0.0;
  long printed_ = 0;
  bool has_pending_ = false;
  std::string pending_;
};

/// The first leaf where `given` differs from `saved` (objects by key, arrays
/// by index), as a dotted path ("alm.max_outer_iterations", "data.path"),
/// with both values: "alm.max_outer_iterations: 20 in the checkpoint, 30 now".
/// Keys listed in `ignore` (top level) are skipped. Empty when equal.
std::string first_json_difference(const nlohmann::json& saved, const nlohmann::json& given,
                                  const std::vector<std::string>& ignore = {});

/// Doubles as JSON with NaN and ±inf kept (as the strings "nan", "inf",
/// "-inf"); finite values round-trip bit for bit.
nlohmann::json exact_number(double v);
double exact_number_from_json(const nlohmann::json& j);

}  // namespace almkit
