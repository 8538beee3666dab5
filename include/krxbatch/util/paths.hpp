// Locations on the host file system.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace krxbatch::util {

// Directory of the running executable (from /proc/self/exe); nullopt when unavailable.
std::optional<std::filesystem::path> executable_dir();

// Finds the holidays directory (for calendar::Calendar::load): `explicit_dir` (from
// --holidays) if given, else env KRXBATCH_HOLIDAYS, else the first existing of: next to the
// binary (`<exe>/holidays`, `<exe>/../holidays`, `<exe>/../share/krxbatch/holidays`), the source
// tree, the install prefix. Throws core::Error (exit 2) saying how to point at one when none
// exists.
std::filesystem::path find_holidays_dir(const std::optional<std::string>& explicit_dir);

} // namespace krxbatch::util
