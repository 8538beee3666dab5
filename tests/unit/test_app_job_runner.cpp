#include "krxbatch/app/job_runner.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/job_locks.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/util/log.hpp"
#include "krxbatch/util/safe_path.hpp"

#include "support.hpp"
#include "support/fetch_fakes.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace krxbatch;
using core::Date;

namespace {

constexpr auto k_daily = store::k_job_daily_update;
constexpr auto k_hourly = store::k_job_hourly_analysis;

// An in-memory database, the real calendar and a fixed clock; database() throws while `broken`.
class FakeServices final : public app::Services {
public:
  store::Database& database() override {
    if (broken) {
      throw core::failure("opening the database in k.db: the disk is full");
    }
    return db;
  }
  const calendar::Calendar& calendar() override { return test::real_calendar(); }
  const util::Clock& clock() override { return fixed; }

  store::Database db{":memory:"};
  // Thursday 2024-07-04 08:40 KST: the latest published session is Wednesday 07-03.
  util::FixedClock fixed{test::kst(2024, 7, 4, 8, 40)};
  bool broken = false;
};

struct Fixture {
  test::TempDir dir;
  ops::Settings settings = [this] {
    ops::Settings s;
    s.log_dir = dir / "logs";
    s.webhook_url = "https://hooks.example.com/T1";
    s.ping_start_url = "https://hc.example.net/{job}/start";
    s.ping_success_url = "https://hc.example.net/{job}";
    s.ping_fail_url = "https://hc.example.net/{job}/fail";
    s.metrics_log = (dir / "metrics.jsonl").string();
    return s;
  }();
  FakeServices services;
  test::FakeNotifyClient notify;
  std::filesystem::path db_path = dir / "k.db";
  util::PathPolicy policy{db_path};
  app::JobRunner runner{{settings, db_path, services, notify, policy}};

  std::function<util::FileLock()> lock_of(std::string_view job) {
    return [this, job] {
      return ops::take_job_lock(app::job_lock_path(db_path, job), job, "another run");
    };
  }
  int run(std::string_view job, const std::function<jobs::JobResult()>& body) {
    return runner.run_job(job, lock_of(job), body);
  }
  std::vector<store::Alert> open_alerts() {
    return store::AlertStore(services.db).list(false, 100);
  }
  std::vector<store::Alert> all_alerts() { return store::AlertStore(services.db).list(true, 100); }
  // The webhook messages sent so far.
  std::vector<std::string> webhook_bodies() const {
    std::vector<std::string> out;
    for (const auto& r : notify.requests) {
      if (r.url == settings.webhook_url) {
        out.push_back(r.body);
      }
    }
    return out;
  }
  void set_mark(const Date& d) {
    store::JobStore(services.db).set_mark(k_daily, d, services.fixed.now_kst());
  }
};

jobs::JobResult ok_result(std::string_view job) {
  jobs::JobResult r;
  r.summary = std::string(job) + ": succeeded: 1 session(s) stored";
  return r;
}

jobs::JobResult failed_result(std::string_view job, bool stored_nothing) {
  jobs::JobResult r;
  r.exit_code = core::ExitCode::failed;
  r.run.outcome = state::RunOutcome::failed;
  r.run.message = "0 session(s) stored; 2024-07-03 FAILED: HTTP 503";
  r.summary = std::string(job) + ": failed: " + r.run.message;
  r.stored_nothing = stored_nothing;
  return r;
}

std::size_t count_rule(const std::vector<store::Alert>& alerts, std::string_view rule) {
  return static_cast<std::size_t>(std::count_if(
      alerts.begin(), alerts.end(), [rule](const store::Alert& a) { return a.rule == rule; }));
}

} // namespace

TEST_SUITE("app.job_runner") {
  TEST_CASE("a job that stops with an error of exit 1 raises run_failed, posts it, sends the "
            "fail ping and rethrows the error unchanged") {
    Fixture f;
    CHECK_THROWS_WITH_AS(
        f.run(k_daily, []() -> jobs::JobResult { throw core::failure("disk full while writing"); }),
        "disk full while writing", core::Error);
    const auto alerts = f.open_alerts();
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].rule == "run_failed");
    CHECK(alerts[0].severity == store::AlertSeverity::critical);
    CHECK(alerts[0].message == "daily_update stopped: disk full while writing");
    REQUIRE(f.notify.requests.size() == 3);
    CHECK(f.notify.requests[0].url == "https://hc.example.net/daily_update/start");
    CHECK(f.notify.requests[1].url == f.settings.webhook_url);
    CHECK(f.notify.requests[1].body.find("run_failed") != std::string::npos);
    CHECK(f.notify.requests[2].url == "https://hc.example.net/daily_update/fail");
    CHECK(f.notify.requests[2].body == "daily_update: failed: disk full while writing");
  }

  TEST_CASE("a usage error (exit 2) from the job raises no run_failed") {
    Fixture f;
    CHECK_THROWS_AS(
        f.run(k_hourly, []() -> jobs::JobResult { throw core::usage_error("no mark yet"); }),
        core::Error);
    CHECK(count_rule(f.all_alerts(), "run_failed") == 0);
  }

  TEST_CASE("a job that failed without storing anything raises run_failed with its run message, "
            "one that stored something leaves it, a run that exits 0 resolves it") {
    Fixture f;
    CHECK(f.run(k_daily, [] { return failed_result(k_daily, true); }) == 1);
    auto alerts = f.open_alerts();
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].rule == "run_failed");
    CHECK(alerts[0].message ==
          "daily_update stored nothing: 0 session(s) stored; 2024-07-03 FAILED: HTTP 503");

    CHECK(f.run(k_daily, [] { return failed_result(k_daily, false); }) == 1);
    CHECK(count_rule(f.open_alerts(), "run_failed") == 1);
    // The other job's clean run is not this job's.
    CHECK(f.run(k_hourly, [] { return ok_result(k_hourly); }) == 0);
    CHECK(count_rule(f.open_alerts(), "run_failed") == 1);

    CHECK(f.run(k_daily, [] { return ok_result(k_daily); }) == 0);
    CHECK(count_rule(f.open_alerts(), "run_failed") == 0);
    alerts = f.all_alerts();
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].resolved());
  }

  TEST_CASE("a refused key raises krx_auth once: a second refused run refreshes it and posts "
            "nothing new") {
    Fixture f;
    const auto refused = [] {
      auto r = failed_result(k_daily, false);
      r.key_refused = "HTTP 401: Unauthorized Key; check krx_auth_key";
      return r;
    };
    CHECK(f.run(k_daily, refused) == 1);
    CHECK(f.run(k_daily, refused) == 1);
    const auto alerts = f.all_alerts();
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].rule == "krx_auth");
    CHECK(alerts[0].severity == store::AlertSeverity::critical);
    CHECK(alerts[0].message == "HTTP 401: Unauthorized Key; check krx_auth_key");
    const auto bodies = f.webhook_bodies();
    REQUIRE(bodies.size() == 1);
    CHECK(bodies[0].find("krx_auth") != std::string::npos);
  }

  TEST_CASE("every run checks freshness: sessions_behind when daily_update's mark is two "
            "sessions behind, resolved once it is one behind") {
    Fixture f;
    f.set_mark(Date(2024, 7, 1)); // 07-02 and 07-03 are published
    CHECK(f.run(k_hourly, [] { return ok_result(k_hourly); }) == 0);
    auto alerts = f.open_alerts();
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].rule == "sessions_behind");
    CHECK(alerts[0].message.find("2 sessions behind") != std::string::npos);
    CHECK(app::check_freshness({f.services.db, f.services.calendar(), f.services.clock()}) == 2);

    f.set_mark(Date(2024, 7, 2));
    CHECK(f.run(k_hourly, [] { return ok_result(k_hourly); }) == 0);
    CHECK(f.open_alerts().empty());
  }

  TEST_CASE("holidays_ending (WARN): raised by a run within 30 days of the holiday files' end, "
            "resolved by a run with more ahead") {
    Fixture f;
    f.services.fixed.set(test::kst(2027, 12, 10, 8, 40)); // the files end on 2027-12-31
    CHECK(f.run(k_hourly, [] { return ok_result(k_hourly); }) == 0);
    auto alerts = f.open_alerts();
    REQUIRE(count_rule(alerts, "holidays_ending") == 1);
    const auto it = std::find_if(alerts.begin(), alerts.end(),
                                 [](const store::Alert& a) { return a.rule == "holidays_ending"; });
    CHECK(it->severity == store::AlertSeverity::warn);
    CHECK(it->message.find("holidays/2028.txt") != std::string::npos);

    f.services.fixed.set(test::kst(2027, 11, 10, 8, 40));
    CHECK(f.run(k_hourly, [] { return ok_result(k_hourly); }) == 0);
    CHECK(count_rule(f.open_alerts(), "holidays_ending") == 0);
  }

  TEST_CASE("archive_failed (WARN): raised when the job reports answers the archive could not "
            "keep, resolved by a clean run") {
    Fixture f;
    CHECK(f.run(k_daily, [] {
      auto r = ok_result(k_daily);
      r.archive_failed = "1 of 4 answers not written (first: No space left on device)";
      return r;
    }) == 0);
    auto alerts = f.open_alerts();
    REQUIRE(count_rule(alerts, "archive_failed") == 1);
    CHECK(alerts[0].message.find("No space left on device") != std::string::npos);
    CHECK(f.run(k_daily, [] { return ok_result(k_daily); }) == 0);
    CHECK(count_rule(f.open_alerts(), "archive_failed") == 0);
  }

  TEST_CASE("a holiday block does not count against freshness") {
    Fixture f;
    // Chuseok 2024: Monday 09-16 to Wednesday 09-18 closed; on Friday 09-20 at 08:40 the
    // latest published session, Thursday 09-19, is the one after Friday 09-13.
    f.services.fixed.set(test::kst(2024, 9, 20, 8, 40));
    f.set_mark(Date(2024, 9, 13));
    CHECK(app::check_freshness({f.services.db, f.services.calendar(), f.services.clock()}) == 1);
    CHECK(f.open_alerts().empty());
  }

  TEST_CASE("a held lock is a skip: exit 75 rethrown, no ping, no alert, no metrics") {
    Fixture f;
    const auto held = util::FileLock::try_acquire(app::job_lock_path(f.db_path, k_daily));
    REQUIRE(held);
    bool ran = false;
    try {
      f.run(k_daily, [&] {
        ran = true;
        return ok_result(k_daily);
      });
      FAIL("no exception");
    } catch (const core::Error& e) {
      CHECK(e.code() == core::ExitCode::locked);
    }
    CHECK_FALSE(ran);
    CHECK(f.notify.requests.empty());
    CHECK(f.all_alerts().empty());
    CHECK_FALSE(std::filesystem::exists(f.dir / "metrics.jsonl"));
  }

  TEST_CASE("manual_setup and daily_update share the ingestion lock, hourly_analysis has its own") {
    const std::filesystem::path db = "/var/lib/krxbatch/k.db";
    CHECK(app::job_lock_path(db, "manual_setup") == "/var/lib/krxbatch/k.db.ingest.lock");
    CHECK(app::job_lock_path(db, "daily_update") == "/var/lib/krxbatch/k.db.ingest.lock");
    CHECK(app::job_lock_path(db, "hourly_analysis") == "/var/lib/krxbatch/k.db.analysis.lock");
  }

  TEST_CASE("when the alert cannot be stored, its text goes to the webhook and the error is "
            "rethrown") {
    Fixture f;
    f.services.broken = true;
    CHECK_THROWS_AS(f.run(k_daily, [] { return ok_result(k_daily); }), core::Error);
    const auto bodies = f.webhook_bodies();
    REQUIRE(bodies.size() == 1);
    CHECK(bodies[0].find("run_failed: daily_update stopped: opening the database") !=
          std::string::npos);
    CHECK(bodies[0].find("could not be stored") != std::string::npos);
    CHECK(f.notify.requests.back().url == "https://hc.example.net/daily_update/fail");
  }

  TEST_CASE("a data-care command: exit 1 raises command_failed and posts it once, exit 2 "
            "changes nothing, exit 0 resolves it, no pings") {
    Fixture f;
    f.dir.write("k.db", ""); // the database file exists
    CHECK(f.runner.run_care_command("backup", [] { return 1; }) == 1);
    CHECK(f.runner.run_care_command("backup", [] { return 1; }) == 1);
    auto alerts = f.open_alerts();
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].rule == "command_failed");
    CHECK(alerts[0].job == "backup");
    CHECK(alerts[0].severity == store::AlertSeverity::warn);
    CHECK(f.notify.requests.size() == 1);
    CHECK(f.webhook_bodies().size() == 1);

    CHECK_THROWS_AS(f.runner.run_care_command(
                        "backup", []() -> int { throw core::usage_error("--days: not a number"); }),
                    core::Error);
    CHECK(f.open_alerts().size() == 1);
    CHECK(f.runner.run_care_command("backup", [] { return 0; }) == 0);
    CHECK(f.open_alerts().empty());
    CHECK(f.notify.requests.size() == 1);
  }

  TEST_CASE("two runs in one process: each logs to its own file and posts only its own alerts") {
    Fixture f;
    CHECK(f.run(k_daily, [&] {
      util::log_to_files(util::LogLevel::warn, "inside the ingestion");
      store::AlertStore(f.services.db)
          .raise(store::AlertSeverity::warn, k_daily, "ingest_day_failed", "2024-07-03 failed",
                 "ingest_day_failed:2024-07-03", f.services.fixed.now_kst());
      return ok_result(k_daily);
    }) == 0);
    const auto after_first = f.webhook_bodies().size();
    CHECK(after_first == 1);
    CHECK(f.run(k_hourly, [&] {
      util::log_to_files(util::LogLevel::warn, "inside the analysis");
      return ok_result(k_hourly);
    }) == 0);
    CHECK(f.webhook_bodies().size() == after_first);

    const auto daily_log = test::read_file(f.dir / "logs" / "daily_update.log");
    const auto hourly_log = test::read_file(f.dir / "logs" / "hourly_analysis.log");
    CHECK(daily_log.find("inside the ingestion") != std::string::npos);
    CHECK(daily_log.find("inside the analysis") == std::string::npos);
    CHECK(hourly_log.find("inside the analysis") != std::string::npos);
    CHECK(hourly_log.find("inside the ingestion") == std::string::npos);
    const auto metrics = test::read_file(f.dir / "metrics.jsonl");
    CHECK(std::count(metrics.begin(), metrics.end(), '\n') == 2);
  }
}
