#include "job_runner.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/notify_client.hpp"
#include "krxbatch/jobs/freshness.hpp"
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

namespace krxbatch::cli {
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

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
    return "localhost";
  }
  return buf;
}

void attach_log_file(Context& ctx, const ops::Settings& s, std::string_view job) {
  const auto path = s.log_dir / (std::string(job) + ".log");
  const auto bytes = static_cast<std::size_t>(s.log_max_bytes);
  // add_log_file counts the rotated files only; log_files counts the current one too.
  util::add_log_file(path, bytes, static_cast<std::size_t>(s.log_files - 1), ctx.path_policy(),
                     s.origin("log_dir"));
}

// Best effort: metrics must never fail a job.
void write_metrics(Context& ctx, const ops::Settings& s, const ops::RunFigures& run) {
  if (s.metrics_textfile.empty() && s.metrics_log.empty()) {
    return;
  }
  try {
    ops::StatusOptions options;
    options.krx_daily_limit = s.krx_daily_limit;
    options.running = [&ctx](std::string_view job) {
      return util::FileLock::is_held(ctx.lock_path(job));
    };
    const auto report =
        ops::build_status(ctx.database(), ctx.calendar(), ctx.clock().now_kst(), options);
    const auto& policy = ctx.path_policy();
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

ops::Notifier make_notifier(fetch::NotifyClient& client, const ops::Settings& settings) {
  return ops::Notifier(client,
                       {settings.webhook_url, settings.ping_start_url, settings.ping_success_url,
                        settings.ping_fail_url, "krxbatch@" + host_name()});
}

} // namespace

int run_job(Context& ctx, std::string_view job, const std::function<util::FileLock()>& take_lock,
            const std::function<jobs::JobResult()>& body) {
  const auto& settings = ctx.settings();
  attach_log_file(ctx, settings, job);
  // Where the metrics go is checked before the job runs: a refusal is a configuration error
  // (exit 2), not a warning after the work.
  if (!settings.metrics_textfile.empty()) {
    ctx.path_policy().check_file(settings.metrics_textfile, settings.origin("metrics_textfile"),
                                 "metrics");
  }
  if (!settings.metrics_log.empty()) {
    ctx.path_policy().check_file(settings.metrics_log, settings.origin("metrics_log"), "metrics");
    // Appended to in place: opened (and created) now as it will be then, so that a link or
    // another user's file is refused before the work rather than warned about after it.
    (void)util::open_own_file(settings.metrics_log, O_WRONLY | O_APPEND, 0644,
                              settings.origin("metrics_log"));
  }

  std::optional<util::FileLock> lock;
  try {
    lock.emplace(take_lock());
  } catch (const core::Error& e) {
    const bool skipped = e.code() == core::ExitCode::locked;
    util::log_to_files(skipped ? util::LogLevel::warn : util::LogLevel::error,
                       std::string(skipped ? "krxbatch: skipped: " : "krxbatch: error: ") +
                           e.what());
    throw;
  }
  spdlog::info("{}: started (pid {}, database {})", job, ::getpid(), ctx.db_path().string());

  fetch::CurlNotifyClient client;
  auto notifier = make_notifier(client, settings);
  notifier.ping_start(job);
  const auto started = std::chrono::steady_clock::now();

  std::optional<std::int64_t> alerts_before;
  std::optional<std::int64_t> run_before;
  jobs::JobResult result;
  int exit_code = 0;
  const auto thrown = run_catching([&] {
    auto& db = ctx.database();
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

  // The alert rules the wrapper owns, while the lock is still held.
  bool alert_stored = true;
  const bool stopped = error && exit_code == static_cast<int>(core::ExitCode::failed);
  const std::string run_key = "run_failed:" + std::string(job);
  try {
    auto& db = ctx.database();
    const auto now = ctx.clock().now_kst();
    if (stopped) {
      store::AlertStore(db).raise(store::AlertSeverity::critical, job, "run_failed",
                                  std::string(job) + " stopped: " + util::redact(error_text),
                                  run_key, now);
    } else if (exit_code == 0) {
      store::AlertStore(db).resolve(run_key, now);
    }
    (void)jobs::check_freshness({db, ctx.calendar(), ctx.clock()});
  } catch (const std::exception& e) {
    alert_stored = !stopped;
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
      auto& db = ctx.database();
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
    notifier.post_text(job, "[CRITICAL] " + std::string(job) + " run_failed: " + std::string(job) +
                                " stopped: " + error_text +
                                " (the alert could not be stored) - krxbatch@" + host_name());
  }
  write_metrics(ctx, settings, figures);
  notifier.ping_end(job, exit_code == 0,
                    error ? std::string(job) + ": failed: " + error_text : result.summary);

  if (error) {
    util::log_to_files(util::LogLevel::error, "krxbatch: error: " + error_text);
    std::rethrow_exception(error);
  }
  return exit_code;
}

int run_care_command(Context& ctx, std::string_view name, const std::function<int()>& body) {
  const auto& settings = ctx.settings();
  attach_log_file(ctx, settings, name);

  int exit_code = 0;
  const auto thrown = run_catching([&] { exit_code = body(); });
  const auto& error = thrown.error;
  const auto& error_text = thrown.text;
  if (error) {
    exit_code = thrown.exit_code;
  }
  if (error) {
    util::log_to_files(
        exit_code == static_cast<int>(core::ExitCode::locked) ? util::LogLevel::warn
                                                              : util::LogLevel::error,
        std::string(exit_code == static_cast<int>(core::ExitCode::locked) ? "krxbatch: skipped: "
                                                                          : "krxbatch: error: ") +
            error_text);
  }

  const bool failed = exit_code == static_cast<int>(core::ExitCode::failed);
  if (failed || exit_code == 0) {
    const std::string key = "command_failed:" + std::string(name);
    const std::string message =
        error ? std::string(name) + " failed: " + util::redact(error_text)
              : std::string(name) + " failed (exit 1); its output and " +
                    (settings.log_dir / (std::string(name) + ".log")).string() + " say why";
    fetch::CurlNotifyClient client;
    auto notifier = make_notifier(client, settings);
    try {
      // A command that failed before the database existed has nothing to record it in.
      std::error_code ec;
      if (std::filesystem::exists(ctx.db_path(), ec)) {
        store::AlertStore alerts(ctx.database());
        const auto now = ctx.clock().now_kst();
        if (failed) {
          const auto before = alerts.last_id();
          alerts.raise(store::AlertSeverity::warn, name, "command_failed", message, key, now);
          notifier.post_alerts(name, alerts.added_after(before));
        } else {
          alerts.resolve(key, now);
        }
      } else if (failed) {
        notifier.post_text(name, "[WARN] " + message + " - krxbatch@" + host_name());
      }
    } catch (const std::exception& e) {
      spdlog::warn("{}: the failure alert was not stored: {}", name, e.what());
      if (failed) {
        notifier.post_text(name, "[WARN] " + message +
                                     " (the alert could not be stored) - "
                                     "krxbatch@" +
                                     host_name());
      }
    }
  }
  if (error) {
    std::rethrow_exception(error);
  }
  return exit_code;
}

} // namespace krxbatch::cli
