// The analysis reads ~870 k rows per night; this loop uses the SQLite C API directly because
// SQLiteCpp's Column objects copy a shared_ptr per value read, which costs more than the read.
#include "krxbatch/store/bar_loader.hpp"

#include "krxbatch/analysis/adjustment.hpp"
#include "krxbatch/market/types.hpp"

#include "sqlite_access.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

namespace krxbatch::store {
namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// A prepared statement of the C API, finalised on destruction.
class RawStatement {
public:
  RawStatement(sqlite3* db, const char* sql) : m_db(db) {
    const int rc = sqlite3_prepare_v2(db, sql, -1, &m_st, nullptr);
    if (rc != SQLITE_OK) {
      throw SQLite::Exception(db, rc);
    }
  }
  ~RawStatement() { sqlite3_finalize(m_st); }
  RawStatement(const RawStatement&) = delete;
  RawStatement& operator=(const RawStatement&) = delete;

  sqlite3_stmt* get() const { return m_st; }
  void check(int rc) const {
    if (rc != SQLITE_OK) {
      throw SQLite::Exception(m_db, rc);
    }
  }
  // Steps once: true for a row, false when done; throws on error.
  bool step() const {
    const int rc = sqlite3_step(m_st);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc != SQLITE_DONE) {
      throw SQLite::Exception(m_db, rc);
    }
    return false;
  }
  void reset() const {
    sqlite3_reset(m_st);
    sqlite3_clear_bindings(m_st);
  }
  void bind_text(int index, const std::string& text) const {
    check(sqlite3_bind_text(m_st, index, text.data(), static_cast<int>(text.size()),
                            SQLITE_TRANSIENT));
  }

private:
  sqlite3* m_db;
  sqlite3_stmt* m_st = nullptr;
};

std::string_view text_of(sqlite3_stmt* st, int column) {
  const auto* p = sqlite3_column_text(st, column);
  return p == nullptr
             ? std::string_view{}
             : std::string_view(reinterpret_cast<const char*>(p),
                                static_cast<std::size_t>(sqlite3_column_bytes(st, column)));
}

// Maps ISO dates of ascending rows to session positions, moving forward only.
class SessionCursor {
public:
  explicit SessionCursor(const std::vector<std::string>& iso) : m_iso(iso) {}
  void restart() { m_pos = 0; }
  // The position of `date` in the sessions, or -1 when it is not one of them.
  long find(std::string_view date) {
    while (m_pos < m_iso.size() && std::string_view(m_iso[m_pos]) < date) {
      ++m_pos;
    }
    if (m_pos < m_iso.size() && m_iso[m_pos] == date) {
      return static_cast<long>(m_pos);
    }
    if (m_pos > 0 && m_iso[m_pos - 1] >= date) {
      // Out of order (should not happen with ORDER BY): search from the start.
      m_pos = 0;
      return find(date);
    }
    return -1;
  }

private:
  const std::vector<std::string>& m_iso;
  std::size_t m_pos = 0;
};

} // namespace

struct BarLoader::Statements {
  explicit Statements(sqlite3* db)
      : bars(db, "SELECT ticker, trade_date, open, high, low, close, volume, value, market "
                 "FROM daily_prices WHERE ticker IN (SELECT value FROM json_each(?1)) "
                 "AND trade_date BETWEEN ?2 AND ?3 ORDER BY ticker, trade_date"),
        index(db, "SELECT trade_date, close FROM index_prices WHERE index_class = ?1 AND "
                  "index_name = ?2 AND trade_date BETWEEN ?3 AND ?4 ORDER BY trade_date"),
        events(db, "SELECT ticker, ex_date, factor FROM price_adjustments WHERE ticker IN "
                   "(SELECT value FROM json_each(?1)) AND ex_date > ?2 AND ex_date <= ?3 "
                   "ORDER BY ticker, ex_date"),
        first(db, "SELECT min(trade_date) FROM daily_prices WHERE ticker = ?1") {}
  RawStatement bars;
  RawStatement index;
  RawStatement events;
  RawStatement first;
};

namespace {

// Which of BarSet::index_closes a stock of `market_name` is measured against.
std::uint32_t composite_index(std::string_view market_name) {
  const auto m = market::parse_market(market_name);
  for (std::size_t k = 0; m && k < k_loaded_composites.size(); ++k) {
    if (k_loaded_composites[k] == *m) {
      return static_cast<std::uint32_t>(k);
    }
  }
  return analysis::BarSet::k_no_index;
}

// Each requested ticker with its position in the request, by ticker.
using Wanted = std::vector<std::pair<std::string_view, std::size_t>>;

// The position of `ticker` in the request, or `none` when it was not asked for.
std::size_t position_of(const Wanted& wanted, std::string_view ticker, std::size_t none) {
  const auto it = std::lower_bound(wanted.begin(), wanted.end(), ticker,
                                   [](const std::pair<std::string_view, std::size_t>& w,
                                      std::string_view t) { return w.first < t; });
  return it != wanted.end() && it->first == ticker ? it->second : none;
}

// Back-adjusts series `series` of `out` for `events` (its own, ascending).
void adjust_series(analysis::BarSet& out, std::size_t series,
                   std::span<const analysis::Adjustment> events, std::vector<core::Date>& dates) {
  const auto [begin, end] = out.ranges[series];
  const auto n = end - begin;
  dates.clear();
  for (const auto s : out.bar_sessions(series)) {
    dates.push_back(out.sessions[s]);
  }
  // `first` rather than the binding: clang 14 cannot capture a structured binding.
  const auto cols = [&, first = begin](std::vector<double>& c) {
    return std::span(c.data() + first, n);
  };
  analysis::back_adjust(
      {cols(out.open), cols(out.high), cols(out.low), cols(out.close), cols(out.volume)}, dates,
      events);
}

} // namespace

BarLoader::BarLoader(Database& db) : m_db(db) {}
BarLoader::~BarLoader() = default;

void BarLoader::load(std::span<const std::string> tickers, std::span<const core::Date> sessions,
                     analysis::BarSet& out) {
  guarded(m_db, "loading bars", [&] {
    if (!m_st) {
      m_st = std::make_unique<Statements>(m_db.impl().db.getHandle());
    }
    out.clear();
    out.sessions.assign(sessions.begin(), sessions.end());
    if (sessions.empty()) {
      out.ranges.assign(tickers.size(), {0, 0});
      return;
    }
    std::vector<std::string> iso;
    iso.reserve(sessions.size());
    for (const auto& d : sessions) {
      iso.push_back(core::to_iso(d));
    }
    SessionCursor cursor(iso);

    // Each composite, per session.
    out.index_closes.resize(k_loaded_composites.size());
    for (std::size_t k = 0; k < k_loaded_composites.size(); ++k) {
      const auto composite = market::composite_of(k_loaded_composites[k]);
      auto& closes = out.index_closes[k];
      closes.clear();
      if (!composite) {
        continue;
      }
      const auto& st = m_st->index;
      st.reset(); // in case an earlier load stopped on an error
      st.bind_text(1, std::string(composite->index_class));
      st.bind_text(2, std::string(composite->index_name));
      st.bind_text(3, iso.front());
      st.bind_text(4, iso.back());
      bool any = false;
      closes.assign(sessions.size(), k_nan);
      cursor.restart();
      while (st.step()) {
        const long s = cursor.find(text_of(st.get(), 0));
        if (s >= 0 && sqlite3_column_type(st.get(), 1) != SQLITE_NULL) {
          closes[static_cast<std::size_t>(s)] = sqlite3_column_double(st.get(), 1);
          any = true;
        }
      }
      st.reset();
      if (!any) {
        closes.clear();
      }
    }

    // Which position each ticker has in the request.
    Wanted wanted;
    wanted.reserve(tickers.size());
    for (std::size_t i = 0; i < tickers.size(); ++i) {
      wanted.emplace_back(tickers[i], i);
    }
    std::sort(wanted.begin(), wanted.end());
    out.ranges.assign(tickers.size(), {0, 0});
    out.series_index.assign(tickers.size(), analysis::BarSet::k_no_index);

    const auto& st = m_st->bars;
    st.reset();
    st.bind_text(1, json_array(tickers));
    st.bind_text(2, iso.front());
    st.bind_text(3, iso.back());
    sqlite3_stmt* raw = st.get();
    std::string current;
    std::size_t series = tickers.size(); // none yet
    while (st.step()) {
      const auto ticker = text_of(raw, 0);
      if (ticker != current) {
        if (series < tickers.size()) {
          out.ranges[series].second = out.close.size();
        }
        current.assign(ticker);
        series = position_of(wanted, ticker, tickers.size());
        if (series < tickers.size()) {
          out.ranges[series] = {out.close.size(), out.close.size()};
        }
        cursor.restart();
      }
      if (series >= tickers.size()) {
        continue;
      }
      const long s = cursor.find(text_of(raw, 1));
      if (s < 0) {
        continue;
      }
      const double close = sqlite3_column_double(raw, 5);
      // NULL reads as 0.0, and 0 is never a stored price (price_store.hpp): no type checks.
      const auto price = [raw, close](int column) {
        const double v = sqlite3_column_double(raw, column);
        return v == 0.0 ? close : v;
      };
      out.open.push_back(price(2));
      out.high.push_back(price(3));
      out.low.push_back(price(4));
      out.close.push_back(close);
      out.volume.push_back(sqlite3_column_double(raw, 6));
      out.value.push_back(sqlite3_column_double(raw, 7));
      out.session_index.push_back(static_cast<std::uint32_t>(s));
      // The market on the newest bar so far: the last one wins.
      out.series_index[series] = composite_index(text_of(raw, 8));
    }
    if (series < tickers.size()) {
      out.ranges[series].second = out.close.size();
    }
    st.reset();

    // Corporate actions inside the window (an event on its first session changes no bar of
    // it), none after its last session.
    const auto& ev = m_st->events;
    ev.reset();
    ev.bind_text(1, json_array(tickers));
    ev.bind_text(2, iso.front());
    ev.bind_text(3, iso.back());
    std::vector<analysis::Adjustment> events;
    std::vector<core::Date> dates;
    std::string events_of;
    const auto flush = [&] {
      if (events.empty()) {
        return;
      }
      if (const auto of = position_of(wanted, events_of, tickers.size()); of < tickers.size()) {
        adjust_series(out, of, events, dates);
      }
      events.clear();
    };
    while (ev.step()) {
      const auto ticker = text_of(ev.get(), 0);
      if (ticker != events_of) {
        flush();
        events_of.assign(ticker);
      }
      if (const auto d = core::parse_iso_date(text_of(ev.get(), 1))) {
        events.push_back({*d, sqlite3_column_double(ev.get(), 2)});
      }
    }
    flush();
    ev.reset();
  });
}

std::optional<core::Date> BarLoader::first_session(const std::string& ticker) {
  return guarded(m_db, "loading bars", [&]() -> std::optional<core::Date> {
    if (!m_st) {
      m_st = std::make_unique<Statements>(m_db.impl().db.getHandle());
    }
    const auto& st = m_st->first;
    st.reset();
    st.bind_text(1, ticker);
    std::optional<core::Date> out;
    if (st.step() && sqlite3_column_type(st.get(), 0) != SQLITE_NULL) {
      out = core::parse_iso_date(text_of(st.get(), 0));
    }
    st.reset();
    return out;
  });
}

} // namespace krxbatch::store
