#include "krxbatch/util/paths.hpp"

namespace krxbatch::util {

std::optional<std::filesystem::path> executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return std::nullopt;
  }
  return exe.parent_path();
}

} // namespace krxbatch::util
