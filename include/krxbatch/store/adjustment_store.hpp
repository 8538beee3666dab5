// price_adjustments (DESIGN §4): one row per re-base KRX made, as detected from its base price
// (market/rebase.hpp), written in the transaction of the session that revealed it
// (docs/ADJUSTMENTS.md).
//
// Besides the contract columns (ticker, ex_date, prev_close, base_price, factor) each row keeps
// cum_factor, the product of its factor and every later one of the issue
// (analysis::cumulative_factors): the factor the view daily_prices_adjusted multiplies the
// issue's earlier bars by. Every write recomputes it for the issues whose events changed, in
// the caller's transaction. Statements are prepared once per store. SQLite errors become
// core::Error. Lifetime: the Database must outlive the store. Same threading rules as
// Database.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/rebase.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::store {

// One price_adjustments row, with the name and market on its ex-date.
struct StoredAdjustment {
  std::string ticker;
  core::Date ex_date;
  std::int64_t prev_close = 0;
  std::int64_t base_price = 0;
  double factor = 1.0;
  double cum_factor = 1.0;
  std::int64_t prev_listed_shares = 0;
  std::int64_t listed_shares = 0;
  std::string detected_at;
  std::string name;                     // from daily_prices on ex_date ("" when gone)
  std::optional<market::Market> market; // likewise

  market::Rebase rebase() const;
};

class AdjustmentStore {
public:
  explicit AdjustmentStore(Database& db);
  ~AdjustmentStore();
  AdjustmentStore(const AdjustmentStore&) = delete;
  AdjustmentStore& operator=(const AdjustmentStore&) = delete;

  // What the rule reads of every issue on `session`, from daily_prices or, for a session still
  // staged, daily_prices_staging; by ticker. Empty when the session is not stored.
  std::vector<market::CloseRow> session_closes(const core::Date& session) const;

  // Replaces the events of `ex_date` with `rebases` (all of that session) and recomputes
  // cum_factor for every issue whose events changed. Call inside the session's transaction.
  void replace_session(const core::Date& ex_date, std::span<const market::Rebase> rebases,
                       const core::KstTime& now);

  // Events with ex_date in [from, to], of `ticker` only when given; by ex_date, then ticker.
  std::vector<StoredAdjustment> list(const core::Date& from, const core::Date& to,
                                     const std::optional<std::string>& ticker = {}) const;

  // Every event of the database, by ticker then ex_date (for verify).
  std::vector<StoredAdjustment> all() const;

private:
  struct Statements;
  Statements& statements() const;
  Database& m_db;
  mutable std::unique_ptr<Statements> m_st;
};

// A re-base found by scan_rebases().
struct DatedRebase {
  core::Date ex_date;
  market::Rebase rebase;
};

// One pass over daily_prices in key order: each issue's row against its row before, when that
// row is on previous_session[the row's date] (ISO dates; a date missing from the map is not
// compared). Reads daily_prices only. By ticker, then ex_date.
std::vector<DatedRebase> scan_rebases(Database& db,
                                      const std::map<std::string, std::string>& previous_session);

} // namespace krxbatch::store
