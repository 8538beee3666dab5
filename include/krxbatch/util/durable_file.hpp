// Making file changes survive a crash: fsync of files and directories, and the
// write-then-rename step of every "temp file, then atomic rename" in krxbatch.
// Errors throw core::Error (exit 1) naming the file. Thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

namespace krxbatch::util {

// fsync(2) on a file or a directory.
void sync_path(const std::filesystem::path& path);

// Syncs `from`, renames it to `to` (atomically replacing a file `to`) and syncs the directory
// of `to`, so that after a crash `to` is either the old file or the complete new one.
// Precondition: both are on the same file system (same directory, in practice).
void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to);

// A unique path `dir`/.`stem`.XXXXXX`suffix` for a temp file, created empty (mode 0600) so no
// other process picks the same name.
std::filesystem::path make_temp_file(const std::filesystem::path& dir, const std::string& stem,
                                     const std::string& suffix = ".tmp");

// Removes `path` when destroyed unless release() was called: for temp files of an operation
// that may fail half-way. Never throws.
class TempPath {
public:
  TempPath() = default;
  explicit TempPath(std::filesystem::path path) : m_path(std::move(path)) {}
  ~TempPath();
  TempPath(TempPath&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
  // Removes the file held now, then takes `other`'s.
  TempPath& operator=(TempPath&& other) noexcept;
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // Keeps the file; returns its path.
  std::filesystem::path release() { return std::exchange(m_path, {}); }

private:
  std::filesystem::path m_path;
};

} // namespace krxbatch::util
