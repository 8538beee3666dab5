#include "krxbatch/store/watchlist_store.hpp"

#include "sqlite_access.hpp"

#include <cmath>
#include <limits>

namespace krxbatch::store {
namespace {

core::Date date_of(const SQLite::Column& c) {
  return core::parse_iso_date(c.getString()).value_or(core::Date(1970, 1, 1));
}

double real_or_nan(const SQLite::Column& c) {
  return c.isNull() ? std::numeric_limits<double>::quiet_NaN() : c.getDouble();
}

constexpr const char* k_scored_sql =
    "SELECT r.as_of_date, r.score, r.trend_score, r.momentum_score, r.short_term_score, "
    "r.risk_score, r.liquidity_score FROM analysis_results r JOIN analysis_sessions s ON "
    "s.session = r.as_of_date AND s.state = 'ranked' WHERE r.ticker = ? AND r.as_of_date <= ? "
    "AND r.score IS NOT NULL ORDER BY r.as_of_date DESC LIMIT 2";

// The stock's two newest scored sessions up to `session`, newest first.
std::vector<ScoredSession> scored_sessions(SQLite::Database& db, const std::string& ticker,
                                           const core::Date& session) {
  SQLite::Statement st(db, k_scored_sql);
  st.bind(1, ticker);
  st.bind(2, core::to_iso(session));
  std::vector<ScoredSession> out;
  while (st.executeStep()) {
    ScoredSession s;
    s.session = date_of(st.getColumn(0));
    s.score = st.getColumn(1).getDouble();
    for (int i = 0; i < 5; ++i) {
      s.pillars[static_cast<std::size_t>(i)] = real_or_nan(st.getColumn(2 + i));
    }
    out.push_back(s);
  }
  return out;
}

// eligible and flags of the stock's analysis row on `session` (`before`: its newest row
// before the session instead; `up_to`: its newest row up to the session).
enum class RowAt { on, before, up_to };
std::optional<std::pair<bool, std::optional<std::string>>>
analysis_row(SQLite::Database& db, const std::string& ticker, const core::Date& session, RowAt at) {
  const char* cmp = at == RowAt::on ? "=" : at == RowAt::before ? "<" : "<=";
  SQLite::Statement st(db, std::string("SELECT eligible, flags FROM analysis_results WHERE "
                                       "ticker = ? AND as_of_date ") +
                               cmp + " ? ORDER BY as_of_date DESC LIMIT 1");
  st.bind(1, ticker);
  st.bind(2, core::to_iso(session));
  if (!st.executeStep()) {
    return std::nullopt;
  }
  return std::make_pair(st.getColumn(0).getInt() != 0, opt_text(st.getColumn(1)));
}

} // namespace

std::vector<std::string> WatchlistStore::unknown(std::span<const std::string> tickers) const {
  return guarded(m_db, "checking tickers", [&] {
    SQLite::Statement st(m_db.impl().db, "SELECT 1 FROM daily_prices WHERE ticker = ? LIMIT 1");
    std::vector<std::string> out;
    for (const auto& t : tickers) {
      st.reset();
      st.bind(1, t);
      if (!st.executeStep()) {
        out.push_back(t);
      }
    }
    return out;
  });
}

int WatchlistStore::add(std::span<const std::string> tickers,
                        const std::optional<std::string>& note, const core::KstTime& now) {
  Database::Transaction txn(m_db);
  const int added = guarded(m_db, "adding to the watchlist", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "INSERT INTO watchlist (ticker, note, added_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (ticker) DO UPDATE SET note = coalesce(excluded.note, note)");
    SQLite::Statement exists(m_db.impl().db, "SELECT 1 FROM watchlist WHERE ticker = ?");
    int n = 0;
    for (const auto& t : tickers) {
      exists.reset();
      exists.bind(1, t);
      n += exists.executeStep() ? 0 : 1;
      st.reset();
      st.bind(1, t);
      bind_opt(st, 2, note);
      st.bind(3, core::to_iso(now));
      st.exec();
    }
    return n;
  });
  txn.commit();
  return added;
}

std::vector<std::string> WatchlistStore::absent(std::span<const std::string> tickers) const {
  return guarded(m_db, "reading the watchlist", [&] {
    SQLite::Statement st(m_db.impl().db, "SELECT 1 FROM watchlist WHERE ticker = ?");
    std::vector<std::string> out;
    for (const auto& t : tickers) {
      st.reset();
      st.bind(1, t);
      if (!st.executeStep()) {
        out.push_back(t);
      }
    }
    return out;
  });
}

int WatchlistStore::remove(std::span<const std::string> tickers) {
  Database::Transaction txn(m_db);
  const int removed = guarded(m_db, "removing from the watchlist", [&] {
    SQLite::Statement st(m_db.impl().db, "DELETE FROM watchlist WHERE ticker = ?");
    int n = 0;
    for (const auto& t : tickers) {
      st.reset();
      st.bind(1, t);
      n += st.exec();
    }
    return n;
  });
  txn.commit();
  return removed;
}

std::vector<WatchlistEntry> WatchlistStore::list() const {
  return guarded(m_db, "reading the watchlist", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT ticker, note, added_at FROM watchlist ORDER BY ticker");
    std::vector<WatchlistEntry> out;
    while (st.executeStep()) {
      out.push_back(
          {st.getColumn(0).getString(), opt_text(st.getColumn(1)), st.getColumn(2).getString()});
    }
    return out;
  });
}

std::vector<WatchlistRow> WatchlistStore::rows(const core::Date& session) const {
  const auto entries = list();
  return guarded(m_db, "reading the watchlist", [&] {
    auto& db = m_db.impl().db;
    SQLite::Statement bar(db, "SELECT name, market, trade_date, close, change, change_rate, "
                              "volume FROM daily_prices WHERE ticker = ? AND trade_date <= ? "
                              "ORDER BY trade_date DESC LIMIT 1");
    SQLite::Statement target(db, "SELECT active FROM target_tickers WHERE ticker = ?");
    std::vector<WatchlistRow> out;
    for (const auto& e : entries) {
      WatchlistRow row;
      row.entry = e;
      bar.reset();
      bar.bind(1, e.ticker);
      bar.bind(2, core::to_iso(session));
      if (bar.executeStep()) {
        row.name = bar.getColumn(0).getString();
        row.market = bar.getColumn(1).getString();
        row.last_trade_date = date_of(bar.getColumn(2));
        row.close = bar.getColumn(3).getInt64();
        row.change = opt_int(bar.getColumn(4));
        row.change_rate = opt_real(bar.getColumn(5));
        row.volume = bar.getColumn(6).getInt64();
      }
      const auto scored = scored_sessions(db, e.ticker, session);
      if (!scored.empty()) {
        row.score = scored[0];
      }
      if (scored.size() > 1) {
        row.previous = scored[1];
      }
      if (const auto a = analysis_row(db, e.ticker, session, RowAt::up_to)) {
        row.eligible = a->first;
        row.flags = a->second;
      }
      target.reset();
      target.bind(1, e.ticker);
      row.in_universe = target.executeStep() && target.getColumn(0).getInt() != 0;
      out.push_back(std::move(row));
    }
    return out;
  });
}

std::vector<WatchlistEvent> WatchlistStore::events(const core::Date& session) const {
  const auto entries = list();
  return guarded(m_db, "reading the watchlist", [&] {
    auto& db = m_db.impl().db;
    const auto day = core::to_iso(session);
    SQLite::Statement previous_day(db,
                                   "SELECT max(trade_date) FROM daily_prices WHERE trade_date < ?");
    previous_day.bind(1, day);
    previous_day.executeStep();
    const auto before = opt_text(previous_day.getColumn(0));
    SQLite::Statement bar(db, "SELECT name, volume FROM daily_prices WHERE ticker = ? AND "
                              "trade_date = ?");
    SQLite::Statement name(db, "SELECT name FROM daily_prices WHERE ticker = ? ORDER BY "
                               "trade_date DESC LIMIT 1");
    SQLite::Statement action(
        db, "SELECT factor FROM price_adjustments WHERE ticker = ? AND ex_date = ?");
    std::vector<WatchlistEvent> out;
    for (const auto& e : entries) {
      WatchlistEvent ev;
      ev.ticker = e.ticker;
      bar.reset();
      bar.bind(1, e.ticker);
      bar.bind(2, day);
      if (bar.executeStep()) {
        ev.on_session = true;
        ev.name = bar.getColumn(0).getString();
        ev.traded = bar.getColumn(1).getInt64() > 0;
      }
      if (before) {
        bar.reset();
        bar.bind(1, e.ticker);
        bar.bind(2, *before);
        if (bar.executeStep()) {
          ev.on_previous_session = true;
          ev.traded_before = bar.getColumn(1).getInt64() > 0;
        }
      }
      if (ev.name.empty()) {
        name.reset();
        name.bind(1, e.ticker);
        ev.name = name.executeStep() ? name.getColumn(0).getString() : std::string();
      }
      const auto scored = scored_sessions(db, e.ticker, session);
      std::size_t next = 0;
      if (!scored.empty() && scored[0].session == session) {
        ev.score = scored[0];
        next = 1;
      }
      if (scored.size() > next) {
        ev.previous = scored[next];
      }
      action.reset();
      action.bind(1, e.ticker);
      action.bind(2, day);
      if (action.executeStep()) {
        ev.action_factor = action.getColumn(0).getDouble();
      }
      if (const auto a = analysis_row(db, e.ticker, session, RowAt::on)) {
        ev.eligible = a->first;
        ev.flags = a->second;
      }
      if (const auto a = analysis_row(db, e.ticker, session, RowAt::before)) {
        ev.eligible_before = a->first;
      }
      out.push_back(std::move(ev));
    }
    return out;
  });
}

} // namespace krxbatch::store
