// The daily call quota: KRX allows 10,000 calls per key per KST day and says the service "may
// be stopped" beyond; what it actually answers is unknown, so the fake's answer is a mode.
//
// Calls are counted per day of the fake's clock: the count starts again at 0 when that date
// changes. Thread-safe.
#pragma once

#include "krxbatch/core/date.hpp"

#include <mutex>
#include <optional>
#include <string_view>

namespace krxbatch::fake_krx {

enum class QuotaMode {
  unauthorized,      // 401 with the "Unauthorized Key" body (a suspended key looks invalid)
  too_many_requests, // 429 with a small JSON body
  empty,             // 200 {"OutBlock_1":[]}
};

std::string_view to_string(QuotaMode mode); // "401", "429", "empty"
std::optional<QuotaMode> parse_quota_mode(std::string_view text);

class Quota {
public:
  Quota(std::optional<long> limit, QuotaMode mode) : m_limit(limit), m_mode(mode) {}

  // Counts one call made on `day`; when the call is over the limit, the mode to answer with.
  std::optional<QuotaMode> count_call(const core::Date& day);
  // Replaces the limit (nullopt: none) and the mode, and starts today's count at 0.
  void configure(std::optional<long> limit, QuotaMode mode);

  struct Snapshot {
    std::optional<long> limit;
    QuotaMode mode;
    long calls_today;
  };
  // The count is that of `today` (0 if the last call was on another day).
  Snapshot snapshot(const core::Date& today) const;

private:
  mutable std::mutex m_mutex;
  std::optional<long> m_limit;
  QuotaMode m_mode;
  std::optional<core::Date> m_day;
  long m_calls = 0;
};

} // namespace krxbatch::fake_krx
