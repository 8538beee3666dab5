// Every session scored (issue #15), in the store: migration 6, which sessions are incomplete,
// the row-based queue, marking the scores a reload changed stale, what a reload changed, and
// the composite each market's stocks are measured against.
#include "krxbatch/analysis/bar_set.hpp"
#include "krxbatch/store/analysis_store.hpp"
#include "krxbatch/store/bar_loader.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/job_store.hpp"
#include "krxbatch/store/price_store.hpp"
#include "krxbatch/store/target_store.hpp"

#include "store/migrations.hpp"
#include "store/sqlite_access.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

using namespace krxbatch;
using core::Date;

namespace {

std::int64_t scalar(store::Database& db, const std::string& sql) {
  return db.impl().db.execAndGet(sql).getInt64();
}

std::string text(store::Database& db, const std::string& sql) {
  return db.impl().db.execAndGet(sql).getString();
}

const core::KstTime k_now(Date(2024, 7, 8), boost::posix_time::hours(20));

market::PriceRow price(const std::string& ticker, Date day, std::int64_t close,
                       market::Market m = market::Market::kospi) {
  market::PriceRow r;
  r.trade_date = day;
  r.ticker = ticker;
  r.name = "name " + ticker;
  r.market = m;
  r.close = close;
  r.open = close - 10;
  r.high = close + 20;
  r.low = close - 20;
  r.volume = 1000;
  r.value = 1000 * close;
  r.market_cap = 1000 * close;
  r.listed_shares = 1000;
  return r;
}

market::IndexRow index_row(Date day, std::string_view cls, std::string_view name, double close) {
  market::IndexRow r;
  r.trade_date = day;
  r.index_class = std::string(cls);
  r.index_name = std::string(name);
  r.close = close;
  return r;
}

void store_day(store::Database& db, Date day, const std::vector<market::PriceRow>& rows,
               const std::vector<market::IndexRow>& indices = {}) {
  store::Database::Transaction txn(db);
  store::PriceStore(db).replace_day(day, rows, indices, {}, k_now);
  txn.commit();
}

void make_targets(store::Database& db, Date day, const std::vector<std::string>& tickers) {
  std::vector<store::UniverseCandidate> c;
  for (const auto& t : tickers) {
    c.push_back({t, "name " + t, market::Market::kospi, 1});
  }
  store::Database::Transaction txn(db);
  store::TargetStore(db).apply_universe(day, c);
  txn.commit();
}

void write(store::Database& db, const std::string& ticker, Date day) {
  analysis::StockAnalysis a;
  a.bars = 1;
  a.close = 100;
  a.indicators.fill(std::nan(""));
  a.factors.fill(std::nan(""));
  store::AnalysisStore(db).write({ticker, day, a, std::nullopt}, k_now);
}

// The week of 2024-07-01 (Monday) to 07-05.
const std::vector<Date> k_week = {Date(2024, 7, 1), Date(2024, 7, 2), Date(2024, 7, 3),
                                  Date(2024, 7, 4), Date(2024, 7, 5)};

std::vector<Date> newest_first(std::vector<Date> days) {
  std::reverse(days.begin(), days.end());
  return days;
}

} // namespace

TEST_SUITE("store.analysis_sessions") {
  TEST_CASE("migration 6 takes over the sessions analysed so far: ranked when every row is") {
    test::TempDir dir;
    const auto path = (dir / "v5.db").string();
    {
      store::OpenOptions raw;
      raw.migrate = false;
      store::Database db(path, raw);
      for (const auto& m : store::migrations()) {
        if (m.version <= 5) {
          db.execute(std::string(m.sql));
        }
      }
      db.execute("PRAGMA user_version = 5");
      db.execute(
          "INSERT INTO analysis_results (ticker, as_of_date, score, eligible, error, "
          "computed_at, ranked_at) VALUES "
          "('000010', '2024-07-01', 50, 1, NULL, 'c', '2024-07-02T20:00:00+09:00'), "
          "('000020', '2024-07-01', NULL, 0, 'no prices', 'c', '2024-07-02T20:00:00+09:00'), "
          "('000010', '2024-07-02', NULL, 1, NULL, '2024-07-03T20:00:00+09:00', NULL)");
    }
    store::Database db(path);
    CHECK(db.schema_version() == store::Database::latest_schema_version());
    const auto sessions = store::AnalysisStore(db).sessions();
    REQUIRE(sessions.size() == 2);
    CHECK(sessions[0].session == Date(2024, 7, 1));
    CHECK(sessions[0].ranked);
    CHECK(sessions[0].targets == 2);
    CHECK(sessions[0].scored == 1);
    CHECK(sessions[0].failed == 1);
    CHECK(sessions[1].session == Date(2024, 7, 2));
    CHECK_FALSE(sessions[1].ranked);
    CHECK(scalar(db, "SELECT count(*) FROM analysis_results WHERE stale = 0") == 3);
  }

  TEST_CASE("the incomplete sessions run from the first tracked one (or the first after "
            "manual_setup's backfill) to daily_update's mark, newest first") {
    const auto& cal = test::real_calendar();
    store::Database db(":memory:");
    store::JobStore jobs(db);
    store::AnalysisStore results(db);
    CHECK(results.incomplete_sessions(cal).empty()); // no mark yet

    // A database daily_update built alone: only its mark.
    jobs.set_mark(store::k_job_daily_update, Date(2024, 7, 5), k_now);
    CHECK(results.incomplete_sessions(cal) == std::vector<Date>{Date(2024, 7, 5)});

    // manual_setup's backfill ended on 06-28: the catch-up after it is scored.
    jobs.set_mark(store::k_job_manual_setup, Date(2024, 6, 28), k_now);
    CHECK(results.incomplete_sessions(cal) == newest_first(k_week));

    // A ranked session leaves the list; a hole stays in it.
    make_targets(db, Date(2024, 7, 5), {"000010"});
    results.set_ranked(Date(2024, 7, 3), k_now);
    CHECK(results.incomplete_sessions(cal) == std::vector<Date>{Date(2024, 7, 5), Date(2024, 7, 4),
                                                                Date(2024, 7, 2),
                                                                Date(2024, 7, 1)});

    // --from tracks older sessions: the range starts there, holes included.
    results.track(std::vector<Date>{Date(2024, 6, 26)}, k_now);
    const auto list = results.incomplete_sessions(cal);
    CHECK(list.back() == Date(2024, 6, 26));
    CHECK(list.size() == 4 + 3); // 06-26, 06-27, 06-28 too

    // Never past daily_update's mark, even for a tracked session.
    results.track(std::vector<Date>{Date(2024, 7, 8)}, k_now);
    CHECK(results.incomplete_sessions(cal).front() == Date(2024, 7, 5));
  }

  TEST_CASE("the queue of a session is its active targets without a current row, and writing "
            "an older session never moves last_analyzed_date back") {
    store::Database db(":memory:");
    const Date old(2024, 7, 1);
    const Date recent(2024, 7, 2);
    store_day(db, recent, {price("000010", recent, 100), price("000020", recent, 200)});
    make_targets(db, recent, {"000010", "000020"});
    store::AnalysisStore results(db);
    write(db, "000010", recent);
    write(db, "000020", recent);
    CHECK(results.candidates(recent).empty());
    // The older session is still to do for both, though last_analyzed_date is newer.
    CHECK(results.candidates(old).size() == 2);
    write(db, "000010", old);
    CHECK(results.progress(old).analysed == 1);
    CHECK(results.analysed_counts(std::vector<Date>{old, recent}) ==
          std::vector<std::int64_t>{1, 2});
    CHECK(text(db, "SELECT last_analyzed_date FROM target_tickers WHERE ticker = "
                   "'000010'") == "2024-07-02");

    // A stale row is in the queue again, until it is written.
    store::ChangedInputs changed;
    changed.tickers = {"000020"};
    CHECK(results.mark_stale(changed, recent, Date(2024, 9, 1), "reload of 2024-07-02", k_now) ==
          1);
    CHECK(results.candidates(recent).size() == 1);
    CHECK(results.progress(recent).analysed == 1);
    write(db, "000020", recent);
    CHECK(results.candidates(recent).empty());
  }

  TEST_CASE("mark_stale marks the changed tickers' rows in the range (every ticker for an index "
            "change) and sets their sessions pending with the reason") {
    store::Database db(":memory:");
    make_targets(db, Date(2024, 7, 5), {"000010", "000020"});
    store::AnalysisStore results(db);
    for (const auto& d : k_week) {
      write(db, "000010", d);
      write(db, "000020", d);
      results.set_ranked(d, k_now);
    }
    store::ChangedInputs one;
    one.tickers = {"000020"};
    CHECK(results.mark_stale(one, Date(2024, 7, 2), Date(2024, 7, 3), "reload of 2024-07-02",
                             k_now) == 2);
    CHECK(text(db, "SELECT group_concat(ticker || '@' || as_of_date, ' ') FROM "
                   "analysis_results WHERE stale = 1") == "000020@2024-07-02 000020@2024-07-03");
    const auto sessions = results.sessions();
    REQUIRE(sessions.size() == 5);
    CHECK(sessions[0].ranked);
    CHECK_FALSE(sessions[1].ranked);
    CHECK(sessions[1].reason == "reload of 2024-07-02");
    CHECK_FALSE(sessions[2].ranked);
    CHECK(sessions[3].ranked);

    store::ChangedInputs index;
    index.index = true;
    CHECK(results.mark_stale(index, Date(2024, 7, 4), Date(9999, 12, 31), "reload of 2024-07-04",
                             k_now) == 4);
    CHECK_FALSE(results.sessions()[4].ranked);
    CHECK(results.mark_stale({}, Date(2024, 7, 1), Date(2024, 7, 5), "nothing", k_now) == 0);
  }

  TEST_CASE("changed_inputs names the issues whose row or corporate action changed, added or "
            "removed, and the composites") {
    store::Database db(":memory:");
    const Date d(2024, 7, 2);
    store::AnalysisStore results(db);
    store_day(db, d, {price("000010", d, 100), price("000020", d, 200), price("000030", d, 300)},
              {index_row(d, "KOSPI", "코스피", 2800.0), index_row(d, "KOSPI", "코스피 200", 1.0)});
    const auto before = results.session_inputs(d);
    CHECK_FALSE(store::changed_inputs(before, results.session_inputs(d)).any());

    auto changed_close = price("000020", d, 201);
    auto other_index = index_row(d, "KOSPI", "코스피 200", 2.0); // not a composite: ignored
    store_day(db, d, {price("000010", d, 100), changed_close, price("000040", d, 400)},
              {index_row(d, "KOSPI", "코스피", 2800.0), other_index});
    auto c = store::changed_inputs(before, results.session_inputs(d));
    CHECK_FALSE(c.index);
    CHECK(c.tickers == std::vector<std::string>{"000020", "000030", "000040"});

    const auto mid = results.session_inputs(d);
    store_day(db, d, {price("000010", d, 100), changed_close, price("000040", d, 400)},
              {index_row(d, "KOSPI", "코스피", 2801.0), other_index});
    c = store::changed_inputs(mid, results.session_inputs(d));
    CHECK(c.index);
    CHECK(c.tickers.empty());

    // A corporate action stored for the session changes its issue's inputs.
    const auto plain = results.session_inputs(d);
    db.execute("INSERT INTO price_adjustments (ticker, ex_date, prev_close, base_price, factor, "
               "cum_factor, prev_listed_shares, listed_shares, detected_at) VALUES ('000010', "
               "'2024-07-02', 200, 100, 0.5, 0.5, 1000, 2000, 'x')");
    CHECK(store::changed_inputs(plain, results.session_inputs(d)).tickers ==
          std::vector<std::string>{"000010"});
  }

  TEST_CASE("KOSDAQ stocks are measured against the KOSDAQ composite, KONEX stocks against none") {
    store::Database db(":memory:");
    const std::vector<Date> days = {Date(2024, 7, 1), Date(2024, 7, 2)};
    for (std::size_t i = 0; i < days.size(); ++i) {
      const auto d = days[i];
      const auto k = static_cast<double>(i);
      store_day(db, d,
                {price("000010", d, 100, market::Market::kospi),
                 price("000020", d, 200, market::Market::kosdaq),
                 price("000030", d, 300, market::Market::konex),
                 // Moved from KOSDAQ to KOSPI on the second session.
                 price("000040", d, 400, i == 0 ? market::Market::kosdaq : market::Market::kospi)},
                {index_row(d, "KOSPI", "코스피", 2800.0 + k),
                 index_row(d, "KOSDAQ", "코스닥", 800.0 + k),
                 index_row(d, "KOSDAQ", "코스닥 150", 1.0)});
    }
    analysis::BarSet bars;
    const std::vector<std::string> tickers = {"000010", "000020", "000030", "000040"};
    store::BarLoader(db).load(tickers, days, bars);
    std::vector<double> aligned;
    bars.aligned_index(0, aligned);
    CHECK(aligned == std::vector<double>{2800.0, 2801.0});
    bars.aligned_index(1, aligned);
    CHECK(aligned == std::vector<double>{800.0, 801.0});
    bars.aligned_index(2, aligned);
    CHECK(aligned.empty());
    bars.aligned_index(3, aligned); // its market on the session
    CHECK(aligned == std::vector<double>{2800.0, 2801.0});
  }
}
