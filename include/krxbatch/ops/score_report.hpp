// `krxbatch score`: why one stock scored what it did on a session (docs/SCORING.md): its
// score, pillar scores, rank, eligibility flags and every raw factor as hourly_analysis stored
// them, the corporate actions inside its analysis window, and the last bar's indicator values
// recomputed on the same back-adjusted bars the analysis read (store::BarLoader: the window of
// analysis::k_window_sessions ending on the session, adjusted as of it), keyed by the `indicators`
// command's column names. Read-only; storage errors are core::Error.
#pragma once

#include "krxbatch/analysis/indicators.hpp"
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/store/adjustment_store.hpp"
#include "krxbatch/store/analysis_store.hpp"
#include "krxbatch/store/database.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::ops {

struct ScoreReport {
  std::string ticker;
  std::string name; // on the session ("" when it has no row then)
  std::optional<market::Market> market;
  store::AnalysisRow result;
  std::int64_t rank = 0;   // 1 = best; 0 when the stock has no score
  std::int64_t scored = 0; // stocks with a score on the session
  std::vector<core::Date> window;
  std::size_t bars = 0; // bars of the stock in the window
  // The stock's events with an ex-date in the window after its first session (those that
  // changed a bar the score used).
  std::vector<store::StoredAdjustment> events;
  // The last bar's value of each of the `indicators` command's columns (NaN before its
  // lookback, or without bars).
  std::array<double, analysis::k_reference_indicator_count> indicators{};
};

// The report for `ticker` on `session`, by default the newest session it has a result for.
// Throws core::Error (exit 2) when it has none (or none on `session`), saying what to do.
ScoreReport explain_score(store::Database& db, const calendar::Calendar& calendar,
                          const std::string& ticker, const std::optional<core::Date>& session);

// One line of a session's ranking (`scores`).
struct ScoreLine {
  std::int64_t rank = 0; // 1 = best, among the session's scores of every market
  std::string ticker;
  std::string name;
  std::optional<market::Market> market;
  double score = 0.0;
  std::array<double, analysis::k_pillar_count> pillars{};
  bool eligible = false;
  std::string flags;
};

struct ScoreList {
  std::optional<core::Date> session; // nullopt: no session is ranked yet
  std::int64_t scored = 0;           // stocks with a score on the session (every market)
  std::vector<ScoreLine> lines;      // best first
};

// The best `limit` scores of `session` (by default the newest ranked session), of `market`
// only when given, best first (ties by ticker). Throws core::Error (exit 2) when `session`
// has no analysis results.
ScoreList list_scores(store::Database& db, const std::optional<core::Date>& session,
                      std::size_t limit, const std::optional<market::Market>& market);
// The first `limit` lines of `ranking` (a whole session's, from list_scores), of `market`
// only when given: what list_scores answers for them, without reading the database again.
ScoreList top_scores(const ScoreList& ranking, std::size_t limit,
                     const std::optional<market::Market>& market);
// {"session", "scored", "scores": [{rank, ticker, name, market, score, pillars, eligible,
// flags}]}, pretty-printed.
std::string scores_json(const ScoreList& list);

// {"ticker", "scores": [{"session", "score"}]}: the stock's scores with as_of_date in
// [from, to], oldest first (sessions without a score left out), pretty-printed. Throws
// core::Error (exit 2) when the stock has no analysis result at all.
std::string score_history_json(store::Database& db, const std::string& ticker,
                               const core::Date& from, const core::Date& to);

// The report as JSON: ticker, name, market, session, score, rank, scored, eligible, flags,
// error, pillars, composite_raw, factors, window, bars, adjustments, indicators (NaN as
// null), pretty-printed.
std::string score_json(const ScoreReport& report);
// The report for a person.
std::string score_text(const ScoreReport& report);

} // namespace krxbatch::ops
