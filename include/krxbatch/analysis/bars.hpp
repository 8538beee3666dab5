// Daily bars of one issue as a structure of arrays, and the KRX suspended-day normalisation.
//
// `BarSeries` owns the columns (open, high, low, close, volume and, when the source has it,
// traded value in KRW); `BarsView` is a non-owning view of the same columns that the
// indicator and measure functions read, so callers may keep bars in any storage (one arena
// for the whole universe, say). Row 0 is the oldest bar; rows are consecutive KRX sessions.
// Plain data: not synchronised; a view is valid while the columns it points to are.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace krxbatch::analysis {

// Non-owning columns of one series. Invariant (checked by `valid()`): open, high, low,
// close and volume have the same size; value is empty (traded value unknown) or that size.
struct BarsView {
  std::span<const double> open;
  std::span<const double> high;
  std::span<const double> low;
  std::span<const double> close;
  std::span<const double> volume;
  std::span<const double> value; // traded value in KRW; empty when unknown

  std::size_t size() const { return close.size(); }
  bool has_value() const { return !value.empty(); }
  bool valid() const;
  // The first `count` bars (count <= size()): the series as it stood on bar count-1.
  BarsView first(std::size_t count) const;
};

// Owning columns. `value` stays empty unless the caller fills it for every bar.
struct BarSeries {
  std::vector<double> open;
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;
  std::vector<double> volume;
  std::vector<double> value;

  std::size_t size() const { return close.size(); }
  // Empties every column, keeping capacity (for reuse without allocation).
  void clear();
  void reserve(std::size_t count);
  // Appends one bar (without traded value).
  void push_back(double o, double h, double l, double c, double v);
  BarsView view() const;
};

// KRX feeds report a suspended (non-traded) day as O=H=L=0 with volume 0 and the previous
// close as the close (indicators.md §4). Left as is, TR/ATR/ADX, STOCH, WILLR and CCI see a
// 100 % range. This rewrites every such bar to O=H=L=C (V stays 0); when its close is 0 too,
// C is first set to the previous bar's close (a first bar keeps 0). A bar is rewritten only
// when O, H, L and V are all exactly 0. Returns the number of bars rewritten. Run it before
// computing indicators; the TA-Lib references use the normalised form.
std::size_t normalise_suspended_days(BarSeries& bars);

} // namespace krxbatch::analysis
