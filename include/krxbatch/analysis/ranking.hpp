// The cross-sectional half of the score: one session's eligible stocks ranked against each
// other (indicators.md §6.3 steps 3–4; docs/SCORING.md).
//
//   factor percentile  p = 100·(rank − 1)/(N − 1), rank 1 the worst after the factor's
//                      direction, tied values sharing their average rank, N the eligible
//                      stocks that have the factor (a lone stock gets 50);
//   pillar score       the mean of the stock's factor percentiles in the pillar, re-ranked
//                      the same way over the eligible stocks that have the pillar;
//   composite (raw)    the weighted mean of the stock's pillar scores, weights renormalised
//                      over the pillars it has;
//   score              the raw composite re-ranked the same way: uniform over 0–100.
//
// Ineligible stocks and missing (NaN) values never enter a denominator. The result depends
// only on the set of inputs, not on their order (ties share ranks; nothing is broken by
// position), so the same session gives the same scores however its stocks were batched.
// Pure: no I/O; thread-safe.
#pragma once

#include "krxbatch/analysis/score.hpp"

#include <array>
#include <span>
#include <vector>

namespace krxbatch::analysis {

struct RankInput {
  bool eligible = false;
  std::array<double, k_factor_count> factors{}; // NaN = missing
};

struct RankedScores {
  double score = 0.0;                           // 0–100; NaN when not ranked
  std::array<double, k_pillar_count> pillars{}; // 0–100 each; NaN when not ranked / missing
  double composite_raw = 0.0;                   // weighted mean of the pillar scores; NaN too
};

// Ranks one session: output i belongs to input i. `weights` by pillar, non-negative with a
// positive sum.
std::vector<RankedScores>
rank_session(std::span<const RankInput> stocks,
             const std::array<double, k_pillar_count>& weights = k_pillar_weights);

// Percentile ranks (0–100, formula above) of the values that are not NaN; NaN stays NaN.
// `direction` says which end is best (100). Precondition: out.size() == values.size().
void percentile_ranks(std::span<const double> values, Direction direction, std::span<double> out);

} // namespace krxbatch::analysis
