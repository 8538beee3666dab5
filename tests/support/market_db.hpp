// Synthetic market databases for the data-care tests and the ops benchmark, written through
// the store API exactly as daily_update leaves them: each session's prices and index rows
// stored with its `succeeded` day state in one transaction, daily_update's mark on the last
// session, history_start and the stored markets recorded, and the universe built on the last
// session. Prices are deterministic (no randomness): every row passes validation (OHLC
// consistent, market_cap == close x listed_shares) and its change is measured against the
// previous session's close (so there is no corporate action). Not thread-safe.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/market/types.hpp"

#include <cstdint>
#include <filesystem>
#include <vector>

namespace krxbatch::test {

struct MarketShape {
  int kospi_issues = 12;
  int kosdaq_issues = 8;
};

// Issue `i` of `m` has ticker "0%05d" (KOSPI, i from 0) or "1%05d" (KOSDAQ) and a market cap
// on any session of about (i + 1) x 10^10 KRW (10,000 KRW x (i + 1) x 10^6 shares, moving a
// little with the session).
std::vector<market::PriceRow> synthetic_prices(const core::Date& session, int session_index,
                                               const MarketShape& shape);
std::vector<market::IndexRow> synthetic_indices(const core::Date& session, int session_index);

// Creates the database at `path` (must not exist) with the `sessions` KRX sessions ending at
// `last` and a universe of the issues with market cap >= `min_market_cap` on `last`. Returns
// the sessions, ascending.
std::vector<core::Date> build_market_db(const std::filesystem::path& path,
                                        const calendar::Calendar& calendar, int sessions,
                                        const core::Date& last, const MarketShape& shape,
                                        std::int64_t min_market_cap);

} // namespace krxbatch::test
