// CSV in and out: daily bars (`date,open,high,low,close,volume`) parsed strictly, and
// indicator tables written in the layout of TA-Lib's reference files.
//
// The input format of `krxbatch indicators` and of the TA-Lib reference files: a header line
// exactly `date,open,high,low,close,volume`, then one bar per line with an ISO date (strictly
// increasing) and five non-negative finite numbers, integer or decimal (`28850`, `31388.67`);
// on a day without trades (volume 0) open, high and low may all three be empty, read as 0.
// A UTF-8 byte-order mark before the header is ignored. Lines end with LF or CRLF; a final
// newline is optional; an empty line is an error. Pure: parses a string, no I/O.
#pragma once

#include "krxbatch/analysis/bars.hpp"
#include "krxbatch/analysis/indicators.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::analysis {

inline constexpr std::string_view k_bars_csv_header = "date,open,high,low,close,volume";

struct BarsCsv {
  BarSeries bars;                      // as given: suspended days are not normalised here
  std::vector<core::Date> dates;       // one per bar
  std::vector<std::string_view> lines; // each bar's line as given, without its line end
};

enum class BarsCsvError { malformed };

// Parses `text`. On failure the message is `line N: reason` (N counts from 1, the header
// being line 1), e.g. `line 7: volume is not a number: '12x'`. The views in `lines` point
// into `text`, which must outlive the result.
core::Result<BarsCsv, BarsCsvError> parse_bars_csv(std::string_view text);

// The indicator table, in the layout of TA-Lib's reference files: the header (the input
// header, then the names of the first `columns` indicators), then per bar its input line as
// given and those indicators, NaN as an empty cell, numbers as printf's `%.17g` would print
// them (round-trip exact). Precondition: columns <= k_indicator_count.
void append_indicators_csv_header(std::string& out,
                                  std::size_t columns = k_reference_indicator_count);
// One bar: `line` (its input line) and the indicators of `row`. Precondition:
// row < indicators.size().
void append_indicators_csv_row(std::string& out, std::string_view line,
                               const IndicatorSeries& indicators, std::size_t row,
                               std::size_t columns = k_reference_indicator_count);
// The whole table. Precondition: indicators.size() == lines.size().
void append_indicators_csv(std::string& out, const std::vector<std::string_view>& lines,
                           const IndicatorSeries& indicators,
                           std::size_t columns = k_reference_indicator_count);

} // namespace krxbatch::analysis
