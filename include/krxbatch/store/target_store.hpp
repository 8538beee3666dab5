// The analysis universe: target_tickers.
//
// Built from one session's stored prices by a market-cap threshold (manual_setup, and the
// weekly universe refresh). Deactivating keeps the row and its history. Writes happen in the
// caller's transaction. Lifetime: the Database must outlive the store.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::store {

struct UniverseCandidate {
  std::string ticker;
  std::string name;
  market::Market market = market::Market::kospi;
  std::int64_t market_cap = 0;
};

struct TargetTicker {
  std::string ticker;
  std::string name;
  std::string market;
  std::int64_t market_cap = 0;
  core::Date universe_date;
  bool active = true;
  core::Date added_date;
  std::optional<core::Date> deactivated_date;
  std::optional<core::Date> last_analyzed_date;
  std::optional<std::string> last_error;
};

struct UniverseChange {
  int added = 0;       // new issues
  int reactivated = 0; // back above the threshold
  int deactivated = 0; // below the threshold or gone (delisted)
  int kept = 0;        // active before and after
};

class TargetStore {
public:
  explicit TargetStore(Database& db) : m_db(db) {}

  // Issues of `markets` whose market cap on `session` is >= `min_market_cap`, largest first.
  std::vector<UniverseCandidate> candidates(const core::Date& session, std::int64_t min_market_cap,
                                            std::span<const market::Market> markets) const;

  // Makes the active universe exactly `candidates`, as of `session`.
  UniverseChange apply_universe(const core::Date& session,
                                std::span<const UniverseCandidate> candidates);

  std::vector<TargetTicker> list(bool active_only) const;

private:
  Database& m_db;
};

} // namespace krxbatch::store
