// Which sessions an ingestion run works on (pure: no I/O, no clock).
//
// The plan of a catch-up run is every session that is not complete: sessions after the mark
// (or from the start of the stored history when there is no mark yet) up to the newest closed
// session whose state is not `succeeded`, plus any session at or before the mark left
// `failed`, `waiting`, `pending` or `running` (only a failed manual reload can leave one). A
// session before the mark without a state row is complete. Ascending order: the earliest
// incomplete session, usually the one that failed last time, is retried first.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/state/day_state.hpp"

#include <map>
#include <optional>
#include <vector>

namespace krxbatch::jobs {

struct CatchUpInput {
  std::optional<core::Date> mark;          // daily_update's last_success_date
  std::optional<core::Date> history_start; // first session of the stored history
  core::Date last_closed_session;          // newest session whose close has passed
  std::map<core::Date, state::DayState> states;
  std::optional<int> max_days; // at most this many sessions (the earliest ones)
};

struct IngestPlan {
  std::vector<core::Date> days; // to work on, ascending
  int complete = 0;             // sessions in the window already complete (not refetched)
  int left_for_later = 0;       // incomplete sessions beyond max_days
};

// Precondition: mark or history_start is set.
IngestPlan plan_catch_up(const calendar::Calendar& calendar, const CatchUpInput& input);

// The newest session whose session close is at or before `now` (today once the market has
// closed, else the previous session).
core::Date last_closed_session(const calendar::Calendar& calendar, const core::KstTime& now);

} // namespace krxbatch::jobs
