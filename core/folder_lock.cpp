#include "almkit/core/folder_lock.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace almkit {

FolderLock::FolderLock(FolderLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FolderLock& FolderLock::operator=(FolderLock&& other) noexcept {
  if (this != &other) {
    unlock();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FolderLock::~FolderLock() { unlock(); }

namespace {

// The PID written by the holder; 0 when the file is empty or unreadable.
long read_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  return std::strtol(buf, nullptr, 10);
}

}  // namespace

bool FolderLock::try_lock(const std::string& dir, long* holder_pid) {
  unlock();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create folder " + dir + ": " + ec.message());
  const std::string path = (std::filesystem::path(dir) / kFileName).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (holder_pid != nullptr) *holder_pid = read_pid(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) return false;
    throw std::runtime_error("cannot lock " + path + ": " + std::strerror(err));
  }
  // Ours now: the holder's PID for a refused run's message (a stale PID of a
  // killed run is overwritten here).
  const std::string pid = std::to_string(static_cast<long>(::getpid())) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
  }
  fd_ = fd;
  return true;
}

void FolderLock::unlock() {
  if (fd_ < 0) return;
  ::close(fd_);  // closing the only descriptor of the open file releases the flock
  fd_ = -1;
}

}  // namespace almkit
