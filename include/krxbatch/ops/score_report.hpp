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

// The report as JSON: ticker, name, market, session, score, rank, scored, eligible, flags,
// error, pillars, composite_raw, factors, window, bars, adjustments, indicators (NaN as
// null), pretty-printed.
std::string score_json(const ScoreReport& report);
// The report for a person.
std::string score_text(const ScoreReport& report);

} // namespace krxbatch::ops
