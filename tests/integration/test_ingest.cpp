// daily_update and manual_setup end to end: the real binary against the fake KRX server.
#include "ingest_env.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <map>
#include <set>

using namespace krxbatch;
using test::IngestEnv;
using Json = nlohmann::json;

namespace {

// Monday 2024-07-01 08:30 KST: Friday 06-28 has just been published; the market is not open.
constexpr const char* k_monday_morning = "2024-07-01T08:30:00+09:00";
// Thursday 2024-07-04 08:30 KST: 07-01, 07-02 and 07-03 are out.
constexpr const char* k_thursday_morning = "2024-07-04T08:30:00+09:00";

test::ProcessResult setup(IngestEnv& env, int days) {
  return env.run({"manual_setup", "--yes", "--days", std::to_string(days)});
}

std::int64_t scalar(SQLite::Database& db, const std::string& sql) {
  return db.execAndGet(sql).getInt64();
}

std::string text(SQLite::Database& db, const std::string& sql) {
  const auto c = db.execAndGet(sql);
  return c.isNull() ? std::string() : c.getString();
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

} // namespace

TEST_SUITE("ingest.manual_setup") {
  TEST_CASE("stores 300 sessions of every served issue and the universe of the latest session") {
    IngestEnv env(k_monday_morning);
    const auto r = setup(env, 300);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("latest session    2024-06-28") != std::string::npos);

    auto db = env.open();
    CHECK(scalar(db, "SELECT count(DISTINCT trade_date) FROM daily_prices") == 300);
    CHECK(text(db, "SELECT max(trade_date) FROM daily_prices") == "2024-06-28");
    CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
          "2024-06-28");

    // Every session holds exactly what the server serves, issue by issue.
    SQLite::Statement sessions(db, "SELECT DISTINCT trade_date FROM daily_prices ORDER BY 1");
    int checked = 0;
    while (sessions.executeStep()) {
      const auto iso = sessions.getColumn(0).getString();
      const auto bas_dd = iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2);
      std::map<std::string, std::tuple<std::string, std::string, std::string>> served;
      for (const auto* api : {"sto/stk_bydd_trd", "sto/ksq_bydd_trd"}) {
        const auto answer = env.fake().api(api, bas_dd);
        REQUIRE(answer.status == 200);
        const auto rows = Json::parse(answer.body)["OutBlock_1"];
        CAPTURE(answer.body.substr(0, 200));
        REQUIRE(!rows.empty());
        for (const auto& row : rows) {
          served[row["ISU_CD"].get<std::string>()] = {row["TDD_CLSPRC"].get<std::string>(),
                                                      row["ACC_TRDVOL"].get<std::string>(),
                                                      row["MKTCAP"].get<std::string>()};
        }
      }
      std::map<std::string, std::tuple<std::string, std::string, std::string>> stored;
      SQLite::Statement rows(db, "SELECT ticker, close, volume, market_cap FROM daily_prices "
                                 "WHERE trade_date = ?");
      rows.bind(1, iso);
      while (rows.executeStep()) {
        stored[rows.getColumn(0).getString()] = {rows.getColumn(1).getString(),
                                                 rows.getColumn(2).getString(),
                                                 rows.getColumn(3).getString()};
      }
      std::string diff;
      for (const auto& [ticker, v] : served) {
        const auto it = stored.find(ticker);
        if (it == stored.end() || it->second != v) {
          diff +=
              ticker + " served " + std::get<0>(v) + "/" + std::get<1>(v) + "/" + std::get<2>(v) +
              (it == stored.end() ? " not stored"
                                  : " stored " + std::get<0>(it->second) + "/" +
                                        std::get<1>(it->second) + "/" + std::get<2>(it->second)) +
              "; ";
        }
      }
      CAPTURE(iso);
      CHECK(diff.substr(0, 300) == "");
      CHECK(stored.size() == served.size());
      ++checked;
    }
    CHECK(checked == 300);

    // target_tickers: exactly the issues at or above 100bn KRW on 06-28.
    std::set<std::string> expected;
    for (const auto* api : {"sto/stk_bydd_trd", "sto/ksq_bydd_trd"}) {
      const auto answer = Json::parse(env.fake().api(api, "20240628").body);
      for (const auto& row : answer["OutBlock_1"]) {
        if (std::stoll(row["MKTCAP"].get<std::string>()) >= 100'000'000'000LL) {
          expected.insert(row["ISU_CD"].get<std::string>());
        }
      }
    }
    std::set<std::string> targets;
    SQLite::Statement t(db, "SELECT ticker FROM target_tickers WHERE active = 1");
    while (t.executeStep()) {
      targets.insert(t.getColumn(0).getString());
    }
    CHECK(!expected.empty());
    CHECK(targets == expected);
  }

  TEST_CASE("refuses to run without --yes when stdin is not a terminal, touching nothing") {
    IngestEnv env(k_monday_morning);
    const auto r = env.run({"manual_setup", "--days", "5"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--yes") != std::string::npos);
    CHECK(test::requested_days(env.fake()).empty());
    CHECK_FALSE(std::filesystem::exists(env.db()));
  }

  TEST_CASE(
      "kill -9 in the middle of a backfill, then a rerun: identical to an uninterrupted run") {
    IngestEnv env(k_monday_morning);
    const auto reference = (env.dir() / "reference.db").string();
    {
      auto child = env.spawn({"manual_setup", "--yes", "--days", "60"}, reference);
      REQUIRE(child.wait().exit_code == 0);
    }
    // The 30th session of the window (oldest first) hangs until the process is killed.
    const auto window =
        env.run({"calendar", "list", "--from", "2024-03-01", "--to", "2024-06-28"}).out;
    std::vector<std::string> days;
    for (std::size_t pos = 0; pos < window.size(); pos += 11) {
      days.push_back(window.substr(pos, 10));
    }
    const auto victim = days[days.size() - 60 + 29];
    env.fake().clear_requests(); // the reference run asked for every day already
    const auto victim_bas_dd = victim.substr(0, 4) + victim.substr(5, 2) + victim.substr(8, 2);
    // The victim's answers are asked for ahead, while the session before it is being written:
    // its first KOSDAQ answer is a 500, so that the request that hangs is the retry, made once
    // the session before is committed and the victim is `running`.
    env.fake().add_faults(R"({"api":"ksq_bydd_trd","date":")" + victim +
                          R"(","fault":"status","status":500,"times":1})");
    env.fake().add_faults(R"({"api":"ksq_bydd_trd","date":")" + victim +
                          R"(","fault":"delay","ms":600000})");
    auto child = env.spawn({"manual_setup", "--yes", "--days", "60"});
    env.fake().wait_for_request("ksq_bydd_trd", victim_bas_dd, 2);
    child.kill(SIGKILL);
    CHECK(child.wait().signal == SIGKILL);
    env.fake().clear_faults();
    env.fake().release_delays();
    {
      auto db = env.open();
      CHECK(text(db, "SELECT state FROM job_days WHERE trade_date = '" + victim + "'") ==
            "running");
      // Exactly the 29 sessions committed are kept. They are still in the staging table (the
      // backfill merges every 500 sessions and at its end), and the mark has not moved over
      // them: readers outside the ingest lock see daily_prices only.
      CHECK(scalar(db, "SELECT count(DISTINCT trade_date) FROM (SELECT trade_date FROM "
                       "daily_prices UNION SELECT trade_date FROM daily_prices_staging)") == 29);
      CHECK(scalar(db, "SELECT count(DISTINCT trade_date) FROM daily_prices_staging") == 29);
      CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
            "");
    }

    // The rerun merges the staged sessions first, then fetches only the other 31.
    env.fake().clear_requests();
    const auto r = setup(env, 60);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(env.digest() == env.digest(reference));
    {
      auto db = env.open();
      CHECK(scalar(db, "SELECT count(*) FROM daily_prices_staging") == 0);
    }
    const auto fetched = test::requested_days(env.fake());
    for (std::size_t i = 0; i < 29; ++i) {
      const auto& d = days[days.size() - 60 + i];
      CHECK_FALSE(fetched.contains(d.substr(0, 4) + d.substr(5, 2) + d.substr(8, 2)));
    }
  }
}

TEST_SUITE("ingest.daily_update") {
  TEST_CASE("with no history it exits 2 and says to run manual_setup") {
    IngestEnv env(k_monday_morning);
    const auto r = env.run({"daily_update"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("manual_setup") != std::string::npos);
  }

  TEST_CASE("the last 7 sessions deleted and the mark set back: exactly those are fetched") {
    IngestEnv env(k_monday_morning);
    REQUIRE(setup(env, 30).exit_code == 0);
    const auto original = env.digest();
    {
      auto db = env.open();
      db.exec("DELETE FROM daily_prices WHERE trade_date >= '2024-06-20'");
      db.exec("DELETE FROM index_prices WHERE trade_date >= '2024-06-20'");
      db.exec("DELETE FROM data_quality_issues WHERE trade_date >= '2024-06-20'");
      db.exec("UPDATE job_status SET last_success_date = '2024-06-19' "
              "WHERE job_name = 'daily_update'");
    }
    REQUIRE(env.digest() != original);
    env.fake().clear_requests();
    const auto r = env.run({"daily_update"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(test::requested_days(env.fake()) ==
          std::set<std::string>{"20240620", "20240621", "20240624", "20240625", "20240626",
                                "20240627", "20240628"});
    CHECK(env.digest() == original);
  }

  TEST_CASE("a day answering 500 twice then 200 is stored after the retries") {
    IngestEnv env(k_monday_morning);
    REQUIRE(setup(env, 10).exit_code == 0);
    env.set_now(k_thursday_morning);
    env.fake().clear_requests();
    env.fake().add_faults(
        R"({"api":"stk_bydd_trd","date":"2024-07-02","fault":"status","status":500,"times":2})");
    const auto r = env.run({"daily_update"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(test::request_count(env.fake(), "stk_bydd_trd", "20240702") == 3);
    auto db = env.open();
    CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
          "2024-07-03");
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices WHERE trade_date = '2024-07-02'") > 0);
  }

  TEST_CASE("a day answering 500 forever holds the mark, later days are stored, exit 1 names it") {
    IngestEnv env(k_monday_morning);
    REQUIRE(setup(env, 10).exit_code == 0);
    env.set_now(k_thursday_morning);
    env.fake().add_faults(
        R"({"api":"ksq_bydd_trd","date":"2024-07-02","fault":"status","status":500,"times":-1})");
    auto r = env.run({"daily_update"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("2024-07-02") != std::string::npos);
    {
      auto db = env.open();
      CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
            "2024-07-01");
      CHECK(text(db, "SELECT state FROM job_days WHERE trade_date = '2024-07-02'") == "failed");
      CHECK(
          text(db, "SELECT last_error FROM job_days WHERE trade_date = '2024-07-02'").find("500") !=
          std::string::npos);
      CHECK(scalar(db, "SELECT count(*) FROM daily_prices WHERE trade_date = '2024-07-02'") == 0);
      CHECK(scalar(db, "SELECT count(*) FROM daily_prices WHERE trade_date = '2024-07-03'") > 0);
    }
    // The next run fills it, without refetching 07-03.
    env.fake().clear_faults();
    env.fake().clear_requests();
    r = env.run({"daily_update"});
    CHECK(r.exit_code == 0);
    CHECK(test::requested_days(env.fake()) == std::set<std::string>{"20240702"});
    auto db = env.open();
    CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
          "2024-07-03");
  }

  TEST_CASE("401 Unauthorized Key: one call, exit 1, check KRX_AUTH_KEY, the key nowhere") {
    IngestEnv env(k_monday_morning, {"--auth-key", "the-right-key"});
    REQUIRE(setup(env, 5).exit_code == 1); // the probe is refused too
    env.fake().clear_requests();
    {
      // Give it some history so daily_update runs, then have the key refused.
      auto db = env.open();
      db.exec("INSERT INTO meta (key, value) VALUES ('history_start', '2024-06-27')");
    }
    const auto r = env.run({"--log-level", "trace", "daily_update"});
    CHECK(r.exit_code == 1);
    CHECK(nlohmann::json::parse(env.fake().requests()).size() == 1);
    CHECK(r.err.find("KRX_AUTH_KEY") != std::string::npos);
    CHECK(r.out.find(test::k_secret_key) == std::string::npos);
    CHECK(r.err.find(test::k_secret_key) == std::string::npos);
    // Nor in the database (alerts, run history, day errors), its WAL or the job log files.
    for (const auto& f : std::filesystem::recursive_directory_iterator(env.dir())) {
      if (!f.is_regular_file()) {
        continue;
      }
      CAPTURE(f.path().string());
      CHECK(slurp(f.path()).find(test::k_secret_key) == std::string::npos);
    }
    auto db = env.open();
    CHECK(scalar(db, "SELECT count(*) FROM alerts WHERE severity = 'CRITICAL' AND "
                     "rule = 'krx_auth'") == 1);
  }

  TEST_CASE("a truncated body and an HTML 200 are retried, then fail the day with the reason") {
    IngestEnv env(k_monday_morning);
    REQUIRE(setup(env, 5).exit_code == 0);
    env.set_now(k_thursday_morning);
    env.fake().clear_requests();
    env.fake().add_faults(
        R"([{"api":"stk_bydd_trd","date":"2024-07-01","fault":"truncate","times":-1},
            {"api":"stk_bydd_trd","date":"2024-07-02","fault":"html","times":-1}])");
    const auto r = env.run({"daily_update"});
    CHECK(r.exit_code == 1);
    CHECK(test::request_count(env.fake(), "stk_bydd_trd", "20240701") == 4);
    CHECK(test::request_count(env.fake(), "stk_bydd_trd", "20240702") == 4);
    auto db = env.open();
    const auto truncated =
        text(db, "SELECT last_error FROM job_days WHERE trade_date = '2024-07-01'");
    const auto html = text(db, "SELECT last_error FROM job_days WHERE trade_date = '2024-07-02'");
    CAPTURE(truncated);
    CAPTURE(html);
    CHECK(text(db, "SELECT state FROM job_days WHERE trade_date = '2024-07-01'") == "failed");
    CHECK(text(db, "SELECT state FROM job_days WHERE trade_date = '2024-07-02'") == "failed");
    CHECK(truncated.find("truncated") != std::string::npos);
    CHECK(html.find("HTML") != std::string::npos);
    CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
          "2024-06-28");
  }

  TEST_CASE("two daily_update started together: one does the work, the other exits 75") {
    IngestEnv env(k_monday_morning);
    REQUIRE(setup(env, 5).exit_code == 0);
    env.set_now(k_thursday_morning);
    env.fake().add_faults(
        R"({"api":"stk_bydd_trd","date":"2024-07-01","fault":"delay","ms":600000})");
    auto first = env.spawn({"daily_update"});
    env.fake().wait_for_request("stk_bydd_trd", "20240701");
    const auto second = env.run({"daily_update"});
    CHECK(second.exit_code == 75);
    CHECK(second.err.find("skipped") != std::string::npos);
    env.fake().release_delays();
    const auto r = first.wait();
    CHECK(r.exit_code == 0);
    auto db = env.open();
    CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
          "2024-07-03");
  }

  TEST_CASE("the daily call limit stops a run cleanly, the next KST day continues") {
    IngestEnv env(k_monday_morning);
    REQUIRE(setup(env, 5).exit_code == 0);
    env.set_now(k_thursday_morning);
    // 5 calls allowed today: enough for one session (4 calls), not two.
    auto r = env.run({"daily_update"}, {{"KRX_DAILY_LIMIT", "5"}});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("00:00 KST") != std::string::npos);
    {
      auto db = env.open();
      CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
            "2024-07-01");
      CHECK(text(db, "SELECT state FROM job_status WHERE job_name='daily_update'") == "partial");
    }
    env.set_now("2024-07-05T08:30:00+09:00");
    r = env.run({"daily_update"}, {{"KRX_DAILY_LIMIT", "100"}});
    CHECK(r.exit_code == 0);
    auto db = env.open();
    CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
          "2024-07-04");
  }
}

TEST_SUITE("ingest.replay") {
  TEST_CASE("real KRX captures replay through the same parser and validation") {
    const auto samples = std::filesystem::path(KRXBATCH_SHARED_DIR) / "krx-samples";
    if (!std::filesystem::exists(samples)) {
      MESSAGE("not run: " << samples.string() << " is absent (reference material)");
      return;
    }
    IngestEnv env("2024-01-08T09:00:00+09:00");
    const auto r = env.run({"--source", "replay:" + samples.string(), "daily_update", "--from",
                            "2024-01-04", "--to", "2024-01-05"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    auto db = env.open();
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices WHERE trade_date = '2024-01-05' AND "
                     "market = 'KOSPI'") == 953);
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices WHERE trade_date = '2024-01-05' AND "
                     "market = 'KOSDAQ'") == 1703);
    CHECK(text(db, "SELECT name FROM daily_prices WHERE ticker = '00104K' AND "
                   "trade_date = '2024-01-05'") == "CJ4우(전환)");
    CHECK(scalar(db, "SELECT count(*) FROM daily_prices WHERE market_cap != close * "
                     "listed_shares") == 0);
    CHECK(scalar(db, "SELECT close FROM index_prices WHERE index_name = '코스피' AND "
                     "trade_date = '2024-01-05'") == 2578);
    CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
          "2024-01-05");
    CHECK(test::requested_days(env.fake()).empty()); // replay never calls the network
  }
}
