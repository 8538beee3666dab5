// gzip (RFC 1952): files, streaming with zlib, for compressed backups; bytes in memory with
// libdeflate (one call, no stream, ~1.8x zlib's speed), for the raw archive of KRX answers.
// Thread-safe (no shared state). Errors throw core::Error (exit 1) naming the file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace krxbatch::util {

// Whether `path` starts with the gzip magic bytes (false for a missing or short file).
bool is_gzip_file(const std::filesystem::path& path);

// Compresses `from` into `to` (created or truncated) and flushes it to disk (fsync).
void gzip_file(const std::filesystem::path& from, const std::filesystem::path& to);

// Decompresses `from` into `to` (created or truncated) and flushes it to disk. A file that is
// not gzip, truncated or fails its CRC is an error (what was written to `to` is left for the
// caller to remove).
void gunzip_file(const std::filesystem::path& from, const std::filesystem::path& to);

// `data` as one gzip member, compressed at libdeflate `level` (1 fastest .. 12 smallest; 1-9 are
// about zlib's levels).
std::string gzip_bytes(std::string_view data, int level);

// The decompressed content of the gzip file `path`. Throws core::Error (exit 1) naming it when
// it cannot be read, is not gzip, or is truncated or damaged (CRC).
std::string read_gzip_file(const std::filesystem::path& path);

} // namespace krxbatch::util
