// The fake market's issues: who is listed, under which code and name, how big, and when.
//
// Per market there are `initial_count` issues listed on the first session plus a number of new
// listings (proportional to the market's size and the length of the period) spread over the
// sessions; some initial issues are delisted along the way. Every property of an issue is a
// hash of (seed, market, the issue's key), so the universe is a pure function of
// (seed, market, initial_count, sessions).
//
// Codes (ISU_CD) are unique across all markets and look like the real ones: mostly six digits
// ending in 0; preferred shares take their common share's first five digits plus `5`, or an
// old-style letter (`00104K`-like); some issues, and half the listings after the 2024 code
// reform, have a new-style code with a letter in the fifth position (`0126Z0`-like).
// Corporate actions are scheduled as corporate_actions.hpp says.
// Guaranteed when the market has enough issues: KOSPI issue 2 is an old-style preferred share
// (count >= 3); issue 3 of every market has a new-style code (count >= 4); issue 1 of every
// market is delisted between sessions 10 and 29, and the first new listing comes between
// sessions 5 and 24 (when the period is that long), so short tests see the issue set change.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"

#include "fake_krx/corporate_actions.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::fake_krx {

// One issue of the fake market. The fields up to `spac` are fixed when the universe is made;
// the path is filled in by MarketModel.
struct Issue {
  market::Market market = market::Market::kospi;
  std::uint64_t key = 0;   // the issue's identity in the random streams
  std::string code;        // ISU_CD
  std::string name;        // ISU_NM (UTF-8)
  std::string section;     // SECT_TP_NM ("-" on KOSPI)
  std::int64_t shares = 0; // LIST_SHRS on its first session (actions change it: shares_on)
  // The close before the issue's first row: the previous close on the first session for an
  // initial issue, the offering price for a new listing. On the tick grid.
  std::int64_t base_price = 0;
  std::size_t first = 0; // first session index with a row
  std::size_t end = 0;   // one past the last session index with a row
  // For a preferred share: the index (in the same market's issue list) of its common share,
  // whose idiosyncratic moves it shares in part.
  std::optional<std::size_t> parent;
  double beta = 1.0;       // sensitivity to the market factor
  double volatility = 0.0; // daily idiosyncratic σ of the log return
  double turnover = 0.0;   // typical daily volume as a fraction of the listed shares
  double no_trade = 0.0;   // probability that the issue does not trade on a session
  bool spac = false;
  // Its corporate actions, ascending by ex_session (corporate_actions.hpp).
  std::vector<CorporateAction> actions;

  // Filled by MarketModel: the close and whether the issue traded, per session from `first`.
  std::vector<std::int32_t> closes;
  std::vector<std::uint8_t> traded;

  bool listed_on(std::size_t session) const { return session >= first && session < end; }
  // LIST_SHRS on `session`.
  std::int64_t shares_on(std::size_t session) const;
  // The action whose ex-date is `session`, or nullptr.
  const CorporateAction* action_on(std::size_t session) const;
  // Whether trading is halted on `session` ahead of an action.
  bool halted_on(std::size_t session) const;
};

// The issues of one market over `sessions` (ascending business days; at least one). Initial
// issues come first (indices 0..initial_count-1), then new listings in order of their keys.
// Precondition: initial_count <= 20000.
std::vector<Issue> make_universe(std::uint64_t seed, market::Market market,
                                 std::size_t initial_count,
                                 const std::vector<core::Date>& sessions);

} // namespace krxbatch::fake_krx
