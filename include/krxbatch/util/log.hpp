// Logging: spdlog lines on stderr (and optionally a rotating file per job), KST timestamps.
//
// Secrets registered with register_secret() are replaced by "***" in every line before any
// sink sees it, whatever the level and whoever logs (our code, libcurl debug output we
// forward, an exception message). This is defence in depth: code must still never log a
// secret on purpose. Thread-safe after init_logging().
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace krxbatch::util {

enum class LogLevel { trace, debug, info, warn, error, off };

// Parses trace|debug|info|warn|error|off; throws core::Error (exit 2) naming --log-level.
LogLevel parse_log_level(std::string_view text);

// Installs the default logger (stderr, KST timestamps): lines at `level` and above are logged
// (to the LogFiles), and those at `stderr_level` and above (default: `level`) also to stderr.
// Safe to call more than once.
void init_logging(LogLevel level, std::optional<LogLevel> stderr_level = std::nullopt);

// A size-capped rotating file `path` (max_bytes per file, max_files kept) that the default
// logger writes to, beside stderr, for the object's lifetime: one per job run, so that two
// runs in one process each have their own file. Creates the directory.
class LogFile {
public:
  // Throws core::Error when the file cannot be opened.
  LogFile(const std::filesystem::path& path, std::size_t max_bytes, std::size_t max_files);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Writes `message` at `level` (through the same redaction) to the open LogFiles only, not to
// stderr: for what reaches stderr another way, such as the final `krxbatch: error:` line, and
// must be in the job's log file too. Does nothing without files.
void log_to_files(LogLevel level, std::string_view message);

// Every later log line has `secret` replaced by "***". Empty or very short (< 4 chars)
// values are ignored to avoid redacting ordinary text.
void register_secret(const std::string& secret);

// Returns `text` with every registered secret replaced by "***" (for error messages that do
// not go through the logger, e.g. the final `krxbatch: error:` line).
std::string redact(std::string text);

} // namespace krxbatch::util
