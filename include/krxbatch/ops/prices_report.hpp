// `krxbatch prices`: the stored daily bars of one issue, as KRX sent them or back-adjusted for
// its corporate actions (analysis/adjustment.hpp; docs/ADJUSTMENTS.md), in three forms: a
// table, JSON, and the CSV that `krxbatch indicators` reads.
//
// Adjusted bars are as of the newest stored session (every event of the issue applies, also
// those after the range shown): the numbers of the view daily_prices_adjusted, to the bit.
// Read-only; storage errors are core::Error.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/adjustment_store.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::ops {

struct PriceLine {
  core::Date date;
  bool traded = true; // false: KRX sent open/high/low 0 (stored NULL); they equal the close here
  double open = 0.0;  // adjusted when the report is
  double high = 0.0;
  double low = 0.0;
  double close = 0.0;
  double volume = 0.0;
  std::int64_t value = 0;      // never adjusted
  std::int64_t market_cap = 0; // never adjusted
  double factor = 1.0;         // what the prices were multiplied by (1 when raw)
};

struct PricesReport {
  std::string ticker;
  std::string name; // on the newest bar shown
  std::optional<market::Market> market;
  bool adjusted = false;
  std::vector<PriceLine> bars;
  // The events after the first bar shown (those that change a bar of the range).
  std::vector<store::StoredAdjustment> events;
};

// The bars of `ticker` with trade_date in [from, to]. Throws core::Error (exit 2) when there
// are none, naming the ticker and the range.
PricesReport read_prices(store::Database& db, const std::string& ticker, const core::Date& from,
                         const core::Date& to, bool adjusted);

// `date,open,high,low,close,volume`, the input of `krxbatch indicators`: numbers in the
// shortest decimal form that reads back as the same double (no exponent); a day without
// trades has empty open, high and low.
std::string prices_csv(const PricesReport& report);
// {"ticker", "name", "market", "adjusted", "bars": [{date, open, high, low, close, volume,
// value, market_cap, factor}], "adjustments": [...]}; open/high/low null on a day without
// trades.
std::string prices_json(const PricesReport& report);
// A readable table, with the events under it.
std::string prices_table(const PricesReport& report);

// {"indices": [{"market", "index_class", "index_name", "closes": [{"date", "close"}]}]}: the
// closes of each market's composite (market::composite_of) with trade_date in [from, to],
// oldest first, pretty-printed. Read-only.
std::string composites_json(store::Database& db, const core::Date& from, const core::Date& to);

// The number in the shortest fixed form that reads back as the same double ("3040",
// "2994.1342...").
std::string shortest_decimal(double value);

} // namespace krxbatch::ops
