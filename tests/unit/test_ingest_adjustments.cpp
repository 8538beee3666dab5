// Corporate actions at ingest (jobs/day_ingestor.hpp, store/adjustment_store.hpp): detection in
// the session's transaction on the staged and the direct paths, every rule of
// docs/ADJUSTMENTS.md, reloads, migration 5, the back-adjusted bars of the analysis and the
// view, and the real captured answers of 2024-01-04/05.
#include "krxbatch/analysis/bar_set.hpp"
#include "krxbatch/fetch/replay_source.hpp"
#include "krxbatch/jobs/daily_update.hpp"
#include "krxbatch/jobs/manual_setup.hpp"
#include "krxbatch/store/adjustment_store.hpp"
#include "krxbatch/store/bar_loader.hpp"
#include "krxbatch/store/price_store.hpp"

#include "fake_market_source.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_access.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace krxbatch;
using core::Date;
using fetch::Endpoint;

namespace {

// One day of an issue's path in the fake market (see Paths).
struct Day {
  std::int64_t close = 0;
  std::optional<std::int64_t> base; // the change is close - base; nullopt: KRX sent "-"
  bool traded = true;               // false: O/H/L and volume 0, as KRX sends a halted issue
  std::int64_t shares = 1'000'000;
  bool absent = false; // no row at all
};

// Issues of the fake market whose rows follow a path given day by day (every other issue
// keeps the fake's own rows). A path returns nullopt for the days it leaves alone.
using Path = std::function<std::optional<Day>(const Date&)>;

void apply_paths(test::FakeMarketSource& source, std::map<std::string, Path> paths) {
  source.edit = [paths = std::move(paths)](Endpoint, const Date& day,
                                           std::vector<market::PriceRow>& rows) {
    for (auto it = rows.begin(); it != rows.end();) {
      const auto p = paths.find(it->ticker);
      const auto d = p == paths.end() ? std::nullopt : p->second(day);
      if (!d) {
        ++it;
        continue;
      }
      if (d->absent) {
        it = rows.erase(it);
        continue;
      }
      auto& r = *it;
      r.close = d->close;
      r.change = d->base ? std::optional(d->close - *d->base) : std::nullopt;
      r.open = d->traded ? d->close : 0;
      r.high = d->traded ? d->close + 10 : 0;
      r.low = d->traded ? d->close - 10 : 0;
      r.volume = d->traded ? 1000 : 0;
      r.value = d->traded ? 1000 * d->close : 0;
      r.listed_shares = d->shares;
      r.market_cap = d->close * d->shares;
      ++it;
    }
  };
}

// 100001 (a KOSPI issue of the fake) at 1,000 until `ex`, halted for `halt` sessions before
// it; a 1:2 split on `ex` (base 500, shares doubled) and 510 from then on.
Path split_path(const Date& ex, int halt = 0) {
  const auto& cal = test::real_calendar();
  const auto halt_from = halt > 0 ? cal.business_day_back(ex, halt) : ex;
  return [=](const Date& d) -> std::optional<Day> {
    if (d < ex) {
      return Day{1000, 1000, d < halt_from, 1'000'000};
    }
    if (d == ex) {
      return Day{510, 500, true, 2'000'000};
    }
    return Day{510, 510, true, 2'000'000};
  };
}

struct Fixture {
  store::Database db;
  util::FixedClock clock{test::kst(2024, 7, 1, 19)};
  jobs::JobEnv env{db, test::real_calendar(), clock};
  test::FakeMarketSource source{10};
  jobs::DbCallBudget budget{db, clock, 10000};
  jobs::IngestSettings settings;

  explicit Fixture(const std::string& path = ":memory:") : db(path) {
    source.set_budget(&budget);
    source.publish_until(Date(2024, 6, 28));
  }
  jobs::JobResult setup(int days) {
    jobs::ManualSetupOptions o;
    o.days = days;
    o.confirm = [](const std::string&) { return true; };
    return jobs::run_manual_setup(env, source, budget, settings, o);
  }
  jobs::JobResult daily(jobs::DailyUpdateOptions o = {}) {
    return jobs::run_daily_update(env, source, budget, settings, o);
  }
  jobs::JobResult reload(const Date& from, const Date& to) {
    jobs::DailyUpdateOptions o;
    o.from = from;
    o.to = to;
    return daily(o);
  }
};

// "ticker ex_date prev_close base_price factor cum_factor prev_shares shares" per row.
std::vector<std::string> events(store::Database& db) {
  std::vector<std::string> out;
  for (const auto& a : store::AdjustmentStore(db).all()) {
    char factors[64];
    std::snprintf(factors, sizeof factors, "%.17g %.17g", a.factor, a.cum_factor);
    out.push_back(a.ticker + " " + core::to_iso(a.ex_date) + " " + std::to_string(a.prev_close) +
                  " " + std::to_string(a.base_price) + " " + factors + " " +
                  std::to_string(a.prev_listed_shares) + " " + std::to_string(a.listed_shares));
  }
  return out;
}

std::string split_event(const Date& ex) {
  return "100001 " + core::to_iso(ex) + " 1000 500 0.5 0.5 1000000 2000000";
}

} // namespace

TEST_SUITE("jobs.adjustments") {
  TEST_CASE("a backfill stores exactly the re-bases of the answers, staged or written directly") {
    const Date ex(2024, 6, 20);
    Fixture staged;
    apply_paths(staged.source, {{"100001", split_path(ex)}});
    REQUIRE(staged.setup(20).exit_code == core::ExitCode::ok);
    CHECK(events(staged.db) == std::vector<std::string>{split_event(ex)});

    // The same sessions, the split written session by session straight to daily_prices: the
    // first of the run reads the previous session back, the next ones have it in memory.
    Fixture direct;
    apply_paths(direct.source, {{"100001", split_path(ex)}});
    direct.clock.set(test::kst(2024, 6, 19, 9));
    direct.source.publish_until(Date(2024, 6, 18));
    REQUIRE(direct.setup(10).exit_code == core::ExitCode::ok);
    CHECK(events(direct.db).empty());
    direct.clock.set(test::kst(2024, 6, 25, 9));
    direct.source.publish_until(Date(2024, 6, 24));
    const auto r = direct.daily();
    REQUIRE(r.exit_code == core::ExitCode::ok);
    REQUIRE(r.run.days_done == 4);
    CHECK(events(direct.db) == std::vector<std::string>{split_event(ex)});
  }

  TEST_CASE("the first session after a halt is measured against the halted close") {
    const Date ex(2024, 6, 20);
    Fixture f;
    apply_paths(f.source, {{"100001", split_path(ex, 3)}});
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    const auto rows = store::PriceStore(f.db).history("100001", Date(2024, 6, 17), ex);
    REQUIRE(rows.size() == 4);
    CHECK_FALSE(rows[0].open); // halted: stored without open/high/low
    CHECK(rows[2].volume == 0);
    CHECK(events(f.db) == std::vector<std::string>{split_event(ex)});
  }

  TEST_CASE("a listing, a relisting and a row after a session without the issue are no event") {
    const Date listed(2024, 6, 12);
    const Date gap(2024, 6, 19);
    const Date back(2024, 6, 20);
    Fixture f;
    apply_paths(f.source,
                {// Listed on 06-12 at twice its offering price: the first row's base is the offer.
                 {"100002",
                  [&](const Date& d) -> std::optional<Day> {
                    if (d < listed) {
                      return Day{0, 0, true, 1, true};
                    }
                    return Day{8000, d == listed ? 4000 : 8000};
                  }},
                 // Absent on 06-19 (delisted, then relisted, or its code used again), back on 06-20
                 // with a base that is not its last close.
                 {"100003", [&](const Date& d) -> std::optional<Day> {
                    if (d == gap) {
                      return Day{0, 0, true, 1, true};
                    }
                    return d < gap ? Day{3000, 3000} : Day{1200, d == back ? 1100 : 1200};
                  }}});
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    CHECK(store::PriceStore(f.db).history("100003", Date(2024, 6, 18), Date(2024, 6, 20)).size() ==
          2);
    CHECK(events(f.db).empty());
  }

  TEST_CASE("a missing change gives no event and a data-quality warning") {
    const Date ex(2024, 6, 20);
    Fixture f;
    apply_paths(f.source, {{"100001", [&](const Date& d) -> std::optional<Day> {
                              if (d < ex) {
                                return Day{1000, 1000};
                              }
                              // The close halves on 06-20, but KRX sent "-" as its change.
                              return d == ex ? Day{500, std::nullopt} : Day{500, 500};
                            }}});
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    CHECK(events(f.db).empty());
    const auto issues = store::PriceStore(f.db).quality_issues(ex, ex);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].ticker == "100001");
    CHECK(issues[0].rule == "change_absent");
    CHECK(issues[0].severity == "WARN");
  }

  TEST_CASE("a reload re-derives the events of the reloaded sessions and of the session after") {
    const Date ex(2024, 6, 20);
    const Date after(2024, 6, 21);
    Fixture f;
    apply_paths(f.source, {{"100001", split_path(ex)}});
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    // Damage: the event is gone, and a bogus one sits on the session after the range.
    f.db.execute("DELETE FROM price_adjustments");
    f.db.execute("INSERT INTO price_adjustments VALUES ('100002', '2024-06-21', 10, 5, 0.5, "
                 "0.5, 1, 1, 'x')");
    REQUIRE(f.reload(Date(2024, 6, 19), ex).exit_code == core::ExitCode::ok);
    CHECK(events(f.db) == std::vector<std::string>{split_event(ex)});

    // KRX corrects its data: the split took effect a session later. Reloading 06-20 alone
    // takes the event off 06-20, and the session after it, stored already, now shows it.
    apply_paths(f.source, {{"100001", [&](const Date& d) -> std::optional<Day> {
                              return split_path(after)(d);
                            }}});
    REQUIRE(f.reload(ex, ex).exit_code == core::ExitCode::ok);
    const auto now = store::AdjustmentStore(f.db).all();
    REQUIRE(now.size() == 1);
    CHECK(now[0].ex_date == after);
    CHECK(now[0].prev_close == 1000);
    // The stored row of 06-21 (510, unchanged from 06-20's old 510): its base is off the close
    // 06-20 has now.
    CHECK(now[0].base_price == 510);
  }

  TEST_CASE("a session stored before the one it follows gets its events once that one is in") {
    const Date failed(2024, 6, 19);
    const Date ex(2024, 6, 20);
    Fixture f;
    apply_paths(f.source, {{"100001", split_path(ex)}});
    f.clock.set(test::kst(2024, 6, 19, 9));
    f.source.publish_until(Date(2024, 6, 18));
    REQUIRE(f.setup(10).exit_code == core::ExitCode::ok);
    f.clock.set(test::kst(2024, 6, 24, 9));
    f.source.publish_until(Date(2024, 6, 21));
    f.source.fail(Endpoint::kospi_stocks, failed, fetch::FailureKind::server_error);
    CHECK(f.daily().exit_code == core::ExitCode::failed);
    // 06-20 and 06-21 are stored; 06-20's previous session is not: no event yet (comparing with
    // 06-18 would take every move of 06-19 for a re-base).
    CHECK(store::PriceStore(f.db).row_count(ex, market::Market::kospi) == 10);
    CHECK(events(f.db).empty());
    f.source.clear_failures();
    REQUIRE(f.daily().exit_code == core::ExitCode::ok);
    CHECK(events(f.db) == std::vector<std::string>{split_event(ex)});
  }

  TEST_CASE("replaying the captured answers of 2024-01-04/05 stores one event: 073010") {
    const auto samples = test::shared_dir() / "krx-samples";
    if (!std::filesystem::is_directory(samples)) {
      MESSAGE("not run: " << samples.string()
                          << " is absent (real KRX answers, outside the repository)");
      return;
    }
    store::Database db(":memory:");
    util::FixedClock clock(test::kst(2024, 1, 8, 19));
    jobs::JobEnv env{db, test::real_calendar(), clock};
    fetch::ReplaySource source(samples);
    jobs::DbCallBudget budget(db, clock, 10000);
    jobs::IngestSettings settings;
    settings.markets = {market::Market::kospi, market::Market::kosdaq, market::Market::konex};
    jobs::DailyUpdateOptions o;
    o.from = Date(2024, 1, 4);
    o.to = Date(2024, 1, 5);
    const auto r = jobs::run_daily_update(env, source, budget, settings, o);
    INFO(r.summary);
    REQUIRE(r.exit_code == core::ExitCode::ok);
    const auto all = store::AdjustmentStore(db).all();
    REQUIRE(all.size() == 1);
    CHECK(all[0].ticker == "073010");
    CHECK(all[0].ex_date == Date(2024, 1, 5));
    CHECK(all[0].prev_close == 3040);
    CHECK(all[0].base_price == 2995);
    CHECK(all[0].factor == 2995.0 / 3040.0);
    CHECK(all[0].name == "케이에스피");
    CHECK(all[0].market == market::Market::kosdaq);
    CHECK(market::kind_of(all[0].rebase()) == market::RebaseKind::other);
  }
}

TEST_SUITE("store.adjustments") {
  TEST_CASE("cum_factor stays the product of the later factors whatever order events come in") {
    store::Database db(":memory:");
    store::AdjustmentStore store(db);
    const core::KstTime now(Date(2024, 7, 1));
    const market::Rebase a{"005930", 1000, 500, 1, 2};
    const market::Rebase b{"005930", 600, 480, 1, 1};
    const auto factors = [&] {
      std::vector<std::pair<double, double>> out;
      for (const auto& e : store.all()) {
        out.emplace_back(e.factor, e.cum_factor);
      }
      return out;
    };
    store.replace_session(Date(2024, 6, 20), std::span(&b, 1), now);
    store.replace_session(Date(2024, 6, 10), std::span(&a, 1), now);
    CHECK(factors() == std::vector<std::pair<double, double>>{{0.5, 0.5 * 0.8}, {0.8, 0.8}});
    store.replace_session(Date(2024, 6, 20), {}, now);
    CHECK(factors() == std::vector<std::pair<double, double>>{{0.5, 0.5}});
  }

  TEST_CASE("a session's closes are read back whether it is in daily_prices or staged") {
    Fixture f;
    const Date day(2024, 6, 27);
    store::PriceStore prices(f.db);
    auto rows = f.source.rows_for(Endpoint::kospi_stocks, day);
    rows.back().change.reset();
    const core::KstTime now(Date(2024, 7, 1));
    store::AdjustmentStore store(f.db);
    for (const auto table : {store::PriceTable::daily_prices, store::PriceTable::staging}) {
      prices.replace_day(day, rows, {}, {}, now, table);
      const auto closes = store.session_closes(day);
      REQUIRE(closes.size() == rows.size());
      CHECK(std::is_sorted(closes.begin(), closes.end(),
                           [](const auto& a, const auto& b) { return a.ticker < b.ticker; }));
      for (const auto& c : closes) {
        const auto it = std::find_if(rows.begin(), rows.end(),
                                     [&](const auto& r) { return r.ticker == c.ticker; });
        REQUIRE(it != rows.end());
        CHECK(c.close == *it->close);
        CHECK(c.change == it->change);
        CHECK(c.listed_shares == *it->listed_shares);
      }
    }
    CHECK(store.session_closes(Date(2024, 6, 26)).empty());
  }

  TEST_CASE("the analysis' bars are back-adjusted as of their last session, like the view") {
    const Date s1(2024, 6, 14);
    const Date s2(2024, 6, 21);
    Fixture f;
    // Two events of one issue: 1:2 on s1, and a rights offering on s2 (1,010 -> 910).
    apply_paths(f.source, {{"100001", [&](const Date& d) -> std::optional<Day> {
                              if (d < s1) {
                                return Day{2000, 2000, d != Date(2024, 6, 12)};
                              }
                              if (d < s2) {
                                return Day{1010, d == s1 ? 1000 : 1010};
                              }
                              return Day{920, d == s2 ? 910 : 920};
                            }}});
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    const auto& cal = test::real_calendar();
    const std::vector<std::string> tickers = {"100001", "100002"};
    analysis::BarSet bars;
    store::BarLoader loader(f.db);
    const double f1 = 1000.0 / 2000.0;
    const double f2 = 910.0 / 1010.0;

    // As of the session before s2: only s1 applies, and nothing changes for the other issue.
    const auto before_s2 = cal.business_days(Date(2024, 6, 3), Date(2024, 6, 20));
    loader.load(tickers, before_s2, bars);
    auto v = bars.view(0);
    CHECK(v.close[0] == 2000.0 * f1);
    CHECK(v.volume[0] == 1000.0 / f1);
    CHECK(v.close[v.size() - 1] == 1010.0);
    const auto raw = store::PriceStore(f.db).history("100002", before_s2.front(), before_s2.back());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      CHECK(bars.view(1).close[i] == static_cast<double>(raw[i].close));
    }

    // As of the newest session: both, multiplied as the view multiplies (bit for bit).
    const auto all = cal.business_days(Date(2024, 5, 31), Date(2024, 6, 28));
    loader.load(tickers, all, bars);
    v = bars.view(0);
    CHECK(v.close[0] == 2000.0 * (f1 * f2));
    SQLite::Statement st(f.db.impl().db,
                         "SELECT trade_date, open, close, volume, factor FROM "
                         "daily_prices_adjusted WHERE ticker = '100001' ORDER BY trade_date");
    std::size_t i = 0;
    while (st.executeStep()) {
      REQUIRE(i < v.size());
      CAPTURE(st.getColumn(0).getString());
      CHECK(st.getColumn(2).getDouble() == v.close[i]);
      CHECK(st.getColumn(3).getDouble() == v.volume[i]);
      if (!st.getColumn(1).isNull()) {
        CHECK(st.getColumn(1).getDouble() == v.open[i]);
      } else {
        CHECK(v.open[i] == v.close[i]); // the halted 06-12: normalised, then adjusted
      }
      ++i;
    }
    CHECK(i == v.size());
  }

  TEST_CASE("migration 5 derives the events of a database that already holds prices") {
    test::TempDir dir;
    const auto path = (dir / "krxbatch.db").string();
    const Date ex(2024, 6, 20);
    const Date later(2024, 6, 28);
    std::vector<std::string> derived_at_ingest;
    {
      Fixture f(path);
      apply_paths(f.source, {{"100001", split_path(ex)},
                             {"200003", [&](const Date& d) -> std::optional<Day> {
                                return Day{d < later ? 3040 : 3005, d == later ? 2995 : 3040};
                              }}});
      f.source.publish_until(Date(2024, 6, 27));
      REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
      // The newest session is left staged, as by a killed run.
      store::PriceStore(f.db).replace_day(later, f.source.rows_for(Endpoint::kosdaq_stocks, later),
                                          {}, {}, f.clock.now_kst(), store::PriceTable::staging);
      derived_at_ingest = events(f.db);
      // A version-4 file: what migration 5 adds is not there yet.
      f.db.execute("DROP VIEW daily_prices_adjusted");
      f.db.execute("DROP TABLE price_adjustments");
      f.db.execute("DROP TABLE analysis_sessions");    // and migration 6's
      f.db.execute("DROP TABLE export_jobs");          // and migration 8's
      f.db.execute("DROP INDEX index_prices_by_date"); // and migration 9's
      f.db.execute("DROP INDEX analysis_results_stale");
      f.db.execute("ALTER TABLE analysis_results DROP COLUMN stale");
      f.db.execute("DROP TABLE watchlist"); // and migration 7's
      f.db.execute("PRAGMA user_version = 4");
    }
    REQUIRE(derived_at_ingest == std::vector<std::string>{split_event(ex)});
    store::Database db(path);
    CHECK(db.schema_version() == store::Database::latest_schema_version());
    // The staged session was merged first, and its event derived with the others.
    CHECK_FALSE(store::PriceStore(db).first_staged_session());
    CHECK(events(db) == std::vector<std::string>{split_event(ex),
                                                 "200003 2024-06-28 3040 2995 0.98519736842105265 "
                                                 "0.98519736842105265 1000000 1000000"});
  }
}
