#include "krxbatch/core/error.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/job_store.hpp"
#include "krxbatch/store/ops_store.hpp"

#include "store/sqlite_access.hpp"
#include "support.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <fstream>

using namespace krxbatch;
using core::Date;
using state::DayEvent;
using state::DayState;

namespace {

const core::KstTime k_now(Date(2024, 6, 28), boost::posix_time::hours(19));

} // namespace

TEST_SUITE("store.database") {
  TEST_CASE("a new database gets the latest schema and the three jobs") {
    store::Database db(":memory:");
    CHECK(db.schema_version() == store::Database::latest_schema_version());
    store::JobStore jobs(db);
    const auto all = jobs.jobs();
    REQUIRE(all.size() == 3);
    CHECK(all[0].job == "manual_setup");
    CHECK(all[1].job == "daily_update");
    CHECK(all[2].job == "hourly_analysis");
    for (const auto& j : all) {
      CHECK(j.state == "never_run");
      CHECK_FALSE(j.last_success_date);
    }
  }

  TEST_CASE("a file database is created in WAL mode and reopens without re-migrating") {
    test::TempDir dir;
    const auto path = (dir / "new.db").string();
    {
      store::Database db(path);
      store::JobStore(db).set_mark("daily_update", Date(2024, 6, 27), k_now);
    }
    store::Database again(path);
    CHECK(again.schema_version() == store::Database::latest_schema_version());
    CHECK(store::JobStore(again).job("daily_update").last_success_date == Date(2024, 6, 27));
    CHECK(std::filesystem::exists(path + "-wal"));
  }

  TEST_CASE("refuses a database from a newer krxbatch without touching it") {
    test::TempDir dir;
    const auto path = (dir / "future.db").string();
    {
      store::Database db(path);
      db.execute("PRAGMA user_version = 999");
    }
    CHECK_THROWS_WITH_AS(store::Database{path}, doctest::Contains("upgrade krxbatch"), core::Error);
  }

  TEST_CASE("a file that is not a database gives a one-line error naming it") {
    test::TempDir dir;
    const auto path = dir.write("junk.db", std::string(4096, 'x')).string();
    try {
      store::Database db(path);
      FAIL("expected an error");
    } catch (const core::Error& e) {
      const std::string msg = e.what();
      CHECK(e.code() == core::ExitCode::failed);
      CHECK(msg.find(path) != std::string::npos);
      CHECK(msg.find("restore") != std::string::npos);
      CHECK(msg.find('\n') == std::string::npos);
    }
    // And the file is as it was.
    std::ifstream in(path, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    CHECK(content == std::string(4096, 'x'));
  }

  TEST_CASE("another program's SQLite database is refused before anything is written into it") {
    test::TempDir dir;
    const auto path = (dir / "theirs.sqlite").string();
    {
      SQLite::Database theirs(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      theirs.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)");
      theirs.exec("INSERT INTO invoices (total) VALUES (42)");
    }
    const auto before = test::read_file(path);
    try {
      store::Database db(path);
      FAIL("expected an error");
    } catch (const core::Error& e) {
      CHECK(e.code() == core::ExitCode::usage);
      CHECK(std::string(e.what()).find("not krxbatch's (it holds invoices") != std::string::npos);
    }
    CHECK(test::read_file(path) == before);
    CHECK_FALSE(std::filesystem::exists(path + "-wal"));
    // An empty file is a new database, not somebody else's.
    const auto empty = dir.write("empty.db", "");
    CHECK(store::Database(empty.string()).schema_version() ==
          store::Database::latest_schema_version());
  }

  TEST_CASE("a missing directory is reported, not created") {
    test::TempDir dir;
    const auto path = (dir / "no" / "such" / "x.db").string();
    CHECK_THROWS_WITH_AS(store::Database{path}, doctest::Contains("directory"), core::Error);
    CHECK_FALSE(std::filesystem::exists(dir / "no"));
  }

  TEST_CASE("a transaction rolls back unless committed") {
    store::Database db(":memory:");
    store::JobStore jobs(db);
    {
      store::Database::Transaction txn(db);
      jobs.set_mark("daily_update", Date(2024, 6, 27), k_now);
    }
    CHECK_FALSE(jobs.job("daily_update").last_success_date);
    {
      store::Database::Transaction txn(db);
      jobs.set_mark("daily_update", Date(2024, 6, 27), k_now);
      txn.commit();
    }
    CHECK(jobs.job("daily_update").last_success_date == Date(2024, 6, 27));
  }
}

TEST_SUITE("store.job_store") {
  TEST_CASE("applies day transitions, counting attempts and keeping the last error") {
    store::Database db(":memory:");
    store::JobStore jobs(db);
    const Date d(2024, 6, 27);
    CHECK_FALSE(jobs.day("daily_update", d));
    CHECK(jobs.apply("daily_update", d, DayEvent::start, k_now, {}, {}, 7) == DayState::running);
    CHECK(jobs.apply("daily_update", d, DayEvent::fail, k_now, "HTTP 500") == DayState::failed);
    auto rec = jobs.day("daily_update", d);
    REQUIRE(rec);
    CHECK(rec->attempts == 1);
    CHECK(rec->last_error == "HTTP 500");
    CHECK(rec->run_id == 7);
    CHECK(jobs.apply("daily_update", d, DayEvent::start, k_now, {}, {}, 8) == DayState::running);
    CHECK(jobs.apply("daily_update", d, DayEvent::succeed, k_now, {}, 2656) == DayState::succeeded);
    rec = jobs.day("daily_update", d);
    CHECK(rec->attempts == 2);
    CHECK_FALSE(rec->last_error);
    CHECK(rec->rows_stored == 2656);
    CHECK(rec->run_id == 8);
  }

  TEST_CASE("refuses a transition the state machine does not allow") {
    store::Database db(":memory:");
    store::JobStore jobs(db);
    const Date d(2024, 6, 27);
    CHECK_THROWS_AS(jobs.apply("daily_update", d, DayEvent::succeed, k_now), core::Error);
    jobs.apply("daily_update", d, DayEvent::start, k_now);
    jobs.apply("daily_update", d, DayEvent::succeed, k_now, {}, 1);
    CHECK_THROWS_AS(jobs.apply("daily_update", d, DayEvent::start, k_now), core::Error);
    CHECK(jobs.apply("daily_update", d, DayEvent::reload, k_now) == DayState::pending);
    CHECK(jobs.day("daily_update", d)->attempts == 0);
  }

  TEST_CASE("a running day left by a dead process is recovered and then retried") {
    test::TempDir dir;
    const auto path = (dir / "crash.db").string();
    const Date d1(2024, 6, 26), d2(2024, 6, 27);
    {
      // The "crashed" process: it started d2 and never finished; its run stays running.
      store::Database db(path);
      store::JobStore jobs(db);
      const auto run = jobs.begin_run("daily_update", k_now, 4242, "daily_update");
      jobs.apply("daily_update", d1, DayEvent::start, k_now, {}, {}, run);
      jobs.apply("daily_update", d1, DayEvent::succeed, k_now, {}, 10);
      jobs.apply("daily_update", d2, DayEvent::start, k_now, {}, {}, run);
    }
    store::Database db(path);
    store::JobStore jobs(db);
    CHECK(jobs.job("daily_update").state == "running");
    CHECK(jobs.recover_stale("daily_update", k_now) == 1);
    const auto rec = jobs.day("daily_update", d2);
    CHECK(rec->state == DayState::failed);
    CHECK(rec->last_error->find("interrupted") != std::string::npos);
    CHECK(jobs.day("daily_update", d1)->state == DayState::succeeded);
    CHECK(jobs.job("daily_update").state == "failed");
    CHECK(jobs.last_run("daily_update")->outcome == state::RunOutcome::failed);
    CHECK(jobs.apply("daily_update", d2, DayEvent::start, k_now) == DayState::running);
    CHECK(jobs.recover_stale("daily_update", k_now) == 1);
    CHECK(jobs.recover_stale("hourly_analysis", k_now) == 0);
  }

  TEST_CASE("runs record their outcome and figures, and job_status follows") {
    store::Database db(":memory:");
    store::JobStore jobs(db);
    const auto run = jobs.begin_run("daily_update", k_now, 1, "daily_update --max-days 3");
    CHECK(jobs.job("daily_update").state == "running");
    store::RunSummary s;
    s.outcome = state::RunOutcome::partial;
    s.session_from = Date(2024, 6, 25);
    s.session_to = Date(2024, 6, 27);
    s.days_done = 3;
    s.rows_written = 7968;
    s.api_calls = 12;
    s.duration_ms = 1500;
    s.message = "stopped at --max-days 3";
    jobs.finish_run(run, s, k_now);
    const auto js = jobs.job("daily_update");
    CHECK(js.state == "partial");
    CHECK(js.last_run_id == run);
    CHECK(js.last_duration_ms == 1500);
    CHECK(js.last_message == "stopped at --max-days 3");
    const auto last = jobs.last_run("daily_update");
    REQUIRE(last);
    CHECK(last->summary.rows_written == 7968);
    CHECK(last->summary.session_to == Date(2024, 6, 27));
    CHECK(last->outcome == state::RunOutcome::partial);
  }

  TEST_CASE("lists days by range and by state") {
    store::Database db(":memory:");
    store::JobStore jobs(db);
    for (int day = 24; day <= 28; ++day) {
      const Date d(2024, 6, static_cast<unsigned short>(day));
      jobs.apply("daily_update", d, DayEvent::start, k_now);
      jobs.apply("daily_update", d, day == 26 ? DayEvent::fail : DayEvent::succeed, k_now);
    }
    CHECK(jobs.days("daily_update", Date(2024, 6, 25), Date(2024, 6, 27)).size() == 3);
    const auto failed = jobs.days_in_state("daily_update", DayState::failed);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].date == Date(2024, 6, 26));
    CHECK(jobs.days_in_state("hourly_analysis", DayState::failed).empty());
  }
}

#include "krxbatch/store/digest.hpp"
#include "krxbatch/store/price_store.hpp"

TEST_SUITE("store.settings_scope") {
  // The connection's cache_size and wal_autocheckpoint.
  std::pair<std::int64_t, std::int64_t> settings_of(store::Database & db) {
    auto& sqlite = db.impl().db;
    return {sqlite.execAndGet("PRAGMA cache_size").getInt64(),
            sqlite.execAndGet("PRAGMA wal_autocheckpoint").getInt64()};
  }

  TEST_CASE("a scope changes what it is given, and sets back at its end what it found") {
    test::TempDir dir;
    store::Database db((dir / "k.db").string());
    const auto defaults = settings_of(db);
    {
      const store::Database::SettingsScope big(
          db, {.cache_limit_kib = 65536, .wal_autocheckpoint_pages = 16384});
      CHECK(settings_of(db) == std::pair<std::int64_t, std::int64_t>{-65536, 16384});
      {
        const store::Database::SettingsScope small(db, {.cache_limit_kib = 1024});
        CHECK(settings_of(db) == std::pair<std::int64_t, std::int64_t>{-1024, 16384});
      }
      CHECK(settings_of(db) == std::pair<std::int64_t, std::int64_t>{-65536, 16384});
    }
    CHECK(settings_of(db) == defaults);
  }

  TEST_CASE("a scope sets back when an exception unwinds it") {
    test::TempDir dir;
    store::Database db((dir / "k.db").string());
    const auto defaults = settings_of(db);
    try {
      const store::Database::SettingsScope scope(db, {.wal_autocheckpoint_pages = 500});
      CHECK(settings_of(db).second == 500);
      throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    CHECK(settings_of(db) == defaults);
  }

  TEST_CASE("a scope can checkpoint the WAL at its end") {
    test::TempDir dir;
    store::Database db((dir / "k.db").string());
    {
      const store::Database::SettingsScope scope(
          db, {.wal_autocheckpoint_pages = 100000, .checkpoint_at_end = true});
      store::MetaStore(db).set("k", std::string(100000, 'x'));
      CHECK(std::filesystem::file_size(dir / "k.db-wal") > 100000);
    }
    // The pages are in the main file now (the WAL file stays, to be reused).
    CHECK(std::filesystem::file_size(dir / "k.db") > 100000);
  }
}

TEST_SUITE("store.meta") {
  TEST_CASE("the stored markets: the recorded list in its order, KOSPI and KOSDAQ when none") {
    store::Database db(":memory:");
    store::MetaStore meta(db);
    using market::Market;
    CHECK(meta.markets() == std::vector{Market::kospi, Market::kosdaq});
    meta.set(store::k_meta_markets, "KOSDAQ,KOSPI,KONEX");
    CHECK(meta.markets() == std::vector{Market::kosdaq, Market::kospi, Market::konex});
    meta.set(store::k_meta_markets, "KOSPI,,NYSE");
    CHECK(meta.markets() == std::vector{Market::kospi});
    meta.set(store::k_meta_markets, "");
    CHECK(meta.markets() == std::vector{Market::kospi, Market::kosdaq});
  }

  TEST_CASE("the history start: the recorded date, none when unset or not a date") {
    store::Database db(":memory:");
    store::MetaStore meta(db);
    CHECK_FALSE(meta.history_start());
    meta.set(store::k_meta_history_start, "2024-01-02");
    CHECK(meta.history_start() == Date(2024, 1, 2));
    meta.set(store::k_meta_history_start, "yesterday");
    CHECK_FALSE(meta.history_start());
  }
}

TEST_SUITE("store.digest") {
  namespace {
  market::PriceRow price(const std::string& ticker, std::int64_t close) {
    market::PriceRow r;
    r.trade_date = Date(2024, 6, 27);
    r.ticker = ticker;
    r.name = "n";
    r.market = market::Market::kospi;
    r.close = close;
    r.volume = 10;
    r.value = 10 * close;
    r.listed_shares = 100;
    r.market_cap = 100 * close;
    r.open = r.high = r.low = close;
    return r;
  }
  } // namespace

  TEST_CASE("equal data gives equal digests whatever the insertion order and run history") {
    store::Database a(":memory:");
    store::Database b(":memory:");
    const std::vector<market::PriceRow> ab = {price("000001", 100), price("000002", 200)};
    const std::vector<market::PriceRow> ba = {price("000002", 200), price("000001", 100)};
    {
      store::Database::Transaction t(a);
      store::PriceStore(a).replace_day(Date(2024, 6, 27), ab, {}, {}, k_now);
      t.commit();
    }
    {
      store::Database::Transaction t(b);
      store::PriceStore(b).replace_day(Date(2024, 6, 27), ba, {}, {}, k_now);
      t.commit();
    }
    store::JobStore(b).begin_run("daily_update", k_now, 1, "x"); // history differs
    CHECK(store::compute_digest(a).sha256 == store::compute_digest(b).sha256);
  }

  TEST_CASE("one changed price changes the digest of its table and of the whole") {
    store::Database a(":memory:");
    store::Database b(":memory:");
    {
      store::Database::Transaction t(a);
      store::PriceStore(a).replace_day(Date(2024, 6, 27), std::vector{price("000001", 100)}, {}, {},
                                       k_now);
      t.commit();
    }
    {
      store::Database::Transaction t(b);
      store::PriceStore(b).replace_day(Date(2024, 6, 27), std::vector{price("000001", 101)}, {}, {},
                                       k_now);
      t.commit();
    }
    const auto da = store::compute_digest(a);
    const auto db = store::compute_digest(b);
    CHECK(da.sha256 != db.sha256);
    CHECK(da.tables[0].table == "daily_prices");
    CHECK(da.tables[0].sha256 != db.tables[0].sha256);
    CHECK(da.tables[1].sha256 == db.tables[1].sha256);
    // The mark is part of it too.
    store::JobStore(b).set_mark("daily_update", Date(2024, 6, 27), k_now);
    CHECK(store::compute_digest(b).tables.back().sha256 != da.tables.back().sha256);
  }
}
