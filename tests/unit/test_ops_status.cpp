#include "krxbatch/ops/status_report.hpp"
#include "krxbatch/store/job_store.hpp"

#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace krxbatch;
using core::Date;
using state::DayEvent;

namespace {

// A database in which daily_update's mark is 2024-07-01, 07-02 failed twice, 07-03 waits, one
// run is recorded, two alerts are open (one closed), and 3 of 4 targets are analysed for 07-01.
struct Prepared {
  store::Database db{":memory:"};
  core::KstTime now = test::kst(2024, 7, 4, 8, 30);

  Prepared() {
    store::JobStore jobs(db);
    const auto t = test::kst(2024, 7, 3, 19);
    jobs.set_mark(store::k_job_daily_update, Date(2024, 7, 1), t);
    const auto run = jobs.begin_run(store::k_job_daily_update, t, 42, "daily_update");
    for (int i = 0; i < 2; ++i) {
      jobs.apply(store::k_job_daily_update, Date(2024, 7, 2), DayEvent::start, t, {}, {}, run);
      jobs.apply(store::k_job_daily_update, Date(2024, 7, 2), DayEvent::fail, t, "HTTP 500");
    }
    jobs.apply(store::k_job_daily_update, Date(2024, 7, 3), DayEvent::start, t, {}, {}, run);
    jobs.apply(store::k_job_daily_update, Date(2024, 7, 3), DayEvent::wait, t, "not published");
    store::RunSummary s;
    s.outcome = state::RunOutcome::failed;
    s.session_from = Date(2024, 7, 2);
    s.session_to = Date(2024, 7, 3);
    s.rows_written = 0;
    s.items_remaining = 2;
    s.api_calls = 6;
    s.duration_ms = 2500;
    s.message = "0 session(s) stored";
    jobs.finish_run(run, s, t);
    store::AlertStore alerts(db);
    alerts.raise(store::AlertSeverity::warn, "daily_update", "ingest_day_failed", "07-02 failed",
                 "k1", t);
    alerts.raise(store::AlertSeverity::critical, "daily_update", "run_failed", "stored nothing",
                 "k2", t);
    alerts.raise(store::AlertSeverity::info, "daily_update", "x", "old", "k3", t);
    alerts.resolve("k3", t);
    db.execute("INSERT INTO target_tickers (ticker, name, market, market_cap, universe_date, "
               "added_date, last_analyzed_date, active) VALUES "
               "('000010','A','KOSPI',5,'2024-07-01','2024-07-01','2024-07-01',1),"
               "('000020','B','KOSPI',4,'2024-07-01','2024-07-01','2024-07-01',1),"
               "('000030','C','KOSPI',3,'2024-07-01','2024-07-01','2024-07-01',1),"
               "('000040','D','KOSPI',2,'2024-07-01','2024-07-01','2024-06-28',1),"
               "('000050','E','KOSPI',1,'2024-07-01','2024-07-01',NULL,0)");
    // C's analysis for the session stored an error.
    db.execute("UPDATE target_tickers SET last_error = 'no bars' WHERE ticker = '000030'");
    db.execute("INSERT INTO analysis_results (ticker, as_of_date, error) VALUES "
               "('000010', '2024-07-01', NULL), ('000020', '2024-07-01', NULL), "
               "('000030', '2024-07-01', 'no bars'), ('000040', '2024-06-28', NULL)");
    // 06-28 was ranked before; a reload of 06-27 made it pending again.
    db.execute("INSERT INTO analysis_sessions (session, state, reason, updated_at) VALUES "
               "('2024-06-28', 'pending', 'reload of 2024-06-27', 'x')");
    db.execute("INSERT INTO api_calls (kst_date, calls) VALUES ('2024-07-04', 8), "
               "('2024-07-03', 99)");
  }

  ops::StatusReport report() {
    ops::StatusOptions o;
    o.krx_daily_limit = 100;
    o.running = [](std::string_view job) -> std::optional<bool> {
      return job == "hourly_analysis";
    };
    return ops::build_status(db, test::real_calendar(), now, o);
  }
};

std::vector<std::string> keys(const nlohmann::ordered_json& j) {
  std::vector<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    out.push_back(it.key());
  }
  return out;
}

} // namespace

TEST_SUITE("ops.status") {
  TEST_CASE("the report reads marks, runs, days, analysis progress, alerts and KRX calls") {
    Prepared p;
    const auto r = p.report();
    CHECK(r.latest_published_session == Date(2024, 7, 3));
    REQUIRE(r.jobs.size() == 3);
    const auto& daily = r.jobs[1];
    CHECK(daily.job == "daily_update");
    CHECK(daily.sessions_behind == 2);
    CHECK(daily.running == false);
    CHECK(r.jobs[2].running == true);
    // The close of the mark's session, 2024-07-01 15:30 KST.
    CHECK(daily.last_success_unix == 1719815400);
    REQUIRE(daily.last_run);
    CHECK(daily.last_run->outcome == "failed");
    CHECK(daily.last_run->duration_ms == 2500);
    REQUIRE(daily.days.size() == 2);
    CHECK(daily.days[0].date == Date(2024, 7, 2));
    CHECK(daily.days[0].state == "failed");
    CHECK(daily.days[0].attempts == 2);
    CHECK(daily.days[1].state == "waiting");
    CHECK(r.analysis.session == Date(2024, 7, 1));
    CHECK(r.analysis.targets == 4);
    CHECK(r.analysis.done == 3);
    CHECK(r.analysis.remaining == 1);
    CHECK(r.analysis.failed == 1);
    CHECK_FALSE(r.analysis.ranked);
    // Every session still to score, newest first, with scored / remaining.
    REQUIRE(r.analysis.incomplete.size() == 2);
    CHECK(r.analysis.incomplete[0].session == Date(2024, 7, 1));
    CHECK(r.analysis.incomplete[0].scored == 3);
    CHECK(r.analysis.incomplete[0].remaining == 1);
    CHECK_FALSE(r.analysis.incomplete[0].reason);
    CHECK(r.analysis.incomplete[1].session == Date(2024, 6, 28));
    CHECK(r.analysis.incomplete[1].scored == 1);
    CHECK(r.analysis.incomplete[1].remaining == 3);
    CHECK(r.analysis.incomplete[1].reason == "reload of 2024-06-27");
    CHECK(r.open_alerts.total() == 2);
    CHECK(r.open_alerts.critical == 1);
    CHECK(r.newest_alerts.size() == 2);
    CHECK(r.krx_calls_today == 8);
    CHECK(r.quality_since == Date(2024, 6, 27));
  }

  TEST_CASE("the JSON has its documented fields in a stable order") {
    Prepared p;
    const auto j = nlohmann::ordered_json::parse(ops::status_json(p.report()));
    CHECK(keys(j) == std::vector<std::string>{"database", "schema_version", "now",
                                              "latest_published_session", "jobs", "analysis",
                                              "alerts", "data_quality", "krx_calls", "backfill",
                                              "price_adjustments", "archive"});
    CHECK(j["backfill"].is_null()); // none asked for
    const auto& daily = j["jobs"][1];
    CHECK(keys(daily) == std::vector<std::string>{"job", "last_success_date", "state",
                                                  "sessions_behind", "last_success_unix", "running",
                                                  "last_run", "days"});
    CHECK(keys(daily["last_run"]) ==
          std::vector<std::string>{"run_id", "started_at", "finished_at", "outcome",
                                   "duration_seconds", "rows_written", "items_done",
                                   "items_remaining", "krx_calls", "session_from", "session_to",
                                   "message"});
    CHECK(daily["last_run"]["duration_seconds"] == 2.5);
    CHECK(keys(daily["days"][0]) ==
          std::vector<std::string>{"date", "state", "attempts", "last_error"});
    CHECK(daily["days"][0]["last_error"] == "HTTP 500");
    CHECK(j["jobs"][0]["last_run"].is_null());
    CHECK(j["jobs"][0]["sessions_behind"].is_null());
    CHECK(keys(j["analysis"]) == std::vector<std::string>{"session", "targets", "done", "remaining",
                                                          "ranked", "failed", "incomplete"});
    CHECK(keys(j["alerts"]) ==
          std::vector<std::string>{"open", "critical", "warn", "info", "newest"});
    CHECK(keys(j["alerts"]["newest"][0]) ==
          std::vector<std::string>{"id", "created_at", "severity", "job", "rule", "message"});
    CHECK(j["alerts"]["newest"][0]["rule"] == "run_failed");
    CHECK(keys(j["data_quality"]) == std::vector<std::string>{"since", "count", "newest"});
    CHECK(j["krx_calls"] ==
          nlohmann::ordered_json{
              {"date", "2024-07-04"}, {"used", 8}, {"limit", 100}, {"remaining", 92}});
  }

  TEST_CASE("a backfill's end day: today first, then the weekdays daily_update runs on") {
    // Thursday 2024-07-04.
    CHECK(ops::backfill_end_day(Date(2024, 7, 4), 1) == Date(2024, 7, 4));
    CHECK(ops::backfill_end_day(Date(2024, 7, 4), 2) == Date(2024, 7, 5));
    // No run on Saturday and Sunday: the third day is Monday.
    CHECK(ops::backfill_end_day(Date(2024, 7, 4), 3) == Date(2024, 7, 8));
    CHECK(ops::backfill_end_day(Date(2024, 7, 4), 8) == Date(2024, 7, 15));
    // A Saturday's own calls (a run by hand) count; the next day is Monday.
    CHECK(ops::backfill_end_day(Date(2024, 7, 6), 2) == Date(2024, 7, 8));
    // KRX holidays are weekdays too: the scheduled run still spends the day's calls.
    CHECK(ops::backfill_end_day(Date(2024, 9, 13), 2) == Date(2024, 9, 16)); // Chuseok
  }

  TEST_CASE("over Chuseok 2024 a mark at 09-13 is 0 sessions behind") {
    store::Database db(":memory:");
    store::JobStore(db).set_mark(store::k_job_daily_update, Date(2024, 9, 13),
                                 test::kst(2024, 9, 13, 19));
    for (const auto& now : {test::kst(2024, 9, 16, 19), test::kst(2024, 9, 18, 23),
                            test::kst(2024, 9, 19, 8, 30), test::kst(2024, 9, 19, 19)}) {
      CAPTURE(now);
      const auto r = ops::build_status(db, test::real_calendar(), now, {});
      CHECK(r.jobs[1].sessions_behind == 0);
    }
  }

  TEST_CASE("the table shows each job, the failed days and the alerts") {
    Prepared p;
    const auto text = ops::status_table(p.report());
    CHECK(text.find("daily_update     2024-07-01    2       failed") != std::string::npos);
    CHECK(text.find("2024-07-02 failed after 2 attempt(s): HTTP 500") != std::string::npos);
    CHECK(text.find("2024-07-03 waiting") != std::string::npos);
    CHECK(text.find("3/4 targets done (1 failed), 1 remaining; 2 session(s) to score\n"
                    "  2024-07-01 3 scored / 1 remaining\n"
                    "  2024-06-28 1 scored / 3 remaining (reload of 2024-06-27)") !=
          std::string::npos);
    CHECK(text.find("2 open (1 CRITICAL, 1 WARN, 0 INFO)") != std::string::npos);
    CHECK(text.find("KRX calls 8 of 100 used today") != std::string::npos);
  }
}
