// Daily prices, index prices and data-quality issues, written one session at a time.
//
// Writes happen inside the caller's transaction (the per-day transaction of DESIGN §5.1 that
// also marks the day `succeeded`); statements are prepared once per PriceStore and reused.
// A stock row that did not trade (volume 0 and O/H/L 0, as KRX sends suspended issues) is
// stored with NULL open/high/low: 0 is never a price.
// Lifetime: the Database must outlive the PriceStore. Same threading rules as Database.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/market/validation.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace krxbatch::store {

struct QualityIssue {
  core::Date trade_date;
  std::optional<market::Market> market;
  std::string ticker;
  std::string severity; // WARN | ERROR
  std::string rule;
  std::string message;
  std::string detected_at;
};

// One daily_prices row of one issue, as stored.
struct StoredPrice {
  core::Date trade_date;
  std::string name;
  std::optional<market::Market> market;
  std::optional<std::int64_t> open; // NULL when the issue did not trade
  std::optional<std::int64_t> high;
  std::optional<std::int64_t> low;
  std::int64_t close = 0;
  std::int64_t volume = 0;
  std::int64_t value = 0;
  std::int64_t market_cap = 0;
  std::int64_t listed_shares = 0;
  std::optional<std::int64_t> change;
};

// An issue's name and market on one session.
struct IssueName {
  std::string name;
  std::optional<market::Market> market;
};

// Where replace_day writes a session's price rows. `staging` is daily_prices_staging, one packed
// value per session and market: a multi-session ingestion run writes each session there as one
// value (~80 KB for a market) and merges the batch into daily_prices with merge_staged(), which
// writes each ticker's newest page once per batch instead of once per session
// (docs/PERFORMANCE.md, "The staging table").
enum class PriceTable { daily_prices, staging };

class PriceStore {
public:
  explicit PriceStore(Database& db);
  ~PriceStore();
  PriceStore(const PriceStore&) = delete;
  PriceStore& operator=(const PriceStore&) = delete;

  // Replaces everything stored for `day` (prices of every market, index prices, quality
  // issues) with the given rows and findings. Returns the number of price and index rows
  // written. Precondition: rows are validated and all carry trade_date == day.
  // The day's price rows are deleted from both daily_prices and the staging table, then the
  // new ones go to `table`; index prices and quality issues always go to their tables.
  std::int64_t replace_day(const core::Date& day, std::span<const market::PriceRow> prices,
                           std::span<const market::IndexRow> indices,
                           std::span<const std::pair<market::Market, market::Finding>> warnings,
                           const core::KstTime& now, PriceTable table = PriceTable::daily_prices);

  // Moves every staged price row into daily_prices and empties the staging table, inside the
  // caller's transaction. Returns the number of rows moved. Copies the staged values into an
  // unnamed scratch file beside the database (util::ScratchFile; their size, ~190 KB a
  // full-market session) and reads them back ~16 MiB at a time in all, however many are
  // staged. Throws core::Error naming the staging table when a staged value is damaged, or the
  // directory when the scratch file cannot be written (nothing is moved).
  std::int64_t merge_staged();
  // Bytes of packed rows this PriceStore has written to the staging table since it was made or
  // since its last merge_staged().
  std::int64_t staged_bytes() const { return m_staged_bytes; }
  // The oldest session with staged rows, if any.
  std::optional<core::Date> first_staged_session() const;

  // The three readers below see daily_prices and the staging table together: the ingestion
  // planner and validation must see a session as soon as its transaction commits.
  // Number of price rows stored for `market` on `day` (0 when none).
  std::size_t row_count(const core::Date& day, market::Market market) const;
  // The sessions that have at least one price row, in [from, to], ascending.
  std::vector<core::Date> stored_sessions(const core::Date& from, const core::Date& to) const;
  // The sessions in [from, to] that have price rows for every one of `markets`.
  std::set<core::Date> complete_sessions(const core::Date& from, const core::Date& to,
                                         std::span<const market::Market> markets) const;
  std::vector<QualityIssue> quality_issues(const core::Date& from, const core::Date& to) const;
  // The rows of `ticker` in daily_prices with trade_date in [from, to], oldest first.
  std::vector<StoredPrice> history(const std::string& ticker, const core::Date& from,
                                   const core::Date& to) const;
  // The closes of one index (index_prices) with trade_date in [from, to], oldest first.
  std::vector<std::pair<core::Date, double>> index_closes(std::string_view index_class,
                                                          std::string_view index_name,
                                                          const core::Date& from,
                                                          const core::Date& to) const;
  // The name and market of every issue with a daily_prices row on `day`, by ticker.
  std::map<std::string, IssueName> names_on(const core::Date& day) const;

private:
  struct Statements;
  Database& m_db;
  std::unique_ptr<Statements> m_st; // prepared on first use
  std::int64_t m_staged_bytes = 0;
};

} // namespace krxbatch::store
