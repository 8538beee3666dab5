// Reading a whole small file (a crontab, an env file, a manifest) into memory, for the places
// where a missing or unreadable file is a routine answer rather than an error.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace krxbatch::util {

// The whole content of `file`, byte for byte; nullopt when it cannot be opened or read.
// Thread-safe.
std::optional<std::string> read_text_file(const std::filesystem::path& file);

} // namespace krxbatch::util
