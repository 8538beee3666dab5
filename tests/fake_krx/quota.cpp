#include "fake_krx/quota.hpp"

namespace krxbatch::fake_krx {

std::string_view to_string(QuotaMode mode) {
  switch (mode) {
  case QuotaMode::unauthorized:
    return "401";
  case QuotaMode::too_many_requests:
    return "429";
  case QuotaMode::empty:
    return "empty";
  }
  return "";
}

std::optional<QuotaMode> parse_quota_mode(std::string_view text) {
  if (text == "401") {
    return QuotaMode::unauthorized;
  }
  if (text == "429") {
    return QuotaMode::too_many_requests;
  }
  if (text == "empty") {
    return QuotaMode::empty;
  }
  return std::nullopt;
}

std::optional<QuotaMode> Quota::count_call(const core::Date& day) {
  const std::lock_guard lock(m_mutex);
  if (m_day != day) {
    m_day = day;
    m_calls = 0;
  }
  ++m_calls;
  if (m_limit && m_calls > *m_limit) {
    return m_mode;
  }
  return std::nullopt;
}

void Quota::configure(std::optional<long> limit, QuotaMode mode) {
  const std::lock_guard lock(m_mutex);
  m_limit = limit;
  m_mode = mode;
  m_day.reset();
  m_calls = 0;
}

Quota::Snapshot Quota::snapshot(const core::Date& today) const {
  const std::lock_guard lock(m_mutex);
  return {m_limit, m_mode, m_day == today ? m_calls : 0};
}

} // namespace krxbatch::fake_krx
