#include "krxbatch/analysis/bars.hpp"

#include <cassert>

namespace krxbatch::analysis {

bool BarsView::valid() const {
  const auto n = close.size();
  return open.size() == n && high.size() == n && low.size() == n && volume.size() == n &&
         (value.empty() || value.size() == n);
}

BarsView BarsView::first(std::size_t count) const {
  assert(count <= size());
  return BarsView{open.first(count),   high.first(count),
                  low.first(count),    close.first(count),
                  volume.first(count), value.empty() ? value : value.first(count)};
}

void BarSeries::clear() {
  open.clear();
  high.clear();
  low.clear();
  close.clear();
  volume.clear();
  value.clear();
}

void BarSeries::reserve(std::size_t count) {
  open.reserve(count);
  high.reserve(count);
  low.reserve(count);
  close.reserve(count);
  volume.reserve(count);
}

void BarSeries::push_back(double o, double h, double l, double c, double v) {
  open.push_back(o);
  high.push_back(h);
  low.push_back(l);
  close.push_back(c);
  volume.push_back(v);
}

BarsView BarSeries::view() const {
  return BarsView{open, high, low, close, volume, value};
}

std::size_t normalise_suspended_days(BarSeries& bars) {
  std::size_t rewritten = 0;
  for (std::size_t t = 0; t < bars.size(); ++t) {
    if (bars.open[t] != 0.0 || bars.high[t] != 0.0 || bars.low[t] != 0.0 || bars.volume[t] != 0.0) {
      continue;
    }
    if (bars.close[t] == 0.0 && t > 0) {
      bars.close[t] = bars.close[t - 1];
    }
    bars.open[t] = bars.high[t] = bars.low[t] = bars.close[t];
    ++rewritten;
  }
  return rewritten;
}

} // namespace krxbatch::analysis
