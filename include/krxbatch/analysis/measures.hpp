// Risk, liquidity and return measures for the nightly score (indicators.md §6).
//
// Every measure describes a series as it stands on its last bar (bar t = size()−1). To
// evaluate it as of an earlier bar t, pass the first t+1 values (`span::first`,
// `BarsView::first`). Windows count bars (KRX sessions), not calendar days. Inputs are
// normalised bars (bars.hpp) with positive closes; a measure is NaN when the series is too
// short for its window or the quantity is undefined, as each declaration says. Returns are
// fractions (0.05 = 5 %) unless stated. NATR14, the score's other volatility measure, is the
// `natr14` column of indicators.hpp. Pure: no I/O, no clock; thread-safe.
#pragma once

#include "krxbatch/analysis/bars.hpp"
#include "krxbatch/core/date.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace krxbatch::analysis {

// Sample standard deviation (divisor window−1) of the last `window` daily log returns
// ln(C_i / C_{i−1}); not annualised. Needs window+1 closes. NaN when shorter, when window < 2
// or when a close in the window is not positive.
double log_return_volatility(std::span<const double> close, std::size_t window = 60);

// The deepest fall from a running peak within the last `window` closes, as a positive
// fraction: max over i of 1 − C_i / max(C_j, j ≤ i), i and j in the window. 0 when the closes
// never fall. NaN when fewer than `window` closes or window == 0.
double max_drawdown(std::span<const double> close, std::size_t window = 250);

// Ulcer index (Peter Martin), in percent: sqrt(mean(R_i²)) over the last `window` closes with
// R_i = 100·(C_i − P_i)/P_i and P_i the highest close from the window's first bar to i.
// NaN when fewer than `window` closes or window == 0.
double ulcer_index(std::span<const double> close, std::size_t window = 120);

// Daily traded value of a bar in KRW: its `value` when the series has that column, else
// close × volume.
double traded_value(const BarsView& bars, std::size_t t);

// Mean traded value (KRW) of the last `window` bars; suspended days count as 0. NaN when
// fewer than `window` bars or window == 0.
double average_traded_value(const BarsView& bars, std::size_t window = 20);

// Amihud illiquidity: the mean of |C_t/C_{t−1} − 1| / traded value_t (per KRW) over the bars
// among the last `window` that traded (volume > 0 and traded value > 0); the others are
// skipped. Needs window+1 bars. NaN when shorter or when no bar of the window traded.
double amihud_illiquidity(const BarsView& bars, std::size_t window = 21);

// MAX(top) lottery measure: the mean of the `top` largest simple daily returns
// C_i/C_{i−1} − 1 among the last `window`. Needs window+1 closes. NaN when shorter or when top
// is 0 or exceeds window.
double max_daily_return(std::span<const double> close, std::size_t window = 21,
                        std::size_t top = 5);

// The simple return from `from_lag` bars ago to `to_lag` bars ago:
// C_{t−to_lag} / C_{t−from_lag} − 1. Precondition: from_lag > to_lag. NaN when the series has
// at most from_lag bars or the base close is not positive.
double period_return(std::span<const double> close, std::size_t from_lag, std::size_t to_lag);

// 12-1 momentum: period_return(close, 252, 21) (a year, skipping the last month).
double momentum_12_1(std::span<const double> close);

// 12-7 momentum (Novy-Marx; robust on KRX): period_return(close, 252, 126).
double momentum_12_7(std::span<const double> close);

// Nearness to the 52-week high (George & Hwang): C_t / max(C over the last `window` bars,
// t included), in (0, 1]. NaN when fewer than `window` closes or window == 0.
double nearness_to_high(std::span<const double> close, std::size_t window = 252);

// Short-term reversal: −(C_t / C_{t−days} − 1). Precondition: days > 0. NaN as period_return.
double reversal(std::span<const double> close, std::size_t days = 5);

// On-balance-volume flow: (OBV_t − OBV_{t−window}) / Σ V over the last `window` bars, in
// [−1, 1] (the share of volume traded on up days minus that on down days). `obv` and `volume`
// have the same length (obv: the obv column of indicators.hpp). 0 when no volume traded in
// the window; NaN when fewer than window+1 bars, window == 0 or the lengths differ.
double obv_flow(std::span<const double> obv, std::span<const double> volume,
                std::size_t window = 20);

// For each date of `dates`, the index close on the same date, or NaN when the index has no
// bar that day. Writes dates.size() values to `out`. Preconditions: both date sequences
// strictly increasing; index_dates and index_close have the same length;
// out.size() == dates.size().
void align_to_dates(std::span<const core::Date> dates, std::span<const core::Date> index_dates,
                    std::span<const double> index_close, std::span<double> out);
std::vector<double> align_to_dates(std::span<const core::Date> dates,
                                   std::span<const core::Date> index_dates,
                                   std::span<const double> index_close);

// Beta of the stock's daily simple returns on the index's over the last `window` returns:
// cov(r_s, r_m) / var(r_m). `index_close` is aligned with `close` bar by bar (align_to_dates);
// a return pair with a NaN on either side is skipped. Needs window+1 bars. NaN when shorter,
// when the lengths differ, when fewer than half the window's pairs (and fewer than 2) are
// usable, or when the index did not move.
double beta(std::span<const double> close, std::span<const double> index_close,
            std::size_t window = 120);

// Relative strength: the stock's return over the last `window` bars minus the index's,
// (C_t/C_{t−window} − 1) − (I_t/I_{t−window} − 1), with `index_close` aligned as for beta.
// NaN when window == 0, the series has at most `window` bars, the lengths differ, or either
// end of either series is missing (NaN) or not positive.
double relative_strength(std::span<const double> close, std::span<const double> index_close,
                         std::size_t window = 120);

} // namespace krxbatch::analysis
