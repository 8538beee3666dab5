#include "krxbatch/util/gzip.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/durable_file.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <libdeflate.h>
#include <memory>
#include <vector>
#include <zlib.h>

namespace krxbatch::util {
namespace {

constexpr std::size_t k_chunk = 1 << 20;

struct GzCloser {
  void operator()(gzFile_s* f) const {
    if (f != nullptr) {
      gzclose(f);
    }
  }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

std::string gz_message(gzFile f) {
  int errnum = 0;
  const char* msg = gzerror(f, &errnum);
  if (errnum == Z_ERRNO) {
    return std::strerror(errno);
  }
  return msg != nullptr ? msg : "unknown zlib error";
}

// Reads the gzip file `from` to its end, handing each decompressed chunk to `sink`. Throws
// core::Error naming `from` when it is not gzip, cannot be read, or is damaged or cut short.
template <typename Sink>
void read_gzip(const std::filesystem::path& from, Sink&& sink) {
  if (!is_gzip_file(from)) {
    throw core::failure(from.string() + ": not a gzip file");
  }
  GzHandle in(gzopen(from.c_str(), "rb"));
  if (!in) {
    throw core::failure(from.string() + ": cannot read (" + std::strerror(errno) + ")");
  }
  std::vector<char> buf(k_chunk);
  for (;;) {
    const int n = gzread(in.get(), buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      throw core::failure(from.string() + ": the gzip data is damaged (" + gz_message(in.get()) +
                          ")");
    }
    if (n == 0) {
      break;
    }
    sink(buf.data(), static_cast<std::size_t>(n));
  }
  // gzclose reports a stream cut short (Z_BUF_ERROR) that gzread took as end of file.
  if (const int rc = gzclose(in.release()); rc != Z_OK) {
    throw core::failure(from.string() + ": the gzip file is truncated or damaged (zlib " +
                        std::to_string(rc) + ")");
  }
}

} // namespace

bool is_gzip_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  return in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

void gzip_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) {
    throw core::failure(from.string() + ": cannot read (" + std::strerror(errno) + ")");
  }
  GzHandle out(gzopen(to.c_str(), "wb6"));
  if (!out) {
    throw core::failure(to.string() + ": cannot create (" + std::strerror(errno) +
                        "); check that the directory is writable");
  }
  std::vector<char> buf(k_chunk);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<unsigned>(in.gcount());
    if (n > 0 && gzwrite(out.get(), buf.data(), n) != static_cast<int>(n)) {
      throw core::failure(to.string() + ": writing failed (" + gz_message(out.get()) +
                          "); check free disk space");
    }
  }
  if (in.bad()) {
    throw core::failure(from.string() + ": reading failed");
  }
  if (gzclose(out.release()) != Z_OK) {
    throw core::failure(to.string() + ": finishing the gzip stream failed; check free disk "
                                      "space");
  }
  sync_path(to);
}

void gunzip_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (!is_gzip_file(from)) {
    throw core::failure(from.string() + ": not a gzip file");
  }
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw core::failure(to.string() + ": cannot create (" + std::strerror(errno) +
                        "); check that the directory is writable");
  }
  read_gzip(from, [&](const char* data, std::size_t n) {
    out.write(data, static_cast<std::streamsize>(n));
    if (!out) {
      throw core::failure(to.string() + ": writing failed; check free disk space");
    }
  });
  out.close();
  if (!out) {
    throw core::failure(to.string() + ": writing failed; check free disk space");
  }
  sync_path(to);
}

std::string gzip_bytes(std::string_view data, int level) {
  // A compressor holds large tables: one is kept per thread and level, not allocated per answer.
  struct Compressors {
    std::array<libdeflate_compressor*, 13> by_level{};
    Compressors() = default;
    Compressors(const Compressors&) = delete;
    Compressors& operator=(const Compressors&) = delete;
    ~Compressors() {
      for (auto* c : by_level) {
        libdeflate_free_compressor(c); // accepts nullptr
      }
    }
  };
  thread_local Compressors compressors;
  if (level < 1 || level > 12) {
    throw core::failure("gzip: level " + std::to_string(level) + " is not between 1 and 12");
  }
  auto*& compressor = compressors.by_level.at(static_cast<std::size_t>(level));
  if (compressor == nullptr) {
    compressor = libdeflate_alloc_compressor(level);
    if (compressor == nullptr) {
      throw core::failure("gzip: libdeflate could not start (out of memory?)");
    }
  }
  // The worst case is a little more than the input: compressed into a buffer kept per thread,
  // which only grows, and copied out at its real size (a fresh buffer of the worst-case size per
  // call cost more in page faults and zeroing than the compression of a small answer).
  thread_local std::vector<char> scratch;
  const auto bound = libdeflate_gzip_compress_bound(compressor, data.size());
  if (scratch.size() < bound) {
    scratch.resize(bound);
  }
  const auto written = libdeflate_gzip_compress(compressor, data.data(), data.size(),
                                                scratch.data(), scratch.size());
  if (written == 0) {
    throw core::failure("gzip: compressing " + std::to_string(data.size()) + " bytes failed");
  }
  return {scratch.data(), written};
}

std::string read_gzip_file(const std::filesystem::path& path) {
  std::string out;
  read_gzip(path, [&out](const char* data, std::size_t n) { out.append(data, n); });
  return out;
}

} // namespace krxbatch::util
