#include "krxbatch/analysis/eligibility.hpp"

#include <cmath>

namespace krxbatch::analysis {

Eligibility assess_eligibility(const EligibilityFacts& facts, const EligibilityRules& rules) {
  Eligibility out;
  const auto flag = [&out](Flag f) { out.flags |= static_cast<std::uint32_t>(f); };
  if (!facts.on_session) {
    flag(Flag::not_on_session);
    return out;
  }
  if (facts.bars < rules.min_bars) {
    flag(Flag::short_history);
  } else if (facts.bars < rules.full_history_bars) {
    flag(Flag::partial_history);
  }
  if (!(facts.session_volume > 0.0)) {
    flag(Flag::suspended);
  }
  // A short window has no average: the short_history flag already excludes the stock.
  if (!std::isnan(facts.average_value) && facts.average_value < rules.min_average_value) {
    flag(Flag::low_value);
  }
  if (facts.zero_volume_days > rules.max_zero_volume_days) {
    flag(Flag::zero_volume_days);
  }
  if (!facts.index_on_session) {
    flag(Flag::no_index);
  }
  constexpr auto excluding = static_cast<std::uint32_t>(Flag::short_history) |
                             static_cast<std::uint32_t>(Flag::not_on_session) |
                             static_cast<std::uint32_t>(Flag::suspended) |
                             static_cast<std::uint32_t>(Flag::low_value) |
                             static_cast<std::uint32_t>(Flag::zero_volume_days);
  out.eligible = (out.flags & excluding) == 0;
  return out;
}

std::string flags_text(std::uint32_t flags) {
  std::string out;
  for (std::size_t i = 0; i < k_flag_count; ++i) {
    if ((flags & (1U << i)) != 0) {
      if (!out.empty()) {
        out += ',';
      }
      out += k_flag_names[i];
    }
  }
  return out;
}

} // namespace krxbatch::analysis
