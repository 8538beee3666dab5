// The weekly universe refresh: re-applies the market-cap threshold to the latest complete
// session (daily_update's mark) so new large issues join the analysis universe and issues
// below the threshold or no longer listed leave it (their rows and history are kept).
//
// diff_universe() is pure; refresh_universe() reads and (unless dry_run) writes
// target_tickers in one transaction. The caller holds the ingestion lock, so no backfill
// changes the session's prices meanwhile.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/target_store.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::ops {

struct UniverseEntry {
  std::string ticker;
  std::string name;
  std::string market;
  std::int64_t market_cap = 0; // on the session (the last known one for a deactivated issue)
};

// What applying `candidates` to `current` changes, each list in ticker order.
struct UniverseDiff {
  std::vector<UniverseEntry> added;       // never in target_tickers
  std::vector<UniverseEntry> reactivated; // inactive, back above the threshold
  std::vector<UniverseEntry> deactivated; // active, now below the threshold or not listed
  std::vector<UniverseEntry> kept;        // active before and after
};

UniverseDiff diff_universe(std::span<const store::TargetTicker> current,
                           std::span<const store::UniverseCandidate> candidates);

struct UniverseRefresh {
  core::Date session;
  std::int64_t min_market_cap = 0;
  UniverseDiff diff;
  bool applied = false;
};

// Computes the change on daily_update's mark and, unless `dry_run`, applies it. Throws
// core::Error (exit 2) when there is no mark yet (run manual_setup first), exit 1 when the
// mark's session has no prices for one of the stored markets.
UniverseRefresh refresh_universe(store::Database& db, std::int64_t min_market_cap, bool dry_run);

} // namespace krxbatch::ops
