// The wrapper every job and every scheduled data-care command runs in, and the one owner of
// run-level policy: when a run is logged, alerted, pinged and measured, and with what exit code.
//
// run_job(), around a job (manual_setup, daily_update, hourly_analysis):
//  1. adds the rotating log file <log_dir>/<job>.log beside stderr for the run's length, through
//     the path policy (RunInputs::policy);
//  2. checks the metrics targets against the path policy, takes the job's lock (`take_lock`)
//     and opens the metrics log as it will be appended to; when any of it fails (exit 2 for a
//     refused target, exit 75 while another instance holds the lock, or any error), that line
//     goes to the file too and the error is rethrown: no ping, no alert, no metrics;
//  3. sends the start ping, runs the job and logs its summary (INFO on exit 0, ERROR otherwise);
//  4. applies the run-level alert rules, while the lock is still held:
//     - `run_failed` (CRITICAL, one per job): raised when the job stopped with an error of exit 1
//       ("<job> stopped: <error>") or reported that it failed without storing anything
//       (JobResult::stored_nothing: "<job> stored nothing: <its run message>"); resolved by a
//       run that exits 0; a run that exits 1 after storing something leaves it as it is;
//     - `krx_auth` (CRITICAL): raised when the job reports that KRX refused the key
//       (JobResult::key_refused); the day ingestor resolves it when a session commits;
//     - `sessions_behind` (CRITICAL): check_freshness() after every run, whatever its outcome;
//     - `holidays_ending` (WARN): check_holiday_coverage() after every run, whatever its outcome;
//     - `archive_failed` (WARN): raised when the job reports answers the raw archive could not
//       keep (JobResult::archive_failed); resolved by a run that exits 0 without;
//  5. releases the lock; posts every alert the run added to the webhook (when an alert could
//     not be stored, its text goes to the webhook instead); writes the metrics textfile and
//     appends to the metrics log; sends the success ping (exit 0) or the fail ping.
// The exit code is the job's (JobResult::exit_code), or the thrown core::Error's; any other
// exception is exit 1. A thrown error is rethrown unchanged once all that is done, so that the
// one catch site (cli::run) prints it and exits with its code. Pings, webhook and metrics are
// best effort: their failures are WARN lines and never change the exit code.
//
// Alerts that belong to one day or one stock (`ingest_day_failed`, `unpublished`,
// `analysis_failure_rate`) are raised by the jobs themselves, where the facts are.
//
// A JobRunner may run several jobs and commands one after the other in one process (say an
// ingestion, then the analysis under its own lock): each run has its own log file, lock,
// pings, alert bookkeeping and metrics line. Not thread-safe.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/fetch/notify_client.hpp"
#include "krxbatch/jobs/job_env.hpp"
#include "krxbatch/ops/config.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/util/clock.hpp"
#include "krxbatch/util/file_lock.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

namespace krxbatch::app {

// The services of a command, each built on first use: opening the database or loading the
// calendar can fail, and such a failure inside a run is that run's error like any other.
// Implementations return the same object on every call and keep it alive as long as
// themselves.
class Services {
public:
  virtual ~Services() = default;
  // Throws core::Error when the database cannot be opened or migrated.
  virtual store::Database& database() = 0;
  // Throws core::Error (exit 2) when the holiday files cannot be read.
  virtual const calendar::Calendar& calendar() = 0;
  virtual const util::Clock& clock() = 0;
};

// What a JobRunner needs from the outside. All references must outlive the runner.
struct RunInputs {
  const ops::Settings& settings;  // log files, pings, webhook, metrics
  std::filesystem::path db_path;  // for the log line and the lock files (job_lock_path)
  Services& services;             // the database, calendar and clock of the runs
  fetch::NotifyClient& notify;    // pings and webhook messages
  const util::PathPolicy& policy; // what the log files and the metrics may be written to
};

class JobRunner {
public:
  explicit JobRunner(RunInputs inputs);

  // Runs job `job` as described above. `take_lock` takes the job's lock or throws core::Error
  // (exit 75 when it is held); `body` runs the job. Returns the exit code; rethrows the
  // job's exception.
  int run_job(std::string_view job, const std::function<util::FileLock()>& take_lock,
              const std::function<jobs::JobResult()>& body);

  // The lighter wrapper of the scheduled data-care commands (backup, snapshot, verify, universe
  // refresh), which cron runs at night with nobody reading stderr: their log lines also go to
  // <log_dir>/<name>.log; when `body` fails (exit 1, or a core::Error or other exception with
  // exit 1) the WARN alert `command_failed` (job `name`) is raised and, when new, posted to the
  // webhook; a run that exits 0 resolves it. A command that failed before the database file
  // existed posts the alert's text to the webhook instead. Usage errors (exit 2) and skips
  // (exit 75) change no alert. No pings and no metrics: those belong to the jobs. Returns
  // `body`'s exit code; rethrows its exception after that, unchanged.
  int run_care_command(std::string_view name, const std::function<int()>& body);

private:
  RunInputs m_in;
};

// The lock file `job` takes, next to the database: manual_setup and daily_update share
// `<db>.ingest.lock`; hourly_analysis has `<db>.analysis.lock`.
std::filesystem::path job_lock_path(const std::filesystem::path& db_path, std::string_view job);

// daily_update's mark this many KRX sessions (or more) behind the latest published session
// raises the CRITICAL `sessions_behind` alert.
inline constexpr int k_sessions_behind_critical = 2;

// The freshness rule: raises (or refreshes) the CRITICAL `sessions_behind` alert when
// daily_update's mark is k_sessions_behind_critical or more KRX business days behind the
// latest published session at the clock's now, and resolves it otherwise. Counting business
// days, a holiday block (Seollal, Chuseok) never raises it. Does nothing while daily_update has
// no mark. Returns the number of sessions behind, when there is a mark. Throws core::Error.
std::optional<int> check_freshness(jobs::JobEnv env);

// Raises (or refreshes) the WARN `holidays_ending` alert when the holiday files end within
// calendar::k_holiday_warning_days of the clock's today (calendar::coverage_ends_soon), and
// resolves it otherwise; `job` is the run that checked. Throws core::Error.
void check_holiday_coverage(jobs::JobEnv env, std::string_view job);

} // namespace krxbatch::app
