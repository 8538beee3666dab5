#include "krxbatch/util/durable_file.hpp"

#include "krxbatch/core/error.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace krxbatch::util {

void sync_path(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw core::failure(path.string() + ": cannot open to flush it to disk (" +
                        std::strerror(errno) + ")");
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    throw core::failure(path.string() + ": flushing to disk failed (" + std::strerror(err) +
                        "); check the disk");
  }
}

void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
  sync_path(from);
  if (::rename(from.c_str(), to.c_str()) != 0) {
    throw core::failure("cannot rename " + from.string() + " to " + to.string() + " (" +
                        std::strerror(errno) + ")");
  }
  auto dir = to.parent_path();
  sync_path(dir.empty() ? std::filesystem::path(".") : dir);
}

std::filesystem::path make_temp_file(const std::filesystem::path& dir, const std::string& stem,
                                     const std::string& suffix) {
  std::string templ = (dir / ("." + stem + ".XXXXXX" + suffix)).string();
  const int fd = ::mkstemps(templ.data(), static_cast<int>(suffix.size()));
  if (fd < 0) {
    throw core::failure(dir.string() + ": cannot create a temporary file (" + std::strerror(errno) +
                        "); check that the directory exists and is "
                        "writable");
  }
  ::close(fd);
  return templ;
}

TempPath::~TempPath() {
  if (!m_path.empty()) {
    std::error_code ec;
    std::filesystem::remove(m_path, ec);
  }
}

TempPath& TempPath::operator=(TempPath&& other) noexcept {
  if (this != &other) {
    if (!m_path.empty()) {
      std::error_code ec;
      std::filesystem::remove(m_path, ec);
    }
    m_path = std::exchange(other.m_path, {});
  }
  return *this;
}

} // namespace krxbatch::util
