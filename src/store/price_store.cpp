#include "krxbatch/store/price_store.hpp"

#include "krxbatch/util/scratch_file.hpp"

#include "sqlite_access.hpp"
#include "staged_rows.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>

namespace krxbatch::store {

namespace {

constexpr int k_price_columns = 15;
// Rows per INSERT statement: one statement step per row costs more than the row itself (cursor
// set-up, statement journal); 64 rows × 15 = 960 parameters, far below SQLite's limit.
constexpr int k_rows_per_insert = 64;

std::string insert_prices_sql(std::string_view table, int rows) {
  std::string sql = "INSERT INTO " + std::string(table) +
                    " (ticker, trade_date, market, name, open, high, low, close, volume, value, "
                    "market_cap, listed_shares, change, change_rate, section) VALUES ";
  for (int r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (int c = 0; c < k_price_columns; ++c) {
      sql += c == 0 ? "?" : ", ?";
    }
    sql += ")";
  }
  return sql;
}

} // namespace

struct PriceStore::Statements {
  explicit Statements(SQLite::Database& db)
      : delete_prices(db, "DELETE FROM daily_prices WHERE trade_date = ?"),
        delete_staged(db, "DELETE FROM daily_prices_staging WHERE trade_date = ?"),
        delete_indices(db, "DELETE FROM index_prices WHERE trade_date = ?"),
        delete_quality(db, "DELETE FROM data_quality_issues WHERE trade_date = ?"),
        insert_price(db, insert_prices_sql("daily_prices", 1)),
        insert_prices(db, insert_prices_sql("daily_prices", k_rows_per_insert)),
        insert_staged(db, "INSERT INTO daily_prices_staging (trade_date, market, row_count, "
                          "rows) VALUES (?, ?, ?, ?)"),
        insert_index(db, "INSERT INTO index_prices (index_class, index_name, trade_date, open, "
                         "high, low, close, change, change_rate, volume, value, market_cap) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        insert_quality(db, "INSERT INTO data_quality_issues (trade_date, market, ticker, "
                           "severity, rule, message, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)") {}
  SQLite::Statement delete_prices;
  SQLite::Statement delete_staged;
  SQLite::Statement delete_indices;
  SQLite::Statement delete_quality;
  SQLite::Statement insert_price;
  SQLite::Statement insert_prices; // k_rows_per_insert rows
  SQLite::Statement insert_staged;
  SQLite::Statement insert_index;
  SQLite::Statement insert_quality;
};

PriceStore::PriceStore(Database& db) : m_db(db) {}
PriceStore::~PriceStore() = default;

namespace {

constexpr int k_merge_cache_kib = 16 * 1024;

// As migration 1 creates it (a test compares the schema after a rebuilding merge).
constexpr std::string_view k_daily_prices_by_date_ddl =
    "CREATE INDEX daily_prices_by_date ON daily_prices (trade_date, market)";

// The market's name as a string that lives as long as the process: bound without a copy.
const std::string& market_name(market::Market m) {
  static const std::array<std::string, 3> names = {
      std::string(market::to_string(market::Market::kospi)),
      std::string(market::to_string(market::Market::kosdaq)),
      std::string(market::to_string(market::Market::konex))};
  switch (m) {
  case market::Market::kospi:
    return names[0];
  case market::Market::kosdaq:
    return names[1];
  case market::Market::konex:
    return names[2];
  }
  return names[0];
}

// Binds `r` as the row starting at parameter `first`; `r`, `iso` and `market` must outlive the
// step (no copies are made), and every parameter is bound, so nothing needs clearing between
// rows.
void bind_row(SQLite::Statement& st, int first, const staged::Row& r, const std::string& iso,
              const std::string& market) {
  st.bindNoCopy(first, r.ticker);
  st.bindNoCopy(first + 1, iso);
  st.bindNoCopy(first + 2, market);
  st.bindNoCopy(first + 3, r.name);
  bind_opt(st, first + 4, r.open);
  bind_opt(st, first + 5, r.high);
  bind_opt(st, first + 6, r.low);
  st.bind(first + 7, r.close);
  st.bind(first + 8, r.volume);
  st.bind(first + 9, r.value);
  st.bind(first + 10, r.market_cap);
  st.bind(first + 11, r.listed_shares);
  bind_opt(st, first + 12, r.change);
  bind_opt(st, first + 13, r.change_rate);
  if (r.section) {
    st.bindNoCopy(first + 14, *r.section);
  } else {
    st.bind(first + 14);
  }
}

void run(SQLite::Statement& st) {
  st.exec();
  st.reset();
  st.clearBindings();
}

// Inserts rows into daily_prices k_rows_per_insert to a statement (`batch`), and the rest one
// by one (`one`) at finish(). A row is written into slot(), then taken by push().
class BatchInserter {
public:
  BatchInserter(SQLite::Statement& batch, SQLite::Statement& one) : m_batch(batch), m_one(one) {}

  // Where the next row goes (its strings' storage is reused from row to row).
  staged::Row& slot() { return m_rows[m_filled]; }
  // Takes the row in slot() as one of session `iso` on `market`; both must outlive finish().
  void push(const std::string& iso, const std::string& market) {
    m_keys[m_filled] = {&iso, &market};
    ++m_pushed;
    if (++m_filled < m_rows.size()) {
      return;
    }
    for (std::size_t k = 0; k < m_filled; ++k) {
      bind_row(m_batch, 1 + static_cast<int>(k) * k_price_columns, m_rows[k], *m_keys[k].first,
               *m_keys[k].second);
    }
    m_batch.exec();
    m_batch.reset();
    m_filled = 0;
  }
  // Inserts the rows pushed since the last full statement.
  void finish() {
    for (std::size_t k = 0; k < m_filled; ++k) {
      bind_row(m_one, 1, m_rows[k], *m_keys[k].first, *m_keys[k].second);
      m_one.exec();
      m_one.reset();
    }
    m_filled = 0;
  }
  std::int64_t pushed() const { return m_pushed; }

private:
  SQLite::Statement& m_batch;
  SQLite::Statement& m_one;
  std::array<staged::Row, k_rows_per_insert> m_rows;
  std::array<std::pair<const std::string*, const std::string*>, k_rows_per_insert> m_keys{};
  std::size_t m_filled = 0;
  std::int64_t m_pushed = 0;
};

// One packed value per market (staged_rows.hpp), each in ticker order. Returns the bytes
// written.
std::int64_t stage_rows(SQLite::Statement& insert, const std::string& iso,
                        std::span<const market::PriceRow* const> by_ticker) {
  std::int64_t bytes = 0;
  std::vector<const market::PriceRow*> rows;
  rows.reserve(by_ticker.size());
  for (const auto m : {market::Market::kospi, market::Market::kosdaq, market::Market::konex}) {
    rows.clear();
    for (const auto* r : by_ticker) {
      if (r->market.value_or(market::Market::kospi) == m) {
        rows.push_back(r);
      }
    }
    if (rows.empty()) {
      continue;
    }
    const auto packed = staged::encode(rows);
    insert.bindNoCopy(1, iso);
    insert.bindNoCopy(2, market_name(m));
    insert.bind(3, static_cast<std::int64_t>(rows.size()));
    insert.bindNoCopy(4, packed.data(), static_cast<int>(packed.size()));
    insert.exec();
    insert.reset();
    bytes += static_cast<std::int64_t>(packed.size());
  }
  return bytes;
}

} // namespace

std::int64_t
PriceStore::replace_day(const core::Date& day, std::span<const market::PriceRow> prices,
                        std::span<const market::IndexRow> indices,
                        std::span<const std::pair<market::Market, market::Finding>> warnings,
                        const core::KstTime& now, PriceTable table) {
  return guarded(m_db, "storing " + core::to_iso(day), [&] {
    if (!m_st) {
      m_st = std::make_unique<Statements>(m_db.impl().db);
    }
    auto& st = *m_st;
    const auto iso = core::to_iso(day);
    // The day leaves both tables, whichever one its new rows go to: a reload of a staged day
    // replaces it, and a day is never in both.
    for (auto* del :
         {&st.delete_prices, &st.delete_staged, &st.delete_indices, &st.delete_quality}) {
      del->bind(1, iso);
      run(*del);
    }
    std::int64_t written = 0;
    // In key order: each insert then lands just after the previous one's position in the
    // (ticker, trade_date) B-tree, which keeps the pages it walks hot (KRX sorts by name); a
    // staged session is packed in ticker order, which the merge relies on.
    // (Sorted by ticker_key: string comparisons were ~3% of a backfill's instructions.)
    std::vector<std::pair<std::uint64_t, const market::PriceRow*>> keyed;
    keyed.reserve(prices.size());
    for (const auto& r : prices) {
      keyed.emplace_back(market::ticker_key(r.ticker), &r);
    }
    std::sort(keyed.begin(), keyed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const market::PriceRow*> by_ticker;
    by_ticker.reserve(prices.size());
    for (const auto& [key, r] : keyed) {
      by_ticker.push_back(r);
    }
    if (table == PriceTable::staging) {
      m_staged_bytes += stage_rows(st.insert_staged, iso, by_ticker);
    } else {
      BatchInserter out(st.insert_prices, st.insert_price);
      for (const auto* r : by_ticker) {
        staged::to_stored(*r, out.slot());
        out.push(iso, market_name(r->market.value_or(market::Market::kospi)));
      }
      out.finish();
    }
    written += static_cast<std::int64_t>(by_ticker.size());
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
    // Staged rows count: validation compares a session with the previous one, which may still
    // be staged during a backfill.
    SQLite::Statement st(m_db.impl().db,
                         "SELECT (SELECT count(*) FROM daily_prices WHERE trade_date = ?1 AND "
                         "market = ?2) + ifnull((SELECT row_count FROM daily_prices_staging "
                         "WHERE trade_date = ?1 AND market = ?2), 0)");
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
                         "BETWEEN ?1 AND ?2 UNION SELECT DISTINCT trade_date FROM "
                         "daily_prices_staging WHERE trade_date BETWEEN ?1 AND ?2 ORDER BY 1");
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
    // Staged sessions are stored sessions (the ingestion planner must not fetch them again).
    SQLite::Statement st(m_db.impl().db,
                         "SELECT DISTINCT trade_date, market FROM daily_prices WHERE trade_date "
                         "BETWEEN ?1 AND ?2 UNION SELECT DISTINCT trade_date, market FROM "
                         "daily_prices_staging WHERE trade_date BETWEEN ?1 AND ?2 ORDER BY 1");
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

namespace {

// One staged session of one market, as copied into the merge's scratch file.
struct StagedRun {
  std::string iso;
  const std::string* market;
  std::uint64_t offset; // of the packed value in the scratch file
  std::uint64_t length;
  std::int64_t row_count; // as recorded beside the value
};

// What the merge's read windows may hold together: with ten years of sessions staged (~8,000
// values) each window is 2 KiB, with 300 (600 values) about 27 KiB.
constexpr std::size_t k_merge_window_budget = std::size_t{16} * 1024 * 1024;
constexpr std::size_t k_merge_window_min = std::size_t{2} * 1024;
constexpr std::size_t k_merge_window_max = std::size_t{256} * 1024;

// Where the merge's scratch file goes: beside the database (its file system has room for the
// database's own growth); a temporary directory for an in-memory database (tests).
std::filesystem::path scratch_dir(const std::string& db_path) {
  return db_path == ":memory:" ? std::filesystem::temp_directory_path()
                               : std::filesystem::path(db_path).parent_path();
}

// A ticker as a number ordered as the tickers are: its bytes big-endian, zero-padded. The
// schema holds tickers of six characters (a longer one fails the insert), so two keys are
// equal only for one ticker.
std::uint64_t ticker_key(std::string_view ticker) {
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    key = (key << 8U) | (i < ticker.size() ? static_cast<unsigned char>(ticker[i]) : 0U);
  }
  return key;
}

} // namespace

std::int64_t PriceStore::merge_staged() {
  return guarded(m_db, "merging staged prices into daily_prices", [&] {
    if (!m_st) {
      m_st = std::make_unique<Statements>(m_db.impl().db);
    }
    auto& db = m_db.impl().db;
    // The merge reads and writes each page once: the ingestion's large page cache would only
    // add to the peak memory.
    const Database::SettingsScope small_cache(m_db, {.cache_limit_kib = k_merge_cache_kib});

    // The staged values go to an unnamed scratch file, one after the other, and are read back
    // a window at a time: however many sessions are staged, the merge holds ~16 MiB of them,
    // so nothing needs to merge before a run ends (every merge after the first inserts into
    // the middle of each ticker's rows: docs/PERFORMANCE.md, "The scale run").
    util::ScratchFile scratch(scratch_dir(m_db.path()));
    std::vector<StagedRun> runs;
    {
      SQLite::Statement st(db,
                           "SELECT trade_date, market, rows, row_count FROM daily_prices_staging "
                           "ORDER BY trade_date, market");
      while (st.executeStep()) {
        const auto m = market::parse_market(st.getColumn(1).getString());
        if (!m) {
          throw staged::damaged("unknown market " + st.getColumn(1).getString());
        }
        const auto blob = st.getColumn(2);
        const auto bytes = static_cast<std::size_t>(blob.getBytes());
        const auto offset = scratch.append({static_cast<const char*>(blob.getBlob()), bytes});
        runs.push_back({st.getColumn(0).getString(), &market_name(*m), offset, bytes,
                        st.getColumn(3).getInt64()});
      }
    }
    const auto window = std::clamp(k_merge_window_budget / std::max<std::size_t>(runs.size(), 1),
                                   k_merge_window_min, k_merge_window_max);
    // Each run is in ticker order: merging them by (ticker, trade_date) yields daily_prices'
    // key order, so each ticker's newest leaf page is written once for the whole batch,
    // however many sessions it holds.
    struct Cursor {
      staged::StreamReader reader;
      staged::Row row;
      const StagedRun* run;
    };
    std::vector<Cursor> cursors;
    cursors.reserve(runs.size());
    std::int64_t staged_rows = 0;
    for (const auto& r : runs) {
      cursors.push_back({staged::StreamReader(scratch, r.offset, r.length, window), {}, &r});
      const auto n = static_cast<std::int64_t>(cursors.back().reader.size());
      if (n != r.row_count) {
        throw staged::damaged("the " + *r.market + " session of " + r.iso + " holds " +
                              std::to_string(n) + " rows, its row_count says " +
                              std::to_string(r.row_count));
      }
      staged_rows += n;
    }
    // daily_prices_by_date takes each merged row at a scattered position (the merge walks
    // ticker by ticker); rebuilding it in one sorted pass is cheaper once the batch is about
    // half the table or more (a backfill into an empty table above all). The transaction
    // around the merge covers the DROP and the CREATE: a kill leaves the old index. Counting
    // stops past twice the batch: the answer is known by then.
    const auto existing = db.execAndGet("SELECT count(*) FROM (SELECT 1 FROM daily_prices LIMIT " +
                                        std::to_string(staged_rows * 2 + 1) + ")")
                              .getInt64();
    const bool rebuild = staged_rows * 2 >= existing;
    // The staged values are in the scratch file now: emptying the staging table first gives its
    // pages back to the freelist, and the inserts below take them instead of growing the file
    // (a backfill's file would otherwise keep ~57 MB of free pages per 300 sessions, and the
    // checkpoint would copy those dead pages too). The transaction keeps them if the merge
    // fails.
    db.exec("DELETE FROM daily_prices_staging");
    if (rebuild) {
      db.exec("DROP INDEX daily_prices_by_date");
    }
    // Ticker by ticker: the smallest current ticker of all the runs, then its row from each
    // run that holds it, in the runs' date order. Two passes over a compact array of ticker
    // keys per ticker instead of a heap of thousands of runs per row (the heap took 6 % of a
    // 2,450-session backfill). A ticker is in at most one market on a session, so the rows
    // come out in (ticker, trade_date) order.
    const auto n = cursors.size();
    std::vector<std::uint64_t> keys(n);
    std::vector<unsigned char> live(n);
    const auto load = [&](std::size_t i) {
      auto& c = cursors[i];
      live[i] = c.reader.next(c.row) ? 1 : 0;
      keys[i] = live[i] != 0 ? ticker_key(c.row.ticker) : 0;
    };
    for (std::size_t i = 0; i < n; ++i) {
      load(i);
    }
    BatchInserter out(m_st->insert_prices, m_st->insert_price);
    for (;;) {
      std::size_t first = n;
      for (std::size_t i = 0; i < n; ++i) {
        if (live[i] != 0 && (first == n || keys[i] < keys[first])) {
          first = i;
        }
      }
      if (first == n) {
        break;
      }
      const auto key = keys[first];
      for (std::size_t i = first; i < n; ++i) {
        auto& c = cursors[i];
        if (live[i] != 0 && keys[i] == key) {
          std::swap(out.slot(), c.row);
          out.push(c.run->iso, *c.run->market);
          load(i);
        }
      }
    }
    out.finish();
    // The read windows are not needed past this point: letting them go before the index is
    // built keeps them out of the peak.
    cursors = {};
    runs = {};
    if (rebuild) {
      db.exec(std::string(k_daily_prices_by_date_ddl));
    }
    m_staged_bytes = 0;
    return out.pushed();
  });
}

std::optional<core::Date> PriceStore::first_staged_session() const {
  return guarded(m_db, "reading staged sessions", [&] {
    SQLite::Statement st(m_db.impl().db, "SELECT min(trade_date) FROM daily_prices_staging");
    st.executeStep();
    const auto c = st.getColumn(0);
    return c.isNull() ? std::nullopt : core::parse_iso_date(c.getString());
  });
}

std::vector<std::pair<core::Date, double>> PriceStore::index_closes(std::string_view index_class,
                                                                    std::string_view index_name,
                                                                    const core::Date& from,
                                                                    const core::Date& to) const {
  return guarded(m_db, "reading the closes of " + std::string(index_class), [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT trade_date, close FROM index_prices WHERE index_class = ? AND "
                         "index_name = ? AND trade_date BETWEEN ? AND ? AND close IS NOT NULL "
                         "ORDER BY trade_date");
    st.bind(1, std::string(index_class));
    st.bind(2, std::string(index_name));
    st.bind(3, core::to_iso(from));
    st.bind(4, core::to_iso(to));
    std::vector<std::pair<core::Date, double>> out;
    while (st.executeStep()) {
      out.emplace_back(*core::parse_iso_date(st.getColumn(0).getString()),
                       st.getColumn(1).getDouble());
    }
    return out;
  });
}

std::map<std::string, IssueName> PriceStore::names_on(const core::Date& day) const {
  return guarded(m_db, "reading the names of " + core::to_iso(day), [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT ticker, name, market FROM daily_prices WHERE trade_date = ?");
    st.bind(1, core::to_iso(day));
    std::map<std::string, IssueName> out;
    while (st.executeStep()) {
      out.emplace(st.getColumn(0).getString(),
                  IssueName{st.getColumn(1).getString(),
                            market::parse_market(st.getColumn(2).getString())});
    }
    return out;
  });
}

std::vector<StoredPrice> PriceStore::history(const std::string& ticker, const core::Date& from,
                                             const core::Date& to) const {
  return guarded(m_db, "reading the prices of " + ticker, [&] {
    SQLite::Statement st(m_db.impl().db,
                         "SELECT trade_date, name, market, open, high, low, close, volume, value, "
                         "market_cap, listed_shares, change FROM daily_prices WHERE ticker = ? "
                         "AND trade_date BETWEEN ? AND ? ORDER BY trade_date");
    st.bind(1, ticker);
    st.bind(2, core::to_iso(from));
    st.bind(3, core::to_iso(to));
    std::vector<StoredPrice> out;
    while (st.executeStep()) {
      StoredPrice p;
      p.trade_date = *core::parse_iso_date(st.getColumn(0).getString());
      p.name = st.getColumn(1).getString();
      p.market = market::parse_market(st.getColumn(2).getString());
      p.open = opt_int(st.getColumn(3));
      p.high = opt_int(st.getColumn(4));
      p.low = opt_int(st.getColumn(5));
      p.close = st.getColumn(6).getInt64();
      p.volume = st.getColumn(7).getInt64();
      p.value = st.getColumn(8).getInt64();
      p.market_cap = st.getColumn(9).getInt64();
      p.listed_shares = st.getColumn(10).getInt64();
      p.change = opt_int(st.getColumn(11));
      out.push_back(std::move(p));
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
