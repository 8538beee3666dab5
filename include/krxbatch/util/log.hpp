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
#include <vector>

namespace krxbatch::util {

class PathPolicy;

enum class LogLevel { trace, debug, info, warn, error, off };

// Parses trace|debug|info|warn|error|off; throws core::Error (exit 2) naming --log-level.
LogLevel parse_log_level(std::string_view text);

// Installs the default logger (stderr, KST timestamps): lines at `level` and above are logged
// (to the LogFiles), and those at `stderr_level` and above (default: `level`) also to stderr.
// Safe to call more than once.
void init_logging(LogLevel level, std::optional<LogLevel> stderr_level = std::nullopt);

// A size-capped rotating file `path` (max_bytes per file, max_files rotated ones kept:
// `<stem>.1.log`, ...) that the default logger writes to, beside stderr, for the object's
// lifetime: one per job run, so that two runs in one process each have their own file. Creates
// the directory. Its directory, the file and every rotated name pass `policy` (writer "log"),
// and each file is opened as util::open_own_file opens.
class LogFile {
public:
  // Throws core::Error (exit 2) naming `what` (where the log directory came from, e.g.
  // "log_dir (krxbatch.conf:3)") when the policy refuses or the file cannot be opened.
  LogFile(const std::filesystem::path& path, std::size_t max_bytes, std::size_t max_files,
          const PathPolicy& policy, std::string_view what);
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

// The credentials embedded in a URL's user information (`https://user:pass@host/...`): the
// whole `user:pass`, the password alone and their percent-decoded forms; empty when the URL
// has none. For register_secret(): a URL's credentials are as secret as the KRX key.
std::vector<std::string> url_credentials(std::string_view url);
// `url` with the credentials of its user information replaced by "***"
// (`https://***@host/...`), for what names a URL on stdout or in a message.
std::string without_url_credentials(std::string url);

} // namespace krxbatch::util
