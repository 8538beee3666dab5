#include "krxbatch/store/adjustment_store.hpp"

#include "krxbatch/analysis/adjustment.hpp"
#include "krxbatch/store/price_store.hpp"

#include "migrations.hpp"
#include "sqlite_access.hpp"
#include "staged_rows.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace krxbatch::store {

market::Rebase StoredAdjustment::rebase() const {
  return {ticker, prev_close, base_price, prev_listed_shares, listed_shares};
}

namespace {

constexpr std::string_view k_insert_adjustment =
    "INSERT INTO price_adjustments (ticker, ex_date, prev_close, base_price, factor, cum_factor, "
    "prev_listed_shares, listed_shares, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

} // namespace

struct AdjustmentStore::Statements {
  explicit Statements(SQLite::Database& db)
      : closes(db, "SELECT ticker, close, change, listed_shares FROM daily_prices WHERE "
                   "trade_date = ? ORDER BY ticker"),
        staged(db, "SELECT rows FROM daily_prices_staging WHERE trade_date = ?"),
        tickers_on(db, "SELECT ticker FROM price_adjustments WHERE ex_date = ?"),
        remove(db, "DELETE FROM price_adjustments WHERE ex_date = ?"),
        insert(db, std::string(k_insert_adjustment)),
        of_ticker(db, "SELECT ex_date, factor FROM price_adjustments WHERE ticker = ? ORDER BY "
                      "ex_date"),
        set_cum(db, "UPDATE price_adjustments SET cum_factor = ? WHERE ticker = ? AND "
                    "ex_date = ? AND cum_factor IS NOT ?") {}
  SQLite::Statement closes;
  SQLite::Statement staged;
  SQLite::Statement tickers_on;
  SQLite::Statement remove;
  SQLite::Statement insert;
  SQLite::Statement of_ticker;
  SQLite::Statement set_cum;
};

namespace {

void done(SQLite::Statement& st) {
  st.reset();
  st.clearBindings();
}

// Sets cum_factor of every event of `ticker` from its factors (analysis::cumulative_factors:
// the one implementation of the product).
void recompute_cumulative(SQLite::Statement& of_ticker, SQLite::Statement& set_cum,
                          const std::string& ticker) {
  std::vector<analysis::Adjustment> events;
  std::vector<std::string> dates;
  of_ticker.bind(1, ticker);
  while (of_ticker.executeStep()) {
    dates.push_back(of_ticker.getColumn(0).getString());
    events.push_back({*core::parse_iso_date(dates.back()), of_ticker.getColumn(1).getDouble()});
  }
  done(of_ticker);
  const auto cumulative = analysis::cumulative_factors(events);
  for (std::size_t i = 0; i < events.size(); ++i) {
    set_cum.bind(1, cumulative[i]);
    set_cum.bind(2, ticker);
    set_cum.bind(3, dates[i]);
    set_cum.bind(4, cumulative[i]);
    set_cum.exec();
    done(set_cum);
  }
}

void insert_rebase(SQLite::Statement& insert, const std::string& ex_date, const market::Rebase& r,
                   double cum_factor, const std::string& detected_at) {
  insert.bind(1, r.ticker);
  insert.bind(2, ex_date);
  insert.bind(3, r.prev_close);
  insert.bind(4, r.base_price);
  insert.bind(5, r.factor());
  insert.bind(6, cum_factor);
  insert.bind(7, r.prev_listed_shares);
  insert.bind(8, r.listed_shares);
  insert.bind(9, detected_at);
  insert.exec();
  done(insert);
}

StoredAdjustment read_adjustment(SQLite::Statement& st) {
  StoredAdjustment a;
  a.ticker = st.getColumn(0).getString();
  a.ex_date = *core::parse_iso_date(st.getColumn(1).getString());
  a.prev_close = st.getColumn(2).getInt64();
  a.base_price = st.getColumn(3).getInt64();
  a.factor = st.getColumn(4).getDouble();
  a.cum_factor = st.getColumn(5).getDouble();
  a.prev_listed_shares = st.getColumn(6).getInt64();
  a.listed_shares = st.getColumn(7).getInt64();
  a.detected_at = st.getColumn(8).getString();
  a.name = opt_text(st.getColumn(9)).value_or("");
  if (const auto m = opt_text(st.getColumn(10))) {
    a.market = market::parse_market(*m);
  }
  return a;
}

constexpr std::string_view k_select_adjustments =
    "SELECT a.ticker, a.ex_date, a.prev_close, a.base_price, a.factor, a.cum_factor, "
    "a.prev_listed_shares, a.listed_shares, a.detected_at, p.name, p.market FROM "
    "price_adjustments a LEFT JOIN daily_prices p ON p.ticker = a.ticker AND p.trade_date = "
    "a.ex_date ";

} // namespace

AdjustmentStore::AdjustmentStore(Database& db) : m_db(db) {}
AdjustmentStore::~AdjustmentStore() = default;

AdjustmentStore::Statements& AdjustmentStore::statements() const {
  if (!m_st) {
    m_st = std::make_unique<Statements>(m_db.impl().db);
  }
  return *m_st;
}

std::vector<market::CloseRow> AdjustmentStore::session_closes(const core::Date& session) const {
  return guarded(m_db, "reading the closes of " + core::to_iso(session), [&] {
    auto& st = statements();
    const auto iso = core::to_iso(session);
    std::vector<market::CloseRow> out;
    st.closes.bind(1, iso);
    while (st.closes.executeStep()) {
      out.push_back({st.closes.getColumn(0).getString(), st.closes.getColumn(1).getInt64(),
                     opt_int(st.closes.getColumn(2)), st.closes.getColumn(3).getInt64()});
    }
    done(st.closes);
    // A session is in one table or the other (PriceStore::replace_day).
    if (!out.empty()) {
      return out;
    }
    st.staged.bind(1, iso);
    staged::Row row;
    while (st.staged.executeStep()) {
      const auto blob = st.staged.getColumn(0);
      const std::string packed(static_cast<const char*>(blob.getBlob()),
                               static_cast<std::size_t>(blob.getBytes()));
      staged::Reader reader(packed);
      while (reader.next(row)) {
        out.push_back({row.ticker, row.close, row.change, row.listed_shares});
      }
    }
    done(st.staged);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.ticker < b.ticker; });
    return out;
  });
}

void AdjustmentStore::replace_session(const core::Date& ex_date,
                                      std::span<const market::Rebase> rebases,
                                      const core::KstTime& now) {
  guarded(m_db, "storing the price adjustments of " + core::to_iso(ex_date), [&] {
    auto& st = statements();
    const auto iso = core::to_iso(ex_date);
    std::set<std::string> changed;
    st.tickers_on.bind(1, iso);
    while (st.tickers_on.executeStep()) {
      changed.insert(st.tickers_on.getColumn(0).getString());
    }
    done(st.tickers_on);
    if (!changed.empty()) {
      st.remove.bind(1, iso);
      st.remove.exec();
      done(st.remove);
    }
    const auto detected = core::to_iso(now);
    for (const auto& r : rebases) {
      // cum_factor is set below, once every event of the issue is in.
      insert_rebase(st.insert, iso, r, r.factor(), detected);
      changed.insert(r.ticker);
    }
    for (const auto& ticker : changed) {
      recompute_cumulative(st.of_ticker, st.set_cum, ticker);
    }
  });
}

std::vector<StoredAdjustment>
AdjustmentStore::list(const core::Date& from, const core::Date& to,
                      const std::optional<std::string>& ticker) const {
  return guarded(m_db, "reading price adjustments", [&] {
    SQLite::Statement st(m_db.impl().db,
                         std::string(k_select_adjustments) +
                             "WHERE a.ex_date BETWEEN ?1 AND ?2 AND (?3 IS NULL OR a.ticker = ?3) "
                             "ORDER BY a.ex_date, a.ticker");
    st.bind(1, core::to_iso(from));
    st.bind(2, core::to_iso(to));
    bind_opt(st, 3, ticker);
    std::vector<StoredAdjustment> out;
    while (st.executeStep()) {
      out.push_back(read_adjustment(st));
    }
    return out;
  });
}

std::vector<StoredAdjustment> AdjustmentStore::all() const {
  return guarded(m_db, "reading price adjustments", [&] {
    SQLite::Statement st(m_db.impl().db,
                         std::string(k_select_adjustments) + "ORDER BY a.ticker, a.ex_date");
    std::vector<StoredAdjustment> out;
    while (st.executeStep()) {
      out.push_back(read_adjustment(st));
    }
    return out;
  });
}

std::vector<DatedRebase> scan_rebases(Database& database,
                                      const std::map<std::string, std::string>& previous_session) {
  return guarded(database, "scanning daily_prices for re-bases", [&] {
    auto& db = database.impl().db;
    SQLite::Statement st(db, "SELECT ticker, trade_date, close, change, listed_shares FROM "
                             "daily_prices ORDER BY ticker, trade_date");
    std::vector<DatedRebase> out;
    market::CloseRow before;
    std::string before_date;
    market::CloseRow row;
    std::string date;
    while (st.executeStep()) {
      row.ticker = st.getColumn(0).getString();
      date = st.getColumn(1).getString();
      row.close = st.getColumn(2).getInt64();
      row.change = opt_int(st.getColumn(3));
      row.listed_shares = st.getColumn(4).getInt64();
      if (row.ticker == before.ticker) {
        const auto it = previous_session.find(date);
        if (it != previous_session.end() && it->second == before_date) {
          if (auto r = market::rebase_of(before, row)) {
            out.push_back({*core::parse_iso_date(date), std::move(*r)});
          }
        }
      }
      std::swap(before, row);
      std::swap(before_date, date);
    }
    return out;
  });
}

void derive_price_adjustments(Database& database) {
  // Rows a killed run left staged go to daily_prices first (the next ingestion run moves
  // daily_update's mark over them, as after migration 4): the scan below reads daily_prices.
  if (PriceStore prices(database); prices.first_staged_session()) {
    prices.merge_staged();
  }
  guarded(database, "deriving price adjustments from the stored prices", [&] {
    auto& db = database.impl().db;
    // Without the calendar at hand, each stored session's previous session is the stored
    // session before it: exact for a history without gaps (verify's mark_gap), and a session
    // stored after a gap is derived again when the missing one is stored.
    std::map<std::string, std::string> previous;
    {
      SQLite::Statement st(db, "SELECT DISTINCT trade_date FROM daily_prices ORDER BY 1");
      std::string last;
      while (st.executeStep()) {
        auto d = st.getColumn(0).getString();
        if (!last.empty()) {
          previous.emplace(d, last);
        }
        last = std::move(d);
      }
    }
    const auto found = scan_rebases(database, previous);
    const auto now = db.execAndGet("SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now', '+9 hours') || "
                                   "'+09:00'")
                         .getString();
    SQLite::Statement insert(db, std::string(k_insert_adjustment));
    // By ticker, then ex_date: each issue's events are together and ascending.
    std::size_t i = 0;
    while (i < found.size()) {
      std::size_t end = i;
      std::vector<analysis::Adjustment> events;
      while (end < found.size() && found[end].rebase.ticker == found[i].rebase.ticker) {
        events.push_back({found[end].ex_date, found[end].rebase.factor()});
        ++end;
      }
      const auto cumulative = analysis::cumulative_factors(events);
      for (std::size_t k = i; k < end; ++k) {
        insert_rebase(insert, core::to_iso(found[k].ex_date), found[k].rebase, cumulative[k - i],
                      now);
      }
      i = end;
    }
  });
}

} // namespace krxbatch::store
