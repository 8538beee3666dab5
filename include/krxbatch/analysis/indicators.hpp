// The technical indicators of the nightly score, exactly as TA-Lib computes them.
//
// `compute_indicators` evaluates every indicator over a whole series, from its first bar
// (indicators.md §2.2: TA-Lib re-seeds at its start index, so only full-series values are
// comparable), with TA-Lib 0.6's lookbacks, seeds, smoothing, zero tests and expression forms
// (indicators.md §2–3; default globals: no unstable period, default compatibility). Results
// agree with TA-Lib within |a−b| <= 1e-9 + 1e-9·|b|; on every reference we hold (TA-Lib
// 0.6.0/0.6.4 builds without FMA, tests/data/indicators) they are bit-identical.
//
// Rows before an indicator's lookback (and every row of a series shorter than it) are NaN,
// where TA-Lib emits nothing. Inputs are expected finite; normalise KRX suspended days first
// (bars.hpp). Pure: no I/O, no clock. `IndicatorSeries` is not synchronised; use one per
// thread.
#pragma once

#include "krxbatch/analysis/bars.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace krxbatch::analysis {

// Every output, in the column order of talib_expected_seed1.csv, then the extras the score
// needs (TA_PLUS_DI, TA_MINUS_DI, TA_NATR). Parameters are fixed: the names say them.
enum class Indicator : std::size_t {
  sma5,        // TA_SMA(5) of close
  sma20,       // TA_SMA(20)
  sma60,       // TA_SMA(60)
  sma120,      // TA_SMA(120)
  ema12,       // TA_EMA(12), seeded with the SMA of the first 12 closes
  ema26,       // TA_EMA(26)
  rsi14,       // TA_RSI(14), Wilder; 0 when no close has changed
  macd,        // TA_MACD(12,26,9) line (its fast EMA is seeded at row 25, not 11)
  macd_signal, // EMA(9) of the MACD line, seeded with its first 9 values
  macd_hist,   // macd − macd_signal
  bb_upper,    // TA_BBANDS(20, 2, 2, SMA): middle + 2·population sd
  bb_middle,   // SMA(20)
  bb_lower,    // middle − 2·sd
  atr14,       // TA_ATR(14): Wilder average of true range, seeded with the mean of TR 1..14
  stoch_slowk, // TA_STOCH(14, 3, SMA, 3, SMA) slow %K; fast %K is 0 when HH == LL
  stoch_slowd, // slow %D = SMA(3) of slow %K
  obv,         // TA_OBV, starting at the first bar's volume
  mfi14,       // TA_MFI(14); 0 when the flows of the window sum below 1
  adx14,       // TA_ADX(14)
  cci20,       // TA_CCI(20); 0 when the deviation from the mean or the mean deviation is 0
  willr14,     // TA_WILLR(14) in [−100, 0]; 0 when HH == LL
  roc10,       // TA_ROC(10) in percent; 0 when the close 10 bars back is 0
  plus_di14,   // TA_PLUS_DI(14); 0 when the smoothed true range is 0
  minus_di14,  // TA_MINUS_DI(14)
  natr14,      // TA_NATR(14) = ATR14 / close · 100; 0 when the close is 0
};

inline constexpr std::size_t k_indicator_count = 25;
static_assert(static_cast<std::size_t>(Indicator::natr14) + 1 == k_indicator_count);
// The first 22 indicators are the columns of TA-Lib's reference files, in that order.
inline constexpr std::size_t k_reference_indicator_count = 22;

// CSV column names (e.g. "stoch_slowk"), indexed by Indicator.
inline constexpr std::array<std::string_view, k_indicator_count> k_indicator_names = {
    "sma5",        "sma20",       "sma60",      "sma120",   "ema12",     "ema26",    "rsi14",
    "macd",        "macd_signal", "macd_hist",  "bb_upper", "bb_middle", "bb_lower", "atr14",
    "stoch_slowk", "stoch_slowd", "obv",        "mfi14",    "adx14",     "cci20",    "willr14",
    "roc10",       "plus_di14",   "minus_di14", "natr14"};

// TA-Lib's lookback: the first row (0-based) that has a value, indexed by Indicator.
inline constexpr std::array<std::size_t, k_indicator_count> k_indicator_lookbacks = {
    4,  19, 59, 119, 11, 25, 14, 33, 33, 33, 19, 19, 19,
    14, 17, 17, 0,   14, 27, 19, 13, 10, 14, 14, 14};

constexpr std::size_t index_of(Indicator indicator) {
  return static_cast<std::size_t>(indicator);
}
constexpr std::string_view name_of(Indicator indicator) {
  return k_indicator_names[index_of(indicator)];
}
constexpr std::size_t lookback_of(Indicator indicator) {
  return k_indicator_lookbacks[index_of(indicator)];
}

// Caller-owned output buffers for one series at a time: one contiguous block of
// k_indicator_count columns. Reusing an instance for series no longer than the longest seen
// so far allocates nothing.
class IndicatorSeries {
public:
  // Rows of the last computation.
  std::size_t size() const { return m_rows; }
  // One column, size() values; NaN before the indicator's lookback.
  std::span<const double> operator[](Indicator indicator) const {
    return {m_data.data() + index_of(indicator) * m_rows, m_rows};
  }

private:
  friend void compute_indicators(const BarsView& bars, IndicatorSeries& out);
  std::span<double> column(Indicator indicator) {
    return {m_data.data() + index_of(indicator) * m_rows, m_rows};
  }
  void resize(std::size_t rows);

  std::vector<double> m_data;
  std::size_t m_rows = 0;
};

// Computes every indicator of `bars` (whole series, from bar 0) into `out`, replacing its
// previous contents. Precondition: bars.valid(). No indicator of the set reads open or
// traded value. Thread-safe for distinct `out`.
void compute_indicators(const BarsView& bars, IndicatorSeries& out);

} // namespace krxbatch::analysis
