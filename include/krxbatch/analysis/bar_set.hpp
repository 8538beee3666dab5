// The bars of many issues over one window of KRX sessions, in one arena.
//
// The nightly analysis loads the bars of hundreds of issues with one query (store/
// bar_loader.hpp) and computes each issue from a view into shared columns, so that loading and
// computing allocate nothing per issue once the arena has grown to its working size. Series i
// occupies rows [ranges[i].first, ranges[i].second) of every column, oldest bar first; each bar
// also records which session of `sessions` it belongs to, which lines it up with per-session
// data such as the composite index its market is measured against. Plain data: not synchronised;
// concurrent readers are fine while nobody writes.
#pragma once

#include "krxbatch/analysis/bars.hpp"
#include "krxbatch/core/date.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace krxbatch::analysis {

struct BarSet {
  // Which series has no index: series_index's value for it.
  static constexpr std::uint32_t k_no_index = 0xFFFFFFFFU;

  std::vector<core::Date> sessions; // the window, ascending
  // Per index (the loader numbers them: store/bar_loader.hpp), per session: its close that day,
  // NaN when unknown. An index without any close in the window is empty.
  std::vector<std::vector<double>> index_closes;
  // Per series: which of index_closes it is measured against, or k_no_index.
  std::vector<std::uint32_t> series_index;

  // Every bar of every series, series after series. Bars are normalised (bars.hpp): a bar
  // that did not trade has O = H = L = C and volume 0.
  std::vector<double> open;
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;
  std::vector<double> volume;
  std::vector<double> value;                               // traded value, KRW
  std::vector<std::uint32_t> session_index;                // per bar: its position in `sessions`
  std::vector<std::pair<std::size_t, std::size_t>> ranges; // per series: [begin, end) rows

  std::size_t series_count() const { return ranges.size(); }
  std::size_t bar_count(std::size_t series) const {
    return ranges[series].second - ranges[series].first;
  }
  // Empties every column and series, keeping capacity (sessions and index closes too).
  void clear();
  // The columns of `series` (with traded value). Precondition: series < series_count().
  BarsView view(std::size_t series) const;
  // The session positions of the bars of `series`.
  std::span<const std::uint32_t> bar_sessions(std::size_t series) const;
  // Whether the last bar of `series` falls on the window's last session.
  bool ends_on_last_session(std::size_t series) const;
  // Writes the close of the series' index on each bar's session of `series` to `out` (resized
  // to its bar count; NaN where unknown). Leaves `out` empty when the series has no index or
  // its index has no close in the window.
  void aligned_index(std::size_t series, std::vector<double>& out) const;
};

} // namespace krxbatch::analysis
