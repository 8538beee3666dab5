// Captures log lines in a string for a scope (tests only; needs spdlog linked into the test).
#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace krxbatch::test {

// Sends every log line, at `level` and above, to a string for the scope's duration, through a
// plain sink: what this shows is what the code logged, before any redaction.
class LogCapture {
public:
  explicit LogCapture(spdlog::level::level_enum level = spdlog::level::trace)
      : m_previous(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(m_out);
    auto logger = std::make_shared<spdlog::logger>("capture", std::move(sink));
    logger->set_level(level);
    spdlog::set_default_logger(std::move(logger));
  }
  ~LogCapture() { spdlog::set_default_logger(m_previous); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const { return m_out.str(); }

private:
  std::ostringstream m_out;
  std::shared_ptr<spdlog::logger> m_previous;
};

} // namespace krxbatch::test
