// hourly_analysis (DESIGN §1; docs/SCORING.md "Which sessions are scored"): score the analysis
// universe for every session daily_update has completed that is not scored yet, freshest
// first, largest market cap first within a session, inside a time budget and a quota,
// resuming where the last run stopped.
//
// The sessions are store::AnalysisStore::incomplete_sessions: every KRX session from the first
// one tracked in analysis_sessions up to daily_update's mark that is not ranked (new sessions,
// holes after a catch-up, sessions whose scores a reload made stale), newest first: the scores
// an operator reads (the latest session) come before history. Nothing newer than the mark is
// ever read; when a newer session should be published by now, the run says that daily_update
// has not completed it. A session's queue is its active targets without a current
// analysis_results row (none, or a stale one), by market cap on the session
// (store::AnalysisStore::candidates). Bars are loaded in bulk over the session's own window
// (store::BarLoader), each stock is analysed on its own (analysis::StockAnalyser, on up to
// `threads` threads), and every `batch_size` stocks are committed together, so a killed run
// loses at most one batch. A stock whose data cannot be analysed (no bars in the window, a
// close that is not a price) is recorded with its error and leaves the queue like the others;
// one without bars that was listed after the session is recorded not eligible
// (not_on_session), without an error. The run that analyses a session's last target ranks the
// session (analysis::rank_session), records it ranked in analysis_sessions and, when it is the
// newest ranked, as the job's mark, in one transaction.
//
// With `from` (and `to`, default the mark), only those sessions are worked on; they are
// tracked from then on, so the scheduled runs finish them when this run cannot. With `ticker`
// set, only that target is recomputed for the mark (budget and quota do not apply); if the
// session was already ranked, it is ranked again.
//
// Outcome and exit code: succeeded (every session worked on ranked), partial (stopped by the
// budget or the quota; the next run resumes), skipped (nothing to do), all exit 0; failed,
// exit 1, when any stock failed in this run (the summary names how many and the first error).
// Alerts: more than k_analysis_failure_alert_rate of the run's stocks failed: WARN; every one
// failed: CRITICAL. Throws core::Error (exit 2) when daily_update has no mark or there are no
// active targets, for an unknown --ticker, or a --from/--to range that is not stored. The
// caller holds the analysis lock.
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

// A WARN alert is raised when more than this share of a run's stocks failed (CRITICAL when
// all of them did).
inline constexpr double k_analysis_failure_alert_rate = 0.30;

struct HourlyAnalysisOptions {
  // The time budget, measured on `monotonic_now` from `started` (the process start).
  std::optional<std::chrono::milliseconds> budget = std::chrono::minutes(50);
  RunBudget::TimePoint started = std::chrono::steady_clock::now();
  RunBudget::Now monotonic_now;      // empty: std::chrono::steady_clock::now
  std::optional<std::int64_t> quota; // at most this many stocks in this run
  std::optional<std::string> ticker; // recompute only this target
  std::optional<core::Date> from;    // score only the sessions from this one ...
  std::optional<core::Date> to;      // ... to this one (default: daily_update's mark)
  unsigned threads = 1;              // for the per-stock computation
  std::size_t batch_size = 50;       // stocks per transaction
  std::size_t load_chunk = 256;      // stocks per bulk load (one query)
  std::size_t window_sessions = analysis::k_window_sessions;
  std::string args; // the command line, for the run history
  // A watchlist stock's score move that makes it news in the `watchlist` alert of a ranked
  // session (jobs/watchlist_alerts.hpp; config watchlist_threshold).
  double watchlist_threshold = 5.0;
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
