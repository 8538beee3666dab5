// hourly_analysis' tables: analysis_results (one row per (ticker, session)) and the analysis
// columns of target_tickers (last_analyzed_date, last_error).
//
// Column names come from the analysis tables: indicator values are named as in
// analysis::k_indicator_names (`sma20`, `rsi14`, ...), raw factors as `f_` +
// analysis::k_factors[i].name, pillar scores as `<pillar>_score`. A NaN is written as NULL
// and a NULL reads back as NaN. Writes happen in the caller's transaction when one is open
// (hourly_analysis commits a batch of stocks at a time). Statements are prepared once per
// store. SQLite errors become core::Error. Lifetime: the Database must outlive the store. Same
// threading rules as Database.
#pragma once

#include "krxbatch/analysis/ranking.hpp"
#include "krxbatch/analysis/score.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::store {

// A target still to analyse for a session.
struct AnalysisCandidate {
  std::string ticker;
  std::optional<std::int64_t> market_cap; // on the session; nullopt when it has no row then
};

// How far a session's analysis is.
struct AnalysisProgress {
  std::int64_t active = 0;   // active targets
  std::int64_t analysed = 0; // of which last_analyzed_date >= the session
};

// What one stock's analysis writes.
struct AnalysisRecord {
  std::string ticker;
  core::Date as_of_date;
  analysis::StockAnalysis stock;    // its values are not written when `error` is set
  std::optional<std::string> error; // why the stock could not be analysed
};

// One analysis_results row as stored.
struct AnalysisRow {
  std::string ticker;
  core::Date as_of_date;
  double score = 0.0;
  std::array<double, analysis::k_pillar_count> pillars{};
  double composite_raw = 0.0;
  bool eligible = false;
  std::string flags; // "" when none
  std::optional<std::string> error;
  std::int64_t bars = 0;
  double close = 0.0;
  std::array<double, analysis::k_indicator_count> indicators{}; // obv is never stored: NaN
  std::array<double, analysis::k_factor_count> factors{};
  std::optional<std::string> computed_at;
  std::optional<std::string> ranked_at;
};

// A stock of a session as the ranking sees it.
struct RankingRow {
  std::string ticker;
  analysis::RankInput input;
};

class AnalysisStore {
public:
  explicit AnalysisStore(Database& db);
  ~AnalysisStore();
  AnalysisStore(const AnalysisStore&) = delete;
  AnalysisStore& operator=(const AnalysisStore&) = delete;

  // Active targets whose last_analyzed_date is NULL or before `session`: the largest market
  // cap on `session` first, those without a row on `session` after all others, ties by
  // ticker.
  std::vector<AnalysisCandidate> candidates(const core::Date& session) const;
  AnalysisProgress progress(const core::Date& session) const;

  // Replaces the (ticker, session) row with `record` (scores NULL until the next ranking) and
  // sets the target's last_analyzed_date to the session and last_error to the error (NULL on
  // success).
  void write(const AnalysisRecord& record, const core::KstTime& now);

  // Every row of `session` whose ticker is an active target, by ticker.
  std::vector<RankingRow> ranking_rows(const core::Date& session) const;
  // Stores a session's ranking: `scores[i]` for `tickers[i]`; every other row of the session
  // gets NULL scores. ranked_at = now on every row of the session. Preconditions: same sizes.
  void write_scores(const core::Date& session, std::span<const std::string> tickers,
                    std::span<const analysis::RankedScores> scores, const core::KstTime& now);

  std::optional<AnalysisRow> row(const std::string& ticker, const core::Date& session) const;
  // The newest session `ticker` has a row for, if any.
  std::optional<core::Date> latest_session(const std::string& ticker) const;
  // Where `score` places among the scores of `session`: 1 + the number of higher scores, and
  // the number of scored rows.
  std::pair<std::int64_t, std::int64_t> rank(const core::Date& session, double score) const;
  // Every row of `session`, by ticker.
  std::vector<AnalysisRow> rows(const core::Date& session) const;

private:
  struct Statements;
  Statements& statements() const;
  Database& m_db;
  mutable std::unique_ptr<Statements> m_st;
};

} // namespace krxbatch::store
