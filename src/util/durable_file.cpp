#include "krxbatch/util/durable_file.hpp"

#include "krxbatch/core/error.hpp"

#include <cerrno>
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

void write_all(int fd, std::string_view text, const std::filesystem::path& path) {
  while (!text.empty()) {
    const auto n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw core::failure(path.string() + ": writing failed (" + std::strerror(errno) +
                          "); check free disk space");
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void sync_file_system(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw core::failure(path.string() + ": cannot open to flush its file system (" +
                        std::strerror(errno) + ")");
  }
  const int rc = ::syncfs(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    throw core::failure(path.string() + ": flushing its file system failed (" + std::strerror(err) +
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

} // namespace krxbatch::util
