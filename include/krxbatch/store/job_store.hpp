// Job state in the database: job_status (one row per job, with its mark), job_days (the
// per-(job, day) state machine of state/day_state.hpp) and job_runs (run history).
//
// Methods that write do so in the caller's transaction when one is open (so a day's rows and
// its `succeeded` state commit together), else in SQLite's implicit one-statement
// transaction. All throw core::Error on storage failures; invalid state transitions throw
// core::Error too (they are bugs or concurrent tampering and must not be written).
// Lifetime: the Database must outlive the JobStore. Same threading rules as Database.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/state/day_state.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::store {

inline constexpr std::string_view k_job_manual_setup = "manual_setup";
inline constexpr std::string_view k_job_daily_update = "daily_update";
inline constexpr std::string_view k_job_hourly_analysis = "hourly_analysis";

struct JobStatus {
  std::string job;
  std::optional<core::Date> last_success_date; // the mark
  std::string state; // never_run | running | succeeded | partial | failed | skipped
  std::optional<std::int64_t> last_run_id;
  std::optional<std::string> last_started_at; // ISO KST
  std::optional<std::string> last_finished_at;
  std::optional<std::int64_t> last_duration_ms;
  std::optional<std::string> last_message;
};

struct DayRecord {
  core::Date date;
  state::DayState state = state::DayState::pending;
  int attempts = 0;
  std::optional<std::string> last_error;
  std::optional<std::int64_t> rows_stored;
  std::optional<std::int64_t> run_id;
  std::string updated_at;
};

struct RunSummary {
  state::RunOutcome outcome = state::RunOutcome::succeeded;
  std::optional<core::Date> session_from;
  std::optional<core::Date> session_to;
  int days_done = 0;
  std::int64_t rows_written = 0;
  std::optional<std::int64_t> items_done;
  std::optional<std::int64_t> items_remaining;
  std::int64_t api_calls = 0;
  std::int64_t duration_ms = 0;
  std::string message;
};

struct RunRecord {
  std::int64_t run_id = 0;
  std::string job;
  std::string started_at;
  std::optional<std::string> finished_at;
  state::RunOutcome outcome = state::RunOutcome::running;
  RunSummary summary;
};

class JobStore {
public:
  explicit JobStore(Database& db) : m_db(db) {}

  std::vector<JobStatus> jobs() const;
  JobStatus job(std::string_view name) const; // throws core::Error for an unknown job

  // Sets the job's mark (nullopt clears it).
  void set_mark(std::string_view job, std::optional<core::Date> mark, const core::KstTime& now);

  std::optional<DayRecord> day(std::string_view job, const core::Date& date) const;
  // Days with a row in [from, to], ascending.
  std::vector<DayRecord> days(std::string_view job, const core::Date& from,
                              const core::Date& to) const;
  // Days of `job` in `state`, ascending.
  std::vector<DayRecord> days_in_state(std::string_view job, state::DayState state) const;

  // Applies `event` to the day (a day without a row is `pending`) and returns the new state.
  // `start` counts an attempt and records `run_id`; `fail`, `recover` and `wait` record
  // `error`; `succeed` records `rows` and clears the error.
  state::DayState apply(std::string_view job, const core::Date& date, state::DayEvent event,
                        const core::KstTime& now, std::optional<std::string> error = {},
                        std::optional<std::int64_t> rows = {},
                        std::optional<std::int64_t> run_id = {});

  // Starts a run: a job_runs row in state `running`, and job_status.state = running.
  std::int64_t begin_run(std::string_view job, const core::KstTime& now, std::int64_t pid,
                         const std::string& args);
  // Ends a run with its outcome and figures; job_status follows (state, times, message).
  void finish_run(std::int64_t run_id, const RunSummary& summary, const core::KstTime& now);
  std::optional<RunRecord> last_run(std::string_view job) const;
  std::vector<RunRecord> runs(std::string_view job, int limit) const;
  // The newest finished run of `job` with `outcome`, if any.
  std::optional<RunRecord> last_run_with(std::string_view job, state::RunOutcome outcome) const;

  // Recovery after a crash, for the process that holds the job's lock: every `running` day
  // of `job` becomes `failed` ("interrupted") and every `running` run becomes `failed`.
  // Returns the number of days recovered.
  int recover_stale(std::string_view job, const core::KstTime& now);

private:
  Database& m_db;
};

} // namespace krxbatch::store
