// The operator's watchlist (table `watchlist`) and what is known of each stock on it: its
// latest bar, its latest score against the previous scored session, and what happened to it on
// one session (the `watchlist` alert digest, jobs::watchlist_digest).
//
// Scores are those of ranked sessions only (analysis_sessions.state = 'ranked', score not
// NULL): a stock's "previous scored session" is the newest ranked session before the one
// looked at on which it has a score, however many holidays or unscored sessions lie between.
// SQLite errors become core::Error. Lifetime: the Database must outlive the store. Same
// threading rules as Database.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::store {

struct WatchlistEntry {
  std::string ticker;
  std::optional<std::string> note;
  std::string added_at;
};

// One scored session of a stock: its score and its five pillar scores (trend, momentum,
// short_term, risk, liquidity; NaN where NULL).
struct ScoredSession {
  core::Date session;
  double score = 0;
  std::array<double, 5> pillars{};
};

// The pillars' names, in ScoredSession::pillars' order.
inline constexpr std::array<const char*, 5> k_pillar_names = {"trend", "momentum", "short_term",
                                                              "risk", "liquidity"};

// What the watchlist shows of one stock as of a session (`watchlist list`, the daily report).
struct WatchlistRow {
  WatchlistEntry entry;
  std::optional<std::string> name;           // the newest stored name; nullopt: no price row at all
  std::optional<std::string> market;         // KOSPI, KOSDAQ or KONEX
  std::optional<core::Date> last_trade_date; // its newest row up to the session
  std::optional<std::int64_t> close;
  std::optional<std::int64_t> change;
  std::optional<double> change_rate; // percent, as KRX sent it
  std::optional<std::int64_t> volume;
  std::optional<ScoredSession> score;    // the newest scored session up to the session
  std::optional<ScoredSession> previous; // the one before it
  std::optional<std::string> flags;      // eligibility flags of the newest analysis row
  std::optional<bool> eligible;          // of the newest analysis row
  bool in_universe = false;              // an active target
};

// What happened to one watchlist stock on a session (the alert digest's facts).
struct WatchlistEvent {
  std::string ticker;
  std::string name;
  std::optional<ScoredSession> score;    // on the session, when scored
  std::optional<ScoredSession> previous; // the stock's previous scored session
  std::optional<double> action_factor;   // a corporate action on the session (its factor)
  bool on_session = false;               // has a price row on the session
  bool on_previous_session = false;      // had one on the previous stored session
  bool traded = false;                   // volume > 0 on the session
  bool traded_before = false;            // volume > 0 on its previous row
  std::optional<bool> eligible;          // of its analysis row on the session
  std::optional<bool> eligible_before;   // of its previous analysis row
  std::optional<std::string> flags;      // of its analysis row on the session
};

class WatchlistStore {
public:
  explicit WatchlistStore(Database& db) : m_db(db) {}

  // Those of `tickers` that daily_prices does not know (never stored).
  std::vector<std::string> unknown(std::span<const std::string> tickers) const;
  // Adds the tickers (an existing entry keeps its added_at; its note is replaced when `note`
  // is set), in one transaction. Returns how many were new.
  int add(std::span<const std::string> tickers, const std::optional<std::string>& note,
          const core::KstTime& now);
  // Those of `tickers` not on the watchlist.
  std::vector<std::string> absent(std::span<const std::string> tickers) const;
  // Removes the tickers, in one transaction. Returns how many were removed.
  int remove(std::span<const std::string> tickers);
  // The entries, by ticker.
  std::vector<WatchlistEntry> list() const;
  // Each entry with what is known of it as of `session` (everything up to it), by ticker.
  std::vector<WatchlistRow> rows(const core::Date& session) const;
  // What happened to each entry on `session` (which must be ranked for `score` to be set).
  std::vector<WatchlistEvent> events(const core::Date& session) const;

private:
  Database& m_db;
};

} // namespace krxbatch::store
