// The KRX daily call limit (krx_daily_limit), counted in the database across processes.
//
// Every KRX call of every process is counted per KST day in the api_calls table (atomically:
// two processes never pass the limit together); a run that would pass the limit stops cleanly
// and says when the next run can continue. Lifetime: the database and the clock must outlive
// the budget. Not thread-safe (like the Database).
#pragma once

#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/util/clock.hpp"

#include <cstdint>
#include <string>

namespace krxbatch::jobs {

// A CallBudget over the api_calls table: KRX calls are counted per KST day.
class DbCallBudget final : public fetch::CallBudget {
public:
  DbCallBudget(store::Database& db, const util::Clock& clock, std::int64_t limit);
  bool try_consume() override;
  std::string exhausted_message() const override;
  // Calls left today.
  std::int64_t remaining() const;
  std::int64_t used_today() const;
  // Calls counted through this budget.
  std::int64_t consumed() const { return m_consumed; }
  std::int64_t limit() const { return m_limit; }

private:
  store::Database& m_db;
  const util::Clock& m_clock;
  std::int64_t m_limit;
  std::int64_t m_consumed = 0;
};

} // namespace krxbatch::jobs
