// hourly_analysis (DESIGN §1): score the analysis universe for the session daily_update has
// completed, largest market cap first, inside a time budget, resuming where the last run
// stopped.
//
// The session is daily_update's mark; when a newer session should be published by now, the
// run says that daily_update has not completed it and analyses the mark (nothing newer is
// ever read). The queue is the active targets whose last_analyzed_date is before the session,
// ordered by market cap on the session (store::AnalysisStore::candidates). Bars are loaded in
// bulk (store::BarLoader), each stock is analysed on its own (analysis::StockAnalyser, on up
// to `threads` threads), and every `batch_size` stocks are committed together with their
// last_analyzed_date, so a killed run loses at most one batch. A stock whose data cannot be
// analysed (no bars in the window, a close that is not a price) is recorded with its error
// and leaves the queue like the others. When no active target is left for the session, the
// session is ranked (analysis::rank_session) and the job's mark set to it, in one transaction.
//
// With `ticker` set, only that target is recomputed (budget and quota do not apply); if its
// session was already ranked, the session is ranked again.
//
// Outcome and exit code: succeeded (the session ranked), partial (stopped by the budget or the
// quota; the next run resumes), skipped (nothing to do), all exit 0; failed, exit 1, when any
// stock failed in this run (the summary names how many and the first error). Throws
// core::Error (exit 2) when daily_update has no mark or there are no active targets, or for
// an unknown --ticker. The caller holds the analysis lock.
#pragma once

#include "krxbatch/analysis/score.hpp"
#include "krxbatch/jobs/job_env.hpp"
#include "krxbatch/jobs/run_budget.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::jobs {

// A WARN alert is raised when more than this share of a run's stocks failed.
inline constexpr double k_analysis_failure_alert_rate = 0.30;

struct HourlyAnalysisOptions {
  // The time budget, measured on `monotonic_now` from `started` (the process start).
  std::optional<std::chrono::milliseconds> budget = std::chrono::minutes(50);
  RunBudget::TimePoint started = std::chrono::steady_clock::now();
  RunBudget::Now monotonic_now;      // empty: std::chrono::steady_clock::now
  std::optional<std::int64_t> quota; // at most this many stocks in this run
  std::optional<std::string> ticker; // recompute only this target
  unsigned threads = 1;              // for the per-stock computation
  std::size_t batch_size = 50;       // stocks per transaction
  std::size_t load_chunk = 256;      // stocks per bulk load (one query)
  std::size_t window_sessions = analysis::k_window_sessions;
  std::string args; // the command line, for the run history
  // Test seam for crash tests: called after each stock's row is written, inside its batch's
  // transaction, with the number of stocks written so far by this run. The CLI sets it only
  // when KRXBATCH_TEST_KILL_AFTER_STOCKS=N is in the environment, to SIGKILL the process
  // after the N-th stock: a kill -9 at an exact point, mid-batch.
  std::function<void(std::size_t)> after_write;
  // Test seam for crash tests: called after each batch's commit with the number of stocks this
  // run has committed so far. The CLI sets it only when KRXBATCH_TEST_STOP_AFTER_COMMITTED=N is
  // in the environment, to stop the process (SIGSTOP) once N are committed, so that a test can
  // kill it from outside at that exact commit.
  std::function<void(std::size_t)> after_commit;
};

JobResult run_hourly_analysis(JobEnv env, const HourlyAnalysisOptions& options);

} // namespace krxbatch::jobs
