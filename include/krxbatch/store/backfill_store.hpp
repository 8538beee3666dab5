// The history backfill (`manual_setup --from`; docs/DESIGN.md §5.7): sessions older than the
// stored history, fetched across as many KST days as the KRX daily call limit makes it take.
//
// Its state is two meta keys: `backfill_from`, the oldest session asked for, and
// `history_start`, the oldest session of the contiguous stored history. What is left is every
// KRX session from `backfill_from` to the day before `history_start` that daily_update's day
// states do not record complete. The stored history never has a hole: history_start moves
// back only over complete sessions that are in daily_prices (extend_history_start, called in
// the transaction that merges them), so every reader's [history_start, mark] is whole at every
// instant, and a killed backfill resumes from what the database says. Not thread-safe.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace krxbatch::store {

// The meta key holding the oldest session the history backfill reaches back to.
inline constexpr std::string_view k_meta_backfill_from = "backfill_from";

struct BackfillState {
  core::Date from;                         // the oldest session asked for
  std::optional<core::Date> history_start; // the oldest session of the contiguous history
  std::vector<core::Date> left;            // sessions still to store, newest first
  bool done() const { return left.empty(); }
};

class BackfillStore {
public:
  // `calendar` must cover the sessions asked for (the caller checked them against it).
  BackfillStore(Database& db, const calendar::Calendar& calendar)
      : m_db(db), m_calendar(calendar) {}

  // Asks for the history back to `from` (a KRX session); an earlier one asked for already
  // is kept.
  void request(const core::Date& from);
  // The backfill's state; nullopt when none was ever asked for.
  std::optional<BackfillState> state() const;
  // Moves history_start back over the complete sessions just before it (daily_update's day
  // states), down to backfill_from at most; does nothing while price rows are staged (a
  // staged session is not in daily_prices yet). Call inside the transaction that stored or
  // merged them. Returns history_start after the call.
  std::optional<core::Date> extend_history_start();

private:
  Database& m_db;
  const calendar::Calendar& m_calendar;
};

// The KST days that `calls` KRX calls take when `left_today` are left today and `per_day` are
// free on each day after (today counts as the first day); 0 when there are no calls to make.
// Precondition: per_day > 0.
int kst_days_for_calls(std::int64_t calls, std::int64_t left_today, std::int64_t per_day);

} // namespace krxbatch::store
