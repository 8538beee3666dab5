// gzip files (RFC 1952) with zlib, streaming, for compressed backups. Thread-safe (no shared
// state). Errors throw core::Error (exit 1) naming the file.
#pragma once

#include <filesystem>

namespace krxbatch::util {

// Whether `path` starts with the gzip magic bytes (false for a missing or short file).
bool is_gzip_file(const std::filesystem::path& path);

// Compresses `from` into `to` (created or truncated) and flushes it to disk (fsync).
void gzip_file(const std::filesystem::path& from, const std::filesystem::path& to);

// Decompresses `from` into `to` (created or truncated) and flushes it to disk. A file that is
// not gzip, truncated or fails its CRC is an error (what was written to `to` is left for the
// caller to remove).
void gunzip_file(const std::filesystem::path& from, const std::filesystem::path& to);

} // namespace krxbatch::util
