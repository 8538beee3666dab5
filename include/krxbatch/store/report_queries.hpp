// The SQL behind `krxbatch report daily` (ops/daily_report): one session's market summary read
// from daily_prices, index_prices, the back-adjusted view, analysis_results and
// analysis_sessions. Each function is one query; the daily report's JSON carries their answers
// unchanged, and its test checks them against the same statements. Read-only; SQLite errors
// become core::Error. Lifetime and threading as Database.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::store {

struct IndexPoint {
  core::Date session;
  double close = 0;
};

// A composite on the session and its closes over the sessions before (ascending).
struct CompositeDay {
  std::string index_class;
  std::string index_name;
  std::optional<double> close;       // nullopt: no row on the session
  std::optional<double> change;      // as KRX sent it
  std::optional<double> change_rate; // percent, as KRX sent it
  std::vector<IndexPoint> series;    // the last `points` closes up to the session
};
CompositeDay composite_day(Database& db, const std::string& index_class,
                           const std::string& index_name, const core::Date& session, int points);

// One market's session: traded issues (volume > 0) that rose, fell or did not move, issues
// that did not trade, issues at the daily limit (|change_rate| >= limit_rate, among traded
// ones), and the market's turnover.
struct MarketBreadth {
  std::string market;
  std::int64_t issues = 0;
  std::int64_t advancers = 0;
  std::int64_t decliners = 0;
  std::int64_t unchanged = 0;
  std::int64_t halted = 0;
  std::int64_t limit_up = 0;
  std::int64_t limit_down = 0;
  std::int64_t value = 0;  // KRW traded
  std::int64_t volume = 0; // shares traded
};
// Per market present on the session, KOSPI, KOSDAQ, KONEX order.
std::vector<MarketBreadth> market_breadth(Database& db, const core::Date& session,
                                          double limit_rate);

// An issue's move on the session.
struct PriceMove {
  std::string ticker;
  std::string name;
  std::string market;
  std::int64_t close = 0;
  std::optional<std::int64_t> change;
  double change_rate = 0; // percent
  std::int64_t value = 0;
};
// The `limit` traded issues with at least `min_value` KRW traded that rose most (`gainers`) or
// fell most, by change_rate then ticker (only rises among the gainers, falls among the
// losers). change_rate is KRX's, or where a row lacks it the change against the base price.
std::vector<PriceMove> top_movers(Database& db, const core::Date& session, std::int64_t min_value,
                                  int limit, bool gainers);

// An issue at a new 52-week high (its adjusted high above every adjusted high of the 52 weeks
// before: the sessions in [session - 364 days, session)) or low (adjusted low below every
// adjusted low), among those that traded on the session with at least `min_sessions` traded
// sessions in that window.
struct NewExtreme {
  std::string ticker;
  std::string name;
  std::string market;
  double price = 0;    // adjusted high (or low) on the session
  double previous = 0; // the window's adjusted high (or low) before it
  std::int64_t close = 0;
};
std::vector<NewExtreme> new_extremes(Database& db, const core::Date& session, int min_sessions,
                                     bool highs);

// A stock's score on the session, and on `previous` when it had one.
struct ScoreLine {
  std::string ticker;
  std::string name;
  std::string market;
  double score = 0;
  std::optional<double> previous;
  std::optional<double> change; // score - previous
};
// The `limit` best scores of the session, by score then ticker.
std::vector<ScoreLine> top_scores(Database& db, const core::Date& session,
                                  const std::optional<core::Date>& previous, int limit);
// The `limit` biggest rises (`risers`) or falls of the score from `previous` to the session, by
// change then ticker.
std::vector<ScoreLine> score_changes(Database& db, const core::Date& session,
                                     const core::Date& previous, int limit, bool risers);

// The newest ranked session up to `at` (before it, when `strictly_before`).
std::optional<core::Date> ranked_session(Database& db, const core::Date& at, bool strictly_before);
// Whether daily_prices holds rows of the session.
bool has_prices(Database& db, const core::Date& session);

} // namespace krxbatch::store
