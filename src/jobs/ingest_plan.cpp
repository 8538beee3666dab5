#include "krxbatch/jobs/ingest_plan.hpp"

#include <cassert>

namespace krxbatch::jobs {

IngestPlan plan_catch_up(const calendar::Calendar& calendar, const CatchUpInput& input) {
  assert(input.mark || input.history_start);
  IngestPlan plan;
  const auto state_of = [&](const core::Date& d) -> std::optional<state::DayState> {
    const auto it = input.states.find(d);
    return it == input.states.end() ? std::nullopt : std::optional(it->second);
  };
  std::vector<core::Date> wanted;
  // Incomplete sessions at or before the mark (left by a failed manual reload).
  if (input.mark) {
    for (const auto& [date, s] : input.states) {
      if (date <= *input.mark && state::needs_work(s)) {
        wanted.push_back(date);
      }
    }
  }
  // Past the calendar's last session nothing follows the mark (yet).
  const auto first =
      input.mark ? calendar.next_business_day_if_known(*input.mark) : input.history_start;
  const auto window =
      first ? calendar.business_days(*first, input.last_closed_session) : std::vector<core::Date>{};
  for (const auto& d : window) {
    const auto s = state_of(d);
    if (s && !state::needs_work(*s)) {
      ++plan.complete;
    } else {
      wanted.push_back(d);
    }
  }
  if (input.max_days && static_cast<int>(wanted.size()) > *input.max_days) {
    plan.left_for_later = static_cast<int>(wanted.size()) - *input.max_days;
    wanted.resize(static_cast<std::size_t>(*input.max_days));
  }
  plan.days = std::move(wanted);
  return plan;
}

core::Date last_closed_session(const calendar::Calendar& calendar, const core::KstTime& now) {
  auto session = calendar.business_day_on_or_before(now.date());
  if (calendar.session_close(session) > now) {
    session = calendar.previous_business_day(session);
  }
  return session;
}

} // namespace krxbatch::jobs
