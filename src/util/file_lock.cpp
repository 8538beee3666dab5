#include "krxbatch/util/file_lock.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <utility>

namespace krxbatch::util {

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& path) {
  // Never through a link, never somebody else's file (safe_path.hpp): only then is it ours to
  // truncate.
  auto fd = open_own_file(path, O_RDWR, 0600, "the lock file");
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      return std::nullopt;
    }
    throw core::failure(path.string() + ": cannot lock (" + std::strerror(err) + ")");
  }
  // Record our PID for the "held by" message; failures here are harmless.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) == 0) {
    [[maybe_unused]] const auto n = ::pwrite(fd.get(), pid.data(), pid.size(), 0);
  }
  return FileLock(path, fd.release());
}

std::optional<long> FileLock::holder_pid(const std::filesystem::path& path) {
  // Only a message: read without following a link or blocking on a FIFO.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  char buf[32] = {};
  const auto n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) {
    return std::nullopt;
  }
  char* end = nullptr;
  const long pid = std::strtol(buf, &end, 10);
  if (end == buf || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

std::optional<bool> FileLock::is_held(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return false;
  }
  std::ifstream locks("/proc/locks");
  if (!locks) {
    return std::nullopt;
  }
  // Lines look like "1: FLOCK  ADVISORY  WRITE 4242 fe:00:10953293 0 EOF"; a waiter's line
  // has "->" after the number. The device is major:minor in hex.
  char wanted[64];
  std::snprintf(wanted, sizeof wanted, "%02x:%02x:%lu", ::major(st.st_dev), ::minor(st.st_dev),
                static_cast<unsigned long>(st.st_ino));
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string id;
    std::string kind;
    fields >> id >> kind;
    if (kind != "FLOCK") {
      continue; // "->" (a waiter), or a POSIX/OFD lock
    }
    std::string advisory;
    std::string mode;
    std::string pid;
    std::string device_inode;
    fields >> advisory >> mode >> pid >> device_inode;
    if (device_inode == wanted) {
      return true;
    }
  }
  return false;
}

FileLock::~FileLock() {
  if (m_fd >= 0) {
    ::close(m_fd); // releases the flock
  }
}

FileLock::FileLock(FileLock&& other) noexcept
    : m_path(std::move(other.m_path)), m_fd(std::exchange(other.m_fd, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_path = std::move(other.m_path);
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

} // namespace krxbatch::util
