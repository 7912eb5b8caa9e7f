// An output folder held by one run at a time (docs/interruption.md §6): an
// advisory flock(2) on DIR/.almkit.lock, which holds the PID of the run that
// holds it. The kernel releases a flock when its process ends, however it
// ends, so the lock file a killed run leaves behind blocks nobody (--resume
// continues there); the file itself stays (removing a locked file would let
// two runs lock two different files of the same name).
#pragma once

#include <string>

namespace almkit {

class FolderLock {
 public:
  FolderLock() = default;
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  FolderLock(FolderLock&& other) noexcept;
  FolderLock& operator=(FolderLock&& other) noexcept;
  ~FolderLock();

  /// Name of the lock file inside the folder.
  static constexpr const char* kFileName = ".almkit.lock";

  /// Creates `dir` when missing and locks dir/.almkit.lock without waiting,
  /// writing this process's PID into it. Returns false when another open
  /// lock holds it (another process, or another FolderLock of this one), with
  /// *holder_pid set to the PID in the file (0 when not yet written).
  /// Throws std::runtime_error naming the path when the folder or the file
  /// cannot be created or opened. The descriptor is close-on-exec: child
  /// processes (gnuplot) do not keep the folder locked.
  bool try_lock(const std::string& dir, long* holder_pid = nullptr);
  /// Releases the lock (also done by the destructor and by the process's end).
  void unlock();
  bool locked() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace almkit
