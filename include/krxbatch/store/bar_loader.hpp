// Bulk loading of daily bars for the analysis: the bars of many issues over a window of
// sessions with one query, straight into an analysis::BarSet arena.
//
// The query walks daily_prices' primary key (ticker, trade_date) once per requested ticker,
// restricted to the window, in ticker order; no row is read twice and nothing is sorted. Rows
// with NULL open/high/low (the issue did not trade) become normalised bars (O = H = L = C,
// indicators.md §4). Bars are back-adjusted (analysis/adjustment.hpp) for the issue's
// price_adjustments with an ex-date inside the window, none after its last session: the bars
// are what was known as of that session, so an event on a later session never changes them.
// Each market's composite (market::composite_of: KOSPI's for KOSPI stocks, KOSDAQ's for KOSDAQ
// stocks, none for KONEX) is read for the same window: index i of BarSet::index_closes is
// k_loaded_composites[i], and a series is measured against the composite of its market on its
// last bar (a stock that moved to KOSPI is measured against KOSPI from then on). Read-only;
// SQLite errors become core::Error. Lifetime: the Database must outlive the loader. Same threading
// rules as Database.
#pragma once

#include "krxbatch/analysis/bar_set.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/database.hpp"

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace krxbatch::store {

// The markets whose composites BarLoader reads, in BarSet::index_closes order.
inline constexpr std::array<market::Market, 2> k_loaded_composites = {market::Market::kospi,
                                                                      market::Market::kosdaq};

class BarLoader {
public:
  explicit BarLoader(Database& db);
  ~BarLoader();
  BarLoader(const BarLoader&) = delete;
  BarLoader& operator=(const BarLoader&) = delete;

  // Replaces the contents of `out` (keeping its capacity) with one series per ticker of
  // `tickers`, in that order (empty for a ticker without rows in the window), over `sessions`
  // (ascending KRX sessions, at most 2^32). Rows on days that are not in `sessions` are
  // ignored. Preconditions: tickers distinct; sessions ascending and not empty.
  void load(std::span<const std::string> tickers, std::span<const core::Date> sessions,
            analysis::BarSet& out);
  // The first session `ticker` has a price row for, if any (one index lookup).
  std::optional<core::Date> first_session(const std::string& ticker);

private:
  struct Statements;
  Database& m_db;
  std::unique_ptr<Statements> m_st;
};

} // namespace krxbatch::store
