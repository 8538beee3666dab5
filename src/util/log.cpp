#include "krxbatch/util/log.hpp"

#include "krxbatch/core/date.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/util/durable_file.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <spdlog/details/null_mutex.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace krxbatch::util {
namespace {

std::mutex g_secrets_mutex;
std::vector<std::string> g_secrets; // guarded by g_secrets_mutex

std::string redact_locked(std::string text) {
  for (const auto& secret : g_secrets) {
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
      text.replace(pos, secret.size(), "***");
    }
  }
  return text;
}

// `%K`: the record's time as KST wall time, independent of the host TZ.
class KstTimeFlag final : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
              spdlog::memory_buf_t& dest) override {
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(msg.time.time_since_epoch()).count();
    const auto t = core::kst_from_unix_seconds(secs);
    const auto tod = t.time_of_day();
    char buf[48];
    const int n = std::snprintf(buf, sizeof buf, "%s %02d:%02d:%02d KST",
                                core::to_iso(t.date()).c_str(), static_cast<int>(tod.hours()),
                                static_cast<int>(tod.minutes()), static_cast<int>(tod.seconds()));
    dest.append(buf, buf + n);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<KstTimeFlag>();
  }
};

std::unique_ptr<spdlog::formatter> make_formatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<KstTimeFlag>('K').set_pattern("%K [%l] %v");
  return f;
}

// Redacts secrets from each record, then hands it to the wrapped sinks.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  void add(std::shared_ptr<spdlog::sinks::sink> target, bool is_file = false) {
    std::lock_guard lock(mutex_);
    m_sinks.push_back({std::move(target), is_file});
  }

  void remove(const std::shared_ptr<spdlog::sinks::sink>& target) {
    std::lock_guard lock(mutex_);
    std::erase_if(m_sinks, [&](const Target& t) { return t.sink == target; });
  }

  void log_files_only(const spdlog::details::log_msg& msg) {
    std::lock_guard lock(mutex_);
    deliver(msg, true);
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override { deliver(msg, false); }
  void flush_() override {
    for (auto& s : m_sinks) {
      s.sink->flush();
    }
  }

private:
  struct Target {
    std::shared_ptr<spdlog::sinks::sink> sink;
    bool is_file = false;
  };

  // Precondition: mutex_ is held.
  void deliver(const spdlog::details::log_msg& msg, bool files_only) {
    std::string payload(msg.payload.data(), msg.payload.size());
    {
      std::lock_guard lock(g_secrets_mutex);
      payload = redact_locked(std::move(payload));
    }
    spdlog::details::log_msg copy(msg.time, msg.source, msg.logger_name, msg.level, payload);
    for (auto& s : m_sinks) {
      if ((!files_only || s.is_file) && s.sink->should_log(copy.level)) {
        s.sink->log(copy);
        if (files_only) {
          s.sink->flush();
        }
      }
    }
  }

  std::vector<Target> m_sinks;
};

// A size-capped rotating log file (`<name>.log`, then `<name>.1.log`, ...), as spdlog's
// rotating_file_sink rotates, but every file is opened by util::open_own_file (never through a
// symbolic link, only this user's regular file) and every rotation's target passes the path
// policy. Called under the RedactingSink's mutex (hence null_mutex).
class SafeRotatingFileSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
public:
  // Every name the file will have (rotated ones included) passes `policy` first; `what` names
  // where the directory came from in a refusal.
  SafeRotatingFileSink(std::filesystem::path path, std::size_t max_bytes, std::size_t max_files,
                       const PathPolicy& policy, std::string_view what)
      : m_path(std::move(path)), m_max_bytes(max_bytes), m_max_files(max_files) {
    for (std::size_t i = 0; i <= m_max_files; ++i) {
      policy.check_file(rotated_name(i), what, "log");
    }
    open();
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    if (m_size > 0 && m_size + line.size() > m_max_bytes) {
      rotate();
    }
    try {
      write_all(m_fd.get(), std::string_view(line.data(), line.size()), m_path);
      m_size += line.size();
    } catch (const core::Error&) { // NOLINT(bugprone-empty-catch)
      // A full disk must not stop the job: stderr has the line.
    }
  }
  void flush_() override {} // write(2) leaves nothing buffered

private:
  // `<dir>/<stem>.<i><ext>` for i > 0, as spdlog names them.
  std::filesystem::path rotated_name(std::size_t i) const {
    if (i == 0) {
      return m_path;
    }
    auto name = m_path.stem().string() + "." + std::to_string(i) + m_path.extension().string();
    return m_path.parent_path() / name;
  }

  void open() {
    m_fd = open_own_file(m_path, O_WRONLY | O_APPEND, 0644, "log file");
    struct stat st {};
    m_size = ::fstat(m_fd.get(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
  }

  void rotate() {
    if (m_max_files == 0) {
      if (::ftruncate(m_fd.get(), 0) == 0) {
        m_size = 0;
      }
      return;
    }
    m_fd = UniqueFd();
    for (std::size_t i = m_max_files; i > 0; --i) {
      const auto from = rotated_name(i - 1);
      std::error_code ec;
      if (!std::filesystem::exists(std::filesystem::symlink_status(from, ec))) {
        continue;
      }
      std::filesystem::rename(from, rotated_name(i), ec); // a link is moved, never followed
    }
    try {
      open();
    } catch (const std::exception&) {
      m_size = 0; // a link planted in the instant of the rotation: stop writing the file
    }
  }

  std::filesystem::path m_path;
  std::size_t m_max_bytes;
  std::size_t m_max_files;
  UniqueFd m_fd;
  std::size_t m_size = 0;
};

constexpr spdlog::level::level_enum k_levels[] = {spdlog::level::trace, spdlog::level::debug,
                                                  spdlog::level::info,  spdlog::level::warn,
                                                  spdlog::level::err,   spdlog::level::off};

std::shared_ptr<RedactingSink> g_root; // set by init_logging

} // namespace

LogLevel parse_log_level(std::string_view text) {
  if (text == "trace") {
    return LogLevel::trace;
  }
  if (text == "debug") {
    return LogLevel::debug;
  }
  if (text == "info") {
    return LogLevel::info;
  }
  if (text == "warn" || text == "warning") {
    return LogLevel::warn;
  }
  if (text == "error") {
    return LogLevel::error;
  }
  if (text == "off") {
    return LogLevel::off;
  }
  throw core::usage_error("--log-level: '" + std::string(text) +
                          "' is not a level; use trace, debug, info, warn, error or off");
}

void init_logging(LogLevel level, std::optional<LogLevel> stderr_level) {
  g_root = std::make_shared<RedactingSink>();
  auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  err->set_formatter(make_formatter());
  err->set_level(k_levels[static_cast<int>(stderr_level.value_or(level))]);
  g_root->add(err);
  auto logger = std::make_shared<spdlog::logger>("krxbatch", g_root);
  logger->set_level(k_levels[static_cast<int>(level)]);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

struct LogFile::Impl {
  std::shared_ptr<RedactingSink> root; // the logger the file was added to
  std::shared_ptr<spdlog::sinks::sink> file;
};

LogFile::LogFile(const std::filesystem::path& path, std::size_t max_bytes, std::size_t max_files,
                 const PathPolicy& policy, std::string_view what) {
  if (!g_root) {
    init_logging(LogLevel::info);
  }
  const auto dir = path.parent_path();
  policy.check_directory(dir, what, "log");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  try {
    if (ec) {
      throw core::failure(ec.message());
    }
    auto file = std::make_shared<SafeRotatingFileSink>(path, max_bytes, max_files, policy, what);
    file->set_formatter(make_formatter());
    m_impl = std::make_unique<Impl>(Impl{g_root, file});
    g_root->add(std::move(file), true);
  } catch (const core::Error& e) {
    if (e.code() == core::ExitCode::usage) {
      throw;
    }
    throw core::usage_error(std::string(what) + ": cannot open the log file " + path.string() +
                            " (" + e.what() + "); give this user write access to " + dir.string() +
                            ", or point " + std::string(what) + " at a writable directory");
  }
}

LogFile::~LogFile() {
  m_impl->root->remove(m_impl->file);
}

void log_to_files(LogLevel level, std::string_view message) {
  if (!g_root) {
    return;
  }
  const spdlog::details::log_msg msg(spdlog::source_loc{}, "krxbatch",
                                     k_levels[static_cast<int>(level)],
                                     spdlog::string_view_t(message.data(), message.size()));
  g_root->log_files_only(msg);
}

void register_secret(const std::string& secret) {
  if (secret.size() < 4) {
    return;
  }
  std::lock_guard lock(g_secrets_mutex);
  g_secrets.push_back(secret);
}

std::string redact(std::string text) {
  std::lock_guard lock(g_secrets_mutex);
  return redact_locked(std::move(text));
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The user information of a URL (`user:pass` of `https://user:pass@host/`): its offset and
// length, or nullopt when there is none.
std::optional<std::pair<std::size_t, std::size_t>> userinfo_span(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    return std::nullopt;
  }
  auto authority = url.substr(scheme + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    return std::nullopt;
  }
  return std::pair{scheme + 3, at};
}

} // namespace

std::string without_url_credentials(std::string url) {
  if (const auto span = userinfo_span(url)) {
    url.replace(span->first, span->second, "***");
  }
  return url;
}

std::vector<std::string> url_credentials(std::string_view url) {
  const auto span = userinfo_span(url);
  if (!span) {
    return {};
  }
  const auto userinfo = url.substr(span->first, span->second);
  std::vector<std::string> out = {std::string(userinfo)};
  if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
    out.emplace_back(userinfo.substr(colon + 1));
  }
  const auto count = out.size();
  for (std::size_t i = 0; i < count; ++i) {
    if (auto decoded = percent_decoded(out[i]); decoded != out[i]) {
      out.push_back(std::move(decoded));
    }
  }
  std::erase_if(out, [](const std::string& s) { return s.empty(); });
  return out;
}

} // namespace krxbatch::util
