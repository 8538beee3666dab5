#include "krxbatch/ops/universe.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/store/job_store.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/store/price_store.hpp"

#include <algorithm>
#include <map>

namespace krxbatch::ops {

UniverseDiff diff_universe(std::span<const store::TargetTicker> current,
                           std::span<const store::UniverseCandidate> candidates) {
  std::map<std::string, const store::TargetTicker*> existing;
  for (const auto& t : current) {
    existing.emplace(t.ticker, &t);
  }
  std::map<std::string, const store::UniverseCandidate*> chosen;
  for (const auto& c : candidates) {
    chosen.emplace(c.ticker, &c);
  }
  UniverseDiff diff;
  for (const auto& [ticker, c] : chosen) {
    UniverseEntry e{ticker, c->name, std::string(market::to_string(c->market)), c->market_cap};
    const auto it = existing.find(ticker);
    if (it == existing.end()) {
      diff.added.push_back(std::move(e));
    } else if (!it->second->active) {
      diff.reactivated.push_back(std::move(e));
    } else {
      diff.kept.push_back(std::move(e));
    }
  }
  for (const auto& [ticker, t] : existing) {
    if (t->active && !chosen.contains(ticker)) {
      diff.deactivated.push_back({ticker, t->name, t->market, t->market_cap});
    }
  }
  return diff;
}

UniverseRefresh refresh_universe(store::Database& db, std::int64_t min_market_cap, bool dry_run) {
  const auto mark = store::JobStore(db).job(store::k_job_daily_update).last_success_date;
  if (!mark) {
    throw core::usage_error("universe refresh: daily_update has no mark yet (no complete "
                            "session); run `krxbatch manual_setup` first");
  }
  const auto markets = store::MetaStore(db).markets();
  const auto complete = store::PriceStore(db).complete_sessions(*mark, *mark, markets);
  if (!complete.contains(*mark)) {
    throw core::failure("universe refresh: the session of daily_update's mark, " +
                        core::to_iso(*mark) +
                        ", has no stored prices for every market; run `krxbatch verify` "
                        "(nothing was changed)");
  }
  store::TargetStore targets(db);
  UniverseRefresh out;
  out.session = *mark;
  out.min_market_cap = min_market_cap;
  store::Database::Transaction txn(db);
  const auto candidates = targets.candidates(*mark, min_market_cap, markets);
  const auto current = targets.list(false);
  out.diff = diff_universe(current, candidates);
  if (!dry_run) {
    const auto change = targets.apply_universe(*mark, candidates);
    // The diff is what we print; it must be what was written.
    if (change.added != static_cast<int>(out.diff.added.size()) ||
        change.reactivated != static_cast<int>(out.diff.reactivated.size()) ||
        change.deactivated != static_cast<int>(out.diff.deactivated.size()) ||
        change.kept != static_cast<int>(out.diff.kept.size())) {
      throw core::failure("universe refresh: the change written differs from the one computed "
                          "(concurrent edit?); rolled back, rerun");
    }
    txn.commit();
    out.applied = true;
  }
  return out;
}

} // namespace krxbatch::ops
