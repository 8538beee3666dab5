// Internal to jobs: the loop both ingestion jobs share, and its summary.
#pragma once

#include "krxbatch/jobs/call_budget.hpp"
#include "krxbatch/jobs/day_ingestor.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::jobs {

// SQLite settings for the length of an ingestion run (store::Database::SettingsScope; measured
// in docs/PERFORMANCE.md). daily_prices is clustered by (ticker, trade_date), so every session's
// commit rewrites the newest B-tree page of every issue (~2,700 pages on the full market): a
// page cache that holds them all saves reading them back each session, and checkpointing every
// 16384 WAL pages instead of at every commit copies each of them back to the file once per
// several sessions. Durability is unchanged (WAL, synchronous=NORMAL). At the end of the run
// the WAL is checkpointed (passively): another connection (hourly_analysis) may keep the file
// open after this run, and must not be left a WAL of up to 16384 pages to wade through.
inline constexpr store::ConnectionSettings k_ingest_settings{
    .cache_limit_kib = 64 * 1024, .wal_autocheckpoint_pages = 16384, .checkpoint_at_end = true};

// The staging table (docs/PERFORMANCE.md, "The staging table"): a run that walks enough
// sessions stages their price rows, and merges them into daily_prices when the staged sessions
// reach IngestSettings' bound and when the run ends, on every path out of it. daily_update's
// mark (what hourly_analysis waits for) moves only at a merge, so daily_update stages only a long
// catch-up: up to 4 sessions (a long weekend) the mark still moves session by session.
// A merge costs least when it is rare (each ticker's pages written once) and into an empty
// table (then the date index is rebuilt in one pass): on a fast network a backfill merges once,
// at its end. Against a slow one the ingestion thread mostly waits, and the loop merges earlier,
// while the next sessions download (MergePacer), so that little is left to merge after the
// last answer.
inline constexpr int k_min_staged_sessions_backfill = 2;
inline constexpr int k_min_staged_sessions_update = 5;

// Turns staging on for `ingestor` (when `on`) for the scope's length; merge() merges what is
// left staged; the destructor merges too when merge() was not reached (an exception), logging
// instead of throwing: the next ingestion run merges leftovers first in any case.
class StagingScope {
public:
  StagingScope(DayIngestor& ingestor, bool on);
  ~StagingScope();
  StagingScope(const StagingScope&) = delete;
  StagingScope& operator=(const StagingScope&) = delete;
  void merge();

private:
  DayIngestor& m_ingestor;
  bool m_on;
  bool m_merged = false;
};

// The first session `source` has data for in every one of `markets` (the latest of their
// stock endpoints' first days); nullopt when it has no such limit.
std::optional<core::Date> first_available_day(const fetch::MarketSource& source,
                                              const std::vector<market::Market>& markets);

struct LoopResult {
  std::vector<core::Date> stored;
  std::vector<core::Date> waiting;
  std::map<core::Date, std::string> failed; // day -> reason
  std::int64_t rows = 0;
  int warnings = 0;
  // Why the loop stopped before its last day, when it did.
  std::optional<std::string> stop_reason;
  bool stopped_by_quota = false;
  std::optional<fetch::FailureKind> stop_failure;
  std::string last_wait_message;
};

// Ingests `days` in order. Before each day, when the source counts calls, stops cleanly if
// the calls left today cannot cover a whole day. Stops at the first run-stopping failure.
LoopResult ingest_days(DayIngestor& ingestor, DbCallBudget& budget, bool counts_calls,
                       const std::vector<core::Date>& days,
                       const std::map<core::Date, Prefetched>& prefetched,
                       const std::function<void(int, int, const core::Date&)>& progress,
                       std::string_view job);

// The most sessions of the history backfill fetched as one chunk (a chunk's rows are merged,
// and history_start moves back over them, at its end; the staging bounds of IngestSettings
// still merge inside a larger one). 1,000 sessions are four years of history.
inline constexpr int k_backfill_chunk_sessions = 1000;

// What a run did of the history backfill.
struct BackfillRun {
  LoopResult loop;                         // the backfill sessions this run worked on
  std::optional<core::Date> from;          // the oldest session asked for (nullopt: none)
  std::optional<core::Date> history_start; // after this run
  int left = 0;                            // sessions still to store after this run
};

// Works on the history backfill (store::BackfillStore) after a run's own sessions, newest
// first: each chunk is the newest sessions left that the calls left today can fetch (at most
// k_backfill_chunk_sessions), fetched oldest first through the staging table and merged at its
// end, so that history_start moves back chunk by chunk and a killed run resumes where the
// database says. Stops at the daily limit, at a run-stopping failure, or after a chunk that
// stored nothing; a session tried in this run is not tried twice.
BackfillRun continue_backfill(JobEnv env, DayIngestor& ingestor, DbCallBudget& budget,
                              bool counts_calls,
                              const std::function<void(int, int, const core::Date&)>& progress,
                              std::string_view job);

// Turns a loop result into the run's outcome, exit code, one-line summary and the facts the
// run-level alerts read (JobResult), and records the run.
// `backfill`, when given, is the history backfill this run worked on after its own sessions:
// its stored sessions and rows count in the run's figures and a failed session fails the run,
// but what is left of it does not make the run partial (the next runs continue it).
JobResult finish_ingest_run(JobEnv env, RunRecorder& run, std::string_view job,
                            const LoopResult& loop, int planned, int left_for_later,
                            std::int64_t calls, const BackfillRun* backfill = nullptr);

// "2024-06-19..2024-06-27" or a single date.
std::string date_span(const std::vector<core::Date>& days);

} // namespace krxbatch::jobs
