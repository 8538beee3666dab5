#include "krxbatch/util/gzip.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/durable_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
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
  z_stream z{};
  // 15 + 16: a gzip header and trailer around the deflate stream.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw core::failure("gzip: zlib could not start (out of memory?)");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  // zlib's API is not const-correct: it reads next_in only.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const auto written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    throw core::failure("gzip: compressing " + std::to_string(data.size()) +
                        " bytes failed (zlib " + std::to_string(rc) + ")");
  }
  out.resize(written);
  return out;
}

std::string read_gzip_file(const std::filesystem::path& path) {
  std::string out;
  read_gzip(path, [&out](const char* data, std::size_t n) { out.append(data, n); });
  return out;
}

} // namespace krxbatch::util
