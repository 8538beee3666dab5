// hourly_analysis on databases built by the real `krxbatch manual_setup --yes --days 300`
// against the fake KRX server: the queue by market cap, completing and ranking the universe,
// a lagging daily_update, and kill -9 followed by a rerun.
#include "ingest_env.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <set>

using namespace krxbatch;
using test::IngestEnv;

namespace {

// Monday 2024-07-01 08:30 KST: Friday 06-28 has just been published.
constexpr const char* k_monday_morning = "2024-07-01T08:30:00+09:00";
// Thursday 2024-07-04 08:30 KST: 07-01, 07-02 and 07-03 are out.
constexpr const char* k_thursday_morning = "2024-07-04T08:30:00+09:00";

std::vector<std::string> column(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement st(db, sql);
  std::vector<std::string> out;
  while (st.executeStep()) {
    out.push_back(st.getColumn(0).isNull() ? "NULL" : st.getColumn(0).getString());
  }
  return out;
}

std::string text(SQLite::Database& db, const std::string& sql) {
  const auto c = column(db, sql);
  return c.empty() ? std::string() : c.front();
}

// Active targets by market cap on `session`, largest first, ties by ticker.
std::vector<std::string> by_cap(SQLite::Database& db, const std::string& session) {
  return column(db, "SELECT t.ticker FROM target_tickers t JOIN daily_prices p ON p.ticker = "
                    "t.ticker AND p.trade_date = '" +
                        session + "' WHERE t.active = 1 ORDER BY p.market_cap DESC, t.ticker");
}

std::set<std::string> analysed(SQLite::Database& db, const std::string& session) {
  const auto c =
      column(db, "SELECT ticker FROM analysis_results WHERE as_of_date = '" + session + "'");
  return {c.begin(), c.end()};
}

} // namespace

// The hourly_analysis runs pass --log-level info: these tests read their summaries on stderr,
// which a run without a terminal keeps for its log file otherwise (cron-quiet).
TEST_SUITE("analysis.end_to_end") {
  TEST_CASE("after manual_setup, quota runs go by market cap and the last one ranks the session") {
    IngestEnv env(k_monday_morning);
    const auto setup = env.run({"manual_setup", "--yes", "--days", "300"});
    INFO(setup.err);
    REQUIRE(setup.exit_code == 0);
    auto db = env.open();
    const auto order = by_cap(db, "2024-06-28");
    const auto targets = order.size();
    REQUIRE(targets > 20);

    auto r = env.run({"--log-level", "info", "hourly_analysis", "--quota", "10"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(analysed(db, "2024-06-28") == std::set<std::string>(order.begin(), order.begin() + 10));
    CHECK(text(db, "SELECT state FROM job_status WHERE job_name = 'hourly_analysis'") == "partial");

    r = env.run({"--log-level", "info", "hourly_analysis", "--quota", "10"});
    CHECK(r.exit_code == 0);
    CHECK(analysed(db, "2024-06-28") == std::set<std::string>(order.begin(), order.begin() + 20));

    int runs = 2;
    while (analysed(db, "2024-06-28").size() < targets && runs < 20) {
      r = env.run({"--log-level", "info", "hourly_analysis", "--quota", "10"});
      REQUIRE(r.exit_code == 0);
      ++runs;
    }
    INFO(r.err);
    CHECK(runs == static_cast<int>((targets + 9) / 10));
    CHECK(r.err.find("succeeded: session 2024-06-28") != std::string::npos);
    CHECK(r.err.find("session ranked") != std::string::npos);
    CHECK(text(db, "SELECT last_success_date || ' ' || state FROM job_status WHERE job_name = "
                   "'hourly_analysis'") == "2024-06-28 succeeded");
    // Every eligible target has a 0-100 score, the others none.
    CHECK(text(db, "SELECT count(*) FROM analysis_results WHERE as_of_date = '2024-06-28' AND "
                   "(eligible = 1) <> (score IS NOT NULL)") == "0");
    CHECK(text(db, "SELECT count(*) FROM analysis_results WHERE score < 0 OR score > 100") == "0");
    CHECK(text(db, "SELECT max(score) FROM analysis_results") == "100.0");
    CHECK(std::stoi(text(db, "SELECT count(*) FROM analysis_results WHERE eligible = 1")) >
          static_cast<int>(targets / 2));
    CHECK(text(db, "SELECT count(*) FROM analysis_results WHERE error IS NOT NULL") == "0");

    // A further run does nothing.
    const auto before = env.digest();
    r = env.run({"--log-level", "info", "hourly_analysis"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("skipped: nothing to do") != std::string::npos);
    CHECK(env.digest() == before);

    // Three more sessions are published but daily_update has not run: nothing newer than its
    // mark is analysed, and the run says so.
    env.set_now(k_thursday_morning);
    r = env.run({"--log-level", "info", "hourly_analysis"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("daily_update has not completed 2024-07-03; analysing 2024-06-28") !=
          std::string::npos);
    CHECK(column(db, "SELECT DISTINCT as_of_date FROM analysis_results") ==
          std::vector<std::string>{"2024-06-28"});

    // daily_update catches up; the next run analyses and ranks 07-01, 07-02 and 07-03.
    REQUIRE(env.run({"daily_update"}).exit_code == 0);
    r = env.run({"--log-level", "info", "hourly_analysis"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("succeeded: sessions 2024-07-01..2024-07-03: 3 of 3 ranked") !=
          std::string::npos);
    CHECK(r.err.find("daily_update has not completed") == std::string::npos);
    CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name = "
                   "'hourly_analysis'") == "2024-07-03");
  }

  TEST_CASE("hourly_analysis runs while daily_update is in the middle of a catch-up") {
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "300"}).exit_code == 0);
    env.set_now(k_thursday_morning);
    // daily_update stores 07-01, then hangs in the fetch of 07-02 until released. 07-02 is
    // asked for ahead while 07-01 is written: its first answer is a 500, and the retry that
    // hangs comes after 07-01's commit.
    env.fake().add_faults(
        R"({"api":"stk_bydd_trd","date":"2024-07-02","fault":"status","status":500,"times":1})");
    env.fake().add_faults(
        R"({"api":"stk_bydd_trd","date":"2024-07-02","fault":"delay","ms":600000})");
    auto update = env.spawn({"daily_update"});
    env.fake().wait_for_request("stk_bydd_trd", "20240702", 2);

    auto r = env.run({"--log-level", "info", "hourly_analysis"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("succeeded: session 2024-07-01") != std::string::npos);
    CHECK(r.err.find("daily_update has not completed 2024-07-03; analysing 2024-07-01") !=
          std::string::npos);

    env.fake().release_delays();
    const auto u = update.wait();
    INFO(u.err);
    CHECK(u.exit_code == 0);
    // The next run scores the two sessions stored since, the newest first: no hole.
    r = env.run({"--log-level", "info", "hourly_analysis"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("succeeded: sessions 2024-07-02..2024-07-03: 2 of 2 ranked") !=
          std::string::npos);
    auto db = env.open();
    CHECK(column(db, "SELECT DISTINCT as_of_date FROM analysis_results ORDER BY 1") ==
          std::vector<std::string>{"2024-07-01", "2024-07-02", "2024-07-03"});
  }

  TEST_CASE("kill -9 mid-batch on a manual_setup database, then a rerun, is an uninterrupted run") {
    IngestEnv env(k_monday_morning, {"--kospi", "150", "--kosdaq", "200"});
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "300"}).exit_code == 0);
    const auto calm = (env.dir() / "calm.db").string();
    const auto killed = (env.dir() / "killed.db").string();
    {
      auto db = env.open();
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      REQUIRE(std::stoi(text(db, "SELECT count(*) FROM target_tickers WHERE active = 1")) > 100);
    }
    std::filesystem::copy_file(env.db(), calm);
    std::filesystem::copy_file(env.db(), killed);

    auto o = env.options(calm);
    CHECK(test::run({test::krxbatch_binary().string(), "hourly_analysis"}, o).exit_code == 0);

    // SIGKILL after the 75th stock: one batch of 50 committed, the second half written.
    o = env.options(killed);
    o.env.emplace_back("KRXBATCH_TEST_KILL_AFTER_STOCKS", "75");
    const auto k = test::run({test::krxbatch_binary().string(), "hourly_analysis"}, o);
    REQUIRE(k.signal == SIGKILL);
    {
      SQLite::Database db(killed, SQLite::OPEN_READONLY);
      CHECK(text(db, "SELECT count(*) FROM analysis_results") == "50");
    }
    const auto rerun =
        test::run({test::krxbatch_binary().string(), "hourly_analysis"}, env.options(killed));
    INFO(rerun.err);
    CHECK(rerun.exit_code == 0);
    CHECK(env.digest(killed) == env.digest(calm));
  }
}
