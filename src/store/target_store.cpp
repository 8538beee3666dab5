#include "krxbatch/store/target_store.hpp"

#include "sqlite_access.hpp"

#include <map>

namespace krxbatch::store {

std::vector<UniverseCandidate>
TargetStore::candidates(const core::Date& session, std::int64_t min_market_cap,
                        std::span<const market::Market> markets) const {
  return guarded(m_db, "selecting the universe", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT ticker, name, market, market_cap FROM daily_prices "
                         "WHERE trade_date = ? AND market_cap >= ? "
                         "ORDER BY market_cap DESC, ticker");
    st.bind(1, core::to_iso(session));
    st.bind(2, min_market_cap);
    std::vector<UniverseCandidate> out;
    while (st.executeStep()) {
      const auto m = market::parse_market(st.getColumn(2).getString());
      if (!m || std::find(markets.begin(), markets.end(), *m) == markets.end()) {
        continue;
      }
      out.push_back({st.getColumn(0).getString(), st.getColumn(1).getString(), *m,
                     st.getColumn(3).getInt64()});
    }
    return out;
  });
}

UniverseChange TargetStore::apply_universe(const core::Date& session,
                                           std::span<const UniverseCandidate> candidates) {
  return guarded(m_db, "updating target_tickers", [&] {
    auto& db = m_db.impl().db;
    std::map<std::string, bool> existing; // ticker -> active
    {
      SQLite::Statement st(db, "SELECT ticker, active FROM target_tickers");
      while (st.executeStep()) {
        existing.emplace(st.getColumn(0).getString(), st.getColumn(1).getInt() != 0);
      }
    }
    const auto iso = core::to_iso(session);
    UniverseChange change;
    SQLite::Statement upsert(
        db, "INSERT INTO target_tickers (ticker, name, market, market_cap, universe_date, active, "
            "added_date) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?5) "
            "ON CONFLICT (ticker) DO UPDATE SET name = ?2, market = ?3, market_cap = ?4, "
            "universe_date = ?5, active = 1, deactivated_date = NULL");
    std::map<std::string, bool> chosen;
    for (const auto& c : candidates) {
      upsert.bind(1, c.ticker);
      upsert.bind(2, c.name);
      upsert.bind(3, std::string(market::to_string(c.market)));
      upsert.bind(4, c.market_cap);
      upsert.bind(5, iso);
      upsert.exec();
      upsert.reset();
      chosen[c.ticker] = true;
      const auto it = existing.find(c.ticker);
      if (it == existing.end()) {
        ++change.added;
      } else if (!it->second) {
        ++change.reactivated;
      } else {
        ++change.kept;
      }
    }
    SQLite::Statement deactivate(db, "UPDATE target_tickers SET active = 0, deactivated_date = ?, "
                                     "universe_date = ? WHERE ticker = ?");
    for (const auto& [ticker, active] : existing) {
      if (active && !chosen.contains(ticker)) {
        deactivate.bind(1, iso);
        deactivate.bind(2, iso);
        deactivate.bind(3, ticker);
        deactivate.exec();
        deactivate.reset();
        ++change.deactivated;
      }
    }
    return change;
  });
}

std::vector<TargetTicker> TargetStore::list(bool active_only) const {
  return guarded(m_db, "reading target_tickers", [&] {
    SQLite::Statement st(m_db.impl().db,
                         std::string("SELECT ticker, name, market, market_cap, universe_date, "
                                     "active, added_date, deactivated_date, last_analyzed_date, "
                                     "last_error FROM target_tickers") +
                             (active_only ? " WHERE active = 1" : "") +
                             " ORDER BY market_cap DESC, ticker");
    std::vector<TargetTicker> out;
    const auto date_of = [](const SQLite::Column& c) -> std::optional<core::Date> {
      return c.isNull() ? std::nullopt : core::parse_iso_date(c.getString());
    };
    while (st.executeStep()) {
      TargetTicker t;
      t.ticker = st.getColumn(0).getString();
      t.name = st.getColumn(1).getString();
      t.market = st.getColumn(2).getString();
      t.market_cap = st.getColumn(3).getInt64();
      t.universe_date = date_of(st.getColumn(4)).value_or(core::Date(1970, 1, 1));
      t.active = st.getColumn(5).getInt() != 0;
      t.added_date = date_of(st.getColumn(6)).value_or(core::Date(1970, 1, 1));
      t.deactivated_date = date_of(st.getColumn(7));
      t.last_analyzed_date = date_of(st.getColumn(8));
      t.last_error = opt_text(st.getColumn(9));
      out.push_back(std::move(t));
    }
    return out;
  });
}

} // namespace krxbatch::store
