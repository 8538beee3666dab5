// manual_setup (DESIGN §1): build the analysis universe and backfill the history.
//
// Finds the latest published session S (probing back from the newest closed session), counts
// the issues with market cap >= min_market_cap on S, shows the plan (tickers, date range,
// calls needed) and asks for confirmation, then ingests `days` sessions ending at S through
// the same per-day code as daily_update (oldest first), builds target_tickers from S, and
// leaves daily_update's mark at S. Interrupted, it resumes: complete sessions are skipped.
//
// With `from` earlier than those `days` sessions, the sessions from it on are the history
// backfill (store::BackfillStore): asked for in the database, fetched after the `days` newest
// ones, newest first (jobs continue_backfill), as far as today's calls go; the scheduled
// daily_update runs continue it after their own sessions. The plan shows its calls and the KST
// days the daily limit makes it take. The caller holds the ingestion lock.
#pragma once

#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/jobs/call_budget.hpp"
#include "krxbatch/jobs/job_env.hpp"

#include <functional>
#include <optional>
#include <string>

namespace krxbatch::jobs {

struct ManualSetupOptions {
  int days = 300;
  // Backfill the history back to this date (the first KRX session on or after it).
  std::optional<core::Date> from;
  std::int64_t min_market_cap = 100'000'000'000;
  std::string args; // the command line, for the run history
  // Shows the plan and returns whether to go on. Must be set.
  std::function<bool(const std::string& plan)> confirm;
  // Called after each session: (done, total, session). May be empty.
  std::function<void(int, int, const core::Date&)> progress;
};

// `budget` is the one `source` consumes from (calls are counted per KST day).
JobResult run_manual_setup(JobEnv env, fetch::MarketSource& source, DbCallBudget& budget,
                           const IngestSettings& settings, const ManualSetupOptions& options);

// The meta key holding the analysis universe manual_setup still owes, "<session> <min market
// cap>": set before its sessions are fetched, cleared (empty) once target_tickers is built
// from that session with every session up to it complete.
inline constexpr std::string_view k_meta_setup_universe = "setup_universe";

// Finishes a manual_setup whose own sessions were cut short (the daily call limit, a crash,
// an interruption) once the scheduled daily_update runs have fetched the rest: when
// k_meta_setup_universe names a session at or before daily_update's mark, builds
// target_tickers from it with that threshold and the stored markets, sets manual_setup's mark
// there and forgets the request, in one transaction. Returns the text for the run's summary
// ("; target_tickers: N active (+a -d), as manual_setup asked") or "" when nothing was owed
// or the mark has not reached the session yet. The caller holds the ingestion lock.
std::string build_owed_universe(JobEnv env);

} // namespace krxbatch::jobs
