// Back-adjustment of daily bars for KRX's re-bases (corporate actions; docs/ADJUSTMENTS.md).
//
// The newest bar's prices stay as KRX sent them; a bar before an ex-date is multiplied by the
// product of the factors of every later event (factor = base price ÷ previous close,
// market/rebase.hpp) and its volume divided by that product, so that a 1:5 split no longer
// reads as a −80% fall. Traded value and market cap are never touched. Like KRX's own adjusted
// prices (수정주가), cash dividends are not adjusted for: KRX does not re-base for them.
//
// This is the one implementation of the rule: the analysis' bar loader, the `prices` and
// `score` commands and the price_adjustments.cum_factor column that the SQL view
// daily_prices_adjusted multiplies by all use these functions, so they agree to the bit.
// Point in time: the caller passes only the events up to the session it works as of (the
// analysis of session S never sees an event after S).
//
// Pure: no I/O; thread-safe.
#pragma once

#include "krxbatch/core/date.hpp"

#include <span>
#include <vector>

namespace krxbatch::analysis {

// One re-base of an issue, as the adjustment uses it.
struct Adjustment {
  core::Date ex_date;
  double factor = 1.0; // base price / previous close
};

// For events ascending by ex_date: out[i] is the product of the factors of events i..n-1,
// multiplied from the newest back (out[n-1] = factor[n-1], out[i] = factor[i] × out[i+1]).
// The bars in [ex_date of event i-1, ex_date of event i) are multiplied by out[i].
std::vector<double> cumulative_factors(std::span<const Adjustment> events);

// The factor of each bar dated dates[i] (ascending): the cumulative factor of the first event
// after dates[i], 1 when there is none. `events` ascending by ex_date.
std::vector<double> bar_factors(std::span<const core::Date> dates,
                                std::span<const Adjustment> events);

// The columns a back-adjustment changes, one value per bar.
struct AdjustableBars {
  std::span<double> open;
  std::span<double> high;
  std::span<double> low;
  std::span<double> close;
  std::span<double> volume;
};

// Back-adjusts `bars` in place: the bar dated dates[i] (ascending) has its open, high, low and
// close multiplied by its bar_factors() value and its volume divided by it; bars on or after
// the last event's ex-date are unchanged. `events` ascending
// by ex_date. Preconditions: every column and `dates` of one size; factors positive.
void back_adjust(const AdjustableBars& bars, std::span<const core::Date> dates,
                 std::span<const Adjustment> events);

} // namespace krxbatch::analysis
