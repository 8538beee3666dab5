#include "krxbatch/analysis/adjustment.hpp"

namespace krxbatch::analysis {

std::vector<double> cumulative_factors(std::span<const Adjustment> events) {
  std::vector<double> out(events.size());
  double product = 1.0;
  for (std::size_t i = events.size(); i-- > 0;) {
    product = events[i].factor * product; // exact for the newest: factor × 1.0 == factor
    out[i] = product;
  }
  return out;
}

std::vector<double> bar_factors(std::span<const core::Date> dates,
                                std::span<const Adjustment> events) {
  std::vector<double> out(dates.size(), 1.0);
  const auto cumulative = cumulative_factors(events);
  // Walking back from the newest bar, `first_after` is the first event after the bar's date.
  std::size_t first_after = events.size();
  for (std::size_t i = dates.size(); i-- > 0;) {
    while (first_after > 0 && events[first_after - 1].ex_date > dates[i]) {
      --first_after;
    }
    if (first_after < events.size()) {
      out[i] = cumulative[first_after];
    }
  }
  return out;
}

void back_adjust(const AdjustableBars& bars, std::span<const core::Date> dates,
                 std::span<const Adjustment> events) {
  if (events.empty()) {
    return;
  }
  const auto factors = bar_factors(dates, events);
  for (std::size_t i = 0; i < factors.size(); ++i) {
    const double f = factors[i];
    bars.open[i] *= f;
    bars.high[i] *= f;
    bars.low[i] *= f;
    bars.close[i] *= f;
    bars.volume[i] /= f;
  }
}

} // namespace krxbatch::analysis
