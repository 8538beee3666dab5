#include "krxbatch/util/paths.hpp"

#include "krxbatch/core/error.hpp"

#include <cstdlib>
#include <vector>

namespace krxbatch::util {

std::optional<std::filesystem::path> executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return std::nullopt;
  }
  return exe.parent_path();
}

std::filesystem::path find_holidays_dir(const std::optional<std::string>& explicit_dir) {
  if (explicit_dir) {
    return *explicit_dir;
  }
  if (const char* env = std::getenv("KRXBATCH_HOLIDAYS"); env != nullptr && *env != '\0') {
    return env;
  }
  std::vector<std::filesystem::path> candidates;
  if (const auto exe_dir = executable_dir()) {
    candidates.push_back(*exe_dir / "holidays");
    candidates.push_back(*exe_dir / ".." / "holidays");
    candidates.push_back(*exe_dir / ".." / "share" / "krxbatch" / "holidays");
  }
  candidates.emplace_back(std::filesystem::path(KRXBATCH_SOURCE_DIR) / "holidays");
  candidates.emplace_back(std::filesystem::path(KRXBATCH_INSTALL_DATADIR) / "holidays");
  std::error_code ec;
  for (const auto& c : candidates) {
    if (std::filesystem::is_directory(c, ec)) {
      return std::filesystem::weakly_canonical(c, ec);
    }
  }
  throw core::usage_error("no holidays directory found next to the binary, in the source tree "
                          "or under the install prefix; pass --holidays DIR or set "
                          "KRXBATCH_HOLIDAYS");
}

} // namespace krxbatch::util
