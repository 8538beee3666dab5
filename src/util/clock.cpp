#include "krxbatch/util/clock.hpp"

#include "krxbatch/core/error.hpp"

#include <cstdlib>

namespace krxbatch::util {

core::KstTime SystemClock::now_kst() const {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
  const long long seconds = micros / 1000000;
  return core::kst_from_unix_seconds(seconds) +
         boost::posix_time::microseconds(micros - seconds * 1000000);
}

OffsetClock::OffsetClock(core::KstTime start)
    : m_start(start), m_started_at(std::chrono::steady_clock::now()) {}

core::KstTime OffsetClock::now_kst() const {
  const auto elapsed = std::chrono::steady_clock::now() - m_started_at;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  return m_start + boost::posix_time::microseconds(micros);
}

std::unique_ptr<Clock> make_clock(const std::optional<std::string>& now_option) {
  std::optional<std::string> text = now_option;
  std::string source = "--now";
  if (!text) {
    if (const char* env = std::getenv("KRXBATCH_NOW"); env != nullptr && *env != '\0') {
      text = env;
      source = "KRXBATCH_NOW";
    }
  }
  if (!text) {
    return std::make_unique<SystemClock>();
  }
  const auto start = core::parse_instant_to_kst(*text);
  if (!start) {
    throw core::usage_error(source + ": '" + *text +
                            "' is not a valid time between the years 1900 and 9000; use e.g. "
                            "2024-06-28T19:00:00+09:00");
  }
  return std::make_unique<OffsetClock>(*start);
}

} // namespace krxbatch::util
