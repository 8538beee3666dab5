#include "krxbatch/store/analysis_store.hpp"

#include "krxbatch/market/types.hpp"
#include "krxbatch/store/job_store.hpp"

#include "sqlite_access.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace krxbatch::store {
namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

using analysis::k_factor_count;

// "sma5, sma20, ..." for the stored indicators, with `prefix` before each name.
std::string indicator_columns(std::string_view prefix = "") {
  std::string out;
  for (const auto i : analysis::k_stored_indicators) {
    out += (out.empty() ? "" : ", ") + std::string(prefix) + std::string(analysis::name_of(i));
  }
  return out;
}

// "f_close_vs_sma120, ..." for every factor.
std::string factor_columns(std::string_view prefix = "") {
  std::string out;
  for (const auto& f : analysis::k_factors) {
    out += (out.empty() ? "" : ", ") + std::string(prefix) + "f_" + std::string(f.name);
  }
  return out;
}

std::string pillar_columns() {
  std::string out;
  for (const auto name : analysis::k_pillar_names) {
    out += (out.empty() ? "" : ", ") + std::string(name) + "_score";
  }
  return out;
}

std::string placeholders(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += i == 0 ? "?" : ", ?";
  }
  return out;
}

void bind_real(SQLite::Statement& st, int index, double v) {
  if (std::isnan(v)) {
    st.bind(index);
  } else {
    st.bind(index, v);
  }
}

double real_or_nan(const SQLite::Column& c) {
  return c.isNull() ? k_nan : c.getDouble();
}

void run(SQLite::Statement& st) {
  st.exec();
  st.reset();
  st.clearBindings();
}

const std::string& row_select() {
  static const std::string sql = "SELECT ticker, as_of_date, score, " + pillar_columns() +
                                 ", composite_raw, eligible, flags, error, bars, close, " +
                                 indicator_columns() + ", " + factor_columns() +
                                 ", computed_at, ranked_at FROM analysis_results ";
  return sql;
}

AnalysisRow read_row(SQLite::Statement& st) {
  AnalysisRow r;
  int c = 0;
  r.ticker = st.getColumn(c++).getString();
  r.as_of_date = core::parse_iso_date(st.getColumn(c++).getString()).value_or(core::Date());
  r.score = real_or_nan(st.getColumn(c++));
  for (auto& p : r.pillars) {
    p = real_or_nan(st.getColumn(c++));
  }
  r.composite_raw = real_or_nan(st.getColumn(c++));
  r.eligible = st.getColumn(c++).getInt() != 0;
  r.flags = opt_text(st.getColumn(c++)).value_or("");
  r.error = opt_text(st.getColumn(c++));
  r.bars = opt_int(st.getColumn(c++)).value_or(0);
  r.close = real_or_nan(st.getColumn(c++));
  r.indicators.fill(k_nan);
  for (const auto i : analysis::k_stored_indicators) {
    r.indicators[analysis::index_of(i)] = real_or_nan(st.getColumn(c++));
  }
  for (auto& f : r.factors) {
    f = real_or_nan(st.getColumn(c++));
  }
  r.computed_at = opt_text(st.getColumn(c++));
  r.ranked_at = opt_text(st.getColumn(c++));
  return r;
}

} // namespace

struct AnalysisStore::Statements {
  explicit Statements(SQLite::Database& db)
      : insert(db, "INSERT OR REPLACE INTO analysis_results (ticker, as_of_date, eligible, flags, "
                   "error, bars, computed_at, close, " +
                       indicator_columns() + ", " + factor_columns() + ") VALUES (" +
                       placeholders(8 + analysis::k_stored_indicators.size() + k_factor_count) +
                       ")"),
        mark_target(db, "UPDATE target_tickers SET last_analyzed_date = ?1, last_error = ?2 "
                        "WHERE ticker = ?3 AND (last_analyzed_date IS NULL OR "
                        "last_analyzed_date <= ?1)") {}
  SQLite::Statement insert;
  SQLite::Statement mark_target;
};

AnalysisStore::AnalysisStore(Database& db) : m_db(db) {}
AnalysisStore::~AnalysisStore() = default;

AnalysisStore::Statements& AnalysisStore::statements() const {
  if (!m_st) {
    m_st = std::make_unique<Statements>(m_db.impl().db);
  }
  return *m_st;
}

std::vector<AnalysisCandidate> AnalysisStore::candidates(const core::Date& session) const {
  return guarded(m_db, "selecting the stocks to analyse", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT t.ticker, p.market_cap FROM target_tickers t "
                         "LEFT JOIN daily_prices p ON p.ticker = t.ticker AND p.trade_date = ?1 "
                         "LEFT JOIN analysis_results r ON r.ticker = t.ticker AND "
                         "r.as_of_date = ?1 "
                         "WHERE t.active = 1 AND (r.ticker IS NULL OR r.stale = 1) "
                         "ORDER BY p.market_cap IS NULL, p.market_cap DESC, t.ticker");
    st.bind(1, core::to_iso(session));
    std::vector<AnalysisCandidate> out;
    while (st.executeStep()) {
      out.push_back({st.getColumn(0).getString(), opt_int(st.getColumn(1))});
    }
    return out;
  });
}

AnalysisProgress AnalysisStore::progress(const core::Date& session) const {
  return guarded(m_db, "reading the analysis progress", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT count(*), coalesce(sum(r.ticker IS NOT NULL AND r.stale = 0), "
                         "0) FROM target_tickers t LEFT JOIN analysis_results r ON r.ticker = "
                         "t.ticker AND r.as_of_date = ?1 WHERE t.active = 1");
    st.bind(1, core::to_iso(session));
    st.executeStep();
    return AnalysisProgress{st.getColumn(0).getInt64(), st.getColumn(1).getInt64()};
  });
}

std::vector<std::int64_t>
AnalysisStore::analysed_counts(std::span<const core::Date> sessions) const {
  return guarded(m_db, "reading the analysis progress", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT count(*) FROM analysis_results r JOIN target_tickers t ON "
                         "t.ticker = r.ticker WHERE r.as_of_date = ? AND r.stale = 0 AND "
                         "t.active = 1");
    std::vector<std::int64_t> out;
    out.reserve(sessions.size());
    for (const auto& d : sessions) {
      st.bind(1, core::to_iso(d));
      st.executeStep();
      out.push_back(st.getColumn(0).getInt64());
      st.reset();
    }
    return out;
  });
}

void AnalysisStore::write(const AnalysisRecord& record, const core::KstTime& now) {
  guarded(m_db, "storing the analysis of " + record.ticker, [&] {
    auto& st = statements();
    auto& ins = st.insert;
    const auto iso = core::to_iso(record.as_of_date);
    const auto& s = record.stock;
    const bool failed = record.error.has_value();
    int c = 1;
    ins.bind(c++, record.ticker);
    ins.bind(c++, iso);
    ins.bind(c++, !failed && s.eligibility.eligible ? 1 : 0);
    const auto flags = failed ? std::string() : analysis::flags_text(s.eligibility.flags);
    if (flags.empty()) {
      ins.bind(c++);
    } else {
      ins.bind(c++, flags);
    }
    bind_opt(ins, c++, record.error);
    ins.bind(c++, static_cast<std::int64_t>(s.bars));
    ins.bind(c++, core::to_iso(now));
    bind_real(ins, c++, failed ? k_nan : s.close);
    for (const auto i : analysis::k_stored_indicators) {
      bind_real(ins, c++, failed ? k_nan : s.indicators[analysis::index_of(i)]);
    }
    for (std::size_t f = 0; f < k_factor_count; ++f) {
      bind_real(ins, c++, failed ? k_nan : s.factors[f]);
    }
    run(ins);

    auto& mark = st.mark_target;
    mark.bind(1, iso);
    bind_opt(mark, 2, record.error);
    mark.bind(3, record.ticker);
    run(mark);
  });
}

std::vector<RankingRow> AnalysisStore::ranking_rows(const core::Date& session) const {
  return guarded(m_db, "reading the session's factors", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT r.ticker, r.eligible, " + factor_columns("r.") +
                             " FROM analysis_results r JOIN target_tickers t ON t.ticker = "
                             "r.ticker WHERE r.as_of_date = ? AND t.active = 1 ORDER BY r.ticker");
    st.bind(1, core::to_iso(session));
    std::vector<RankingRow> out;
    while (st.executeStep()) {
      RankingRow row;
      row.ticker = st.getColumn(0).getString();
      row.input.eligible = st.getColumn(1).getInt() != 0;
      for (std::size_t f = 0; f < k_factor_count; ++f) {
        row.input.factors[f] = real_or_nan(st.getColumn(static_cast<int>(2 + f)));
      }
      out.push_back(std::move(row));
    }
    return out;
  });
}

void AnalysisStore::write_scores(const core::Date& session, std::span<const std::string> tickers,
                                 std::span<const analysis::RankedScores> scores,
                                 const core::KstTime& now) {
  guarded(m_db, "storing the session's scores", [&] {
    auto& db = m_db.impl().db;
    const auto iso = core::to_iso(session);
    std::string clear = "UPDATE analysis_results SET score = NULL, composite_raw = NULL";
    for (const auto name : analysis::k_pillar_names) {
      clear += ", " + std::string(name) + "_score = NULL";
    }
    clear += ", ranked_at = ?2 WHERE as_of_date = ?1";
    SQLite::Statement reset(db, clear);
    reset.bind(1, iso);
    reset.bind(2, core::to_iso(now));
    reset.exec();

    std::string set = "UPDATE analysis_results SET score = ?, composite_raw = ?";
    for (const auto name : analysis::k_pillar_names) {
      set += ", " + std::string(name) + "_score = ?";
    }
    set += " WHERE ticker = ? AND as_of_date = ?";
    SQLite::Statement up(db, set);
    for (std::size_t i = 0; i < tickers.size(); ++i) {
      const auto& s = scores[i];
      if (std::isnan(s.score) && std::isnan(s.composite_raw)) {
        continue; // not ranked: already NULL
      }
      int c = 1;
      bind_real(up, c++, s.score);
      bind_real(up, c++, s.composite_raw);
      for (const double p : s.pillars) {
        bind_real(up, c++, p);
      }
      up.bind(c++, tickers[i]);
      up.bind(c++, iso);
      run(up);
    }
  });
}

std::optional<AnalysisRow> AnalysisStore::row(const std::string& ticker,
                                              const core::Date& session) const {
  return guarded(m_db, "reading analysis_results", [&]() -> std::optional<AnalysisRow> {
    SQLite::Statement st(m_db.impl().db, row_select() + "WHERE ticker = ? AND as_of_date = ?");
    st.bind(1, ticker);
    st.bind(2, core::to_iso(session));
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_row(st);
  });
}

std::optional<core::Date> AnalysisStore::latest_session(const std::string& ticker) const {
  return guarded(m_db, "reading analysis_results", [&]() -> std::optional<core::Date> {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT max(as_of_date) FROM analysis_results WHERE ticker = ?");
    st.bind(1, ticker);
    st.executeStep();
    const auto c = st.getColumn(0);
    return c.isNull() ? std::nullopt : core::parse_iso_date(c.getString());
  });
}

std::pair<std::int64_t, std::int64_t> AnalysisStore::rank(const core::Date& session,
                                                          double score) const {
  return guarded(m_db, "ranking a score", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT 1 + coalesce(sum(score > ?2), 0), count(score) FROM "
                         "analysis_results WHERE as_of_date = ?1");
    st.bind(1, core::to_iso(session));
    st.bind(2, score);
    st.executeStep();
    return std::pair{st.getColumn(0).getInt64(), st.getColumn(1).getInt64()};
  });
}

std::vector<std::pair<core::Date, double>>
AnalysisStore::score_history(const std::string& ticker, const core::Date& from,
                             const core::Date& to) const {
  return guarded(m_db, "reading the scores of " + ticker, [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT as_of_date, score FROM analysis_results WHERE ticker = ? AND "
                         "as_of_date BETWEEN ? AND ? AND score IS NOT NULL ORDER BY as_of_date");
    st.bind(1, ticker);
    st.bind(2, core::to_iso(from));
    st.bind(3, core::to_iso(to));
    std::vector<std::pair<core::Date, double>> out;
    while (st.executeStep()) {
      out.emplace_back(*core::parse_iso_date(st.getColumn(0).getString()),
                       st.getColumn(1).getDouble());
    }
    return out;
  });
}

std::vector<AnalysisRow> AnalysisStore::rows(const core::Date& session) const {
  return guarded(m_db, "reading analysis_results", [&] {
    SQLite::Statement st(m_db.impl().db, row_select() + "WHERE as_of_date = ? ORDER BY ticker");
    st.bind(1, core::to_iso(session));
    std::vector<AnalysisRow> out;
    while (st.executeStep()) {
      out.push_back(read_row(st));
    }
    return out;
  });
}

std::vector<AnalysisSession> AnalysisStore::sessions() const {
  return guarded(m_db, "reading analysis_sessions", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT session, state, targets, scored, failed, reason, ranked_at FROM "
                         "analysis_sessions ORDER BY session");
    std::vector<AnalysisSession> out;
    while (st.executeStep()) {
      AnalysisSession a;
      a.session = core::parse_iso_date(st.getColumn(0).getString()).value_or(core::Date());
      a.ranked = st.getColumn(1).getString() == "ranked";
      a.targets = opt_int(st.getColumn(2));
      a.scored = opt_int(st.getColumn(3));
      a.failed = opt_int(st.getColumn(4));
      a.reason = opt_text(st.getColumn(5));
      a.ranked_at = opt_text(st.getColumn(6));
      out.push_back(std::move(a));
    }
    return out;
  });
}

std::vector<core::Date> AnalysisStore::incomplete_sessions(const calendar::Calendar& cal) const {
  const JobStore jobs(m_db);
  const auto mark = jobs.job(k_job_daily_update).last_success_date;
  if (!mark) {
    return {};
  }
  const auto tracked = sessions();
  auto start = *mark;
  if (!tracked.empty()) {
    start = std::min(start, tracked.front().session);
  }
  // The sessions daily_update stored after manual_setup's backfill.
  if (const auto setup = jobs.job(k_job_manual_setup).last_success_date;
      setup && *setup < start && cal.covers(*setup)) {
    if (const auto next = cal.next_business_day_if_known(*setup)) {
      start = std::min(start, *next);
    }
  }
  std::vector<core::Date> out;
  if (!cal.covers(start) || !cal.covers(*mark)) {
    return out;
  }
  auto range = cal.business_days(start, *mark);
  std::size_t t = 0;
  for (const auto& d : range) {
    while (t < tracked.size() && tracked[t].session < d) {
      ++t;
    }
    const bool ranked = t < tracked.size() && tracked[t].session == d && tracked[t].ranked;
    if (!ranked) {
      out.push_back(d);
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void AnalysisStore::track(std::span<const core::Date> sessions, const core::KstTime& now) {
  guarded(m_db, "recording the sessions to analyse", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "INSERT OR IGNORE INTO analysis_sessions (session, state, updated_at) "
                         "VALUES (?, 'pending', ?)");
    const auto at = core::to_iso(now);
    for (const auto& d : sessions) {
      st.bind(1, core::to_iso(d));
      st.bind(2, at);
      run(st);
    }
  });
}

void AnalysisStore::set_ranked(const core::Date& session, const core::KstTime& now) {
  guarded(m_db, "recording a ranked session", [&] {
    SQLite::Statement st(
        m_db.impl().db,
        "INSERT INTO analysis_sessions (session, state, targets, scored, failed, reason, "
        "ranked_at, updated_at) SELECT ?1, 'ranked', count(*), count(r.score), count(r.error), "
        "NULL, ?2, ?2 FROM analysis_results r JOIN target_tickers t ON t.ticker = r.ticker AND "
        "t.active = 1 WHERE r.as_of_date = ?1 ON CONFLICT (session) DO UPDATE SET state = "
        "'ranked', targets = excluded.targets, scored = excluded.scored, failed = "
        "excluded.failed, reason = NULL, ranked_at = ?2, updated_at = ?2");
    st.bind(1, core::to_iso(session));
    st.bind(2, core::to_iso(now));
    st.exec();
  });
}

std::int64_t AnalysisStore::mark_stale(const ChangedInputs& changed, const core::Date& from,
                                       const core::Date& through, const std::string& reason,
                                       const core::KstTime& now) {
  if (!changed.index && changed.tickers.empty()) {
    return 0;
  }
  return guarded(m_db, "marking scores for recomputation", [&] {
    auto& db = m_db.impl().db;
    std::string sql = "UPDATE analysis_results SET stale = 1 WHERE as_of_date BETWEEN ?1 AND ?2 "
                      "AND stale = 0";
    if (!changed.index) {
      sql += " AND ticker IN (SELECT value FROM json_each(?3))";
    }
    SQLite::Statement up(db, sql);
    up.bind(1, core::to_iso(from));
    up.bind(2, core::to_iso(through));
    if (!changed.index) {
      up.bind(3, json_array(changed.tickers));
    }
    const auto marked = static_cast<std::int64_t>(up.exec());
    SQLite::Statement pend(db,
                           "INSERT INTO analysis_sessions (session, state, reason, updated_at) "
                           "SELECT DISTINCT as_of_date, 'pending', ?3, ?4 FROM analysis_results "
                           "WHERE stale = 1 AND as_of_date BETWEEN ?1 AND ?2 ON CONFLICT "
                           "(session) DO UPDATE SET state = 'pending', reason = excluded.reason, "
                           "updated_at = excluded.updated_at");
    pend.bind(1, core::to_iso(from));
    pend.bind(2, core::to_iso(through));
    pend.bind(3, reason);
    pend.bind(4, core::to_iso(now));
    pend.exec();
    return marked;
  });
}

SessionInputs AnalysisStore::session_inputs(const core::Date& session) const {
  return guarded(m_db, "reading a session's prices", [&] {
    auto& db = m_db.impl().db;
    SessionInputs out;
    SQLite::Statement rows(
        db, "SELECT p.ticker, printf('%s|%s|%s|%s|%s|%s|%s|%!.17g', p.market, p.open, p.high, "
            "p.low, p.close, p.volume, p.value, a.factor) FROM daily_prices p LEFT JOIN "
            "price_adjustments a ON a.ticker = p.ticker AND a.ex_date = p.trade_date WHERE "
            "p.trade_date = ?1 ORDER BY p.ticker");
    rows.bind(1, core::to_iso(session));
    while (rows.executeStep()) {
      out.rows.emplace_back(rows.getColumn(0).getString(), rows.getColumn(1).getString());
    }
    SQLite::Statement index(db, "SELECT index_class, index_name, printf('%!.17g', close) FROM "
                                "index_prices WHERE trade_date = ?1 ORDER BY index_class, "
                                "index_name");
    index.bind(1, core::to_iso(session));
    while (index.executeStep()) {
      const auto cls = index.getColumn(0).getString();
      const auto name = index.getColumn(1).getString();
      for (const auto m : {market::Market::kospi, market::Market::kosdaq, market::Market::konex}) {
        if (const auto c = market::composite_of(m);
            c && c->index_class == cls && c->index_name == name) {
          out.index += cls + "=" + index.getColumn(2).getString() + ";";
        }
      }
    }
    return out;
  });
}

ChangedInputs changed_inputs(const SessionInputs& before, const SessionInputs& after) {
  ChangedInputs out;
  out.index = before.index != after.index;
  auto b = before.rows.begin();
  auto a = after.rows.begin();
  while (b != before.rows.end() || a != after.rows.end()) {
    if (a == after.rows.end() || (b != before.rows.end() && b->first < a->first)) {
      out.tickers.push_back((b++)->first); // removed
    } else if (b == before.rows.end() || a->first < b->first) {
      out.tickers.push_back((a++)->first); // added
    } else {
      if (a->second != b->second) {
        out.tickers.push_back(a->first);
      }
      ++a;
      ++b;
    }
  }
  return out;
}

bool AnalysisStore::any_rows_from(const core::Date& from) const {
  return guarded(m_db, "reading analysis_results", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT 1 FROM analysis_results WHERE as_of_date >= ? LIMIT 1");
    st.bind(1, core::to_iso(from));
    return st.executeStep();
  });
}

} // namespace krxbatch::store
