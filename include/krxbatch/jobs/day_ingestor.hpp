// Ingests one KRX session: fetch every market (and the indices), validate, and commit the
// rows together with the day's `succeeded` state in one transaction (DESIGN §5.1).
//
// The day is moved to `running` (committed) before anything is fetched, so a process killed
// mid-day leaves a `running` row that the next run recovers and retries. An empty answer makes
// the day `waiting` (never succeeded, never a holiday); a validation error or a failed fetch
// makes it `failed` with the reason, storing nothing of it. After a success, daily_update's
// mark advances over the contiguous run of complete sessions (state/day_state.hpp).
//
// The same transaction stores the session's corporate actions (price_adjustments, detected from
// KRX's base price against the previous session's closes: market/rebase.hpp) and derives again
// those of the next session when it is stored already (a reload, or a session stored while the
// one before it failed). An issue is compared only with its row on the previous KRX session;
// when that session is not stored, the session gets no events until it is.
//
// A session the analysis has scored from (a reload, or rows fetched again after they vanished)
// is compared before and after, in the same transaction: the scores that read what changed are
// marked for recomputation (store::AnalysisStore::mark_stale; docs/SCORING.md "Reloads").
//
// Shared by daily_update and manual_setup; day states live under the job `daily_update`.
// Not thread-safe; the caller holds the ingestion lock.
#pragma once

#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/jobs/job_env.hpp"
#include "krxbatch/market/rebase.hpp"
#include "krxbatch/market/validation.hpp"
#include "krxbatch/store/adjustment_store.hpp"
#include "krxbatch/store/analysis_store.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/store/price_store.hpp"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace krxbatch::jobs {

struct DayOutcome {
  enum class Kind { stored, waiting, failed, stopped };
  Kind kind = Kind::failed;
  std::int64_t rows = 0;
  int warnings = 0;
  std::string message;                       // why it waits / failed / stopped
  std::optional<fetch::FailureKind> failure; // for failed / stopped
};

// Stock rows already fetched for a day (manual_setup's probe), by market.
using Prefetched = std::map<market::Market, std::vector<market::PriceRow>>;

class DayIngestor {
public:
  // `source` must outlive the ingestor. `run_id` is recorded on the days it starts.
  DayIngestor(JobEnv env, fetch::MarketSource& source, IngestSettings settings,
              std::int64_t run_id);

  // Ingests `day` (a business day that is not `succeeded`; for a reload the caller applies
  // the `reload` event first). Storage errors propagate as core::Error.
  // `before_write`, when given, runs once the day's answers are all in and valid, just before
  // its transaction: the loop uses it to ask for the next day's answers (prefetch()), which
  // then download while this day is written.
  DayOutcome ingest(const core::Date& day, const Prefetched& prefetched = {},
                    const std::function<void()>& before_write = {});

  // Asks the source for `day`'s answers ahead of ingest(day) (MarketSource::prefetch), in the
  // order ingest() calls for them; prepaid(day) is then true: the calls of its first attempts
  // are counted already.
  // A market in `given` (manual_setup's probe answers) is not asked for again.
  void prefetch(const core::Date& day, const Prefetched& given = {});
  bool prepaid(const core::Date& day) const { return m_prepaid_days.contains(day); }
  // Whether this ingestor has stored a day (the source has answered this run).
  bool stored_any() const { return m_last_day.has_value(); }
  // How many days ahead of the one being written are asked for: enough to keep every
  // connection (IngestSettings::connections) busy while a day is parsed and written, two
  // connections' worth of requests each; one day with one connection.
  int lookahead() const;

  // Number of KRX calls one day needs with these settings.
  int calls_per_day() const;

  // With staging on, a day after daily_update's mark or before history_start (the history
  // backfill) writes its price rows to the staging table (in the same per-day transaction as
  // its state, DESIGN §5.1); days in [history_start, mark] (reloads) always go straight to
  // daily_prices, so that every session of the stored history is in daily_prices at every
  // instant (what readers outside the ingest lock rely on).
  void set_staging(bool on) { m_staging = on; }
  // Whether the sessions staged since the last merge_staged() reach the settings' bound
  // (IngestSettings::merge_every_sessions or merge_staged_bytes).
  bool merge_due() const;
  // merge_staged_prices() through this ingestor's PriceStore; restarts the count behind
  // merge_due(). With `checkpoint`, then copies the WAL into the database file (a passive
  // checkpoint): what a merge made while the next sessions download does, so that the run's
  // end has little left to copy (the ingestion's WAL would hold up to 16384 pages).
  std::int64_t merge_staged(bool checkpoint = false);
  // A loop over days starts: the MergePacer counts its waits from now.
  void pace_restart();
  // With staging on and sessions staged: how many sessions to ask for ahead (prefetch()) and
  // then merge while they download (MergePacer::merge_now), `remaining` days still to ingest
  // after the one just stored; 0 when the merge should wait.
  int overlap_merge_queue(int remaining) const;

private:
  // A day's calls, in the order ingest() makes them (stocks of each market, then indices).
  std::vector<fetch::Endpoint> day_endpoints() const;
  DayOutcome finish_failed(const core::Date& day, DayOutcome outcome);
  DayOutcome finish_waiting(const core::Date& day, const std::string& what);
  // How many recent sessions the row-count reference is the median of.
  static constexpr std::size_t k_reference_sessions = 5;
  // The row count `day`'s answer for `m` is validated against: the median of the (up to
  // k_reference_sessions) most recent sessions stored before `day`, from memory when this run
  // stored the session before it.
  std::optional<std::size_t> reference_count(const core::Date& day, market::Market m);
  // Marks stale the scores that read what changed on `session` since `before` (its inputs
  // before the reload of `reloaded`).
  void mark_stale_scores(const core::Date& session, const store::SessionInputs& before,
                         const core::Date& reloaded, const core::KstTime& now);

  JobEnv m_env;
  fetch::MarketSource& m_source;
  IngestSettings m_settings;
  std::int64_t m_run_id;
  store::JobStore m_jobs;
  store::PriceStore m_prices;
  store::AdjustmentStore m_adjustments;
  store::AnalysisStore m_results;
  store::AlertStore m_alerts;
  bool m_staging = false;
  int m_staged = 0;
  MergePacer m_pacer;
  std::set<core::Date> m_prepaid_days;
  // The last day this ingestor stored; per market, the row counts of the most recent stored
  // sessions, oldest first (the next day's validation compares its count with their median);
  // and the last day's closes by ticker (the next day's re-bases are measured against them):
  // a backfill never reads the previous session back.
  std::optional<core::Date> m_last_day;
  std::map<market::Market, std::vector<std::size_t>> m_recent_counts;
  std::vector<market::CloseRow> m_last_closes;
};

// Merges the staging table into daily_prices and moves daily_update's mark, and history_start
// (store::BackfillStore::extend_history_start), over the sessions that were staged, in one
// transaction. Call only while holding the ingest lock. A no-op
// (no transaction) when nothing is staged. Returns the number of price rows moved.
std::int64_t merge_staged_prices(JobEnv env);
std::int64_t merge_staged_prices(JobEnv env, store::PriceStore& prices);

// Moves daily_update's mark over the contiguous complete sessions that follow it (or that
// start the stored history when there is no mark), stopping before the oldest session whose
// rows are still in the staging table. Call inside the day's transaction.
// Returns the mark after the call.
std::optional<core::Date> advance_daily_mark(JobEnv env);

} // namespace krxbatch::jobs
