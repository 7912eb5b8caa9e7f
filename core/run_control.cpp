#include "almkit/core/run_control.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/core.h>

#include "almkit/core/io.h"

namespace almkit {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_signal != 0) {
    const char msg[] = "\nalmkit: second interrupt: exiting now (outputs of the last checkpoint are kept)\n";
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(kExitInterrupted);
  }
  g_signal = sig;
  const char msg[] =
      "\nalmkit: interrupt: stopping at the next iteration and writing the outputs (press Ctrl-C again to exit now)\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_signal != 0; }
int interrupt_signal() { return static_cast<int>(g_signal); }
void request_interrupt(int signal_number) { g_signal = signal_number == 0 ? SIGINT : signal_number; }
void clear_interrupt() { g_signal = 0; }

LineAppender::~LineAppender() { close(); }

void LineAppender::open(const std::string& path, const std::string& initial) {
  close();
  write_file_atomically(path, initial);
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + " for appending: " + std::strerror(errno));
  path_ = path;
}

void LineAppender::append(const std::string& lines) {
  if (fd_ < 0) return;
  const char* p = lines.data();
  size_t left = lines.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot append to " + path_ + ": " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void LineAppender::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

CheckpointSchedule::CheckpointSchedule(int every_iterations, double every_seconds)
    : every_iterations_(every_iterations), every_seconds_(every_seconds), last_(std::chrono::steady_clock::now()) {}

bool CheckpointSchedule::due(int iteration) {
  const auto now = std::chrono::steady_clock::now();
  const bool by_count = every_iterations_ > 0 && iteration % every_iterations_ == 0;
  const bool by_time = every_seconds_ > 0 && std::chrono::duration<double>(now - last_).count() >= every_seconds_;
  if (by_count || by_time) last_ = now;
  return by_count || by_time;
}

ProgressThrottle::ProgressThrottle(double seconds, Print print, Clock clock)
    : seconds_(seconds), print_(std::move(print)), clock_(std::move(clock)) {
  if (!(seconds >= 0.0) || !std::isfinite(seconds))
    throw std::invalid_argument(fmt::format("progress interval: expected a finite number of seconds >= 0, got {}", seconds));
  if (!clock_) {
    const auto t0 = std::chrono::steady_clock::now();
    clock_ = [t0] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  }
}

void ProgressThrottle::line(const std::string& text) {
  const double now = clock_();
  if (printed_ == 0 || seconds_ == 0.0 || now - last_ >= seconds_) {
    print_(text);
    ++printed_;
    last_ = now;
    has_pending_ = false;
    pending_.clear();
  } else {
    pending_ = text;
    has_pending_ = true;
  }
}

void ProgressThrottle::finish() {
  if (!has_pending_) return;
  print_(pending_);
  ++printed_;
  has_pending_ = false;
  pending_.clear();
}

namespace {

void difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& path, std::string* out) {
  if (!out->empty()) return;
  if (a.is_object() && b.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      const std::string sub = path.empty() ? it.key() : path + "." + it.key();
      if (!b.contains(it.key())) {
        *out = sub + ": " + it.value().dump() + " in the checkpoint, absent now";
        return;
      }
      difference(it.value(), b.at(it.key()), sub, out);
      if (!out->empty()) return;
    }
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key())) {
        *out = (path.empty() ? it.key() : path + "." + it.key()) + ": absent in the checkpoint, " + it.value().dump() + " now";
        return;
      }
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) {
      difference(a[i], b[i], path + "[" + std::to_string(i) + "]", out);
      if (!out->empty()) return;
    }
    return;
  }
  // Numbers compare by value (20 and 20.0 are the same option value).
  if (a.is_number() && b.is_number() && a.get<double>() == b.get<double>()) return;
  if (a != b) *out = path + ": " + a.dump() + " in the checkpoint, " + b.dump() + " now";
}

}  // namespace

std::string first_json_difference(const nlohmann::json& saved, const nlohmann::json& given,
                                  const std::vector<std::string>& ignore) {
  nlohmann::json a = saved, b = given;
  for (const auto& k : ignore) {
    if (a.is_object()) a.erase(k);
    if (b.is_object()) b.erase(k);
  }
  std::string out;
  difference(a, b, "", &out);
  return out;
}

nlohmann::json exact_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

double exact_number_from_json(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  throw std::invalid_argument("checkpoint: expected a number, got " + j.dump());
}

}  // namespace almkit
