#include "fake_krx/corporate_actions.hpp"

#include "fake_krx/random.hpp"
#include "fake_krx/ticks.hpp"
#include "fake_krx/universe.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace krxbatch::fake_krx {
namespace {

constexpr double k_sessions_per_year = 248.0;
constexpr std::size_t k_halt_sessions = 3;
// An action keeps this far from the issue's listing and delisting, and from its other actions.
constexpr std::size_t k_after_listing = 5;
constexpr std::size_t k_before_delisting = 15;
constexpr std::size_t k_apart = 20;
// The new shares of a bonus issue / rights offering are listed this many sessions after the
// ex-date (about two and three weeks on KRX).
constexpr std::size_t k_bonus_listing_delay = 10;
constexpr std::size_t k_rights_listing_delay = 15;

// The yearly chance per issue, by kind (KRX sees a few hundred re-bases a year over ~2,700
// issues, rights offerings the most).
constexpr std::array<std::pair<ActionKind, double>, 4> k_yearly_chance = {{
    {ActionKind::split, 0.008},
    {ActionKind::consolidation, 0.007},
    {ActionKind::bonus_issue, 0.02},
    {ActionKind::rights_offering, 0.055},
}};

std::uint64_t market_number(market::Market m) {
  return static_cast<std::uint64_t>(m);
}

bool may_have_actions(const Issue& issue) {
  return !issue.spac && !issue.parent;
}

// The action of `kind` on `ex_session`, its ratios drawn from `h`.
CorporateAction make_action(ActionKind kind, std::size_t ex_session, std::uint64_t h) {
  CorporateAction a;
  a.kind = kind;
  a.ex_session = ex_session;
  a.halt_from = ex_session;
  a.shares_from = ex_session;
  constexpr std::array<double, 3> k_share_ratios = {2.0, 5.0, 10.0};
  constexpr std::array<double, 3> k_bonus_ratios = {0.5, 1.0, 2.0};
  switch (kind) {
  case ActionKind::split:
  case ActionKind::consolidation:
    a.ratio = k_share_ratios.at(below(h, k_share_ratios.size()));
    a.halt_from = ex_session - k_halt_sessions;
    break;
  case ActionKind::bonus_issue:
    a.ratio = k_bonus_ratios.at(below(h, k_bonus_ratios.size()));
    a.shares_from = ex_session + k_bonus_listing_delay;
    break;
  case ActionKind::rights_offering:
    a.ratio = 0.1 + 0.4 * unit_interval(h);
    a.subscription = 0.65 + 0.2 * unit_interval(mix64(h));
    a.shares_from = ex_session + k_rights_listing_delay;
    break;
  }
  return a;
}

bool clashes(const Issue& issue, std::size_t ex_session) {
  return std::any_of(issue.actions.begin(), issue.actions.end(), [&](const CorporateAction& a) {
    const auto gap =
        a.ex_session > ex_session ? a.ex_session - ex_session : ex_session - a.ex_session;
    return gap < k_apart;
  });
}

} // namespace

std::string_view to_string(ActionKind kind) {
  switch (kind) {
  case ActionKind::split:
    return "split";
  case ActionKind::consolidation:
    return "consolidation";
  case ActionKind::bonus_issue:
    return "bonus_issue";
  case ActionKind::rights_offering:
    return "rights_offering";
  }
  return "";
}

std::int64_t rebased_price(std::int64_t previous_close, const CorporateAction& action) {
  const auto prev = static_cast<double>(previous_close);
  switch (action.kind) {
  case ActionKind::split:
    return round_to_tick(prev / action.ratio);
  case ActionKind::consolidation:
    return round_to_tick(prev * action.ratio);
  case ActionKind::bonus_issue:
    return round_to_tick(prev / (1.0 + action.ratio));
  case ActionKind::rights_offering:
    // The theoretical ex-rights price.
    return round_to_tick((prev + action.ratio * action.subscription * prev) / (1.0 + action.ratio));
  }
  return previous_close;
}

std::int64_t shares_after(std::int64_t shares, const CorporateAction& action) {
  const auto s = static_cast<double>(shares);
  switch (action.kind) {
  case ActionKind::split:
    return std::llround(s * action.ratio);
  case ActionKind::consolidation:
    return std::max<std::int64_t>(1, std::llround(s / action.ratio));
  case ActionKind::bonus_issue:
  case ActionKind::rights_offering:
    return shares + std::llround(s * action.ratio);
  }
  return shares;
}

void schedule_actions(std::uint64_t seed, market::Market market, std::size_t initial_count,
                      std::size_t session_count, std::vector<Issue>& issues) {
  const double years = static_cast<double>(session_count) / k_sessions_per_year;
  const auto mnum = market_number(market);
  for (auto& issue : issues) {
    if (!may_have_actions(issue) ||
        issue.end < issue.first + k_after_listing + k_halt_sessions + k_before_delisting + 1) {
      continue;
    }
    const std::size_t lo = issue.first + k_after_listing + k_halt_sessions;
    const std::size_t hi = issue.end - k_before_delisting; // exclusive
    for (std::uint64_t kind = 0; kind < k_yearly_chance.size(); ++kind) {
      const auto h = hash_of(seed, Stream::corporate_action, mnum, issue.key, kind);
      const double chance = 1.0 - std::pow(1.0 - k_yearly_chance.at(kind).second, years);
      if (unit_interval(h) >= chance) {
        continue;
      }
      const auto ex = lo + static_cast<std::size_t>(below(mix64(h), hi - lo));
      if (!clashes(issue, ex)) {
        issue.actions.push_back(make_action(k_yearly_chance.at(kind).first, ex, mix64(h ^ 1U)));
      }
    }
  }
  // Every kind early on, for short tests.
  constexpr std::size_t k_guaranteed_from = 20;
  if (market != market::Market::konex && initial_count >= 8 && session_count >= 60) {
    std::size_t kind = 0;
    for (std::size_t slot = 4; slot < initial_count && kind < k_yearly_chance.size(); ++slot) {
      auto& issue = issues[slot];
      if (!may_have_actions(issue) || issue.end < 60) {
        continue;
      }
      const auto h = hash_of(seed, Stream::corporate_action, mnum, issue.key, 100 + kind);
      const auto ex = k_guaranteed_from + 6 * kind + static_cast<std::size_t>(below(h, 4));
      issue.actions.erase(
          std::remove_if(issue.actions.begin(), issue.actions.end(),
                         [&](const CorporateAction& a) { return a.ex_session < ex + k_apart; }),
          issue.actions.end());
      issue.actions.push_back(make_action(k_yearly_chance.at(kind).first, ex, mix64(h)));
      ++kind;
    }
  }
  for (auto& issue : issues) {
    std::sort(issue.actions.begin(), issue.actions.end(),
              [](const CorporateAction& a, const CorporateAction& b) {
                return a.ex_session < b.ex_session;
              });
  }
}

} // namespace krxbatch::fake_krx
