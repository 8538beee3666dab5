#include "krxbatch/util/log.hpp"

#include "krxbatch/core/date.hpp"
#include "krxbatch/core/error.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>
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

LogFile::LogFile(const std::filesystem::path& path, std::size_t max_bytes, std::size_t max_files) {
  if (!g_root) {
    init_logging(LogLevel::info);
  }
  try {
    std::filesystem::create_directories(path.parent_path());
    auto file =
        std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path.string(), max_bytes, max_files);
    file->set_formatter(make_formatter());
    m_impl = std::make_unique<Impl>(Impl{g_root, file});
    g_root->add(std::move(file), true);
  } catch (const std::exception& e) {
    throw core::usage_error(
        path.string() + ": cannot open the log file (" + e.what() +
        "); check the directory's permissions, or set log_dir in the config file "
        "(KRXBATCH_LOG_DIR)");
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

} // namespace krxbatch::util
