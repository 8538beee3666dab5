#include "krxbatch/jobs/call_budget.hpp"

#include "krxbatch/store/ops_store.hpp"

#include <algorithm>

namespace krxbatch::jobs {

DbCallBudget::DbCallBudget(store::Database& db, const util::Clock& clock, std::int64_t limit)
    : m_db(db), m_clock(clock), m_limit(limit) {}

bool DbCallBudget::try_consume() {
  if (!store::ApiCallStore(m_db).try_count(m_clock.today_kst(), m_limit)) {
    return false;
  }
  ++m_consumed;
  return true;
}

std::int64_t DbCallBudget::used_today() const {
  return store::ApiCallStore(m_db).calls_on(m_clock.today_kst());
}

std::int64_t DbCallBudget::remaining() const {
  return std::max<std::int64_t>(0, m_limit - used_today());
}

std::string DbCallBudget::exhausted_message() const {
  const auto now = m_clock.now_kst();
  const core::KstTime midnight(now.date() + boost::gregorian::days(1));
  const auto wait = midnight - now;
  return "the KRX daily call limit (" + std::to_string(m_limit) + " calls, KRX_DAILY_LIMIT) is " +
         "used up for " + core::to_iso(now.date()) +
         " KST; the next run after 00:00 KST continues where this one stopped (in " +
         std::to_string(wait.hours()) + " h " + std::to_string(wait.minutes()) + " min)";
}

} // namespace krxbatch::jobs
