// The job/day state machine (DESIGN §4, §5). Pure: no I/O, no clock.
//
// Every business day a job works on has a state:
//
//     pending ──start──▶ running ──succeed──▶ succeeded ──reload──▶ pending
//        ▲                 │  │ └──wait (empty answer)──▶ waiting ──start──▶ running
//        │                 │  └──fail──▶ failed ──start──▶ running
//        │                 └──recover (its process died)──▶ failed
//
// `succeeded` is reached only in the same database transaction that stores the day's rows.
// A `running` day found by the process that holds the job's lock was left by a process that
// died; `recover` turns it into a retryable `failed`.
//
// A job's *mark* (job_status.last_success_date) only ever advances over a contiguous run of
// `succeeded` business days; see advance_mark().
#pragma once

#include "krxbatch/core/date.hpp"

#include <optional>
#include <span>
#include <string_view>

namespace krxbatch::state {

enum class DayState { pending, running, succeeded, failed, waiting };
enum class DayEvent { start, succeed, fail, wait, recover, reload };

// Outcome of one run of a job (job_runs.outcome, job_status.state).
enum class RunOutcome { running, succeeded, partial, failed, skipped };

std::string_view to_string(DayState state);
std::string_view to_string(DayEvent event);
std::string_view to_string(RunOutcome outcome);
std::optional<DayState> parse_day_state(std::string_view text);
std::optional<RunOutcome> parse_run_outcome(std::string_view text);

// The state after `event` in `state`, or nullopt when the transition is not allowed.
std::optional<DayState> next_state(DayState state, DayEvent event);

// Whether a day in `state` still needs work from a run (anything but succeeded).
bool needs_work(DayState state);

struct SessionState {
  core::Date date;
  DayState state;
};

// The new mark given the current one and the business days that follow it, in order and
// without gaps (`following[0]` is the first business day after `mark`). The mark moves to
// the last day of the leading run of `succeeded` days and stops at the first day that is not
// succeeded; with no such run it stays where it is (which may be "no mark" = nullopt).
std::optional<core::Date> advance_mark(std::optional<core::Date> mark,
                                       std::span<const SessionState> following);

} // namespace krxbatch::state
