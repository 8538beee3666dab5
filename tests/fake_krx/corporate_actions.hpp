// Corporate actions in the fake market: splits, consolidations, bonus issues and rights
// offerings, re-based the way KRX does it (docs/ADJUSTMENTS.md, krx-open-api.md §1.10a).
//
// On an action's ex-date KRX sets the issue's base price (기준가) to the previous close times
// the action's ratio, rounded to the tick: the row's change (CMPPREVDD_PRC) and FLUC_RT are
// measured against that base, the day's price limits too. A split or consolidation halts
// trading for the 3 sessions before its ex-date (rows without trades: the old close, change 0)
// and changes the listed shares on the ex-date; a bonus issue or rights offering does not
// halt, and its new shares are listed some sessions later (so listed shares are no signal).
//
// Every issue has an action with a small yearly chance (about 9% of issues a year in all,
// rights offerings the most frequent), never a SPAC or a preferred share, never within 5
// sessions of its listing or within 15 of its delisting. With at least 8 initial issues in
// KOSPI or KOSDAQ, the first four eligible initial issues from the fifth on get one action
// each, of the four kinds in order, the split on session 20-23, the consolidation on 26-29,
// the bonus issue on 32-35 and the rights offering on 38-41: short tests see every kind, with
// enough bars before each for the indicators.
// Pure functions of (seed, market, issue keys, sessions); thread-safe.
#pragma once

#include "krxbatch/market/types.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace krxbatch::fake_krx {

enum class ActionKind { split, consolidation, bonus_issue, rights_offering };
std::string_view to_string(ActionKind kind); // "split", "consolidation", "bonus_issue", ...

struct CorporateAction {
  ActionKind kind = ActionKind::split;
  std::size_t ex_session = 0;  // the session whose base is re-based
  std::size_t halt_from = 0;   // first session without trades (== ex_session: no halt)
  std::size_t shares_from = 0; // the session the new listed shares appear on
  // split: 1 old share becomes `ratio` shares; consolidation: `ratio` old shares become 1;
  // bonus issue and rights offering: `ratio` new shares per old share.
  double ratio = 1.0;
  // rights offering: the subscription price as a fraction of the previous close.
  double subscription = 1.0;
};

// The base price KRX sets on the ex-date of `action` after a previous close `previous_close`.
std::int64_t rebased_price(std::int64_t previous_close, const CorporateAction& action);
// Listed shares after `action`, from `shares` before it.
std::int64_t shares_after(std::int64_t shares, const CorporateAction& action);

struct Issue;

// Gives the issues of one market (make_universe's output) their actions. Ascending by
// ex_session per issue.
void schedule_actions(std::uint64_t seed, market::Market market, std::size_t initial_count,
                      std::size_t session_count, std::vector<Issue>& issues);

} // namespace krxbatch::fake_krx
