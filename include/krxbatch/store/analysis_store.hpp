// hourly_analysis' tables: analysis_results (one row per (ticker, session)), analysis_sessions
// (one row per session worked on: pending or ranked) and the analysis columns of
// target_tickers (last_analyzed_date: the newest session analysed, last_error: its error).
//
// A (ticker, session) is analysed when it has a row that is not stale; a stale row (its input
// rows changed, mark_stale) keeps its values until it is recomputed. Which sessions are to be
// scored (incomplete_sessions): every KRX session from the first one tracked in
// analysis_sessions (or, before any, the first session daily_update stored after manual_setup's
// backfill, or daily_update's mark) up to daily_update's mark that is not ranked.
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
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
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
  std::int64_t analysed = 0; // of which with a row for the session that is not stale
};

// A row of analysis_sessions.
struct AnalysisSession {
  core::Date session;
  bool ranked = false; // state 'ranked'; else 'pending'
  std::optional<std::int64_t> targets;
  std::optional<std::int64_t> scored;
  std::optional<std::int64_t> failed;
  std::optional<std::string> reason;
  std::optional<std::string> ranked_at;
};

// What a reload changed on one session (jobs::DayIngestor): the scores that read it are
// recomputed (mark_stale).
struct ChangedInputs {
  std::vector<std::string> tickers; // whose price row (or corporate action) changed
  bool index = false;               // a composite's close changed: every ticker
  bool any() const { return index || !tickers.empty(); }
};

// What the analysis reads of one session: each issue's price row with its corporate action
// (price_adjustments) on the session, and the composites' closes, as comparable text.
struct SessionInputs {
  std::vector<std::pair<std::string, std::string>> rows; // (ticker, its row), by ticker
  std::string index;
};

// What differs between two SessionInputs of one session (added and removed rows count).
ChangedInputs changed_inputs(const SessionInputs& before, const SessionInputs& after);

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

  // Active targets not analysed for `session` (no row, or a stale one): the largest market cap
  // on `session` first, those without a price row on `session` after all others, ties by
  // ticker.
  std::vector<AnalysisCandidate> candidates(const core::Date& session) const;
  AnalysisProgress progress(const core::Date& session) const;
  // Of each of `sessions`, the active targets analysed (as progress().analysed).
  std::vector<std::int64_t> analysed_counts(std::span<const core::Date> sessions) const;

  // Replaces the (ticker, session) row with `record` (scores NULL until the next ranking, not
  // stale) and, when the session is not older than the target's last_analyzed_date, sets that
  // to the session and last_error to the error (NULL on success).
  void write(const AnalysisRecord& record, const core::KstTime& now);

  // The sessions still to be scored, newest first: those from the first tracked one (see the
  // top of this file) up to daily_update's mark that are not ranked, and those pending after a
  // reload. Empty while daily_update has no mark.
  std::vector<core::Date> incomplete_sessions(const calendar::Calendar& calendar) const;
  // Every row of analysis_sessions, oldest first.
  std::vector<AnalysisSession> sessions() const;
  // Adds `sessions` as pending, those not tracked yet (hourly_analysis --from).
  void track(std::span<const core::Date> sessions, const core::KstTime& now);
  // Records `session` as ranked, with the counts of its active targets' rows.
  void set_ranked(const core::Date& session, const core::KstTime& now);
  // Marks stale the rows that read `changed` on `from`: of its tickers (every ticker when the
  // index changed), the sessions from `from` to `through` (inclusive), and sets those sessions
  // pending with `reason`. Returns the rows marked. In the caller's transaction.
  std::int64_t mark_stale(const ChangedInputs& changed, const core::Date& from,
                          const core::Date& through, const std::string& reason,
                          const core::KstTime& now);
  // What the analysis reads of `session` (see SessionInputs).
  SessionInputs session_inputs(const core::Date& session) const;
  // Whether any row exists for a session on or after `from` (a reload of an older session
  // can change no score otherwise).
  bool any_rows_from(const core::Date& from) const;

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
  // The scores of `ticker` with as_of_date in [from, to] (rows without a score left out),
  // oldest first.
  std::vector<std::pair<core::Date, double>>
  score_history(const std::string& ticker, const core::Date& from, const core::Date& to) const;
  // Every row of `session`, by ticker.
  std::vector<AnalysisRow> rows(const core::Date& session) const;

private:
  struct Statements;
  Statements& statements() const;
  Database& m_db;
  mutable std::unique_ptr<Statements> m_st;
};

} // namespace krxbatch::store
