// An unnamed scratch file: bytes a run needs beside its memory and nobody else may see, gone
// when the object or the process ends, a kill -9 included (the file has no name to leave
// behind). The staged-prices merge copies the staged sessions into one, so that it can read
// them back a window at a time instead of holding them all (docs/PERFORMANCE.md, "The staging
// table"). Not thread-safe.
#pragma once

#include "krxbatch/util/safe_path.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace krxbatch::util {

class ScratchFile {
public:
  // An empty file in `dir` (the working directory when empty): O_TMPFILE, or where the file
  // system cannot, a temporary file (util::TempFile's naming) unlinked at once. Throws
  // core::Error (exit 1) naming `dir`.
  explicit ScratchFile(const std::filesystem::path& dir);

  // Appends `bytes`; returns the offset they start at. Throws core::Error (exit 1) naming the
  // directory when the write fails (a full disk, most often).
  std::uint64_t append(std::string_view bytes);
  // Reads `out.size()` bytes from `offset`. Throws core::Error (exit 1) when they are not all
  // there or the read fails.
  void read(std::uint64_t offset, std::span<char> out) const;
  std::uint64_t size() const { return m_size; }

private:
  std::filesystem::path m_dir;
  UniqueFd m_fd;
  std::uint64_t m_size = 0;
};

} // namespace krxbatch::util
