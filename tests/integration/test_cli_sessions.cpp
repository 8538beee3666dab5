// Every session scored (issue #15), end to end against the fake KRX server: a catch-up of five
// sessions scored by one hourly_analysis and by daily_update --analyze alike, status per
// incomplete session, a week of the crontab and timers replayed at their instants, and a reload
// that changes a scored session rescored by the next run.
#include "krxbatch/util/file_lock.hpp"

#include "ingest_env.hpp"
#include "support/schedule.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

using namespace krxbatch;
using test::IngestEnv;

namespace {

// Monday 2024-07-01 08:30 KST: Friday 06-28 has just been published.
constexpr const char* k_monday_morning = "2024-07-01T08:30:00+09:00";
// Monday 2024-07-08 08:30 KST: 07-01 to 07-05 are out.
constexpr const char* k_next_monday_morning = "2024-07-08T08:30:00+09:00";
const std::vector<std::string> k_week = {"2024-07-01", "2024-07-02", "2024-07-03", "2024-07-04",
                                         "2024-07-05"};

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

// A consistent copy of a database no process has open.
void copy_db(const std::string& from, const std::string& to) {
  SQLite::Database src(from, SQLite::OPEN_READONLY);
  src.backup(to.c_str(), SQLite::Database::Save);
}

// The active targets without a current row for `session` (none: scored for every target).
std::string unscored(SQLite::Database& db, const std::string& session) {
  return text(db, "SELECT count(*) FROM target_tickers t LEFT JOIN analysis_results r ON "
                  "r.ticker = t.ticker AND r.as_of_date = '" +
                      session + "' AND r.stale = 0 WHERE t.active = 1 AND r.ticker IS NULL");
}

std::vector<std::string> ranked_sessions(SQLite::Database& db) {
  return column(db,
                "SELECT session FROM analysis_sessions WHERE state = 'ranked' ORDER BY session");
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) {
    out.push_back(w);
  }
  return out;
}

} // namespace

TEST_SUITE("analysis.sessions") {
  TEST_CASE("after a daily_update that catches up five sessions, one hourly_analysis scores all "
            "five for every active target, and daily_update --analyze gives the same database") {
    IngestEnv env(k_monday_morning);
    const auto setup = env.run({"manual_setup", "--yes", "--days", "130"});
    INFO(setup.err);
    REQUIRE(setup.exit_code == 0);
    env.set_now(k_next_monday_morning);
    const auto other = (env.dir() / "analyze.db").string();
    copy_db(env.db(), other);

    REQUIRE(env.run({"daily_update"}).exit_code == 0);
    auto db = env.open();
    const auto targets = text(db, "SELECT count(*) FROM target_tickers WHERE active = 1");
    REQUIRE(std::stoi(targets) > 20);

    // A run stopped by its quota works the newest session first; status lists every session
    // still to score, newest first, with scored / remaining.
    auto r = env.run({"--log-level", "info", "hourly_analysis", "--quota", "10"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("partial: sessions 2024-07-01..2024-07-05: 0 of 5 ranked, 10 stocks "
                     "analysed") != std::string::npos);
    CHECK(column(db, "SELECT DISTINCT as_of_date FROM analysis_results") ==
          std::vector<std::string>{"2024-07-05"});
    const auto status = env.run({"--json", "status"});
    REQUIRE(status.exit_code == 0);
    const auto incomplete = nlohmann::json::parse(status.out).at("analysis").at("incomplete");
    REQUIRE(incomplete.size() == 5);
    CHECK(incomplete[0].at("session") == "2024-07-05");
    CHECK(incomplete[0].at("scored") == 10);
    CHECK(incomplete[0].at("remaining") == std::stoi(targets) - 10);
    CHECK(incomplete[4].at("session") == "2024-07-01");
    CHECK(incomplete[4].at("scored") == 0);
    const auto table = env.run({"status"});
    CHECK(table.out.find("5 session(s) to score") != std::string::npos);
    CHECK(table.out.find("2024-07-05 10 scored / " + std::to_string(std::stoi(targets) - 10) +
                         " remaining") != std::string::npos);

    r = env.run({"--log-level", "info", "hourly_analysis"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("succeeded: sessions 2024-07-01..2024-07-05: 5 of 5 ranked") !=
          std::string::npos);
    CHECK(ranked_sessions(db) == k_week);
    for (const auto& s : k_week) {
      CAPTURE(s);
      CHECK(unscored(db, s) == "0");
      CHECK(std::stoi(text(db, "SELECT count(score) FROM analysis_results WHERE as_of_date = '" +
                                   s + "'")) > std::stoi(targets) / 2);
      CHECK(text(db, "SELECT targets FROM analysis_sessions WHERE session = '" + s + "'") ==
            targets);
    }
    CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name = "
                   "'hourly_analysis'") == "2024-07-05");
    // KOSDAQ stocks are measured against the KOSDAQ composite: none lacks its index.
    CHECK(std::stoi(text(db, "SELECT count(*) FROM analysis_results r JOIN target_tickers t ON "
                             "t.ticker = r.ticker WHERE t.market = 'KOSDAQ' AND r.f_beta_120 IS "
                             "NOT NULL")) > 0);
    CHECK(text(db, "SELECT count(*) FROM analysis_results WHERE flags LIKE '%no_index%'") == "0");

    // The same catch-up with --analyze: two job runs in one process, the same database.
    const auto a =
        env.run({"--log-level", "info", "daily_update", "--analyze"}, {{"KRXBATCH_DB", other}});
    INFO(a.err);
    CHECK(a.exit_code == 0);
    CHECK(a.err.find("daily_update: succeeded: 5 session(s) stored") != std::string::npos);
    CHECK(a.err.find("hourly_analysis: succeeded: sessions 2024-07-01..2024-07-05: 5 of 5 "
                     "ranked") != std::string::npos);
    SQLite::Database analyzed(other, SQLite::OPEN_READONLY);
    CHECK(column(analyzed, "SELECT job_name || ' ' || outcome FROM job_runs WHERE run_id > 1 "
                           "ORDER BY run_id") ==
          std::vector<std::string>{"daily_update succeeded", "hourly_analysis succeeded"});
    CHECK(env.digest(other) == env.digest());

    // Nothing new: --analyze does not run the analysis, and says so.
    const auto again =
        env.run({"--log-level", "info", "daily_update", "--analyze"}, {{"KRXBATCH_DB", other}});
    CHECK(again.exit_code == 0);
    CHECK(again.err.find("no session stored; the analysis is not run") != std::string::npos);
  }

  TEST_CASE("daily_update --analyze while another hourly_analysis holds its lock exits with "
            "daily_update's code and leaves the scoring to the next run") {
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "30"}).exit_code == 0);
    env.set_now("2024-07-02T08:30:00+09:00");
    auto held = util::FileLock::try_acquire(env.db() + ".analysis.lock");
    REQUIRE(held);
    const auto r = env.run({"--log-level", "info", "daily_update", "--analyze"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("daily_update: succeeded: 1 session(s) stored (2024-07-01") !=
          std::string::npos);
    CHECK(r.err.find("another hourly_analysis") != std::string::npos);
    auto db = env.open();
    CHECK(text(db, "SELECT count(*) FROM analysis_results") == "0");
    held.reset();
    const auto next = env.run({"--log-level", "info", "hourly_analysis"});
    CHECK(next.exit_code == 0);
    CHECK(ranked_sessions(db) == std::vector<std::string>{"2024-07-01"});
  }

  TEST_CASE("a week of the crontab and the timers, each run at its instant: session T is scored "
            "by the 08:30 run of T+1") {
    namespace sch = test::schedule;
    const auto cron_dir = test::source_dir() / "cron";
    const auto crontab = sch::parse_crontab(sch::read_text(cron_dir / "krxbatch.crontab"));
    const auto timers = sch::parse_timers(cron_dir / "systemd");
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "30"}).exit_code == 0);

    // Every run of the jobs from Monday 08:31 to the next Monday 09:00, in time order.
    const core::KstTime from(core::Date(2024, 7, 1), boost::posix_time::minutes(8 * 60 + 31));
    const core::KstTime to(core::Date(2024, 7, 8), boost::posix_time::hours(9));
    std::multimap<core::KstTime, std::string> runs;
    for (const auto* command : {"daily_update --analyze", "hourly_analysis"}) {
      CAPTURE(command);
      const auto fired = sch::firings(crontab.schedule.at(command), from, to);
      CHECK(sch::firings(timers.at(command), from, to) == fired);
      for (const auto& t : fired) {
        runs.emplace(t, command);
      }
    }
    REQUIRE(runs.size() == 10 + 70);
    auto db = env.open();
    std::vector<std::string> scored_by_morning;
    for (const auto& [t, command] : runs) {
      const auto now = core::to_iso(t);
      CAPTURE(now);
      CAPTURE(command);
      env.set_now(now);
      const auto r = env.run(words(command));
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      const auto hm = t.time_of_day();
      if (command != "hourly_analysis" && hm.hours() == 8) {
        // T, the previous session, is stored and ranked for every target by this run.
        const auto ranked = ranked_sessions(db);
        REQUIRE(!ranked.empty());
        scored_by_morning.push_back(ranked.back());
        CHECK(unscored(db, ranked.back()) == "0");
      }
    }
    // The mornings of 07-02 .. 07-08 scored 07-01 .. 07-05; 06-28 (manual_setup's last
    // session) by Monday evening's hourly run.
    CHECK(scored_by_morning == k_week);
    CHECK(ranked_sessions(db) == std::vector<std::string>{"2024-06-28", "2024-07-01", "2024-07-02",
                                                          "2024-07-03", "2024-07-04",
                                                          "2024-07-05"});
  }

  TEST_CASE("a reload that changes a scored session is rescored by the next run, and one that "
            "changes nothing rescores nothing") {
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "130"}).exit_code == 0);
    env.set_now("2024-07-04T08:30:00+09:00");
    const auto clean = (env.dir() / "clean.db").string();
    copy_db(env.db(), clean);
    auto db = env.open();
    // A stored close that is wrong (as if KRX corrected it later) for one target on 07-02.
    const auto ticker = text(db, "SELECT ticker FROM target_tickers WHERE active = 1 ORDER BY "
                                 "market_cap DESC LIMIT 1");
    REQUIRE(env.run({"daily_update"}).exit_code == 0);
    REQUIRE(env.run({"daily_update"}, {{"KRXBATCH_DB", clean}}).exit_code == 0);
    db.exec("UPDATE daily_prices SET close = close * 2 WHERE ticker = '" + ticker +
            "' AND trade_date = '2024-07-02'");
    REQUIRE(env.run({"hourly_analysis"}).exit_code == 0);
    REQUIRE(env.run({"hourly_analysis"}, {{"KRXBATCH_DB", clean}}).exit_code == 0);
    const auto expected = env.digest(clean);
    CHECK(env.digest() != expected);

    // The reload stores KRX's rows again: the two scores that read the wrong close (07-02 and
    // 07-03) are marked stale and their sessions pending.
    auto r = env.run(
        {"--log-level", "info", "daily_update", "--from", "2024-07-02", "--to", "2024-07-02"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("the reload changed 1 issue(s) on 2024-07-02: 2 score(s)") !=
          std::string::npos);
    CHECK(column(db, "SELECT ticker || ' ' || as_of_date FROM analysis_results WHERE stale = 1 "
                     "ORDER BY as_of_date") ==
          std::vector<std::string>{ticker + " 2024-07-02", ticker + " 2024-07-03"});
    CHECK(column(db, "SELECT session || ' ' || state || ' ' || ifnull(reason, '-') FROM "
                     "analysis_sessions ORDER BY session") ==
          std::vector<std::string>{"2024-07-01 ranked -", "2024-07-02 pending reload of 2024-07-02",
                                   "2024-07-03 pending reload of 2024-07-02"});

    r = env.run({"--log-level", "info", "hourly_analysis"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("succeeded: sessions 2024-07-02..2024-07-03: 2 of 2 ranked, 2 stocks "
                     "analysed") != std::string::npos);
    CHECK(env.digest() == expected);

    // Reloading the same rows again changes nothing, so nothing is rescored.
    r = env.run(
        {"--log-level", "info", "daily_update", "--from", "2024-07-01", "--to", "2024-07-03"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("the reload changed") == std::string::npos);
    r = env.run({"--log-level", "info", "hourly_analysis"});
    CHECK(r.err.find("skipped: nothing to do") != std::string::npos);
    CHECK(env.digest() == expected);
  }

  TEST_CASE("the quick start's commands end with the three sessions daily_update caught up "
            "scored") {
    // The jobs of scripts/quickstart, as it runs them ("$bin" ... lines), on a database of our own.
    const auto dir = std::filesystem::temp_directory_path() /
                     ("krxbatch-quickstart-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto db_path = (dir / "krx.db").string();
    std::istringstream script(
        test::schedule::read_text(test::source_dir() / "scripts" / "quickstart"));
    int jobs = 0;
    for (std::string line; std::getline(script, line);) {
      auto w = words(line);
      if (w.empty() || w[0] != "\"$bin\"" || std::find(w.begin(), w.end(), "status") != w.end()) {
        continue;
      }
      std::vector<std::string> argv = {test::krxbatch_binary().string(), "--db", db_path};
      for (std::size_t i = 1; i < w.size(); ++i) {
        argv.push_back(w[i] == "\"$sample\""
                           ? "replay:" + (test::source_dir() / "data" / "sample").string()
                           : w[i]);
      }
      const auto r = test::run(argv, {});
      INFO(line);
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      ++jobs;
    }
    CHECK(jobs == 3);
    {
      SQLite::Database db(db_path, SQLite::OPEN_READONLY);
      CHECK(ranked_sessions(db) ==
            std::vector<std::string>{"2026-11-18", "2026-11-19", "2026-11-20"});
      for (const auto* s : {"2026-11-18", "2026-11-19", "2026-11-20"}) {
        CAPTURE(s);
        CHECK(unscored(db, s) == "0");
        CHECK(std::stoi(text(db, std::string("SELECT count(score) FROM analysis_results WHERE "
                                             "as_of_date = '") +
                                     s + "'")) > 0);
      }
    }
    std::filesystem::remove_all(dir);
  }
}
