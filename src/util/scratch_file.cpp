#include "krxbatch/util/scratch_file.hpp"

#include "krxbatch/core/error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace krxbatch::util {

namespace {

core::Error scratch_error(const std::filesystem::path& dir, std::string_view doing, int err) {
  return core::failure("cannot " + std::string(doing) + " a scratch file in " + dir.string() +
                       ": " + std::strerror(err) + "; check the free space there");
}

} // namespace

ScratchFile::ScratchFile(const std::filesystem::path& dir)
    : m_dir(dir.empty() ? std::filesystem::path(".") : dir) {
  m_fd = UniqueFd(::open(m_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (m_fd) {
    return;
  }
  // File systems without O_TMPFILE: a named file for the instant between mkstemp and unlink,
  // under the temporary-file prefix that nothing else in krxbatch writes to.
  std::string name = (m_dir / ".krxbatch-tmp-merge-XXXXXX").string();
  m_fd = UniqueFd(::mkostemp(name.data(), O_CLOEXEC));
  if (!m_fd) {
    throw scratch_error(m_dir, "create", errno);
  }
  if (::unlink(name.c_str()) != 0) {
    const int err = errno;
    throw scratch_error(m_dir, "unlink", err);
  }
}

std::uint64_t ScratchFile::append(std::string_view bytes) {
  const auto at = m_size;
  while (!bytes.empty()) {
    const auto n = ::write(m_fd.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw scratch_error(m_dir, "write", n < 0 ? errno : ENOSPC);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    m_size += static_cast<std::uint64_t>(n);
  }
  return at;
}

void ScratchFile::read(std::uint64_t offset, std::span<char> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const auto n = ::pread(m_fd.get(), out.data() + done, out.size() - done,
                           static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw scratch_error(m_dir, "read", n < 0 ? errno : EIO);
    }
    done += static_cast<std::size_t>(n);
  }
}

} // namespace krxbatch::util
