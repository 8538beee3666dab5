// hourly_analysis over a small synthetic market in a temporary database file: the queue
// order, the quota and the budget (with a fake monotonic clock), resuming, ranking, failures,
// --ticker, and the same results whatever the threads and chunks.
#include "krxbatch/jobs/hourly_analysis.hpp"
#include "krxbatch/store/analysis_store.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/util/clock.hpp"

#include "store/sqlite_access.hpp"
#include "support.hpp"
#include "support/synthetic_market.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <set>

using namespace krxbatch;
using core::Date;
using state::RunOutcome;

namespace {

const Date k_session(2024, 7, 1);

// A market of `tickers` issues over `sessions` sessions ending on 2024-07-01, in a file.
struct Market {
  explicit Market(std::size_t tickers = 12, std::size_t sessions = 140,
                  std::function<std::size_t(std::size_t)> listed_from = {})
      : db((dir / "krx.db").string()), clock(test::kst(2024, 7, 2, 9)) {
    const auto& cal = test::real_calendar();
    test::SyntheticMarket m;
    m.tickers = tickers;
    m.sessions = cal.business_days(cal.business_day_back(k_session, static_cast<int>(sessions) - 1),
                                   k_session);
    m.listed_from = std::move(listed_from);
    test::write_synthetic_market(db, m);
  }

  jobs::JobEnv env() { return {db, test::real_calendar(), clock}; }

  jobs::JobResult run(jobs::HourlyAnalysisOptions options = {}) {
    options.budget.reset();
    return jobs::run_hourly_analysis(env(), options);
  }

  // The tickers of the session's analysis_results rows.
  std::set<std::string> analysed() {
    std::set<std::string> out;
    for (const auto& r : store::AnalysisStore(db).rows(k_session)) {
      out.insert(r.ticker);
    }
    return out;
  }

  // The targets by market cap on the session, largest first (as the universe query sorts).
  std::vector<std::string> by_cap() {
    const std::vector<market::Market> markets = {market::Market::kospi, market::Market::kosdaq};
    std::vector<std::string> out;
    for (const auto& c : store::TargetStore(db).candidates(k_session, 0, markets)) {
      out.push_back(c.ticker);
    }
    return out;
  }

  store::JobStatus status() { return store::JobStore(db).job("hourly_analysis"); }

  test::TempDir dir;
  store::Database db;
  util::FixedClock clock;
};

jobs::HourlyAnalysisOptions with_quota(std::int64_t n) {
  jobs::HourlyAnalysisOptions o;
  o.quota = n;
  return o;
}

// A monotonic clock that moves one second each time it is read.
struct TickingClock {
  std::shared_ptr<std::atomic<int>> reads = std::make_shared<std::atomic<int>>(0);
  jobs::RunBudget::TimePoint start{};
  jobs::RunBudget::Now now() const {
    return [reads = reads, start = start] { return start + std::chrono::seconds(++*reads); };
  }
};

} // namespace

TEST_SUITE("jobs.hourly_analysis") {
  TEST_CASE("the quota takes the largest market caps on the session first") {
    Market m;
    const auto result = m.run(with_quota(4));
    CHECK(result.exit_code == core::ExitCode::ok);
    CHECK(result.run.outcome == RunOutcome::partial);
    CHECK(result.run.items_done == 4);
    CHECK(result.run.items_remaining == 8);
    const auto order = m.by_cap();
    CHECK(m.analysed() == std::set<std::string>(order.begin(), order.begin() + 4));
    CHECK(result.summary.find("4 analysed, 0 failed, 8 remaining of 12 targets") !=
          std::string::npos);
    CHECK(result.summary.find("quota of 4 reached") != std::string::npos);
    CHECK(m.status().state == "partial");
    CHECK_FALSE(m.status().last_success_date);
    // Nothing is ranked before the last target is analysed.
    for (const auto& r : store::AnalysisStore(m.db).rows(k_session)) {
      CHECK(std::isnan(r.score));
      CHECK_FALSE(r.ranked_at);
    }

    const auto next = m.run(with_quota(4));
    CHECK(next.run.items_done == 4);
    CHECK(m.analysed() == std::set<std::string>(order.begin(), order.begin() + 8));
  }

  TEST_CASE("the run that analyses the last target ranks the session and sets the mark") {
    Market m(12, 140, [](std::size_t i) -> std::size_t { return i == 5 ? 100 : 0; });
    CHECK(m.run(with_quota(5)).run.outcome == RunOutcome::partial);
    const auto last = m.run();
    CHECK(last.exit_code == core::ExitCode::ok);
    CHECK(last.run.outcome == RunOutcome::succeeded);
    CHECK(last.run.items_done == 7);
    CHECK(last.run.items_remaining == 0);
    CHECK(last.summary.find("session ranked (11 eligible)") != std::string::npos);
    CHECK(m.status().last_success_date == k_session);
    CHECK(m.status().state == "succeeded");

    const auto rows = store::AnalysisStore(m.db).rows(k_session);
    REQUIRE(rows.size() == 12);
    std::vector<double> scores;
    for (const auto& r : rows) {
      CAPTURE(r.ticker);
      CHECK(r.ranked_at);
      if (r.ticker == test::synthetic_ticker(5)) {
        // Listed 40 sessions ago: flagged, not failed, not scored.
        CHECK_FALSE(r.eligible);
        CHECK(r.flags == "short_history");
        CHECK_FALSE(r.error);
        CHECK(r.bars == 40);
        CHECK(std::isnan(r.score));
        continue;
      }
      CHECK(r.eligible);
      CHECK(r.flags == "partial_history"); // 140 bars
      CHECK(r.bars == 140);
      CHECK(r.score >= 0.0);
      CHECK(r.score <= 100.0);
      scores.push_back(r.score);
    }
    // Re-ranked to 0–100: the best is 100, the worst 0.
    CHECK(*std::max_element(scores.begin(), scores.end()) == 100.0);
    CHECK(*std::min_element(scores.begin(), scores.end()) == 0.0);
    for (const auto& t : store::TargetStore(m.db).list(true)) {
      CHECK(t.last_analyzed_date == k_session);
    }
  }

  TEST_CASE("a run after the session is ranked does nothing") {
    Market m(6);
    REQUIRE(m.run().run.outcome == RunOutcome::succeeded);
    const auto before = store::AnalysisStore(m.db).rows(k_session);
    m.clock.set(test::kst(2024, 7, 2, 10));
    const auto again = m.run();
    CHECK(again.exit_code == core::ExitCode::ok);
    CHECK(again.run.outcome == RunOutcome::skipped);
    CHECK(again.summary.find("nothing to do") != std::string::npos);
    const auto after = store::AnalysisStore(m.db).rows(k_session);
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
      CHECK(after[i].computed_at == before[i].computed_at);
      CHECK(after[i].ranked_at == before[i].ranked_at);
    }
    CHECK(m.status().state == "skipped");
    CHECK(m.status().last_success_date == k_session);
  }

  TEST_CASE("a budget that runs out between stocks commits a prefix and the next run resumes") {
    Market m;
    TickingClock ticks;
    jobs::HourlyAnalysisOptions o;
    o.started = ticks.start;
    o.monotonic_now = ticks.now();
    o.budget = std::chrono::seconds(6);
    o.threads = 1;
    const auto first = jobs::run_hourly_analysis(m.env(), o);
    CHECK(first.exit_code == core::ExitCode::ok);
    CHECK(first.run.outcome == RunOutcome::partial);
    const auto done = *first.run.items_done;
    CHECK(done > 0);
    CHECK(done < 6);
    CHECK(first.summary.find("time budget") != std::string::npos);
    const auto order = m.by_cap();
    CHECK(m.analysed() == std::set<std::string>(order.begin(), order.begin() + done));
    const auto committed = store::AnalysisStore(m.db).rows(k_session);

    m.clock.set(test::kst(2024, 7, 2, 10));
    const auto second = m.run();
    CHECK(second.run.outcome == RunOutcome::succeeded);
    CHECK(second.run.items_done == 12 - done);
    // The stocks of the first run were not redone.
    for (const auto& r : committed) {
      CHECK(store::AnalysisStore(m.db).row(r.ticker, k_session)->computed_at == r.computed_at);
    }
  }

  TEST_CASE("a zero budget analyses nothing and records a partial run") {
    Market m(4);
    jobs::HourlyAnalysisOptions o;
    o.budget = std::chrono::milliseconds(0);
    const auto r = jobs::run_hourly_analysis(m.env(), o);
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(r.run.outcome == RunOutcome::partial);
    CHECK(r.run.items_done == 0);
    CHECK(r.run.items_remaining == 4);
    CHECK(m.analysed().empty());
    CHECK(m.status().state == "partial");
  }

  TEST_CASE("without daily_update's mark the run stops with a usage error naming manual_setup") {
    test::TempDir dir;
    store::Database db((dir / "empty.db").string());
    util::FixedClock clock(test::kst(2024, 7, 2, 9));
    jobs::JobEnv env{db, test::real_calendar(), clock};
    try {
      jobs::run_hourly_analysis(env, {});
      FAIL("expected an error");
    } catch (const core::Error& e) {
      CHECK(e.code() == core::ExitCode::usage);
      CHECK(std::string(e.what()).find("manual_setup") != std::string::npos);
    }
    CHECK(store::JobStore(db).runs("hourly_analysis", 5).empty());
  }

  TEST_CASE("when daily_update is behind, its mark is analysed and the summary says why") {
    Market m(4);
    m.clock.set(test::kst(2024, 7, 4, 9)); // 2024-07-03 is published by now
    const auto r = m.run();
    CHECK(r.run.outcome == RunOutcome::succeeded);
    CHECK(r.summary.find("daily_update has not completed 2024-07-03; analysing 2024-07-01") !=
          std::string::npos);
    CHECK(m.analysed().size() == 4);
    CHECK(store::AnalysisStore(m.db).rows(Date(2024, 7, 3)).empty());
    CHECK(m.status().last_success_date == k_session);
  }

  TEST_CASE("stocks that cannot be analysed are recorded, leave the queue, and fail the run") {
    Market m(4);
    // Two targets without any price: half of the universe.
    {
      std::vector<store::UniverseCandidate> c;
      for (const auto& t : store::TargetStore(m.db).list(true)) {
        c.push_back({t.ticker, t.name, market::Market::kospi, t.market_cap});
      }
      c.push_back({"99999A", "ghost a", market::Market::kospi, 1});
      c.push_back({"99999B", "ghost b", market::Market::kosdaq, 1});
      store::Database::Transaction txn(m.db);
      store::TargetStore(m.db).apply_universe(k_session, c);
      txn.commit();
    }
    const auto r = m.run();
    CHECK(r.exit_code == core::ExitCode::failed);
    CHECK(r.run.outcome == RunOutcome::failed);
    CHECK(r.run.items_done == 6);
    CHECK(r.summary.find("2 failed") != std::string::npos);
    CHECK(r.summary.find("first error: 99999A: no prices stored") != std::string::npos);
    // The failures do not block the session: it is complete and ranked.
    CHECK(m.status().last_success_date == k_session);
    const auto ghost = store::AnalysisStore(m.db).row("99999A", k_session);
    REQUIRE(ghost);
    CHECK(ghost->error);
    CHECK(std::isnan(ghost->score));
    for (const auto& t : store::TargetStore(m.db).list(true)) {
      CHECK(t.last_analyzed_date == k_session);
      CHECK(t.last_error.has_value() == (t.ticker.starts_with("99999")));
    }
    // 2 of 6 is above 30 %: a WARN alert.
    const auto alerts = store::AlertStore(m.db).list(false, 10);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].severity == store::AlertSeverity::warn);
    CHECK(alerts[0].rule == "analysis_failure_rate");
    CHECK(alerts[0].message.find("2 of 6 stocks (33%) failed on 2024-07-01") != std::string::npos);
  }

  TEST_CASE("--ticker recomputes one stock and ranks a ranked session again") {
    Market m(6);
    REQUIRE(m.run().run.outcome == RunOutcome::succeeded);
    const auto target = m.by_cap().back();
    const auto before = store::AnalysisStore(m.db).rows(k_session);
    // The session's close of the smallest stock is corrected to a new high.
    m.db.execute("UPDATE daily_prices SET close = close * 3 WHERE ticker = '" + target +
                 "' AND trade_date = '2024-07-01'");
    m.clock.set(test::kst(2024, 7, 2, 11));
    jobs::HourlyAnalysisOptions o;
    o.ticker = target;
    const auto r = m.run(o);
    CHECK(r.exit_code == core::ExitCode::ok);
    CHECK(r.run.outcome == RunOutcome::succeeded);
    CHECK(r.summary.find("session ranked again") != std::string::npos);
    for (const auto& old : before) {
      const auto now = store::AnalysisStore(m.db).row(old.ticker, k_session);
      CAPTURE(old.ticker);
      CHECK(now->ranked_at == core::to_iso(test::kst(2024, 7, 2, 11)));
      if (old.ticker == target) {
        CHECK(now->close == 3 * old.close);
        CHECK(now->computed_at != old.computed_at);
      } else {
        CHECK(now->computed_at == old.computed_at);
      }
      CHECK(now->score >= 0.0);
    }
    CHECK(m.status().last_success_date == k_session);

    o.ticker = "00000X";
    CHECK_THROWS_AS(m.run(o), core::Error);
  }

  TEST_CASE("threads and chunk sizes do not change a single stored value") {
    Market one(10, 260);
    Market many(10, 260);
    jobs::HourlyAnalysisOptions o;
    o.threads = 1;
    REQUIRE(one.run(o).run.outcome == RunOutcome::succeeded);
    o.threads = 3;
    o.load_chunk = 3;
    o.batch_size = 2;
    REQUIRE(many.run(o).run.outcome == RunOutcome::succeeded);
    const auto a = store::AnalysisStore(one.db).rows(k_session);
    const auto b = store::AnalysisStore(many.db).rows(k_session);
    REQUIRE(a.size() == b.size());
    const auto same = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
    for (std::size_t i = 0; i < a.size(); ++i) {
      CAPTURE(a[i].ticker);
      CHECK(a[i].ticker == b[i].ticker);
      CHECK(same(a[i].score, b[i].score));
      CHECK(same(a[i].composite_raw, b[i].composite_raw));
      for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
        CHECK(same(a[i].factors[f], b[i].factors[f]));
      }
      for (std::size_t k = 0; k < analysis::k_indicator_count; ++k) {
        CHECK(same(a[i].indicators[k], b[i].indicators[k]));
      }
    }
  }

  TEST_CASE("a run left running by a killed process is recovered and the queue goes on") {
    Market m(5);
    REQUIRE(m.run(with_quota(2)).run.outcome == RunOutcome::partial);
    // A run that died: its row stays 'running'.
    store::JobStore(m.db).begin_run("hourly_analysis", m.clock.now_kst(), 4242, "");
    CHECK(m.status().state == "running");
    const auto r = m.run();
    CHECK(r.run.outcome == RunOutcome::succeeded);
    CHECK(r.run.items_done == 3);
    const auto runs = store::JobStore(m.db).runs("hourly_analysis", 5);
    REQUIRE(runs.size() == 3);
    CHECK(runs[1].outcome == RunOutcome::failed);
    CHECK(runs[1].summary.message.find("interrupted") != std::string::npos);
  }

  TEST_CASE("a run that throws sets the connection's checkpoint interval back and records the "
            "failure") {
    Market m(5);
    const auto interval = [&] {
      return m.db.impl().db.execAndGet("PRAGMA wal_autocheckpoint").getInt64();
    };
    const auto before = interval();
    jobs::HourlyAnalysisOptions o;
    o.after_write = [&](std::size_t written) {
      CHECK(interval() > before); // raised for the run
      if (written == 2) {
        throw std::runtime_error("disk on fire");
      }
    };
    CHECK_THROWS_WITH_AS(m.run(o), "disk on fire", std::runtime_error);
    CHECK(interval() == before);
    CHECK(m.status().state == "failed");
  }
}
