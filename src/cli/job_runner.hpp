// Internal to the CLI: the wrapper every job command runs in (manual_setup, daily_update,
// hourly_analysis).
//
// Around the job it: adds the rotating log file <log_dir>/<job>.log beside stderr; takes the
// job's lock (a second instance exits 75, logged in the file too); sends the start ping; runs
// the job and logs its summary; raises the CRITICAL `run_failed` alert when the job stopped
// with an error (and resolves it after a clean run); checks data freshness; posts every alert
// the run added to the webhook; writes the metrics textfile and appends to the metrics log;
// sends the success or fail ping. Pings, webhook and metrics are best effort: their failures
// are WARN lines and never change the exit code. Errors from the job are rethrown unchanged
// after all that, so cli::run prints them and exits with their code.
#pragma once

#include "krxbatch/jobs/job_env.hpp"
#include "krxbatch/util/file_lock.hpp"

#include "context.hpp"

#include <functional>
#include <string_view>

namespace krxbatch::cli {

// `take_lock` takes the job's lock or throws core::Error (exit 75); `body` runs the job.
// Returns the process exit code.
int run_job(Context& ctx, std::string_view job, const std::function<util::FileLock()>& take_lock,
            const std::function<jobs::JobResult()>& body);

// The lighter wrapper of the scheduled data-care commands (backup, snapshot, verify, universe
// refresh), which cron runs at night with nobody reading stderr: their log lines also go to
// <log_dir>/<name>.log (rotated like a job's); when `body` fails (exit 1, or a core::Error or
// other exception with exit 1) the WARN alert `command_failed` (job `name`) is raised and, when
// new, posted to the webhook; a run that exits 0 resolves it. Usage errors (exit 2) and skips
// (exit 75) change no alert. No pings and no metrics: those belong to the jobs. Returns
// `body`'s exit code; rethrows its exception after that, unchanged.
int run_care_command(Context& ctx, std::string_view name, const std::function<int()>& body);

} // namespace krxbatch::cli
