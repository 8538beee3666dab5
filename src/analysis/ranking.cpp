#include "krxbatch/analysis/ranking.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>

namespace krxbatch::analysis {
namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

} // namespace

void percentile_ranks(std::span<const double> values, Direction direction, std::span<double> out) {
  assert(out.size() == values.size());
  std::vector<std::size_t> order;
  order.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    out[i] = k_nan;
    if (!std::isnan(values[i])) {
      order.push_back(i);
    }
  }
  const std::size_t n = order.size();
  if (n == 0) {
    return;
  }
  if (n == 1) {
    out[order.front()] = 50.0;
    return;
  }
  // Ascending: with higher_is_better the smallest value is the worst (rank 1).
  std::sort(order.begin(), order.end(),
            [&values](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  const double scale = 100.0 / static_cast<double>(n - 1);
  for (std::size_t first = 0; first < n;) {
    std::size_t last = first + 1; // [first, last) share one value
    while (last < n && values[order[last]] == values[order[first]]) {
      ++last;
    }
    // The average of the 0-based positions first..last−1, i.e. (average rank) − 1.
    const double position = static_cast<double>(first + last - 1) / 2.0;
    const double from_worst =
        direction == Direction::higher_is_better ? position : static_cast<double>(n - 1) - position;
    for (std::size_t k = first; k < last; ++k) {
      out[order[k]] = from_worst * scale;
    }
    first = last;
  }
}

std::vector<RankedScores> rank_session(std::span<const RankInput> stocks,
                                       const std::array<double, k_pillar_count>& weights) {
  const std::size_t n = stocks.size();
  std::vector<RankedScores> out(n);
  std::vector<double> values(n);
  std::vector<double> ranks(n);
  // Per stock and pillar: the sum and count of its factor percentiles.
  std::vector<std::array<double, k_pillar_count>> sums(n);
  std::vector<std::array<int, k_pillar_count>> counts(n);
  for (std::size_t i = 0; i < n; ++i) {
    sums[i].fill(0.0);
    counts[i].fill(0);
  }

  for (std::size_t f = 0; f < k_factor_count; ++f) {
    const auto& info = k_factors[f];
    if (!info.pillar) {
      continue;
    }
    for (std::size_t i = 0; i < n; ++i) {
      values[i] = stocks[i].eligible ? stocks[i].factors[f] : k_nan;
    }
    percentile_ranks(values, info.direction, ranks);
    const auto p = index_of(*info.pillar);
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isnan(ranks[i])) {
        sums[i][p] += ranks[i];
        ++counts[i][p];
      }
    }
  }

  for (std::size_t p = 0; p < k_pillar_count; ++p) {
    for (std::size_t i = 0; i < n; ++i) {
      values[i] = counts[i][p] > 0 ? sums[i][p] / counts[i][p] : k_nan;
    }
    percentile_ranks(values, Direction::higher_is_better, ranks);
    for (std::size_t i = 0; i < n; ++i) {
      out[i].pillars[p] = ranks[i];
    }
  }

  for (std::size_t i = 0; i < n; ++i) {
    double weighted = 0.0;
    double weight = 0.0;
    for (std::size_t p = 0; p < k_pillar_count; ++p) {
      if (!std::isnan(out[i].pillars[p]) && weights[p] > 0.0) {
        weighted += weights[p] * out[i].pillars[p];
        weight += weights[p];
      }
    }
    out[i].composite_raw = weight > 0.0 ? weighted / weight : k_nan;
    values[i] = out[i].composite_raw;
  }
  percentile_ranks(values, Direction::higher_is_better, ranks);
  for (std::size_t i = 0; i < n; ++i) {
    out[i].score = ranks[i];
  }
  return out;
}

} // namespace krxbatch::analysis
