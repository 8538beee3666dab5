// What `krxbatch status` shows and the metrics export: one snapshot of the jobs' state, read
// from the database in one place so that status, the metrics textfile and the metrics log
// always agree.
//
// Sessions behind are KRX business days between a job's mark and the latest published session
// (calendar::Calendar::latest_published_session), so a holiday block never counts. The JSON
// form is a contract (documented in docs/STATUS.md): fields are only ever added.
// build_status() reads only; it never writes. Thread-compatible.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/fetch/raw_archive.hpp"
#include "krxbatch/store/adjustment_store.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/store/price_store.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

// A failed or waiting day of a job's state machine.
struct DayIssue {
  core::Date date;
  std::string state; // failed | waiting
  int attempts = 0;
  std::optional<std::string> last_error;
};

struct LastRun {
  std::int64_t run_id = 0;
  std::string started_at;
  std::optional<std::string> finished_at;
  std::string outcome; // running | succeeded | partial | failed | skipped
  std::optional<std::int64_t> duration_ms;
  std::int64_t rows_written = 0;
  std::optional<std::int64_t> items_done;
  std::optional<std::int64_t> items_remaining;
  std::int64_t api_calls = 0;
  std::optional<core::Date> session_from;
  std::optional<core::Date> session_to;
  std::string message;
};

struct JobReport {
  std::string job;
  std::optional<core::Date> last_success_date; // the mark
  // Unix seconds of the last success: the close of the mark's session when the job has a
  // mark, else the end of its last succeeded run.
  std::optional<long long> last_success_unix;
  std::string state;                  // job_status.state
  std::optional<int> sessions_behind; // nullopt: no mark, or manual_setup
  std::optional<bool> running;        // the job's lock is held (nullopt: unknown)
  std::optional<LastRun> last_run;
  std::vector<DayIssue> days; // failed and waiting days, oldest first
};

// A session hourly_analysis has still to complete (store::AnalysisStore::incomplete_sessions).
struct IncompleteSession {
  core::Date session;
  int scored = 0;    // active targets analysed for it (a current analysis_results row)
  int remaining = 0; // active targets still to analyse
  std::optional<std::string> reason; // why it is pending again (a reload), if it was ranked
};

// hourly_analysis' progress on the newest session (daily_update's mark), and every session it
// has still to complete.
struct AnalysisProgress {
  std::optional<core::Date> session;
  int targets = 0;     // active targets
  int done = 0;        // analysed for the session
  int remaining = 0;   // targets - done
  bool ranked = false; // the session is ranked (analysis_sessions)
  int failed = 0;      // of `done`, those whose analysis stored an error (last_error)
  std::vector<IncompleteSession> incomplete; // newest first
};

// The history backfill (manual_setup --from; store::BackfillStore).
struct BackfillReport {
  core::Date from;                         // the oldest session asked for
  std::optional<core::Date> history_start; // the oldest session of the stored history
  int sessions = 0;                        // sessions from `from` to daily_update's mark
  int left = 0;                            // of them, still to store
  std::int64_t calls_left = 0;             // the KRX calls they take
  // The KST day the backfill should end on at the daily limit (nullopt when done): every
  // call left today and then the whole limit each weekday, less one session's calls for
  // daily_update's own session (backfill_end_day); the sessions daily_update is behind (a
  // manual_setup cut short) are fetched first.
  std::optional<core::Date> ends;
};

struct StatusReport {
  std::string database;
  int schema_version = 0;
  core::KstTime now;
  core::Date latest_published_session;
  std::vector<JobReport> jobs;
  AnalysisProgress analysis;
  store::AlertStore::OpenCounts open_alerts;
  std::vector<store::Alert> newest_alerts; // open ones, newest first
  core::Date quality_since; // issues on sessions from this date to the latest published one
  int quality_count = 0;
  std::vector<store::QualityIssue> newest_quality; // newest first
  // Corporate actions (price_adjustments) with an ex-date on those same sessions, by ex-date.
  std::vector<store::StoredAdjustment> adjustments;
  core::Date kst_today;
  std::int64_t krx_calls_today = 0;
  std::int64_t krx_daily_limit = 0;
  std::optional<BackfillReport> backfill; // nullopt: none was asked for
  // The raw archive (archive_dir) and what it holds; nullopt when archiving is off.
  std::optional<std::filesystem::path> archive_dir;
  fetch::ArchiveUsage archive;
};

struct StatusOptions {
  std::int64_t krx_daily_limit = 10000;
  int newest = 5;           // alerts and data-quality issues listed
  int quality_sessions = 5; // sessions of data-quality issues counted
  // The raw archive to measure (Settings::archive_dir); empty: archiving is off.
  std::filesystem::path archive_dir;
  // Whether `job`'s lock is held right now; empty: unknown.
  std::function<std::optional<bool>(std::string_view job)> running;
};

StatusReport build_status(store::Database& db, const calendar::Calendar& calendar,
                          const core::KstTime& now, const StatusOptions& options);

// The report as stable JSON (docs/STATUS.md), pretty-printed.
std::string status_json(const StatusReport& report);

// The KST day on which the `kst_days`-th day of a backfill's calls falls, today being the
// first: the days after today are weekdays only, the days the shipped schedule runs
// daily_update (cron/krxbatch.crontab and the systemd timers: Monday to Friday, KRX holidays
// included). Precondition: kst_days >= 1.
core::Date backfill_end_day(const core::Date& today, int kst_days);
// One run of the run history.
struct RunHistoryEntry {
  std::string job;
  LastRun run;
};
// The runs (job_runs) of `job` (of every job when nullopt), newest first, at most `limit`.
// Reads only.
std::vector<RunHistoryEntry> run_history(store::Database& db, const std::optional<std::string>& job,
                                         int limit);
// {"runs": [{"job", then the fields of status' last_run (docs/STATUS.md)}]}, pretty-printed.
std::string runs_json(const std::vector<RunHistoryEntry>& runs);

// The report as a readable table.
std::string status_table(const StatusReport& report);

} // namespace krxbatch::ops
