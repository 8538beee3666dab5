// The fake KRX market: issues with daily bars over every KRX session from a start date to the
// end of the calendar, and the KOSPI/KOSDAQ index families computed from them.
//
// Closes follow a one-factor random walk: each market has a daily factor (KOSDAQ's and KONEX's
// correlated with KOSPI's), each issue a beta to it, its own noise and rare jumps; the close is
// rounded to the tick grid and held within the ±30% daily limit. Some issues do not trade on a
// session: their open/high/low/volume/value are 0 and their close is the previous one, except
// that a KONEX quote may move without a trade (as in the real data). On a corporate action's
// ex-date the path goes on from the re-based price, and the sessions it halts have no trades
// (corporate_actions.hpp). Opens, highs, lows,
// volumes and values are recomputed from hashes when a bar is asked for, so only closes are
// stored (4 bytes per issue and session).
//
// Indices are capitalisation-weighted and chain-linked: from one session to the next an index
// moves by Σ close×shares / Σ base×shares over its members listed on both sessions (shares of
// the later session), so new listings, delistings and corporate actions do not make it jump. The
// composites contain every issue of their market; the other members are fixed by market-cap rank on
// the first session, with counts scaled to the market's size (e.g. KOSPI 200 is the top 200/950 of
// the issues).
//
// Everything is a pure function of (seed, issue counts, start, calendar). Built once; immutable
// afterwards, so every const method is thread-safe.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"

#include "fake_krx/universe.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::fake_krx {

struct MarketOptions {
  std::uint64_t seed = 1;
  std::size_t kospi = 40;
  std::size_t kosdaq = 60;
  std::size_t konex = 12;
  core::Date start{2023, 1, 2}; // the first session on or after it is the first with data
};

// One issue on one session, as the stock endpoints report it.
struct Bar {
  // KRX's base price (기준가), what CMPPREVDD_PRC, FLUC_RT and the price limits are measured
  // against: the previous close, re-based on an action's ex-date (corporate_actions.hpp).
  std::int64_t base = 0;
  std::int64_t close = 0;
  std::int64_t open = 0; // 0 when the issue did not trade, like high, low, volume and value
  std::int64_t high = 0;
  std::int64_t low = 0;
  std::int64_t volume = 0;
  std::int64_t value = 0;
  bool traded = false;
};

// One index on one session. A price-less row (`코스피 (외국주포함)`) has no levels.
struct IndexBar {
  std::string index_class; // IDX_CLSS
  std::string name;        // IDX_NM
  bool priced = true;
  double previous_close = 0.0;
  double close = 0.0;
  double open = 0.0;
  double high = 0.0;
  double low = 0.0;
  std::int64_t volume = 0;
  std::int64_t value = 0;
  std::int64_t market_cap = 0;
};

// One corporate action as the control API lists it (GET /_fake/actions).
struct ActionRecord {
  market::Market market = market::Market::kospi;
  std::string ticker;
  std::string name;
  ActionKind kind = ActionKind::split;
  core::Date ex_date;
  core::Date halt_from;   // == ex_date when trading was not halted
  core::Date shares_from; // when the new listed shares appear
  double ratio = 1.0;
  double subscription = 1.0;
  std::int64_t prev_close = 0; // the close on the session before ex_date
  std::int64_t base_price = 0; // the re-based price on ex_date
  std::int64_t shares_before = 0;
  std::int64_t shares_after = 0;
};

class MarketModel {
public:
  // Builds the universe and every path. Throws core::Error (exit 2) when the calendar has no
  // session on or after options.start, or the start lies outside it.
  MarketModel(const calendar::Calendar& calendar, const MarketOptions& options);

  const MarketOptions& options() const { return m_options; }
  // The sessions with data, ascending: from the first session on or after the start to the
  // last session of the calendar.
  const std::vector<core::Date>& sessions() const { return m_sessions; }
  // The index of `date` in sessions(); nullopt when it is not one of them.
  std::optional<std::size_t> session_index(const core::Date& date) const;
  // Whether the market has any data on the session (KONEX opened on 2013-07-01).
  bool has_data(market::Market market, std::size_t session) const;

  // All issues ever listed in the market in the period (see universe.hpp for the order).
  const std::vector<Issue>& issues(market::Market market) const;
  // Indices into issues(market) in the order the API lists them (by name, bytewise).
  const std::vector<std::size_t>& listing_order(market::Market market) const;
  // Precondition: issue.listed_on(session).
  Bar bar(const Issue& issue, std::size_t session) const;

  // Every corporate action with an ex-date in [from, to], by ex-date, market, ticker.
  std::vector<ActionRecord> actions(const core::Date& from, const core::Date& to) const;

  // The rows of idx/kospi_dd_trd (market kospi) or idx/kosdaq_dd_trd (kosdaq) on a session.
  // Precondition: market is kospi or kosdaq.
  std::vector<IndexBar> index_bars(market::Market market, std::size_t session) const;

private:
  struct IndexDef {
    std::string name;
    double base_level = 1000.0;
    bool all_issues = true;
    std::vector<std::size_t> members; // when !all_issues, indices into the market's issues
    std::vector<double> levels;       // closing level per session
  };
  struct MarketData {
    std::vector<Issue> issues;
    std::vector<std::size_t> order;
    std::vector<IndexDef> indices;
  };

  void build_paths(market::Market market);
  void build_indices(market::Market market);
  MarketData& data(market::Market market);
  const MarketData& data(market::Market market) const;
  double market_factor(market::Market market, const core::Date& date) const;

  MarketOptions m_options;
  std::vector<core::Date> m_sessions;
  std::vector<long> m_day_keys; // julian day numbers of the sessions (the date key of hashes)
  std::array<MarketData, 3> m_markets;
};

} // namespace krxbatch::fake_krx
