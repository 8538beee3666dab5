// One-instance-per-job locks: an exclusive flock(2) on a small lock file.
//
// The kernel releases the lock when the holder's file descriptor closes, including when the
// process is killed, so a dead holder never wedges the job (DESIGN §5.3). The lock file keeps
// the holder's PID for messages; it is created owner-only (0600) and never deleted (deleting
// it would let two processes lock two different inodes). It is opened as util::open_own_file
// opens (never through a symbolic link, only a regular file of this user's), so a link planted
// at its name cannot make a job truncate another file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace krxbatch::util {

class FileLock {
public:
  // Tries to take the lock without waiting. nullopt when another process holds it; throws
  // core::Error: exit 2 when the path is a symbolic link or not this user's regular file (see
  // open_own_file), exit 1 when the lock file cannot be created.
  static std::optional<FileLock> try_acquire(const std::filesystem::path& path);

  // The PID written by the current holder of the lock at `path`, if readable.
  static std::optional<long> holder_pid(const std::filesystem::path& path);

  // Whether some process holds the lock at `path` right now, without touching it (a probe
  // that took the lock, even briefly, could make a job starting at that instant skip): read
  // from /proc/locks by the file's device and inode. False when the file does not exist;
  // nullopt when /proc/locks cannot be read. A snapshot: the answer may change at once.
  static std::optional<bool> is_held(const std::filesystem::path& path);

  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  const std::filesystem::path& path() const { return m_path; }

private:
  FileLock(std::filesystem::path path, int fd) : m_path(std::move(path)), m_fd(fd) {}
  std::filesystem::path m_path;
  int m_fd = -1;
};

} // namespace krxbatch::util
