#include "krxbatch/store/price_store.hpp"

#include "sqlite_access.hpp"

#include <algorithm>
#include <map>

namespace krxbatch::store {

struct PriceStore::Statements {
  explicit Statements(SQLite::Database& db)
      : delete_prices(db, "DELETE FROM daily_prices WHERE trade_date = ?"),
        delete_indices(db, "DELETE FROM index_prices WHERE trade_date = ?"),
        delete_quality(db, "DELETE FROM data_quality_issues WHERE trade_date = ?"),
        insert_price(db, "INSERT INTO daily_prices (ticker, trade_date, market, name, open, "
                         "high, low, close, volume, value, market_cap, listed_shares, change, "
                         "change_rate, section) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                         "?10, ?11, ?12, ?13, ?14, ?15)"),
        insert_index(db, "INSERT INTO index_prices (index_class, index_name, trade_date, open, "
                         "high, low, close, change, change_rate, volume, value, market_cap) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        insert_quality(db, "INSERT INTO data_quality_issues (trade_date, market, ticker, "
                           "severity, rule, message, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)") {}
  SQLite::Statement delete_prices;
  SQLite::Statement delete_indices;
  SQLite::Statement delete_quality;
  SQLite::Statement insert_price;
  SQLite::Statement insert_index;
  SQLite::Statement insert_quality;
};

PriceStore::PriceStore(Database& db) : m_db(db) {}
PriceStore::~PriceStore() = default;

namespace {

void run(SQLite::Statement& st) {
  st.exec();
  st.reset();
  st.clearBindings();
}

// KRX sends a suspended issue as O/H/L = 0 with volume 0: that is "no trade", not a price.
std::optional<std::int64_t> price_or_null(const std::optional<std::int64_t>& v,
                                          const market::PriceRow& row) {
  if (v && *v == 0 && row.volume.value_or(0) == 0) {
    return std::nullopt;
  }
  return v;
}

} // namespace

std::int64_t
PriceStore::replace_day(const core::Date& day, std::span<const market::PriceRow> prices,
                        std::span<const market::IndexRow> indices,
                        std::span<const std::pair<market::Market, market::Finding>> warnings,
                        const core::KstTime& now) {
  return guarded(m_db, "storing " + core::to_iso(day), [&] {
    if (!m_st) {
      m_st = std::make_unique<Statements>(m_db.impl().db);
    }
    auto& st = *m_st;
    const auto iso = core::to_iso(day);
    for (auto* del : {&st.delete_prices, &st.delete_indices, &st.delete_quality}) {
      del->bind(1, iso);
      run(*del);
    }
    std::int64_t written = 0;
    auto& ins = st.insert_price;
    // In key order: each insert then lands just after the previous one's position in the
    // (ticker, trade_date) B-tree, which keeps the pages it walks hot (KRX sorts by name).
    std::vector<const market::PriceRow*> by_ticker;
    by_ticker.reserve(prices.size());
    for (const auto& r : prices) {
      by_ticker.push_back(&r);
    }
    std::sort(by_ticker.begin(), by_ticker.end(),
              [](const auto* a, const auto* b) { return a->ticker < b->ticker; });
    for (const auto* row : by_ticker) {
      const auto& r = *row;
      ins.bind(1, r.ticker);
      ins.bind(2, iso);
      ins.bind(3, std::string(market::to_string(r.market.value_or(market::Market::kospi))));
      ins.bind(4, r.name);
      bind_opt(ins, 5, price_or_null(r.open, r));
      bind_opt(ins, 6, price_or_null(r.high, r));
      bind_opt(ins, 7, price_or_null(r.low, r));
      bind_opt(ins, 8, r.close);
      bind_opt(ins, 9, r.volume);
      bind_opt(ins, 10, r.value);
      bind_opt(ins, 11, r.market_cap);
      bind_opt(ins, 12, r.listed_shares);
      bind_opt(ins, 13, r.change);
      bind_opt(ins, 14, r.change_rate);
      bind_opt(ins, 15, r.section);
      run(ins);
      ++written;
    }
    auto& idx = st.insert_index;
    for (const auto& r : indices) {
      idx.bind(1, r.index_class);
      idx.bind(2, r.index_name);
      idx.bind(3, iso);
      bind_opt(idx, 4, r.open);
      bind_opt(idx, 5, r.high);
      bind_opt(idx, 6, r.low);
      bind_opt(idx, 7, r.close);
      bind_opt(idx, 8, r.change);
      bind_opt(idx, 9, r.change_rate);
      bind_opt(idx, 10, r.volume);
      bind_opt(idx, 11, r.value);
      bind_opt(idx, 12, r.market_cap);
      run(idx);
      ++written;
    }
    auto& q = st.insert_quality;
    const auto detected = core::to_iso(now);
    for (const auto& [m, f] : warnings) {
      q.bind(1, iso);
      q.bind(2, std::string(market::to_string(m)));
      if (f.ticker.empty()) {
        q.bind(3);
      } else {
        q.bind(3, f.ticker);
      }
      q.bind(4, f.severity == market::Severity::error ? "ERROR" : "WARN");
      q.bind(5, f.rule);
      q.bind(6, f.message);
      q.bind(7, detected);
      run(q);
    }
    return written;
  });
}

std::size_t PriceStore::row_count(const core::Date& day, market::Market m) const {
  return guarded(m_db, "counting prices", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT count(*) FROM daily_prices WHERE trade_date = ? AND market = ?");
    st.bind(1, core::to_iso(day));
    st.bind(2, std::string(market::to_string(m)));
    st.executeStep();
    return static_cast<std::size_t>(st.getColumn(0).getInt64());
  });
}

std::vector<core::Date> PriceStore::stored_sessions(const core::Date& from,
                                                    const core::Date& to) const {
  return guarded(m_db, "reading stored sessions", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT DISTINCT trade_date FROM daily_prices WHERE trade_date "
                         "BETWEEN ? AND ? ORDER BY trade_date");
    st.bind(1, core::to_iso(from));
    st.bind(2, core::to_iso(to));
    std::vector<core::Date> out;
    while (st.executeStep()) {
      if (auto d = core::parse_iso_date(st.getColumn(0).getString())) {
        out.push_back(*d);
      }
    }
    return out;
  });
}

std::set<core::Date> PriceStore::complete_sessions(const core::Date& from, const core::Date& to,
                                                   std::span<const market::Market> markets) const {
  return guarded(m_db, "reading stored sessions", [&] {
    // One index-only pass over (trade_date, market).
    SQLite::Statement st(m_db.impl().db, "SELECT DISTINCT trade_date, market FROM daily_prices "
                                         "WHERE trade_date BETWEEN ? AND ? ORDER BY trade_date");
    st.bind(1, core::to_iso(from));
    st.bind(2, core::to_iso(to));
    std::map<core::Date, std::size_t> found;
    while (st.executeStep()) {
      const auto d = core::parse_iso_date(st.getColumn(0).getString());
      const auto m = market::parse_market(st.getColumn(1).getString());
      if (d && m && std::find(markets.begin(), markets.end(), *m) != markets.end()) {
        ++found[*d];
      }
    }
    std::set<core::Date> out;
    for (const auto& [d, n] : found) {
      if (n == markets.size()) {
        out.insert(d);
      }
    }
    return out;
  });
}

std::vector<QualityIssue> PriceStore::quality_issues(const core::Date& from,
                                                     const core::Date& to) const {
  return guarded(m_db, "reading data-quality issues", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT trade_date, market, ticker, severity, rule, message, "
                         "detected_at FROM data_quality_issues WHERE trade_date BETWEEN ? AND ? "
                         "ORDER BY trade_date, id");
    st.bind(1, core::to_iso(from));
    st.bind(2, core::to_iso(to));
    std::vector<QualityIssue> out;
    while (st.executeStep()) {
      QualityIssue q;
      q.trade_date = *core::parse_iso_date(st.getColumn(0).getString());
      q.market = market::parse_market(st.getColumn(1).getString());
      q.ticker = opt_text(st.getColumn(2)).value_or("");
      q.severity = st.getColumn(3).getString();
      q.rule = st.getColumn(4).getString();
      q.message = st.getColumn(5).getString();
      q.detected_at = st.getColumn(6).getString();
      out.push_back(std::move(q));
    }
    return out;
  });
}

} // namespace krxbatch::store
