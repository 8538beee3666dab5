// libFuzzer target: the daily-bar CSV reader (analysis/csv.hpp) on any text, and the
// indicators over what it accepts.
// Properties: no crash or sanitizer report; a failure says `line N: reason` on one line; what
// parses keeps the promises of the header (one date and line per bar, dates strictly
// increasing, prices and volumes finite and non-negative); the indicator table can be computed
// and written for it.
#include "krxbatch/analysis/csv.hpp"
#include "krxbatch/analysis/indicators.hpp"

#include "fuzz_check.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace krxbatch;

namespace {

bool finite_non_negative(double x) {
  return std::isfinite(x) && x >= 0.0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = analysis::parse_bars_csv(text);
  if (!parsed.ok()) {
    const auto& message = parsed.failure().message;
    fuzz::require(message.starts_with("line "), "a CSV error without its line number");
    fuzz::require(message.find('\n') == std::string::npos, "a CSV error of several lines");
    return 0;
  }
  const auto& csv = parsed.value();
  const auto& bars = csv.bars;
  const auto n = csv.dates.size();
  fuzz::require(csv.lines.size() == n, "not one line per bar");
  fuzz::require(bars.close.size() == n && bars.open.size() == n && bars.high.size() == n &&
                    bars.low.size() == n && bars.volume.size() == n,
                "not one value per bar in each column");
  fuzz::require(bars.view().valid(), "bars that break BarsView's invariant");
  for (std::size_t i = 0; i < n; ++i) {
    fuzz::require(i == 0 || csv.dates[i - 1] < csv.dates[i], "dates not strictly increasing");
    fuzz::require(finite_non_negative(bars.open[i]) && finite_non_negative(bars.high[i]) &&
                      finite_non_negative(bars.low[i]) && finite_non_negative(bars.close[i]) &&
                      finite_non_negative(bars.volume[i]),
                  "a price or volume that is negative or not finite");
  }
  analysis::IndicatorSeries indicators;
  analysis::compute_indicators(bars.view(), indicators);
  fuzz::require(indicators.size() == n, "not one indicator row per bar");
  std::string out;
  analysis::append_indicators_csv(out, csv.lines, indicators);
  fuzz::require(!out.empty(), "an empty indicator table");
  return 0;
}
