// Locations on the host file system.
#pragma once

#include <filesystem>
#include <optional>

namespace krxbatch::util {

// Directory of the running executable (from /proc/self/exe); nullopt when unavailable.
std::optional<std::filesystem::path> executable_dir();

} // namespace krxbatch::util
