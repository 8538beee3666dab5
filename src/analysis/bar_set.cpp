#include "krxbatch/analysis/bar_set.hpp"

#include <cassert>

namespace krxbatch::analysis {

void BarSet::clear() {
  sessions.clear();
  for (auto& closes : index_closes) {
    closes.clear();
  }
  series_index.clear();
  open.clear();
  high.clear();
  low.clear();
  close.clear();
  volume.clear();
  value.clear();
  session_index.clear();
  ranges.clear();
}

BarsView BarSet::view(std::size_t series) const {
  assert(series < ranges.size());
  const auto [begin, end] = ranges[series];
  const auto count = end - begin;
  return BarsView{{open.data() + begin, count},   {high.data() + begin, count},
                  {low.data() + begin, count},    {close.data() + begin, count},
                  {volume.data() + begin, count}, {value.data() + begin, count}};
}

std::span<const std::uint32_t> BarSet::bar_sessions(std::size_t series) const {
  const auto [begin, end] = ranges[series];
  return {session_index.data() + begin, end - begin};
}

bool BarSet::ends_on_last_session(std::size_t series) const {
  const auto [begin, end] = ranges[series];
  return end > begin && !sessions.empty() && session_index[end - 1] + 1 == sessions.size();
}

void BarSet::aligned_index(std::size_t series, std::vector<double>& out) const {
  out.clear();
  const auto index = series < series_index.size() ? series_index[series] : k_no_index;
  if (index >= index_closes.size() || index_closes[index].empty()) {
    return;
  }
  const auto& closes = index_closes[index];
  for (const auto s : bar_sessions(series)) {
    out.push_back(closes[s]);
  }
}

} // namespace krxbatch::analysis
