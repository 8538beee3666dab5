#include "krxbatch/app/job_runner.hpp"
#include "krxbatch/jobs/daily_update.hpp"
#include "krxbatch/jobs/day_ingestor.hpp"
#include "krxbatch/jobs/manual_setup.hpp"
#include "krxbatch/store/digest.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/store/price_store.hpp"
#include "krxbatch/store/target_store.hpp"

#include "fake_market_source.hpp"
#include "store/sqlite_access.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace krxbatch;
using core::Date;
using fetch::Endpoint;
using fetch::FailureKind;
using state::DayState;

namespace {

// The ingestion thread's clocks for the MergePacer, scripted: every reading `wall_step` seconds
// later, `cpu_step` of them on the thread. What the run does then depends on the script, never
// on how busy the machine running the test is.
jobs::PaceClock scripted_pace(double wall_step, double cpu_step) {
  auto now = std::make_shared<jobs::PaceSample>();
  return [now, wall_step, cpu_step] {
    now->wall_s += wall_step;
    now->cpu_s += cpu_step;
    return *now;
  };
}

// Monday 2024-07-01 19:00 KST; the fake market has published up to Friday 06-28.
struct Fixture {
  store::Database db;
  util::FixedClock clock{test::kst(2024, 7, 1, 19)};
  jobs::JobEnv env{db, test::real_calendar(), clock};
  test::FakeMarketSource source;
  jobs::DbCallBudget budget{db, clock, 10000};
  jobs::IngestSettings settings;
  store::JobStore jobs{db};

  explicit Fixture(int issues_per_market = 10, const std::string& path = ":memory:")
      : db(path), source(issues_per_market) {
    source.set_budget(&budget);
    source.publish_until(Date(2024, 6, 28));
    // Never waiting, as in memory: a staged run merges at its end (and at its bounds) only.
    settings.pace_clock = scripted_pace(0.001, 0.001);
  }

  jobs::JobResult setup(int days, bool yes = true) {
    jobs::ManualSetupOptions o;
    o.days = days;
    o.confirm = [yes](const std::string&) { return yes; };
    return jobs::run_manual_setup(env, source, budget, settings, o);
  }
  jobs::JobResult daily(jobs::DailyUpdateOptions o = {}) {
    return jobs::run_daily_update(env, source, budget, settings, o);
  }
  std::optional<Date> mark() { return jobs.job("daily_update").last_success_date; }
  DayState day_state(const Date& d) {
    const auto r = jobs.day("daily_update", d);
    return r ? r->state : DayState::pending;
  }
};

// Answers from one source or another, switched by the test.
class SwitchingSource final : public fetch::MarketSource {
public:
  explicit SwitchingSource(fetch::MarketSource& first) : m_current(&first) {}
  void use(fetch::MarketSource& source) { m_current = &source; }
  fetch::FetchResult<std::vector<market::PriceRow>> stocks(Endpoint e, const Date& day) override {
    return m_current->stocks(e, day);
  }
  fetch::FetchResult<std::vector<market::IndexRow>> indices(Endpoint e, const Date& day) override {
    return m_current->indices(e, day);
  }
  std::string describe() const override { return m_current->describe(); }
  bool counts_calls() const override { return false; }

private:
  fetch::MarketSource* m_current;
};

std::vector<Date> sessions(const Date& from, const Date& to) {
  return test::real_calendar().business_days(from, to);
}

} // namespace

TEST_SUITE("jobs.manual_setup") {
  TEST_CASE("backfills the sessions ending at the latest published one and builds the universe") {
    Fixture f;
    std::string shown;
    jobs::ManualSetupOptions o;
    o.days = 20;
    o.confirm = [&](const std::string& plan) {
      shown = plan;
      return true;
    };
    const auto r = jobs::run_manual_setup(f.env, f.source, f.budget, f.settings, o);
    CHECK(r.exit_code == core::ExitCode::ok);
    // Monday 07-01 answered empty, so the latest published session is Friday 06-28.
    CHECK(shown.find("latest session    2024-06-28") != std::string::npos);
    CHECK(shown.find("20 sessions 2024-05-31..2024-06-28") != std::string::npos);
    const auto window = sessions(Date(2024, 5, 31), Date(2024, 6, 28));
    REQUIRE(window.size() == 20);
    store::PriceStore prices(f.db);
    CHECK(prices.stored_sessions(Date(2024, 1, 1), Date(2024, 12, 31)) == window);
    for (const auto& d : window) {
      CHECK(prices.row_count(d, market::Market::kospi) == 10);
      CHECK(prices.row_count(d, market::Market::kosdaq) == 10);
    }
    CHECK(f.mark() == Date(2024, 6, 28));
    CHECK(f.jobs.job("manual_setup").last_success_date == Date(2024, 6, 28));
    // The universe: exactly the issues with market cap >= 100bn on 06-28.
    std::set<std::string> expected;
    for (auto e : {Endpoint::kospi_stocks, Endpoint::kosdaq_stocks}) {
      for (const auto& row : f.source.rows_for(e, Date(2024, 6, 28))) {
        if (*row.market_cap >= 100'000'000'000) {
          expected.insert(row.ticker);
        }
      }
    }
    std::set<std::string> targets;
    for (const auto& t : store::TargetStore(f.db).list(true)) {
      targets.insert(t.ticker);
    }
    CHECK(!expected.empty());
    CHECK(expected.size() < 20);
    CHECK(targets == expected);
  }

  TEST_CASE("a declined plan stores nothing") {
    Fixture f;
    const auto r = f.setup(20, false);
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(r.run.outcome == state::RunOutcome::skipped);
    CHECK(store::PriceStore(f.db).stored_sessions(Date(2024, 1, 1), Date(2024, 12, 31)).empty());
    CHECK_FALSE(f.mark());
  }

  TEST_CASE("resumes after an interruption without refetching complete sessions") {
    Fixture f;
    // The first attempt stops at the daily call limit part-way.
    jobs::DbCallBudget small(f.db, f.clock, 30);
    f.source.set_budget(&small);
    jobs::ManualSetupOptions o;
    o.days = 20;
    o.confirm = [](const std::string&) { return true; };
    auto r = jobs::run_manual_setup(f.env, f.source, small, f.settings, o);
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(r.run.outcome == state::RunOutcome::partial);
    CHECK(r.summary.find("call limit") != std::string::npos);
    const auto stored =
        store::PriceStore(f.db).stored_sessions(Date(2024, 1, 1), Date(2024, 12, 31));
    CHECK(stored.size() > 0);
    CHECK(stored.size() < 20);
    // Oldest first: what is stored is the start of the window, so the mark covers it.
    CHECK(stored.front() == Date(2024, 5, 31));
    CHECK(f.mark() == stored.back());

    // The next day (a new KST day, a fresh quota) it resumes and completes.
    f.clock.set(test::kst(2024, 7, 2, 9));
    f.source.set_budget(&f.budget);
    f.source.clear_calls();
    r = f.setup(20);
    CHECK(r.exit_code == core::ExitCode::ok);
    for (const auto& d : stored) {
      CHECK_FALSE(f.source.days_called().contains(d));
    }
    // The latest published session is now 07-01 (published 07-02 08:00)... but the fake
    // only publishes up to 06-28, so the window still ends there.
    CHECK(f.mark() == Date(2024, 6, 28));
  }
}

TEST_SUITE("jobs.daily_update") {
  TEST_CASE("with no history it refuses with exit 2 and says to run manual_setup") {
    Fixture f;
    CHECK_THROWS_WITH_AS(f.daily(), doctest::Contains("manual_setup"), core::Error);
  }

  TEST_CASE("a reload before the source's first day is refused before anything is fetched") {
    Fixture f;
    // As the Open API has nothing before 2010-01-04: those days would wait for ever.
    f.source.set_first_day(Date(2024, 6, 3));
    jobs::DailyUpdateOptions o;
    o.from = Date(2024, 5, 30);
    o.to = Date(2024, 6, 5);
    CHECK_THROWS_WITH_AS(f.daily(o), doctest::Contains("is before 2024-06-03, the first day"),
                         core::Error);
    CHECK(f.source.calls().empty());
    CHECK(f.jobs.days("daily_update", Date(2024, 1, 1), Date(2024, 12, 31)).empty());
    o.from = Date(2024, 6, 3);
    CHECK(f.daily(o).exit_code == core::ExitCode::ok);
    CHECK(f.day_state(Date(2024, 6, 5)) == DayState::succeeded);
  }

  TEST_CASE("a backfill reaching before the source's first day is refused before any call") {
    Fixture f;
    f.source.set_first_day(Date(2024, 6, 3)); // 19 sessions to 06-28, 20 to 07-01's close
    CHECK_THROWS_WITH_AS(f.setup(25), doctest::Contains("use --days 20 or fewer"), core::Error);
    CHECK(f.source.calls().empty());
    CHECK(f.setup(19).exit_code == core::ExitCode::ok);
    CHECK(f.mark() == Date(2024, 6, 28));
  }

  TEST_CASE("walks every missing session up to today and waits for the unpublished one") {
    Fixture f;
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    // A week later: 07-02..07-05 are published, 07-08 (today, 19:00) is not.
    f.clock.set(test::kst(2024, 7, 8, 19));
    f.source.publish_until(Date(2024, 7, 5));
    f.source.clear_calls();
    const auto r = f.daily();
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(r.run.outcome == state::RunOutcome::succeeded);
    CHECK(f.mark() == Date(2024, 7, 5));
    CHECK(f.day_state(Date(2024, 7, 8)) == DayState::waiting);
    const std::set<Date> called = f.source.days_called();
    const auto expected = sessions(Date(2024, 7, 1), Date(2024, 7, 8));
    CHECK(called == std::set<Date>(expected.begin(), expected.end()));
    CHECK(r.summary.find("waiting for publication (2024-07-08)") != std::string::npos);
  }

  TEST_CASE("a day failing for good holds the mark before it, stores later days, exits 1") {
    Fixture f;
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    f.clock.set(test::kst(2024, 7, 8, 19));
    f.source.publish_until(Date(2024, 7, 5));
    f.source.fail(Endpoint::kosdaq_stocks, Date(2024, 7, 3), FailureKind::server_error);
    auto r = f.daily();
    CHECK(r.exit_code == core::ExitCode::failed);
    CHECK(r.summary.find("2024-07-03 FAILED") != std::string::npos);
    CHECK(f.mark() == Date(2024, 7, 2));
    CHECK(f.day_state(Date(2024, 7, 3)) == DayState::failed);
    CHECK(f.day_state(Date(2024, 7, 4)) == DayState::succeeded);
    CHECK(f.day_state(Date(2024, 7, 5)) == DayState::succeeded);
    CHECK(store::PriceStore(f.db).row_count(Date(2024, 7, 3), market::Market::kospi) == 0);
    // A WARN alert names the day.
    const auto alerts = store::AlertStore(f.db).list(false, 10);
    CHECK(std::any_of(alerts.begin(), alerts.end(), [](const store::Alert& a) {
      return a.rule == "ingest_day_failed" && a.message.find("2024-07-03") != std::string::npos;
    }));

    // The next run retries 07-03 first and does not refetch the complete days.
    f.source.clear_failures();
    f.source.clear_calls();
    r = f.daily();
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(f.source.calls().front().day == Date(2024, 7, 3));
    CHECK_FALSE(f.source.days_called().contains(Date(2024, 7, 4)));
    CHECK_FALSE(f.source.days_called().contains(Date(2024, 7, 5)));
    CHECK(f.mark() == Date(2024, 7, 5));
    CHECK(store::AlertStore(f.db).list(false, 10).empty());
  }

  TEST_CASE("a refused key stops the run at once and the result says so (the runner's krx_auth)") {
    Fixture f;
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    f.clock.set(test::kst(2024, 7, 8, 19));
    f.source.publish_until(Date(2024, 7, 5));
    f.source.fail(Endpoint::kospi_stocks, Date(2024, 7, 1), FailureKind::unauthorized);
    f.source.clear_calls();
    const auto r = f.daily();
    CHECK(r.exit_code == core::ExitCode::failed);
    CHECK(f.source.calls().size() == 1);
    REQUIRE(r.key_refused);
    CHECK_FALSE(r.key_refused->empty());
    CHECK(r.stored_nothing);
    // Run-level alerts are app::JobRunner's (test_app_job_runner.cpp): the job raised none.
    const auto alerts = store::AlertStore(f.db).list(false, 10);
    CHECK(std::none_of(alerts.begin(), alerts.end(),
                       [](const store::Alert& a) { return a.rule == "krx_auth"; }));
    CHECK(f.mark() == Date(2024, 6, 28));
  }

  TEST_CASE("manual_setup's probe reports a refused key too") {
    Fixture f;
    f.source.fail(Endpoint::kospi_stocks, Date(2024, 6, 28), FailureKind::not_approved);
    const auto r = f.setup(20);
    CHECK(r.exit_code == core::ExitCode::failed);
    REQUIRE(r.key_refused);
    CHECK_FALSE(r.stored_nothing);
  }

  TEST_CASE("a session still empty a day after its publication time raises an alert") {
    Fixture f;
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    // Tuesday 07-02 19:00: 07-01 was expected at 07-02 08:00 and is still empty: it waits,
    // but less than a day late, no alert.
    f.clock.set(test::kst(2024, 7, 2, 19));
    auto r = f.daily();
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(f.day_state(Date(2024, 7, 1)) == DayState::waiting);
    CHECK(store::AlertStore(f.db).list(false, 10).empty());
    // Wednesday 07-03 09:00: now more than a day late: an alert that names the holiday file.
    f.clock.set(test::kst(2024, 7, 3, 9));
    r = f.daily();
    CHECK(r.exit_code == core::ExitCode::ok);
    const auto alerts = store::AlertStore(f.db).list(false, 10);
    const auto unpublished = std::find_if(alerts.begin(), alerts.end(), [](const store::Alert& a) {
      return a.rule == "unpublished";
    });
    REQUIRE(unpublished != alerts.end());
    CHECK(unpublished->message.find("2024-07-01") != std::string::npos);
    CHECK(unpublished->message.find("holidays/2024.txt") != std::string::npos);
    // The mark (06-28) is also 2 sessions behind the latest published session (07-02): the
    // freshness rule the runner applies after every run.
    CHECK(app::check_freshness(f.env) == 2);
    CHECK(store::AlertStore(f.db).list(false, 10).size() == alerts.size() + 1);
    // Once it is published and stored, the alert resolves itself.
    f.source.publish_until(Date(2024, 7, 2));
    r = f.daily();
    CHECK(f.day_state(Date(2024, 7, 1)) == DayState::succeeded);
    CHECK(app::check_freshness(f.env) == 0);
    CHECK(store::AlertStore(f.db).list(false, 10).empty());
  }

  TEST_CASE("--max-days bounds one run, the rest is left for the next") {
    Fixture f;
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    f.clock.set(test::kst(2024, 7, 8, 19));
    f.source.publish_until(Date(2024, 7, 5));
    jobs::DailyUpdateOptions o;
    o.max_days = 2;
    const auto r = f.daily(o);
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(r.run.outcome == state::RunOutcome::partial);
    CHECK(f.mark() == Date(2024, 7, 2));
  }

  TEST_CASE("--from/--to reloads a range, replacing its rows") {
    Fixture f;
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    f.source.set_price_shift(7);
    f.source.clear_calls();
    jobs::DailyUpdateOptions o;
    o.from = Date(2024, 6, 26);
    o.to = Date(2024, 6, 27);
    const auto r = f.daily(o);
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(f.source.days_called() == std::set<Date>{Date(2024, 6, 26), Date(2024, 6, 27)});
    CHECK(f.mark() == Date(2024, 6, 28));
    CHECK(store::PriceStore(f.db).row_count(Date(2024, 6, 26), market::Market::kospi) == 10);
  }

  TEST_CASE("a running day left by a killed process is retried") {
    Fixture f;
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    f.clock.set(test::kst(2024, 7, 2, 19));
    f.source.publish_until(Date(2024, 7, 1));
    // A process died while working on 07-01.
    f.jobs.apply("daily_update", Date(2024, 7, 1), state::DayEvent::start, f.clock.now_kst());
    const auto r = f.daily();
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(f.day_state(Date(2024, 7, 1)) == DayState::succeeded);
    CHECK(f.jobs.day("daily_update", Date(2024, 7, 1))->attempts == 2);
    CHECK(f.mark() == Date(2024, 7, 1));
  }

  TEST_CASE("nothing to do is a skipped run with exit 0") {
    Fixture f;
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    f.clock.set(test::kst(2024, 6, 28, 20));
    f.source.clear_calls();
    const auto r = f.daily();
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(r.run.outcome == state::RunOutcome::skipped);
    CHECK(f.source.calls().empty());
  }
}

TEST_SUITE("jobs.daily_update") {
  TEST_CASE("sessions after the mark whose rows vanished are fetched again, and only those") {
    Fixture f;
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    // Someone deletes the last 3 sessions' rows and sets the mark back.
    f.db.execute("DELETE FROM daily_prices WHERE trade_date >= '2024-06-26'");
    f.db.execute("DELETE FROM index_prices WHERE trade_date >= '2024-06-26'");
    f.jobs.set_mark("daily_update", Date(2024, 6, 25), f.clock.now_kst());
    f.source.clear_calls();
    const auto r = f.daily();
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(f.source.days_called() == std::set<Date>{Date(2024, 6, 26), Date(2024, 6, 27),
                                                   Date(2024, 6, 28), Date(2024, 7, 1)});
    CHECK(f.mark() == Date(2024, 6, 28));
    CHECK(store::PriceStore(f.db).row_count(Date(2024, 6, 27), market::Market::kosdaq) == 10);
  }
}

// The staging table (docs/PERFORMANCE.md, "The staging table"): a multi-session run stages its
// sessions' price rows and merges them into daily_prices; a killed run's staged sessions are
// merged first by the next run.
TEST_SUITE("jobs.staging") {
  namespace {

  std::int64_t count(store::Database& db, const std::string& sql) {
    return db.impl().db.execAndGet(sql).getInt64();
  }

  // What a manual_setup of `days` sessions killed after its first `staged` sessions leaves:
  // those sessions committed (rows in the staging table, `succeeded`), no merge.
  void stage_like_a_killed_backfill(Fixture& f, int days, int staged) {
    const auto window = test::real_calendar().business_days(
        test::real_calendar().business_day_back(Date(2024, 6, 28), days - 1), Date(2024, 6, 28));
    store::MetaStore(f.db).set(store::k_meta_history_start, core::to_iso(window.front()));
    jobs::DayIngestor ingestor(f.env, f.source, f.settings, 0);
    ingestor.set_staging(true);
    for (int i = 0; i < staged; ++i) {
      REQUIRE(ingestor.ingest(window[static_cast<std::size_t>(i)]).kind ==
              jobs::DayOutcome::Kind::stored);
    }
  }

  } // namespace

  TEST_CASE("a killed backfill's staged sessions are merged first by the next run, and the result "
            "equals an uninterrupted run") {
    Fixture reference;
    REQUIRE(reference.setup(20).exit_code == core::ExitCode::ok);
    CHECK(count(reference.db, "SELECT count(*) FROM daily_prices_staging") == 0);

    Fixture f;
    stage_like_a_killed_backfill(f, 20, 9);
    CHECK(count(f.db, "SELECT count(DISTINCT trade_date) FROM daily_prices_staging") == 9);
    CHECK(count(f.db, "SELECT count(*) FROM daily_prices") == 0);
    // Staged sessions are stored sessions for the planner, but the mark waits for the merge:
    // readers outside the ingest lock see daily_prices only.
    CHECK(store::PriceStore(f.db).stored_sessions(Date(2024, 1, 1), Date(2024, 12, 31)).size() ==
          9);
    CHECK_FALSE(f.mark());

    f.source.clear_calls();
    const auto r = f.setup(20);
    CHECK(r.exit_code == core::ExitCode::ok);
    const auto called = f.source.days_called();
    const auto window = sessions(Date(2024, 5, 31), Date(2024, 6, 28));
    for (std::size_t i = 0; i < window.size(); ++i) {
      INFO(core::to_iso(window[i]));
      CHECK(called.contains(window[i]) == (i >= 9)); // the staged sessions are not fetched again
    }
    CHECK(count(f.db, "SELECT count(*) FROM daily_prices_staging") == 0);
    CHECK(count(f.db, "SELECT count(DISTINCT trade_date) FROM daily_prices") == 20);
    CHECK(f.mark() == Date(2024, 6, 28));
    CHECK(store::compute_digest(f.db).sha256 == store::compute_digest(reference.db).sha256);
  }

  TEST_CASE("a daily_update started over staged sessions merges them and moves the mark") {
    Fixture f;
    stage_like_a_killed_backfill(f, 20, 20);
    CHECK_FALSE(f.mark());
    f.clock.set(test::kst(2024, 6, 28, 20)); // nothing new to fetch
    const auto r = f.daily();
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(count(f.db, "SELECT count(*) FROM daily_prices_staging") == 0);
    CHECK(count(f.db, "SELECT count(DISTINCT trade_date) FROM daily_prices") == 20);
    CHECK(f.mark() == Date(2024, 6, 28));
  }

  TEST_CASE("a backfill merges whenever its staged sessions reach the session or the byte bound, "
            "and ends equal to a run that merges once") {
    Fixture reference;
    REQUIRE(reference.setup(20).exit_code == core::ExitCode::ok);
    const auto bounded = [&](int sessions, std::int64_t bytes) {
      Fixture f;
      f.settings.merge_every_sessions = sessions;
      f.settings.merge_staged_bytes = bytes;
      // What is staged when each session starts: a merge empties the staging table.
      std::int64_t most_sessions = 0;
      std::int64_t most_bytes = 0;
      f.source.on_call = [&](const test::FakeMarketSource::Call& c) {
        if (c.endpoint != fetch::Endpoint::kospi_stocks) {
          return;
        }
        most_sessions =
            std::max(most_sessions,
                     count(f.db, "SELECT count(DISTINCT trade_date) FROM daily_prices_staging"));
        most_bytes =
            std::max(most_bytes,
                     count(f.db, "SELECT ifnull(sum(length(rows)), 0) FROM daily_prices_staging"));
      };
      REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
      CHECK(count(f.db, "SELECT count(*) FROM daily_prices_staging") == 0);
      CHECK(f.mark() == Date(2024, 6, 28));
      CHECK(store::compute_digest(f.db).sha256 == store::compute_digest(reference.db).sha256);
      return std::pair(most_sessions, most_bytes);
    };
    // Unbounded: the sessions pile up until the end (the last one's stocks answer comes from
    // manual_setup's probe, before anything is staged: 18 are staged at the last call).
    const auto [all_sessions, all_bytes] = bounded(1000, std::int64_t{1} << 40);
    CHECK(all_sessions == 18);
    // Every 3 sessions: never more than 2 staged when a session starts.
    CHECK(bounded(3, std::int64_t{1} << 40).first == 2);
    // A byte bound of a quarter of the whole: the staged bytes stay under it.
    const auto quarter = all_bytes / 4;
    const auto [some_sessions, some_bytes] = bounded(1000, quarter);
    CHECK(some_bytes < quarter);
    CHECK(some_sessions >= 2);
    CHECK(some_sessions < 19);
  }

  TEST_CASE("against a slow network a backfill merges while the next sessions download, and ends "
            "equal to a run that merges once") {
    // 500 issues a market: each session's merge is estimated at a few milliseconds
    // (MergePacer::k_default_merge_s_per_row), the download of one at 10 ms (every reading of
    // the scripted clock), none of it on the thread.
    Fixture reference(500);
    REQUIRE(reference.setup(20).exit_code == core::ExitCode::ok);

    Fixture f(500);
    f.settings.pace_clock = scripted_pace(0.01, 0.0);
    f.settings.merge_overlap_sessions = 4;
    // The staged sessions when each session's first call is made.
    std::vector<std::pair<Date, std::int64_t>> staged;
    f.source.on_call = [&](const test::FakeMarketSource::Call& c) {
      if (c.endpoint == fetch::Endpoint::kospi_stocks) {
        staged.emplace_back(c.day, count(f.db, "SELECT count(DISTINCT trade_date) FROM "
                                               "daily_prices_staging"));
      }
    };
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    CHECK(count(f.db, "SELECT count(*) FROM daily_prices_staging") == 0);
    CHECK(f.mark() == Date(2024, 6, 28));
    CHECK(store::compute_digest(f.db).sha256 == store::compute_digest(reference.db).sha256);

    // The first call is the probe of the latest session, before anything is staged. A merge
    // before the end: the staged sessions drop to none between two sessions of the loop.
    const auto before_merge =
        std::adjacent_find(staged.begin(), staged.end(), [](const auto& a, const auto& b) {
          return a.second > 0 && b.second == 0;
        });
    REQUIRE(before_merge != staged.end());
    const auto day = std::next(before_merge)->first;
    CHECK(before_merge->second >= 2);
    CHECK(day < Date(2024, 6, 27)); // sessions were left to download during it
    // Before that merge (after the last call of the session before `day`), the run asked for
    // the next sessions: `day` itself was asked for already while the one before was written,
    // and the three after it (the queue of 4) now.
    const auto& ev = f.source.events;
    const auto previous = test::real_calendar().previous_business_day(day);
    const auto last_call =
        std::find(ev.begin(), ev.end(), "kosdaq_dd_trd " + core::to_iso(previous));
    const auto first_call = std::find(ev.begin(), ev.end(), "stk_bydd_trd " + core::to_iso(day));
    REQUIRE(last_call < first_call);
    auto next = day;
    for (int k = 0; k < 3; ++k) {
      next = test::real_calendar().next_business_day(next);
      INFO(core::to_iso(next));
      CHECK(std::find(last_call, first_call, "ahead kospi_dd_trd " + core::to_iso(next)) !=
            first_call);
    }
  }

  TEST_CASE("a merge while the next sessions download also moves its pages into the database "
            "file, so that little is left for the end") {
    test::TempDir dir;
    const auto path = (dir / "krxbatch.db").string();
    Fixture f(500, path);
    f.settings.pace_clock = scripted_pace(0.01, 0.0); // as in the test above
    f.settings.merge_overlap_sessions = 4;
    // The database file's size and the staged sessions when each session's first call is made.
    std::vector<std::pair<std::uintmax_t, std::int64_t>> seen;
    f.source.on_call = [&](const test::FakeMarketSource::Call& c) {
      if (c.endpoint == fetch::Endpoint::kospi_stocks) {
        seen.emplace_back(
            std::filesystem::file_size(path),
            count(f.db, "SELECT count(DISTINCT trade_date) FROM daily_prices_staging"));
      }
    };
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    const auto merged =
        std::adjacent_find(seen.begin(), seen.end(), [](const auto& a, const auto& b) {
          return a.second > 0 && b.second == 0;
        });
    REQUIRE(merged != seen.end());
    // The ingestion's WAL holds up to 16384 pages before it checkpoints by itself: only the
    // merge's own checkpoint puts ~10 sessions of 1,000 rows into the file at that point.
    const auto before = merged->first;
    const auto after = std::next(merged)->first;
    CHECK(after > before + 256 * 1024);
  }

  TEST_CASE("a run that never waits for answers merges at its end only, however slow the merge") {
    Fixture f(500);
    f.settings.pace_clock = scripted_pace(0.01, 0.01); // every second on the thread
    f.settings.merge_overlap_sessions = 4;
    std::int64_t most = 0;
    bool dropped = false;
    f.source.on_call = [&](const test::FakeMarketSource::Call& c) {
      if (c.endpoint == fetch::Endpoint::kospi_stocks) {
        const auto now = count(f.db, "SELECT count(DISTINCT trade_date) FROM daily_prices_staging");
        dropped = dropped || now < most;
        most = std::max(most, now);
      }
    };
    REQUIRE(f.setup(20).exit_code == core::ExitCode::ok);
    CHECK_FALSE(dropped);
    CHECK(most == 18);
    CHECK(count(f.db, "SELECT count(*) FROM daily_prices_staging") == 0);
  }

  TEST_CASE("a reload of a staged day replaces it in both tables") {
    // At the store: the day leaves the staging table whichever table its new rows go to.
    Fixture f;
    const Date day(2024, 6, 27);
    const auto first = f.source.rows_for(Endpoint::kospi_stocks, day);
    store::PriceStore prices(f.db);
    prices.replace_day(day, first, {}, {}, f.clock.now_kst(), store::PriceTable::staging);
    CHECK(prices.row_count(day, market::Market::kospi) == 10);
    f.source.set_price_shift(7);
    const auto second = f.source.rows_for(Endpoint::kospi_stocks, day);
    prices.replace_day(day, second, {}, {}, f.clock.now_kst());
    CHECK(prices.row_count(day, market::Market::kospi) == 10);
    CHECK(count(f.db, "SELECT count(*) FROM daily_prices_staging") == 0);
    prices.replace_day(day, first, {}, {}, f.clock.now_kst(), store::PriceTable::staging);
    CHECK(prices.row_count(day, market::Market::kospi) == 10);
    CHECK(count(f.db, "SELECT count(*) FROM daily_prices") == 0);

    // Through the job: `daily_update --from D --to D` over a staged D.
    Fixture g;
    stage_like_a_killed_backfill(g, 20, 20);
    g.source.set_price_shift(7);
    jobs::DailyUpdateOptions o;
    o.from = day;
    o.to = day;
    REQUIRE(g.daily(o).exit_code == core::ExitCode::ok);
    CHECK(count(g.db, "SELECT count(*) FROM daily_prices_staging") == 0);
    CHECK(count(g.db, "SELECT count(*) FROM daily_prices WHERE trade_date = '2024-06-27'") == 20);
    std::int64_t served = 0;
    for (auto e : {Endpoint::kospi_stocks, Endpoint::kosdaq_stocks}) {
      for (const auto& row : g.source.rows_for(e, day)) {
        served += *row.close;
      }
    }
    CHECK(count(g.db, "SELECT sum(close) FROM daily_prices WHERE trade_date = '2024-06-27'") ==
          served);
  }

  TEST_CASE("one oversized session does not make the normal sessions after it look partial") {
    Fixture f;
    // One run walks 06-24..06-28; KRX's answer for 06-26 has 2.5 times the market's issues
    // (25 per market instead of 10). The sessions after it are compared with the median of
    // the recent ones, not with that one.
    test::FakeMarketSource oversized{25};
    SwitchingSource source(f.source);
    jobs::DayIngestor ingestor(f.env, source, f.settings, 0);
    for (const Date d : {Date(2024, 6, 24), Date(2024, 6, 25)}) {
      REQUIRE(ingestor.ingest(d).kind == jobs::DayOutcome::Kind::stored);
    }
    source.use(oversized);
    REQUIRE(ingestor.ingest(Date(2024, 6, 26)).kind == jobs::DayOutcome::Kind::stored);
    source.use(f.source);
    CHECK(ingestor.ingest(Date(2024, 6, 27)).kind == jobs::DayOutcome::Kind::stored);
    // A later run reads the recent counts from the database.
    jobs::DayIngestor later(f.env, f.source, f.settings, 0);
    const auto out = later.ingest(Date(2024, 6, 28));
    INFO(out.message);
    CHECK(out.kind == jobs::DayOutcome::Kind::stored);
  }

  TEST_CASE("validation compares a session with the previous one while it is still staged") {
    Fixture f;
    const Date previous(2024, 6, 27);
    // The previous session had 25 issues per market; the next answers 10 (a partial answer).
    test::FakeMarketSource bigger{25};
    std::vector<market::PriceRow> rows = bigger.rows_for(Endpoint::kospi_stocks, previous);
    const auto kosdaq = bigger.rows_for(Endpoint::kosdaq_stocks, previous);
    rows.insert(rows.end(), kosdaq.begin(), kosdaq.end());
    store::PriceStore(f.db).replace_day(previous, rows, {}, {}, f.clock.now_kst(),
                                        store::PriceTable::staging);
    jobs::DayIngestor ingestor(f.env, f.source, f.settings, 0);
    ingestor.set_staging(true);
    const auto out = ingestor.ingest(Date(2024, 6, 28));
    CHECK(out.kind == jobs::DayOutcome::Kind::failed);
    CHECK(out.message.find("recent sessions had 25") != std::string::npos);
    CHECK(count(f.db, "SELECT count(*) FROM daily_prices_staging WHERE trade_date = "
                      "'2024-06-28'") == 0);
  }
}

TEST_SUITE("jobs.prefetch") {
  namespace {
  // The four calls of `day`, as FakeMarketSource's events name them.
  std::vector<std::string> calls_of(const Date& day, const std::string& prefix = "") {
    std::vector<std::string> out;
    for (const auto* api : {"stk_bydd_trd", "ksq_bydd_trd", "kospi_dd_trd", "kosdaq_dd_trd"}) {
      out.push_back(prefix + api + " " + core::to_iso(day));
    }
    return out;
  }

  // A fixture whose daily_update has the three sessions 2024-07-01..03 to walk.
  struct ThreeSessions : Fixture {
    ThreeSessions() {
      REQUIRE(setup(5).exit_code == core::ExitCode::ok);
      source.publish_until(Date(2024, 7, 3));
      clock.set(test::kst(2024, 7, 3, 20));
      source.events.clear();
    }
  };
  } // namespace

  TEST_CASE("each session's calls are asked for ahead, once the previous session is in hand, "
            "and counted once") {
    ThreeSessions f;
    const auto before = f.budget.used_today();
    REQUIRE(f.daily().exit_code == core::ExitCode::ok);
    // The first session's calls go one by one: nothing has answered this run yet.
    std::vector<std::string> expected = calls_of(Date(2024, 7, 1));
    for (const auto& day : {Date(2024, 7, 2), Date(2024, 7, 3)}) {
      for (const auto& e : calls_of(day, "ahead ")) {
        expected.push_back(e);
      }
      for (const auto& e : calls_of(day)) {
        expected.push_back(e);
      }
    }
    // Nothing is asked past the last session.
    CHECK(f.source.events == expected);
    CHECK(f.budget.used_today() - before == 12);
    CHECK(f.mark() == Date(2024, 7, 3));
  }

  TEST_CASE("a session that failed does not ask for the next one, which is then called as usual") {
    ThreeSessions f;
    f.source.fail(Endpoint::kospi_stocks, Date(2024, 7, 2), fetch::FailureKind::server_error);
    const auto r = f.daily();
    CHECK(r.exit_code == core::ExitCode::failed);
    for (const auto& e : calls_of(Date(2024, 7, 3), "ahead ")) {
      CHECK(std::find(f.source.events.begin(), f.source.events.end(), e) == f.source.events.end());
    }
    CHECK(f.day_state(Date(2024, 7, 3)) == DayState::succeeded);
  }

  TEST_CASE("once manual_setup's probe has answered, the first session's calls are asked for at "
            "once") {
    Fixture f;
    REQUIRE(f.setup(3).exit_code == core::ExitCode::ok);
    const auto& ev = f.source.events;
    // The probe (07-01 is not published yet, 06-28 is), the latest session's KOSDAQ answer,
    // then the whole first session ahead.
    const std::vector<std::string> probe{"stk_bydd_trd 2024-07-01", "stk_bydd_trd 2024-06-28",
                                         "ksq_bydd_trd 2024-06-28"};
    REQUIRE(ev.size() >= 7);
    CHECK(std::vector<std::string>(ev.begin(), ev.begin() + 3) == probe);
    CHECK(std::vector<std::string>(ev.begin() + 3, ev.begin() + 7) ==
          calls_of(Date(2024, 6, 26), "ahead "));
  }

  TEST_CASE("the probe's session has its index calls asked for ahead like any other session, "
            "and its probed answers are not asked for again") {
    Fixture f;
    REQUIRE(f.setup(3).exit_code == core::ExitCode::ok);
    const auto& ev = f.source.events;
    const auto at = [&](const std::string& e) {
      return std::find(ev.begin(), ev.end(), e) - ev.begin();
    };
    const auto n = static_cast<std::ptrdiff_t>(ev.size());
    for (const auto* api : {"kospi_dd_trd", "kosdaq_dd_trd"}) {
      const std::string call = std::string(api) + " 2024-06-28";
      REQUIRE(at("ahead " + call) < n);
      // Asked for while the session before it was written, not when its turn came.
      CHECK(at("ahead " + call) < at(call));
    }
    CHECK(at("ahead stk_bydd_trd 2024-06-28") == n);
    CHECK(at("ahead ksq_bydd_trd 2024-06-28") == n);
    CHECK(std::count(ev.begin(), ev.end(), "ksq_bydd_trd 2024-06-28") == 1);
  }

  TEST_CASE("the daily call limit stops the run where it would without asking ahead") {
    ThreeSessions f;
    // Room for 10 more calls: two whole sessions; the third is not asked for, ahead or not.
    jobs::DbCallBudget small(f.db, f.clock, f.budget.used_today() + 10);
    f.source.set_budget(&small);
    const auto before = small.used_today();
    const auto r = jobs::run_daily_update(f.env, f.source, small, f.settings, {});
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(r.run.outcome == state::RunOutcome::partial);
    CHECK(small.used_today() - before == 8);
    CHECK(f.day_state(Date(2024, 7, 2)) == DayState::succeeded);
    CHECK(f.day_state(Date(2024, 7, 3)) == DayState::pending);
    for (const auto& e : f.source.events) {
      CHECK(e.find("2024-07-03") == std::string::npos);
    }
  }
}
