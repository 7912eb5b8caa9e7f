// Wall-clock seconds on the monotone clock: the one helper behind every
// `seconds` a run reports (time limits, history rows, summaries).
#pragma once

#include <chrono>

namespace almkit {

/// Seconds elapsed on std::chrono::steady_clock since t0.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace almkit
