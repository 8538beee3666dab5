// Observability end to end: config file, status, alerts, pings, webhook, metrics and per-job
// log files, with the real binary against the fake KRX and a loopback HTTP receiver.
#include "krxbatch/util/file_lock.hpp"

#include "ingest_env.hpp"
#include "support/http_receiver.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>

using namespace krxbatch;
using test::IngestEnv;
using Json = nlohmann::json;

namespace {

constexpr const char* k_monday_morning = "2024-07-01T08:30:00+09:00";
constexpr const char* k_thursday_morning = "2024-07-04T08:30:00+09:00";

using EnvList = std::vector<std::pair<std::string, std::optional<std::string>>>;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::int64_t scalar(SQLite::Database& db, const std::string& sql) {
  return db.execAndGet(sql).getInt64();
}

Json status_json(IngestEnv& env, const EnvList& extra = {}) {
  const auto r = env.run({"--json", "status"}, extra);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return Json::parse(r.out);
}

const Json& job_of(const Json& status, const std::string& name) {
  for (const auto& j : status["jobs"]) {
    if (j["job"] == name) {
      return j;
    }
  }
  throw std::runtime_error("no job " + name);
}

// The config file `krxbatch.conf` next to the database, owner-only.
std::filesystem::path write_config(IngestEnv& env, const std::string& text) {
  const auto path = env.dir() / "krxbatch.conf";
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0600);
  return path;
}

} // namespace

TEST_SUITE("ops.status") {
  TEST_CASE("status --json after real runs: marks, last run, failed days, alerts, KRX calls") {
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    env.set_now(k_thursday_morning);
    env.fake().add_faults(
        R"({"api":"ksq_bydd_trd","date":"2024-07-02","fault":"status","status":500,"times":-1})");
    REQUIRE(env.run({"daily_update"}).exit_code == 1);

    const auto s = status_json(env);
    CHECK(s["latest_published_session"] == "2024-07-03");
    const auto& daily = job_of(s, "daily_update");
    CHECK(daily["last_success_date"] == "2024-07-01");
    CHECK(daily["sessions_behind"] == 2);
    CHECK(daily["state"] == "failed");
    CHECK(daily["running"] == false);
    CHECK(daily["last_success_unix"].is_number_integer());
    const auto& last = daily["last_run"];
    CHECK(last["outcome"] == "failed");
    CHECK(last["rows_written"].get<int>() > 0);
    CHECK(last["duration_seconds"].is_number());
    CHECK(last["session_from"] == "2024-07-01");
    CHECK(last["session_to"] == "2024-07-03");
    REQUIRE(daily["days"].size() == 1);
    CHECK(daily["days"][0]["date"] == "2024-07-02");
    CHECK(daily["days"][0]["state"] == "failed");
    CHECK(daily["days"][0]["attempts"] == 1);
    CHECK(daily["days"][0]["last_error"].get<std::string>().find("500") != std::string::npos);

    // The failed day (WARN) and the mark 2 sessions behind (CRITICAL) are open alerts.
    CHECK(s["alerts"]["warn"] == 1);
    CHECK(s["alerts"]["critical"] == 1);
    CHECK(s["alerts"]["open"] == 2);
    CHECK(s["alerts"]["newest"].size() == 2);
    // KRX calls: 4 per session, counted today (KST).
    CHECK(s["krx_calls"]["date"] == "2024-07-04");
    CHECK(s["krx_calls"]["used"].get<int>() > 0);
    CHECK(s["krx_calls"]["limit"] == 10000);
    // The analysis works on daily_update's mark; nothing is analysed yet.
    CHECK(s["analysis"]["session"] == "2024-07-01");
    CHECK(s["analysis"]["targets"].get<int>() > 0);
    CHECK(s["analysis"]["done"] == 0);
    CHECK(s["analysis"]["remaining"] == s["analysis"]["targets"]);
    CHECK(s["data_quality"]["count"].is_number_integer());

    // The readable table says the same.
    const auto table = env.run({"status"});
    CHECK(table.out.find("2024-07-02 failed after 1 attempt(s)") != std::string::npos);
    CHECK(table.out.find("2 open (1 CRITICAL, 1 WARN, 0 INFO)") != std::string::npos);
  }

  TEST_CASE("status says a job is running while its lock is held") {
    IngestEnv env(k_monday_morning);
    const auto lock = util::FileLock::try_acquire(env.db() + ".ingest.lock");
    REQUIRE(lock);
    const auto s = status_json(env);
    CHECK(job_of(s, "daily_update")["running"] == true);
    CHECK(job_of(s, "manual_setup")["running"] == true);
    CHECK(job_of(s, "hourly_analysis")["running"] == false);
  }

  TEST_CASE("over Chuseok 2025 (10-03..10-09) nothing is behind and no alert is raised") {
    // Thursday 2025-10-02 08:30: Wednesday 10-01 is the newest published session. Thursday's
    // session publishes only on Friday 10-10 08:00, after the week of holidays.
    IngestEnv env("2025-10-02T08:30:00+09:00");
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    for (const auto* now :
         {"2025-10-02T19:00:00+09:00", "2025-10-03T19:00:00+09:00", "2025-10-06T08:30:00+09:00",
          "2025-10-08T19:00:00+09:00", "2025-10-09T19:00:00+09:00", "2025-10-10T07:59:00+09:00"}) {
      CAPTURE(now);
      env.set_now(now);
      CHECK(env.run({"daily_update"}).exit_code == 0);
      const auto s = status_json(env);
      CHECK(s["latest_published_session"] == "2025-10-01");
      CHECK(job_of(s, "daily_update")["last_success_date"] == "2025-10-01");
      CHECK(job_of(s, "daily_update")["sessions_behind"] == 0);
      CHECK(s["alerts"]["open"] == 0);
    }
    auto db = env.open();
    CHECK(scalar(db, "SELECT count(*) FROM alerts") == 0);
    // Friday 10-10 08:30: Thursday 10-02 is out and stored.
    env.set_now("2025-10-10T08:30:00+09:00");
    CHECK(env.run({"daily_update"}).exit_code == 0);
    CHECK(job_of(status_json(env), "daily_update")["last_success_date"] == "2025-10-02");
    CHECK(scalar(db, "SELECT count(*) FROM alerts") == 0);

    // After the block, KRX failing: one session behind is a WARN for the day only ...
    env.fake().add_faults(R"({"api":"*","date":"*","fault":"status","status":500,"times":-1})");
    env.set_now("2025-10-13T09:00:00+09:00");
    CHECK(env.run({"daily_update"}).exit_code == 1);
    CHECK(job_of(status_json(env), "daily_update")["sessions_behind"] == 1);
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE rule = 'sessions_behind'") == 0);
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE rule = 'ingest_day_failed' AND "
                     "severity = 'WARN' AND acknowledged = 0") == 1);
    // ... two sessions behind (10-10 and 10-13 out, neither stored) is CRITICAL.
    env.set_now("2025-10-14T09:00:00+09:00");
    CHECK(env.run({"daily_update"}).exit_code == 1);
    CHECK(job_of(status_json(env), "daily_update")["sessions_behind"] == 2);
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE rule = 'sessions_behind' AND "
                     "severity = 'CRITICAL' AND acknowledged = 0") == 1);
  }
}

TEST_SUITE("ops.alerts") {
  TEST_CASE("alerts lists open alerts, --ack closes one, unknown or closed ids exit 1") {
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    env.set_now(k_thursday_morning);
    env.fake().add_faults(
        R"({"api":"stk_bydd_trd","date":"2024-07-03","fault":"status","status":503,"times":-1})");
    REQUIRE(env.run({"daily_update"}).exit_code == 1);

    auto r = env.run({"--json", "alerts"});
    REQUIRE(r.exit_code == 0);
    auto list = Json::parse(r.out)["alerts"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["rule"] == "ingest_day_failed");
    CHECK(list[0]["severity"] == "WARN");
    CHECK(list[0]["state"] == "open");
    const auto id = list[0]["id"].get<long long>();

    r = env.run({"alerts", "--ack", std::to_string(id)});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("acknowledged alert " + std::to_string(id)) != std::string::npos);
    CHECK(Json::parse(env.run({"--json", "alerts"}).out)["alerts"].empty());
    list = Json::parse(env.run({"--json", "alerts", "--all"}).out)["alerts"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["state"] == "acknowledged");

    r = env.run({"alerts", "--ack", std::to_string(id)});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("already acknowledged") != std::string::npos);
    r = env.run({"alerts", "--ack", "999"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("no alert 999") != std::string::npos);
  }

  TEST_CASE("a refused key raises krx_auth CRITICAL and a clean run resolves it") {
    IngestEnv env(k_monday_morning, {"--auth-key", std::string(test::k_secret_key)});
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    env.set_now(k_thursday_morning);
    CHECK(env.run({"daily_update"}, {{"KRX_AUTH_KEY", "a-wrong-key-123"}}).exit_code == 1);
    auto db = env.open();
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE rule = 'krx_auth' AND "
                     "severity = 'CRITICAL' AND acknowledged = 0") == 1);
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE rule = 'run_failed' AND "
                     "severity = 'CRITICAL' AND acknowledged = 0") == 1);
    CHECK(env.run({"daily_update"}).exit_code == 0);
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE acknowledged = 0") == 0);
    // krx_auth, run_failed and sessions_behind (the mark stayed 3 sessions behind).
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE acknowledged_at LIKE '% (resolved)'") == 3);
  }

  TEST_CASE("a session still empty a day after its expected publication raises unpublished") {
    IngestEnv env(k_monday_morning);
    test::HttpReceiver receiver;
    write_config(env, "webhook_url = " + receiver.url("/hook") + "\n");
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    // KRX answers Monday 07-01 with no rows, as for a closure missing from holidays/.
    env.fake().add_faults(R"({"api":"*","date":"2024-07-01","fault":"empty","times":-1})");

    // Tuesday 19:00: 07-01 was due at 08:00 today (and 07-02 is today): waiting is normal, no
    // alert.
    env.set_now("2024-07-02T19:00:00+09:00");
    CHECK(env.run({"daily_update"}).exit_code == 0);
    auto s = status_json(env);
    REQUIRE(job_of(s, "daily_update")["days"].size() == 2);
    CHECK(job_of(s, "daily_update")["days"][0]["date"] == "2024-07-01");
    CHECK(job_of(s, "daily_update")["days"][0]["state"] == "waiting");
    CHECK(s["alerts"]["open"] == 0);
    CHECK(receiver.requests().empty());

    // Wednesday 09:00, more than a day late: WARN naming the holiday file, on the webhook.
    env.set_now("2024-07-03T09:00:00+09:00");
    CHECK(env.run({"daily_update"}).exit_code == 0);
    auto db = env.open();
    CHECK(scalar(db,
                 "SELECT count(*) FROM alerts WHERE rule = 'unpublished' AND severity = "
                 "'WARN' AND acknowledged = 0 AND message LIKE '%2024-07-01%holidays/2024.txt%'") ==
          1);
    bool posted = false;
    for (const auto& r : receiver.requests()) {
      posted = posted || Json::parse(r.body)["text"].get<std::string>().starts_with(
                             "[WARN] daily_update unpublished: ");
    }
    CHECK(posted);

    // Published at last: stored, and the alert resolves itself.
    env.fake().clear_faults();
    CHECK(env.run({"daily_update"}).exit_code == 0);
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE rule = 'unpublished' AND "
                     "acknowledged = 0") == 0);
    CHECK(job_of(status_json(env), "daily_update")["last_success_date"] == "2024-07-02");
  }
}

TEST_SUITE("ops.notify") {
  TEST_CASE("start and success pings, and one webhook message per new alert") {
    IngestEnv env(k_monday_morning);
    test::HttpReceiver receiver;
    write_config(env, "webhook_url = " + receiver.url("/hook/T000/SECRETTOKEN") +
                          "\nping_start_url = " + receiver.url("/ping/uuid-1/start") +
                          "\nping_success_url = " + receiver.url("/ping/uuid-1") +
                          "\nping_fail_url = " + receiver.url("/ping/uuid-1/fail") + "\n");
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    CHECK(receiver.requests_to("/ping/uuid-1/start").size() == 1);
    CHECK(receiver.requests_to("/ping/uuid-1/start")[0].method == "GET");
    auto success = receiver.requests_to("/ping/uuid-1");
    // The start ping is under the same prefix; the success ping is the POST.
    REQUIRE(success.size() == 2);
    CHECK(success[1].method == "POST");
    CHECK(success[1].body.find("manual_setup: succeeded") != std::string::npos);
    CHECK(receiver.requests_to("/hook").empty());

    // A failing day: the fail ping with the summary, and the WARN alert on the webhook.
    env.set_now(k_thursday_morning);
    env.fake().add_faults(
        R"({"api":"stk_bydd_trd","date":"2024-07-03","fault":"status","status":503,"times":-1})");
    const auto r = env.run({"daily_update"});
    CHECK(r.exit_code == 1);
    const auto fail = receiver.requests_to("/ping/uuid-1/fail");
    REQUIRE(fail.size() == 1);
    CHECK(fail[0].method == "POST");
    CHECK(fail[0].body.find("2024-07-03 FAILED") != std::string::npos);
    const auto hooks = receiver.requests_to("/hook/T000/SECRETTOKEN");
    REQUIRE(hooks.size() == 1);
    CHECK(hooks[0].method == "POST");
    CHECK(hooks[0].header("Content-Type") == "application/json");
    const auto text = Json::parse(hooks[0].body)["text"].get<std::string>();
    CHECK(text.find("[WARN] daily_update ingest_day_failed: 2024-07-03 failed") !=
          std::string::npos);
    CHECK(text.find("krxbatch alerts --ack") != std::string::npos);

    // The next run fails the same day again and stores nothing: only the new run_failed alert
    // is sent; the open ingest_day_failed alert is refreshed, not sent again.
    CHECK(env.run({"daily_update"}).exit_code == 1);
    auto all = receiver.requests_to("/hook");
    REQUIRE(all.size() == 2);
    CHECK(Json::parse(all[1].body)["text"].get<std::string>().starts_with(
        "[CRITICAL] daily_update run_failed: daily_update stored nothing"));
    CHECK(env.run({"daily_update"}).exit_code == 1);
    CHECK(receiver.requests_to("/hook").size() == 2);
    // The webhook's token never reaches the output.
    CHECK(r.err.find("SECRETTOKEN") == std::string::npos);
  }

  TEST_CASE("an unreachable webhook or ping never changes the job's exit code") {
    IngestEnv env(k_monday_morning);
    const auto dead = "http://127.0.0.1:" + std::to_string(test::unused_port());
    const EnvList urls = {{"KRXBATCH_WEBHOOK_URL", dead + "/hook/TOKEN123"},
                          {"KRXBATCH_PING_START_URL", dead + "/start"},
                          {"KRXBATCH_PING_SUCCESS_URL", dead + "/ok"},
                          {"KRXBATCH_PING_FAIL_URL", dead + "/fail"}};
    auto r = env.run({"manual_setup", "--yes", "--days", "5"}, urls);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("the start ping to 127.0.0.1:") != std::string::npos);
    CHECK(r.err.find("TOKEN123") == std::string::npos);
    env.set_now(k_thursday_morning);
    env.fake().add_faults(
        R"({"api":"stk_bydd_trd","date":"2024-07-03","fault":"status","status":503,"times":-1})");
    r = env.run({"daily_update"}, urls);
    CHECK(r.exit_code == 1); // the job's own outcome, not the webhook's
    CHECK(r.err.find("the webhook message to 127.0.0.1:") != std::string::npos);
    CHECK(r.err.find("the fail ping to 127.0.0.1:") != std::string::npos);
    CHECK(r.err.find("TOKEN123") == std::string::npos);

    // A receiver that answers 500 is no different.
    test::HttpReceiver broken(500);
    r = env.run({"daily_update"}, {{"KRXBATCH_PING_FAIL_URL", broken.url("/fail")}});
    CHECK(r.exit_code == 1);
    CHECK(broken.requests().size() == 1);
    CHECK(r.err.find("was answered HTTP 500") != std::string::npos);
  }
}

TEST_SUITE("ops.metrics") {
  TEST_CASE("the metrics textfile is replaced atomically and the log gets a line per run") {
    IngestEnv env(k_monday_morning);
    const auto metrics_dir = env.dir() / "textfile";
    std::filesystem::create_directories(metrics_dir);
    const auto prom = metrics_dir / "krxbatch.prom";
    const auto jsonl = env.dir() / "metrics.jsonl";
    write_config(env, "metrics_textfile = " + prom.string() + "\nmetrics_log = " + jsonl.string() +
                          "\n");
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    // A second name for the file as it is now: a rename puts a new file under `prom` and leaves
    // this one as it was; writing into the file in place would change both names.
    std::ofstream(prom) << "# previous\n";
    const auto previous = env.dir() / "previous.prom";
    std::filesystem::create_hard_link(prom, previous);
    env.set_now(k_thursday_morning);
    REQUIRE(env.run({"daily_update"}).exit_code == 0);
    CHECK(slurp(previous) == "# previous\n");

    // Only the final file is in the directory: the temporary one was renamed over it.
    int files = 0;
    for (const auto& f : std::filesystem::directory_iterator(metrics_dir)) {
      CHECK(f.path() == prom);
      ++files;
    }
    CHECK(files == 1);
    const auto text = slurp(prom);
    CAPTURE(text);
    for (const auto* line :
         {"# TYPE krxbatch_last_success_timestamp_seconds gauge",
          "krxbatch_sessions_behind{job=\"daily_update\"} 0",
          "krxbatch_last_run_outcome{job=\"daily_update\",outcome=\"succeeded\"} 1",
          "krxbatch_last_run_outcome{job=\"daily_update\",outcome=\"failed\"} 0",
          "krxbatch_last_run_rows_written{job=\"daily_update\"} ",
          "krxbatch_last_run_duration_seconds{job=\"daily_update\"} ",
          "krxbatch_items_remaining{job=\"daily_update\"} 0", "krxbatch_krx_calls_today 12",
          "krxbatch_krx_daily_limit 10000", "krxbatch_open_alerts{severity=\"CRITICAL\"} 0"}) {
      CHECK(text.find(line) != std::string::npos);
    }
    // 2024-07-03 15:30 KST, the close of the mark's session.
    CHECK(text.find("krxbatch_last_success_timestamp_seconds{job=\"daily_update\"} 1719988200") !=
          std::string::npos);

    std::vector<Json> lines;
    std::istringstream in(slurp(jsonl));
    for (std::string line; std::getline(in, line);) {
      lines.push_back(Json::parse(line));
    }
    REQUIRE(lines.size() == 2);
    CHECK(lines[0]["job"] == "manual_setup");
    CHECK(lines[1]["job"] == "daily_update");
    CHECK(lines[1]["outcome"] == "succeeded");
    CHECK(lines[1]["exit_code"] == 0);
    CHECK(lines[1]["rows_written"].get<int>() > 0);
    CHECK(lines[1]["sessions_behind"] == 0);
    CHECK(lines[1]["last_success_date"] == "2024-07-03");
    CHECK(lines[1]["krx_calls_today"] == 12);

    // A textfile that cannot be written is a WARN line; the job's exit code is its own.
    const auto r =
        env.run({"daily_update"},
                {{"KRXBATCH_METRICS_TEXTFILE", (env.dir() / "no-such-dir" / "k.prom").string()}});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("metrics not written") != std::string::npos);
    CHECK(slurp(jsonl).find("\"job\":\"daily_update\"") != std::string::npos);
  }
}

TEST_SUITE("ops.logs") {
  TEST_CASE("each job writes its own log file next to the database, skips included") {
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    env.set_now(k_thursday_morning);
    REQUIRE(env.run({"daily_update"}).exit_code == 0);
    const auto setup_log = slurp(env.dir() / "logs" / "manual_setup.log");
    const auto daily_log = slurp(env.dir() / "logs" / "daily_update.log");
    CHECK(setup_log.find("manual_setup: succeeded") != std::string::npos);
    CHECK(daily_log.find("daily_update: succeeded: 3 session(s) stored") != std::string::npos);
    CHECK(daily_log.find("manual_setup") == std::string::npos);

    const auto lock = util::FileLock::try_acquire(env.db() + ".ingest.lock");
    REQUIRE(lock);
    const auto r = env.run({"daily_update"});
    CHECK(r.exit_code == 75);
    CHECK(slurp(env.dir() / "logs" / "daily_update.log").find("krxbatch: skipped:") !=
          std::string::npos);
  }

  TEST_CASE("cron-quiet: without a terminal a run that succeeds prints nothing on stderr while "
            "its log file gets every line, a warning still reaches stderr, --log-level "
            "overrides") {
    IngestEnv env(k_monday_morning);
    const auto setup = env.run({"manual_setup", "--yes", "--days", "5"});
    REQUIRE(setup.exit_code == 0);
    CHECK(setup.err.empty());
    env.set_now(k_thursday_morning);
    const auto r = env.run({"daily_update"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    const auto log = slurp(env.dir() / "logs" / "daily_update.log");
    CHECK(log.find("[info] daily_update: started (pid") != std::string::npos);
    CHECK(log.find("[info] daily_update: 3 session(s) to work on") != std::string::npos);
    CHECK(log.find("[info] daily_update: succeeded: 3 session(s) stored") != std::string::npos);

    // Nothing to do: still quiet. With --log-level info the lines are on stderr again.
    CHECK(env.run({"daily_update"}).err.empty());
    const auto loud = env.run({"--log-level", "info", "daily_update"});
    CHECK(loud.err.find("[info] daily_update: skipped: nothing to do") != std::string::npos);

    // A warning (an unreachable ping) reaches stderr even without a terminal.
    const auto warned = env.run(
        {"daily_update"},
        {{"KRXBATCH_PING_START_URL", "http://127.0.0.1:" + std::to_string(test::unused_port())}});
    CHECK(warned.exit_code == 0);
    CHECK(warned.err.find("[warning]") != std::string::npos);
    CHECK(warned.err.find("[info]") == std::string::npos);
  }

  TEST_CASE("a job's log file rotates at log_max_size and keeps log_files files") {
    IngestEnv env(k_monday_morning);
    write_config(env, "log_max_size = 1K\nlog_files = 2\n");
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    env.set_now(k_thursday_morning);
    constexpr int k_runs = 10;
    for (int i = 0; i < k_runs; ++i) {
      REQUIRE(env.run({"daily_update"}).exit_code == 0);
    }
    std::set<std::string> names;
    int started = 0;
    for (const auto& f : std::filesystem::directory_iterator(env.dir() / "logs")) {
      const auto name = f.path().filename().string();
      if (!name.starts_with("daily_update")) {
        continue;
      }
      names.insert(name);
      CAPTURE(name);
      CHECK(f.file_size() <= 1024);
      const auto text = slurp(f.path());
      for (auto pos = text.find("daily_update: started"); pos != std::string::npos;
           pos = text.find("daily_update: started", pos + 1)) {
        ++started;
      }
    }
    CHECK(names == std::set<std::string>{"daily_update.log", "daily_update.1.log"});
    // The oldest runs were rotated out; the newest is in the current file.
    CHECK(started > 0);
    CHECK(started < k_runs);
    CHECK(slurp(env.dir() / "logs" / "daily_update.log").find("daily_update: ") !=
          std::string::npos);
  }

  TEST_CASE("log_dir from the config file holds the logs") {
    IngestEnv env(k_monday_morning);
    const auto dir = env.dir() / "elsewhere";
    write_config(env, "# where the logs go\nlog_dir = " + dir.string() + "\nlog_files = 3\n");
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    CHECK(std::filesystem::exists(dir / "manual_setup.log"));
    CHECK_FALSE(std::filesystem::exists(env.dir() / "logs"));
  }
}

TEST_SUITE("ops.config") {
  TEST_CASE("the key from the config file works and appears in no output, log, metrics or db") {
    IngestEnv env(k_monday_morning, {"--auth-key", std::string(test::k_secret_key)});
    const auto prom = env.dir() / "krxbatch.prom";
    const auto jsonl = env.dir() / "metrics.jsonl";
    const auto config = env.dir() / "conf" / "krxbatch.conf";
    std::filesystem::create_directories(config.parent_path());
    std::ofstream(config) << "krx_auth_key = \"" << test::k_secret_key << "\"\n"
                          << "metrics_textfile = " << prom.string() << "\n"
                          << "metrics_log = " << jsonl.string() << "\n";
    ::chmod(config.c_str(), 0600);
    const EnvList env_vars = {{"KRX_AUTH_KEY", std::nullopt}, {"KRXBATCH_CONFIG", config.string()}};
    std::string outputs;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--log-level", "trace", "manual_setup", "--yes", "--days", "5"},
             {"--log-level", "trace", "daily_update"},
             {"status"},
             {"--json", "status"},
             {"alerts", "--all"}}) {
      const auto r = env.run(args, env_vars);
      CHECK(r.exit_code == 0);
      outputs += r.out + r.err;
    }
    CHECK(outputs.find(test::k_secret_key) == std::string::npos);
    // The fake saw the key: it came from the file.
    CHECK(env.fake().requests().find("\"auth\":\"valid\"") != std::string::npos);
    int scanned = 0;
    for (const auto& f : std::filesystem::recursive_directory_iterator(env.dir())) {
      if (f.is_regular_file() && f.path() != config) {
        CAPTURE(f.path().string());
        CHECK(slurp(f.path()).find(test::k_secret_key) == std::string::npos);
        ++scanned;
      }
    }
    CHECK(scanned >= 5); // database (+ WAL), two logs, metrics textfile and log
  }

  TEST_CASE("a key file readable by others, a malformed line or an unknown key: exit 2") {
    IngestEnv env(k_monday_morning);
    const auto config = write_config(env, "krx_auth_key = abcdefgh\n");
    ::chmod(config.c_str(), 0644);
    auto r = env.run({"daily_update"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("chmod 600") != std::string::npos);
    CHECK(r.err.find("abcdefgh") == std::string::npos);

    write_config(env, "# comment\nlog_files = 3\nwebhook_url\n");
    r = env.run({"status"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(config.string() + ":3: expected `key = value`") != std::string::npos);

    write_config(env, "log_fils = 3\n");
    r = env.run({"daily_update"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(config.string() + ":1: unknown key 'log_fils'") != std::string::npos);

    r = env.run({"--config", (env.dir() / "missing.conf").string(), "status"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("missing.conf") != std::string::npos);
  }
}

TEST_SUITE("ops.care") {
  TEST_CASE("a failing backup logs to backup.log and raises command_failed, a good one resolves") {
    IngestEnv env(k_monday_morning);
    test::HttpReceiver receiver;
    write_config(env, "webhook_url = " + receiver.url("/hook") + "\n");
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    // A backup directory under a file: it cannot be created, the backup cannot be written.
    // (A --dir that is itself a file is a usage error, exit 2, which raises no alert.)
    const auto not_a_dir = env.dir() / "not-a-dir";
    std::ofstream(not_a_dir) << "x";
    for (int i = 0; i < 2; ++i) {
      CHECK(env.run({"backup", "--dir", (not_a_dir / "backups").string()}).exit_code == 1);
    }
    auto db = env.open();
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE rule = 'command_failed' AND job_name = "
                     "'backup' AND severity = 'WARN' AND acknowledged = 0") == 1);
    // One message: the second failure refreshed the open alert.
    const auto hooks = receiver.requests_to("/hook");
    REQUIRE(hooks.size() == 1);
    CHECK(Json::parse(hooks[0].body)["text"].get<std::string>().starts_with(
        "[WARN] backup command_failed: backup failed: "));
    CHECK(slurp(env.dir() / "logs" / "backup.log").find("krxbatch: error: ") != std::string::npos);
    // The Sunday cleanup is another command: its clean run leaves the backup's alert open.
    REQUIRE(env.run({"backup", "--cleanup-only", "--retention-days", "30"}).exit_code == 0);
    CHECK(std::filesystem::exists(env.dir() / "logs" / "backup_cleanup.log"));
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE acknowledged = 0") == 1);

    REQUIRE(env.run({"backup"}).exit_code == 0);
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE acknowledged = 0") == 0);
    CHECK(slurp(env.dir() / "logs" / "backup.log").find("verified") != std::string::npos);
    // A usage error is the operator's, not the schedule's: no alert.
    CHECK(env.run({"backup", "--cleanup-only"}).exit_code == 2);
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE rule = 'command_failed'") == 1);
    CHECK(receiver.requests_to("/hook").size() == 1);
  }
}
