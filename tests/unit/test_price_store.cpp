// PriceStore's write paths: rows go in as multi-row INSERTs (k_rows_per_insert at a time, the
// rest one by one) to daily_prices, or packed per session and market into the staging table,
// and a merge moves staged rows into daily_prices (the same batched INSERTs), rebuilding
// daily_prices_by_date when the batch is large against the table.
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/price_store.hpp"

#include "store/migrations.hpp"
#include "store/sqlite_access.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <set>
#include <string>
#include <vector>

using namespace krxbatch;
using core::Date;

namespace {

const core::KstTime k_now(Date(2024, 6, 28), boost::posix_time::hours(19));

// Row i of a session: every column differs from row to row and from column to column, and the
// optional columns are missing on some rows, so that a parameter bound at the wrong offset or
// left over from the previous row shows.
market::PriceRow row(int i, const Date& day) {
  market::PriceRow r;
  r.trade_date = day;
  const auto digits = std::to_string(100 + i * 7);
  r.ticker = std::string(6 - digits.size(), '0') + digits;
  r.name = "issue " + std::to_string(i);
  r.market = i % 3 == 0 ? market::Market::kosdaq : market::Market::kospi;
  const std::int64_t base = 1000 + i * 10 + day.day();
  r.close = base;
  r.volume = i % 5 == 0 ? 0 : 100 + i;
  r.open = i % 5 == 0 ? std::optional<std::int64_t>(0) : std::optional(base - 1);
  r.high = i % 5 == 0 ? std::optional<std::int64_t>(0) : std::optional(base + 2);
  r.low = i % 5 == 0 ? std::optional<std::int64_t>(0) : std::optional(base - 3);
  r.value = base * *r.volume;
  r.listed_shares = 1000 + i;
  r.market_cap = base * *r.listed_shares;
  if (i % 4 != 0) {
    r.change = i - 50;
    r.change_rate = (i - 50) / 10.0;
  }
  if (i % 6 != 0) {
    r.section = "section " + std::to_string(i % 6);
  }
  return r;
}

std::vector<market::PriceRow> session(int n, const Date& day) {
  std::vector<market::PriceRow> rows;
  // Newest tickers first: the store sorts by ticker itself.
  for (int i = n - 1; i >= 0; --i) {
    rows.push_back(row(i, day));
  }
  return rows;
}

std::string text_or_null(const std::optional<std::string>& v) {
  return v ? *v : "NULL";
}

template <typename T>
std::string num_or_null(const std::optional<T>& v) {
  if (!v) {
    return "NULL";
  }
  if constexpr (std::is_floating_point_v<T>) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", *v);
    return buf;
  } else {
    return std::to_string(*v);
  }
}

// The row as the table should hold it: O/H/L of a row without trades are NULL.
std::string expected(const market::PriceRow& r) {
  const bool traded = r.volume.value_or(0) != 0;
  return r.ticker + "|" + core::to_iso(r.trade_date) + "|" +
         std::string(market::to_string(*r.market)) + "|" + r.name + "|" +
         (traded ? num_or_null(r.open) : "NULL") + "|" + (traded ? num_or_null(r.high) : "NULL") +
         "|" + (traded ? num_or_null(r.low) : "NULL") + "|" + num_or_null(r.close) + "|" +
         num_or_null(r.volume) + "|" + num_or_null(r.value) + "|" + num_or_null(r.market_cap) +
         "|" + num_or_null(r.listed_shares) + "|" + num_or_null(r.change) + "|" +
         num_or_null(r.change_rate) + "|" + text_or_null(r.section);
}

std::vector<std::string> stored(store::Database& db, const std::string& table) {
  SQLite::Statement st(
      db.impl().db,
      "SELECT ticker, trade_date, market, name, ifnull(open, 'NULL'), ifnull(high, 'NULL'), "
      "ifnull(low, 'NULL'), close, volume, value, market_cap, listed_shares, "
      "ifnull(change, 'NULL'), iif(change_rate IS NULL, 'NULL', printf('%.1f', change_rate)), "
      "ifnull(section, 'NULL') FROM " +
          table + " ORDER BY trade_date, ticker");
  std::vector<std::string> out;
  while (st.executeStep()) {
    std::string line;
    for (int c = 0; c < 15; ++c) {
      line += (c == 0 ? "" : "|") + st.getColumn(c).getString();
    }
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> expected_rows(const std::vector<std::vector<market::PriceRow>>& days) {
  std::vector<std::string> out;
  for (const auto& rows : days) {
    std::vector<std::string> day;
    for (const auto& r : rows) {
      day.push_back(expected(r));
    }
    std::sort(day.begin(), day.end());
    out.insert(out.end(), day.begin(), day.end());
  }
  return out;
}

void write(store::Database& db, const Date& day, const std::vector<market::PriceRow>& rows,
           store::PriceTable table) {
  store::Database::Transaction txn(db);
  store::PriceStore(db).replace_day(day, rows, {}, {}, k_now, table);
  txn.commit();
}

std::int64_t scalar(store::Database& db, const std::string& sql) {
  return db.impl().db.execAndGet(sql).getInt64();
}

void merge(store::Database& db, std::int64_t expected_rows) {
  store::Database::Transaction txn(db);
  CHECK(store::PriceStore(db).merge_staged() == expected_rows);
  txn.commit();
}

// The error a merge fails with, inside a transaction that is then rolled back; "" when it
// succeeds.
std::string merge_error(store::Database& db) {
  store::Database::Transaction txn(db);
  try {
    store::PriceStore(db).merge_staged();
  } catch (const core::Error& e) {
    return e.what();
  }
  return "";
}

std::string index_sql(store::Database& db) {
  return db.impl()
      .db
      .execAndGet("SELECT ifnull((SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                  "name = 'daily_prices_by_date'), 'missing')")
      .getString();
}

} // namespace

TEST_SUITE("store.prices") {
  TEST_CASE("every column of every row is stored, in batches and one by one") {
    // Around the batch size: below it, exactly it, one over, and several batches plus a rest.
    for (const int n : {1, 63, 64, 65, 200}) {
      for (const auto table : {store::PriceTable::daily_prices, store::PriceTable::staging}) {
        CAPTURE(n);
        store::Database db(":memory:");
        const auto a = session(n, Date(2024, 6, 27));
        const auto b = session(n, Date(2024, 6, 28));
        write(db, Date(2024, 6, 27), a, table);
        write(db, Date(2024, 6, 28), b, table);
        if (table == store::PriceTable::staging) {
          // Staged: one packed value per session and market, nothing in daily_prices yet.
          CHECK(scalar(db, "SELECT count(*) FROM daily_prices") == 0);
          CHECK(scalar(db, "SELECT sum(row_count) FROM daily_prices_staging") == 2 * n);
          merge(db, 2 * n);
        }
        const auto got = stored(db, "daily_prices");
        const auto want = expected_rows({a, b});
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
          CHECK(got[i] == want[i]);
        }
      }
    }
  }

  TEST_CASE("a merge moves every staged row unchanged, whether it rebuilds the date index or "
            "not") {
    const Date d1(2024, 6, 26);
    const Date d2(2024, 6, 27);
    const Date d3(2024, 6, 28);
    const auto r1 = session(130, d1);
    const auto r2 = session(130, d2);
    const auto r3 = session(130, d3);
    const auto fresh_index = [] {
      store::Database fresh(":memory:");
      return index_sql(fresh);
    }();
    REQUIRE(fresh_index != "missing");

    store::Database db(":memory:");
    // Into an empty table: the batch is the whole table, the index is rebuilt.
    write(db, d1, r1, store::PriceTable::staging);
    write(db, d2, r2, store::PriceTable::staging);
    merge(db, 260);
    CHECK(index_sql(db) == fresh_index);
    // A small batch into a larger table: the index is kept and takes the new rows.
    write(db, d3, r3, store::PriceTable::staging);
    merge(db, 130);
    CHECK(index_sql(db) == fresh_index);
    CHECK(stored(db, "daily_prices") == expected_rows({r1, r2, r3}));
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices_staging") == 0);
    // The index answers the date queries (it holds every row).
    CHECK(db.impl()
              .db
              .execAndGet("SELECT count(*) FROM daily_prices INDEXED BY daily_prices_by_date "
                          "WHERE trade_date = '2024-06-28'")
              .getInt64() == 130);
    CHECK(db.impl().db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }

  TEST_CASE("a merge of many sessions, staged in any order, with issues that come and go, move "
            "market or hold letters, stores what direct writes store") {
    // 60 sessions; issue i trades on a session unless (i + s) % 7 == 0; issue 5 moves from
    // KOSDAQ to KOSPI on session 30; three tickers hold letters, as KRX's newer codes do.
    const auto day = [](int s) { return Date(2024, 1, 1) + boost::gregorian::days(s); };
    std::vector<std::vector<market::PriceRow>> sessions;
    for (int s = 0; s < 60; ++s) {
      std::vector<market::PriceRow> rows;
      for (int i = 0; i < 40; ++i) {
        if ((i + s) % 7 == 0) {
          continue;
        }
        auto r = row(i, day(s));
        if (i == 5) {
          r.market = s < 30 ? market::Market::kosdaq : market::Market::kospi;
        }
        if (i >= 37) {
          r.ticker = std::array<std::string, 3>{"0001A0", "00010Z",
                                                "0A0001"}[static_cast<std::size_t>(i - 37)];
        }
        rows.push_back(r);
      }
      sessions.push_back(rows);
    }
    store::Database direct(":memory:");
    store::Database staged(":memory:");
    for (int s = 0; s < 60; ++s) {
      write(direct, day(s), sessions[static_cast<std::size_t>(s)], store::PriceTable::daily_prices);
      // Staged out of date order: odd sessions, then even ones backwards.
      const int t = s < 30 ? 2 * s + 1 : 2 * (59 - s);
      write(staged, day(t), sessions[static_cast<std::size_t>(t)], store::PriceTable::staging);
    }
    std::int64_t total = 0;
    for (const auto& rows : sessions) {
      total += static_cast<std::int64_t>(rows.size());
    }
    merge(staged, total);
    const auto want = stored(direct, "daily_prices");
    CHECK(want.size() == static_cast<std::size_t>(total));
    CHECK(stored(staged, "daily_prices") == want);
    CHECK(scalar(staged, "SELECT count(DISTINCT ticker) FROM daily_prices WHERE ticker GLOB "
                         "'*[A-Z]*'") == 3);
    CHECK(staged.impl().db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }

  TEST_CASE("a merge reuses the staging table's pages instead of growing the file") {
    store::Database db(":memory:");
    for (const auto& day : {Date(2024, 6, 26), Date(2024, 6, 27), Date(2024, 6, 28)}) {
      write(db, day, session(1000, day), store::PriceTable::staging);
    }
    const auto staged_pages = scalar(db, "SELECT count(*) FROM dbstat WHERE name = "
                                         "'daily_prices_staging'");
    REQUIRE(staged_pages > 20);
    merge(db, 3000);
    CHECK(scalar(db, "PRAGMA freelist_count") == 0);
  }

  TEST_CASE("a merge that fails leaves the staged rows and the index as they were") {
    store::Database db(":memory:");
    const Date day(2024, 6, 27);
    write(db, day, session(70, day), store::PriceTable::staging);
    // A row the merge cannot move (a ticker already in daily_prices for that day).
    write(db, Date(2024, 6, 28), session(1, Date(2024, 6, 28)), store::PriceTable::daily_prices);
    db.impl().db.exec("UPDATE daily_prices SET trade_date = '2024-06-27'");
    {
      store::Database::Transaction txn(db);
      CHECK_THROWS(store::PriceStore(db).merge_staged());
    }
    CHECK(scalar(db, "SELECT sum(row_count) FROM daily_prices_staging") == 70);
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices") == 1);
    store::Database fresh(":memory:");
    CHECK(index_sql(db) == index_sql(fresh));
  }

  TEST_CASE("a damaged staged session fails the merge with a message naming the staging table, "
            "and changes nothing") {
    store::Database db(":memory:");
    const Date day(2024, 6, 27);
    write(db, day, session(70, day), store::PriceTable::staging);
    write(db, Date(2024, 6, 28), session(70, Date(2024, 6, 28)), store::PriceTable::staging);
    const auto before = scalar(db, "SELECT sum(length(rows)) FROM daily_prices_staging");
    db.impl().db.exec("UPDATE daily_prices_staging SET rows = substr(rows, 1, length(rows) - 3) "
                      "WHERE trade_date = '2024-06-28' AND market = 'KOSDAQ'");
    const auto error = merge_error(db);
    CHECK(error.find("daily_prices_staging is damaged") != std::string::npos);
    CHECK(error.find("krxbatch restore") != std::string::npos);
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices") == 0);
    CHECK(scalar(db, "SELECT sum(length(rows)) FROM daily_prices_staging") == before - 3);
    store::Database fresh(":memory:");
    CHECK(index_sql(db) == index_sql(fresh));
  }

  TEST_CASE("a merge that succeeds or fails leaves nothing beside the database but its own files") {
    // The merge copies the staged values into a scratch file in the database's folder, one
    // without a name: after a merge, and after a failed one, the folder lists what it did before.
    test::TempDir dir;
    const auto path = dir / "krxbatch.db";
    const auto listing = [&] {
      std::set<std::string> names;
      for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
        names.insert(e.path().filename().string());
      }
      return names;
    };
    store::Database db(path.string());
    for (const auto& day : {Date(2024, 6, 26), Date(2024, 6, 27), Date(2024, 6, 28)}) {
      write(db, day, session(100, day), store::PriceTable::staging);
    }
    const auto before = listing();
    db.impl().db.exec("UPDATE daily_prices_staging SET row_count = row_count + 1 WHERE "
                      "trade_date = '2024-06-28' AND market = 'KOSPI'");
    CHECK(merge_error(db).find("KOSPI session of 2024-06-28") != std::string::npos);
    CHECK(listing() == before);
    db.impl().db.exec("UPDATE daily_prices_staging SET row_count = row_count - 1 WHERE "
                      "trade_date = '2024-06-28' AND market = 'KOSPI'");
    merge(db, 300);
    CHECK(listing() == before);
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices") == 300);
  }

  TEST_CASE("a staged value whose row count disagrees with its row_count column fails the merge") {
    store::Database db(":memory:");
    const Date day(2024, 6, 27);
    write(db, day, session(70, day), store::PriceTable::staging);
    db.impl().db.exec("UPDATE daily_prices_staging SET row_count = row_count + 1 WHERE market = "
                      "'KOSPI'");
    CHECK(merge_error(db).find("KOSPI session of 2024-06-27") != std::string::npos);
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices") == 0);
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices_staging") == 2);
  }

  TEST_CASE("writing a session finds its old rows by date in every table, never by a scan") {
    // A scan grows with the history: every session a daily_update writes, and every session
    // of a backfill, would read the whole table (index_prices did until migration 9).
    store::Database db(":memory:");
    auto& raw = db.impl().db;
    for (const auto* table :
         {"daily_prices", "daily_prices_staging", "index_prices", "data_quality_issues"}) {
      INFO(table);
      SQLite::Statement plan(raw, std::string("EXPLAIN QUERY PLAN DELETE FROM ") + table +
                                      " WHERE trade_date = '2024-06-27'");
      std::string steps;
      while (plan.executeStep()) {
        steps += plan.getColumn(3).getString() + "\n";
      }
      CHECK(steps.find("SEARCH") != std::string::npos);
      CHECK(steps.find("SCAN") == std::string::npos);
    }
  }

  TEST_CASE("rows staged by schema version 3 move to daily_prices when the file is upgraded") {
    test::TempDir dir;
    const auto path = dir / "krxbatch.db";
    const Date day(2024, 6, 27);
    const auto rows = session(20, day);
    {
      // A version-3 file as a killed backfill left it: the row-per-record staging table, with
      // one session in it.
      store::Database db(path.string());
      write(db, day, rows, store::PriceTable::daily_prices);
      auto& raw = db.impl().db;
      REQUIRE(store::migrations()[2].version == 3);
      raw.exec("DROP VIEW daily_prices_adjusted");
      raw.exec("DROP TABLE price_adjustments");    // migration 5's
      raw.exec("DROP TABLE analysis_sessions");    // and migration 6's
      raw.exec("DROP TABLE export_jobs");          // and migration 8's
      raw.exec("DROP INDEX index_prices_by_date"); // and migration 9's
      raw.exec("DROP INDEX analysis_results_stale");
      raw.exec("ALTER TABLE analysis_results DROP COLUMN stale");
      raw.exec("DROP TABLE watchlist"); // and migration 7's
      raw.exec("DROP TABLE daily_prices_staging");
      raw.exec(std::string(store::migrations()[2].sql));
      raw.exec("INSERT INTO daily_prices_staging SELECT * FROM daily_prices");
      raw.exec("DELETE FROM daily_prices");
      raw.exec("PRAGMA user_version = 3");
    }
    store::Database db(path.string());
    CHECK(db.schema_version() == store::Database::latest_schema_version());
    CHECK(stored(db, "daily_prices") == expected_rows({rows}));
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices_staging") == 0);
    // The new staging table takes packed sessions.
    write(db, Date(2024, 6, 28), session(20, Date(2024, 6, 28)), store::PriceTable::staging);
    CHECK(scalar(db, "SELECT sum(row_count) FROM daily_prices_staging") == 20);
  }
}
