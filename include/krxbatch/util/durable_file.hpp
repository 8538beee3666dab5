// Making file changes survive a crash: fsync of files and directories, and the
// write-then-rename step of every "temp file, then atomic rename" in krxbatch (the temporary
// files themselves are util::TempFile, safe_path.hpp). Errors throw core::Error (exit 1) naming
// the file. Thread-safe.
#pragma once

#include <filesystem>
#include <string_view>

namespace krxbatch::util {

// fsync(2) on a file or a directory.
void sync_path(const std::filesystem::path& path);

// write(2)s all of `text` to `fd` (retrying short writes and EINTR); `path` names the file in
// the error (a full disk, most often).
void write_all(int fd, std::string_view text, const std::filesystem::path& path);

// syncfs(2): flushes everything written to the file system that holds `path` (one call for the
// many files of a run, where an fsync each would cost a journal commit each).
void sync_file_system(const std::filesystem::path& path);

// Syncs `from`, renames it to `to` (atomically replacing a file `to`) and syncs the directory
// of `to`, so that after a crash `to` is either the old file or the complete new one.
// Precondition: both are on the same file system (same directory, in practice).
void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to);

} // namespace krxbatch::util
