// Bulk loading of daily bars for the analysis: the bars of many issues over a window of
// sessions with one query, straight into an analysis::BarSet arena.
//
// The query walks daily_prices' primary key (ticker, trade_date) once per requested ticker,
// restricted to the window, in ticker order; no row is read twice and nothing is sorted. Rows
// with NULL open/high/low (the issue did not trade) become normalised bars (O = H = L = C,
// indicators.md §4). Bars are back-adjusted (analysis/adjustment.hpp) for the issue's
// price_adjustments with an ex-date inside the window, none after its last session: the bars
// are what was known as of that session, so an event on a later session never changes them.
// The KOSPI composite (market::k_kospi_composite_*) is read for the same window. Read-only; SQLite
// errors become core::Error. Lifetime: the Database must outlive the loader. Same threading rules
// as Database.
#pragma once

#include "krxbatch/analysis/bar_set.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <memory>
#include <span>
#include <string>

namespace krxbatch::store {

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

private:
  struct Statements;
  Database& m_db;
  std::unique_ptr<Statements> m_st;
};

} // namespace krxbatch::store
