#include "krxbatch/app/job_runner.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/job_locks.hpp"
#include "krxbatch/ops/metrics.hpp"
#include "krxbatch/ops/notifier.hpp"
#include "krxbatch/ops/status_report.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/util/log.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <fcntl.h>
#include <optional>
#include <unistd.h>

namespace krxbatch::app {
namespace {

// What a job's body threw: kept to be rethrown once the run is recorded, with its one-line text
// and its exit code (a core::Error's own; anything else is an internal error, exit 1).
struct Thrown {
  std::exception_ptr error;
  std::string text;
  int exit_code = 0;
};

// Runs `body`, catching what the job wrapper reports instead of letting it through at once.
template <typename Body>
Thrown run_catching(Body&& body) {
  Thrown thrown;
  try {
    body();
  } catch (const core::Error& e) {
    thrown = {std::current_exception(), e.what(), static_cast<int>(e.code())};
  } catch (const std::exception& e) {
    thrown = {std::current_exception(), std::string("internal error: ") + e.what(),
              static_cast<int>(core::ExitCode::failed)};
  }
  return thrown;
}

constexpr int k_exit_failed = static_cast<int>(core::ExitCode::failed);
constexpr int k_exit_locked = static_cast<int>(core::ExitCode::locked);

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
    return "localhost";
  }
  return buf;
}

std::string origin() {
  return "krxbatch@" + host_name();
}

// The run's own log file, <log_dir>/<name>.log, through the path policy.
util::LogFile open_log_file(const RunInputs& in, std::string_view name) {
  const auto& s = in.settings;
  // LogFile counts the rotated files only; log_files counts the current one too.
  return {s.log_dir / (std::string(name) + ".log"), static_cast<std::size_t>(s.log_max_bytes),
          static_cast<std::size_t>(s.log_files - 1), in.policy, s.origin("log_dir")};
}

// A run that ended with `error_text` and `exit_code`, in the log files only (stderr gets the
// same line from cli::run): a skip (exit 75) is a WARN, anything else an ERROR.
void log_error_to_files(int exit_code, const std::string& error_text) {
  const bool skipped = exit_code == k_exit_locked;
  util::log_to_files(skipped ? util::LogLevel::warn : util::LogLevel::error,
                     std::string(skipped ? "krxbatch: skipped: " : "krxbatch: error: ") +
                         error_text);
}

ops::Notifier make_notifier(fetch::NotifyClient& client, const ops::Settings& settings) {
  return ops::Notifier(client, {settings.webhook_url, settings.ping_start_url,
                                settings.ping_success_url, settings.ping_fail_url, origin()});
}

// Where the metrics go, checked before the job runs: a refusal is a configuration error
// (exit 2), not a warning after the work. The paths are checked before the lock is taken (a
// refused target leaves no file behind, not even the lock file); the metrics log, appended to
// in place, is opened (and created) once the lock is held, as it will be then, so that a link
// or another user's file is refused before the work, and a skipped run creates nothing.
void check_metrics_paths(const ops::Settings& settings, const util::PathPolicy& policy) {
  if (!settings.metrics_textfile.empty()) {
    policy.check_file(settings.metrics_textfile, settings.origin("metrics_textfile"), "metrics");
  }
  if (!settings.metrics_log.empty()) {
    policy.check_file(settings.metrics_log, settings.origin("metrics_log"), "metrics");
  }
}

void open_metrics_log(const ops::Settings& settings) {
  if (!settings.metrics_log.empty()) {
    (void)util::open_own_file(settings.metrics_log, O_WRONLY | O_APPEND, 0644,
                              settings.origin("metrics_log"));
  }
}

// Best effort: metrics must never fail a job.
void write_metrics(const RunInputs& in, const ops::RunFigures& run) {
  const auto& s = in.settings;
  if (s.metrics_textfile.empty() && s.metrics_log.empty()) {
    return;
  }
  try {
    ops::StatusOptions options;
    options.krx_daily_limit = s.krx_daily_limit;
    options.running = [&in](std::string_view job) {
      return util::FileLock::is_held(job_lock_path(in.db_path, job));
    };
    auto& services = in.services;
    const auto report = ops::build_status(services.database(), services.calendar(),
                                          services.clock().now_kst(), options);
    const auto& policy = in.policy;
    if (!s.metrics_textfile.empty()) {
      ops::write_file_atomically(s.metrics_textfile, ops::render_metrics(report), policy,
                                 s.origin("metrics_textfile"));
    }
    if (!s.metrics_log.empty()) {
      ops::append_line(s.metrics_log, ops::metrics_json_line(report, run), policy,
                       s.origin("metrics_log"));
    }
  } catch (const std::exception& e) {
    spdlog::warn("{}: metrics not written: {}; the job's outcome is unchanged", run.job, e.what());
  }
}

// The `run_failed` message of a run, or nullopt when the run raises none: a job that stopped
// with an error of exit 1, or that reported it failed without storing anything.
std::optional<std::string> run_failure(std::string_view job, const Thrown& thrown,
                                       const jobs::JobResult& result) {
  if (thrown.error) {
    if (thrown.exit_code != k_exit_failed) {
      return std::nullopt;
    }
    return std::string(job) + " stopped: " + util::redact(thrown.text);
  }
  if (result.stored_nothing) {
    return std::string(job) + " stored nothing: " + result.run.message;
  }
  return std::nullopt;
}

} // namespace

std::filesystem::path job_lock_path(const std::filesystem::path& db_path, std::string_view job) {
  return job == store::k_job_hourly_analysis ? ops::analysis_lock_path(db_path)
                                             : ops::ingest_lock_path(db_path);
}

std::optional<int> check_freshness(jobs::JobEnv env) {
  const auto mark = store::JobStore(env.db).job(store::k_job_daily_update).last_success_date;
  if (!mark) {
    return std::nullopt;
  }
  const auto now = env.clock.now_kst();
  const auto latest = env.calendar.latest_published_session(now);
  const int behind = env.calendar.business_days_between(*mark, latest);
  const std::string key = "behind:daily_update";
  store::AlertStore alerts(env.db);
  if (behind >= k_sessions_behind_critical) {
    alerts.raise(store::AlertSeverity::critical, store::k_job_daily_update, "sessions_behind",
                 "daily_update's mark " + core::to_iso(*mark) + " is " + std::to_string(behind) +
                     " sessions behind the latest published session " + core::to_iso(latest),
                 key, now);
  } else {
    alerts.resolve(key, now);
  }
  return behind;
}

void check_holiday_coverage(jobs::JobEnv env, std::string_view job) {
  const auto now = env.clock.now_kst();
  const std::string key = "holidays_ending";
  store::AlertStore alerts(env.db);
  if (const auto message = calendar::coverage_ends_soon(env.calendar, now.date(),
                                                        calendar::k_holiday_warning_days)) {
    alerts.raise(store::AlertSeverity::warn, job, key, *message, key, now);
  } else {
    alerts.resolve(key, now);
  }
}

JobRunner::JobRunner(RunInputs inputs) : m_in(std::move(inputs)) {}

int JobRunner::run_job(std::string_view job, const std::function<util::FileLock()>& take_lock,
                       const std::function<jobs::JobResult()>& body) {
  const auto& settings = m_in.settings;
  auto& services = m_in.services;
  const auto log_file = open_log_file(m_in, job);
  std::optional<util::FileLock> lock;
  try {
    check_metrics_paths(settings, m_in.policy);
    lock.emplace(take_lock());
    open_metrics_log(settings);
  } catch (const core::Error& e) {
    log_error_to_files(static_cast<int>(e.code()), e.what());
    throw;
  }
  if (!settings.metrics_log.empty()) {
    // Appended to in place: opened (and created) now as it will be then, so that a link or
    // another user's file is refused before the work rather than warned about after it; once
    // the lock is taken, so that a skipped run (exit 75) leaves no file behind.
    (void)util::open_own_file(settings.metrics_log, O_WRONLY | O_APPEND, 0644,
                              settings.origin("metrics_log"));
  }
  spdlog::info("{}: started (pid {}, database {})", job, ::getpid(), m_in.db_path.string());

  auto notifier = make_notifier(m_in.notify, settings);
  notifier.ping_start(job);
  const auto started = std::chrono::steady_clock::now();

  std::optional<std::int64_t> alerts_before;
  std::optional<std::int64_t> run_before;
  jobs::JobResult result;
  int exit_code = 0;
  const auto thrown = run_catching([&] {
    auto& db = services.database();
    alerts_before = store::AlertStore(db).last_id();
    const auto last = store::JobStore(db).last_run(job);
    run_before = last ? last->run_id : 0;
    result = body();
    exit_code = static_cast<int>(result.exit_code);
    if (result.exit_code == core::ExitCode::ok) {
      spdlog::info("{}", result.summary);
    } else {
      spdlog::error("{}", result.summary);
    }
  });
  const auto& error = thrown.error;
  const auto& error_text = thrown.text;
  if (error) {
    exit_code = thrown.exit_code;
  }
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // The run-level alert rules, while the lock is still held.
  const auto failure = run_failure(job, thrown, result);
  bool alert_stored = true;
  const std::string run_key = "run_failed:" + std::string(job);
  try {
    auto& db = services.database();
    store::AlertStore alerts(db);
    const auto now = services.clock().now_kst();
    if (!error && result.key_refused) {
      alerts.raise(store::AlertSeverity::critical, job, "krx_auth", *result.key_refused, "krx_auth",
                   now);
    }
    if (failure) {
      alerts.raise(store::AlertSeverity::critical, job, "run_failed", *failure, run_key, now);
    } else if (exit_code == 0) {
      alerts.resolve(run_key, now);
    }
    const std::string archive_key = "archive_failed";
    if (!error && result.archive_failed) {
      alerts.raise(store::AlertSeverity::warn, job, archive_key,
                   "the raw archive did not keep every KRX answer: " + *result.archive_failed +
                       "; check the free space and permissions of archive_dir (the sessions "
                       "themselves were stored)",
                   archive_key, now);
    } else if (exit_code == 0) {
      alerts.resolve(archive_key, now);
    }
    (void)check_freshness({db, services.calendar(), services.clock()});
    check_holiday_coverage({db, services.calendar(), services.clock()}, job);
  } catch (const std::exception& e) {
    alert_stored = !failure;
    spdlog::warn("{}: alerts not checked: {}", job, e.what());
  }
  lock.reset();

  // Tell the outside world.
  ops::RunFigures figures;
  figures.job = std::string(job);
  figures.exit_code = exit_code;
  figures.duration_seconds = seconds;
  if (error) {
    figures.outcome = "failed";
  } else {
    figures.outcome = std::string(state::to_string(result.run.outcome));
    figures.rows_written = result.run.rows_written;
    figures.items_done = result.run.items_done;
    figures.items_remaining = result.run.items_remaining;
  }
  if (alerts_before) {
    try {
      auto& db = services.database();
      const auto added = store::AlertStore(db).added_after(*alerts_before);
      figures.alerts_raised = static_cast<int>(added.size());
      notifier.post_alerts(job, added);
      const auto last = store::JobStore(db).last_run(job);
      if (last && run_before && last->run_id > *run_before) {
        figures.run_id = last->run_id;
      }
    } catch (const std::exception& e) {
      spdlog::warn("{}: new alerts not read: {}", job, e.what());
    }
  }
  if (!alert_stored) {
    notifier.post_text(job, "[CRITICAL] " + std::string(job) + " run_failed: " + *failure +
                                " (the alert could not be stored) - " + origin());
  }
  write_metrics(m_in, figures);
  notifier.ping_end(job, exit_code == 0,
                    error ? std::string(job) + ": failed: " + error_text : result.summary);

  if (error) {
    log_error_to_files(k_exit_failed, error_text);
    std::rethrow_exception(error);
  }
  return exit_code;
}

int JobRunner::run_care_command(std::string_view name, const std::function<int()>& body) {
  const auto& settings = m_in.settings;
  const auto log_file = open_log_file(m_in, name);

  int exit_code = 0;
  const auto thrown = run_catching([&] { exit_code = body(); });
  const auto& error = thrown.error;
  const auto& error_text = thrown.text;
  if (error) {
    exit_code = thrown.exit_code;
    log_error_to_files(exit_code, error_text);
  }

  const bool failed = exit_code == k_exit_failed;
  if (failed || exit_code == 0) {
    const std::string key = "command_failed:" + std::string(name);
    const std::string message =
        error ? std::string(name) + " failed: " + util::redact(error_text)
              : std::string(name) + " failed (exit 1); its output and " +
                    (settings.log_dir / (std::string(name) + ".log")).string() + " say why";
    auto notifier = make_notifier(m_in.notify, settings);
    try {
      // A command that failed before the database existed has nothing to record it in.
      std::error_code ec;
      if (std::filesystem::exists(m_in.db_path, ec)) {
        store::AlertStore alerts(m_in.services.database());
        const auto now = m_in.services.clock().now_kst();
        if (failed) {
          const auto before = alerts.last_id();
          alerts.raise(store::AlertSeverity::warn, name, "command_failed", message, key, now);
          notifier.post_alerts(name, alerts.added_after(before));
        } else {
          alerts.resolve(key, now);
        }
      } else if (failed) {
        notifier.post_text(name, "[WARN] " + message + " - " + origin());
      }
    } catch (const std::exception& e) {
      spdlog::warn("{}: the failure alert was not stored: {}", name, e.what());
      if (failed) {
        notifier.post_text(name,
                           "[WARN] " + message + " (the alert could not be stored) - " + origin());
      }
    }
  }
  if (error) {
    std::rethrow_exception(error);
  }
  return exit_code;
}

} // namespace krxbatch::app
