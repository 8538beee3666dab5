#include "krxbatch/store/report_queries.hpp"

#include "sqlite_access.hpp"

namespace krxbatch::store {
namespace {

// The session's change in percent: KRX's FLUC_RT, or, where a row lacks it, the change against
// the base price (close - change).
constexpr const char* k_rate = "coalesce(change_rate, 100.0 * change / nullif(close - change, 0))";

core::Date date_of(const SQLite::Column& c) {
  return core::parse_iso_date(c.getString()).value_or(core::Date(1970, 1, 1));
}

// 52 weeks before a session, as an ISO date: the first day of its new-high window.
std::string window_start(const core::Date& session) {
  return core::to_iso(session - boost::gregorian::days(364));
}

ScoreLine score_line(SQLite::Statement& st) {
  ScoreLine s;
  s.ticker = st.getColumn(0).getString();
  s.name = st.getColumn(1).getString();
  s.market = st.getColumn(2).getString();
  s.score = st.getColumn(3).getDouble();
  s.previous = opt_real(st.getColumn(4));
  s.change = opt_real(st.getColumn(5));
  return s;
}

} // namespace

CompositeDay composite_day(Database& db, const std::string& index_class,
                           const std::string& index_name, const core::Date& session, int points) {
  return guarded(db, "reading the composites", [&] {
    CompositeDay out;
    out.index_class = index_class;
    out.index_name = index_name;
    SQLite::Statement day(db.impl().db,
                          "SELECT close, change, change_rate FROM index_prices WHERE index_class = "
                          "? AND index_name = ? AND trade_date = ?");
    day.bind(1, index_class);
    day.bind(2, index_name);
    day.bind(3, core::to_iso(session));
    if (day.executeStep()) {
      out.close = opt_real(day.getColumn(0));
      out.change = opt_real(day.getColumn(1));
      out.change_rate = opt_real(day.getColumn(2));
    }
    SQLite::Statement series(
        db.impl().db, "SELECT trade_date, close FROM (SELECT trade_date, close FROM index_prices "
                      "WHERE index_class = ? AND index_name = ? AND trade_date <= ? AND close IS "
                      "NOT NULL ORDER BY trade_date DESC LIMIT ?) ORDER BY trade_date");
    series.bind(1, index_class);
    series.bind(2, index_name);
    series.bind(3, core::to_iso(session));
    series.bind(4, points);
    while (series.executeStep()) {
      out.series.push_back({date_of(series.getColumn(0)), series.getColumn(1).getDouble()});
    }
    return out;
  });
}

std::vector<MarketBreadth> market_breadth(Database& db, const core::Date& session,
                                          double limit_rate) {
  return guarded(db, "reading the market breadth", [&] {
    SQLite::Statement st(
        db.impl().db,
        std::string("SELECT market, count(*), sum(volume > 0 AND change > 0), sum(volume > 0 AND "
                    "change < 0), sum(volume > 0 AND (change = 0 OR change IS NULL)), "
                    "sum(volume = 0), sum(volume > 0 AND ") +
            k_rate + " >= ?1), sum(volume > 0 AND " + k_rate +
            " <= -?1), sum(value), sum(volume) FROM daily_prices WHERE trade_date = ?2 GROUP BY "
            "market ORDER BY CASE market WHEN 'KOSPI' THEN 0 WHEN 'KOSDAQ' THEN 1 ELSE 2 END");
    st.bind(1, limit_rate);
    st.bind(2, core::to_iso(session));
    std::vector<MarketBreadth> out;
    while (st.executeStep()) {
      MarketBreadth b;
      b.market = st.getColumn(0).getString();
      b.issues = st.getColumn(1).getInt64();
      b.advancers = st.getColumn(2).getInt64();
      b.decliners = st.getColumn(3).getInt64();
      b.unchanged = st.getColumn(4).getInt64();
      b.halted = st.getColumn(5).getInt64();
      b.limit_up = st.getColumn(6).getInt64();
      b.limit_down = st.getColumn(7).getInt64();
      b.value = st.getColumn(8).getInt64();
      b.volume = st.getColumn(9).getInt64();
      out.push_back(std::move(b));
    }
    return out;
  });
}

std::vector<PriceMove> top_movers(Database& db, const core::Date& session, std::int64_t min_value,
                                  int limit, bool gainers) {
  return guarded(db, "reading the top movers", [&] {
    SQLite::Statement st(db.impl().db,
                         std::string("SELECT ticker, name, market, close, change, ") + k_rate +
                             " AS rate, value FROM daily_prices WHERE trade_date = ? AND volume "
                             "> 0 AND value >= ? AND " +
                             (gainers ? "rate > 0" : "rate < 0") + " ORDER BY rate " +
                             (gainers ? "DESC" : "ASC") + ", ticker LIMIT ?");
    st.bind(1, core::to_iso(session));
    st.bind(2, min_value);
    st.bind(3, limit);
    std::vector<PriceMove> out;
    while (st.executeStep()) {
      out.push_back({st.getColumn(0).getString(), st.getColumn(1).getString(),
                     st.getColumn(2).getString(), st.getColumn(3).getInt64(),
                     opt_int(st.getColumn(4)), st.getColumn(5).getDouble(),
                     st.getColumn(6).getInt64()});
    }
    return out;
  });
}

std::vector<NewExtreme> new_extremes(Database& db, const core::Date& session, int min_sessions,
                                     bool highs) {
  return guarded(db, "reading the 52-week highs and lows", [&] {
    const std::string col = highs ? "high" : "low";
    const std::string agg = highs ? "max" : "min";
    const std::string beyond = highs ? ">" : "<";
    SQLite::Statement st(
        db.impl().db,
        "WITH day AS (SELECT a.ticker, a." + col +
            " AS price, p.name, p.market, p.close FROM daily_prices_adjusted a JOIN "
            "daily_prices p ON p.ticker = a.ticker AND p.trade_date = a.trade_date WHERE "
            "a.trade_date = ?1 AND p.volume > 0), "
            "prior AS (SELECT ticker, " +
            agg + "(" + col +
            ") AS previous, count(*) AS n FROM daily_prices_adjusted WHERE trade_date >= ?2 AND "
            "trade_date < ?1 AND volume > 0 GROUP BY ticker) "
            "SELECT day.ticker, day.name, day.market, day.price, prior.previous, day.close FROM "
            "day JOIN prior ON prior.ticker = day.ticker WHERE prior.n >= ?3 AND day.price " +
            beyond + " prior.previous ORDER BY day.ticker");
    st.bind(1, core::to_iso(session));
    st.bind(2, window_start(session));
    st.bind(3, min_sessions);
    std::vector<NewExtreme> out;
    while (st.executeStep()) {
      out.push_back({st.getColumn(0).getString(), st.getColumn(1).getString(),
                     st.getColumn(2).getString(), st.getColumn(3).getDouble(),
                     st.getColumn(4).getDouble(), st.getColumn(5).getInt64()});
    }
    return out;
  });
}

std::vector<ScoreLine> top_scores(Database& db, const core::Date& session,
                                  const std::optional<core::Date>& previous, int limit) {
  return guarded(db, "reading the top scores", [&] {
    SQLite::Statement st(
        db.impl().db,
        "SELECT r.ticker, ifnull(p.name, ''), ifnull(p.market, ''), r.score, q.score, "
        "r.score - q.score FROM analysis_results r LEFT JOIN analysis_results q ON q.ticker = "
        "r.ticker AND q.as_of_date = ?2 LEFT JOIN daily_prices p ON p.ticker = r.ticker AND "
        "p.trade_date = r.as_of_date WHERE r.as_of_date = ?1 AND r.score IS NOT NULL ORDER BY "
        "r.score DESC, r.ticker LIMIT ?3");
    st.bind(1, core::to_iso(session));
    st.bind(2, previous ? core::to_iso(*previous) : std::string());
    st.bind(3, limit);
    std::vector<ScoreLine> out;
    while (st.executeStep()) {
      out.push_back(score_line(st));
    }
    return out;
  });
}

std::vector<ScoreLine> score_changes(Database& db, const core::Date& session,
                                     const core::Date& previous, int limit, bool risers) {
  return guarded(db, "reading the score changes", [&] {
    SQLite::Statement st(
        db.impl().db,
        std::string(
            "SELECT r.ticker, ifnull(p.name, ''), ifnull(p.market, ''), r.score, q.score, "
            "r.score - q.score AS d FROM analysis_results r JOIN analysis_results q ON q.ticker "
            "= r.ticker AND q.as_of_date = ?2 LEFT JOIN daily_prices p ON p.ticker = r.ticker "
            "AND p.trade_date = r.as_of_date WHERE r.as_of_date = ?1 AND r.score IS NOT NULL "
            "AND q.score IS NOT NULL AND r.score - q.score ") +
            (risers ? "> 0 ORDER BY d DESC" : "< 0 ORDER BY d ASC") + ", r.ticker LIMIT ?3");
    st.bind(1, core::to_iso(session));
    st.bind(2, core::to_iso(previous));
    st.bind(3, limit);
    std::vector<ScoreLine> out;
    while (st.executeStep()) {
      out.push_back(score_line(st));
    }
    return out;
  });
}

std::optional<core::Date> ranked_session(Database& db, const core::Date& at, bool strictly_before) {
  return guarded(db, "reading the ranked sessions", [&]() -> std::optional<core::Date> {
    SQLite::Statement st(db.impl().db,
                         std::string("SELECT max(session) FROM analysis_sessions WHERE state = "
                                     "'ranked' AND session ") +
                             (strictly_before ? "<" : "<=") + " ?");
    st.bind(1, core::to_iso(at));
    if (!st.executeStep() || st.getColumn(0).isNull()) {
      return std::nullopt;
    }
    return date_of(st.getColumn(0));
  });
}

bool has_prices(Database& db, const core::Date& session) {
  return guarded(db, "reading the stored sessions", [&] {
    SQLite::Statement st(db.impl().db, "SELECT 1 FROM daily_prices WHERE trade_date = ? LIMIT 1");
    st.bind(1, core::to_iso(session));
    return st.executeStep();
  });
}

} // namespace krxbatch::store
