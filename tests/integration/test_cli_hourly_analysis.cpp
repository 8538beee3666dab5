// `krxbatch hourly_analysis` as a process on a database file: the queue order and quota,
// completing and ranking the universe, budgets, a lagging daily_update, --ticker, the lock,
// and kill -9 followed by a rerun.
//
// The databases are written through the store API (tests/support/synthetic_market.hpp), which
// is fast and lets a test shape the market (new listings, suspensions, a lagging mark); the
// same flows on databases built by the real manual_setup against the fake KRX server are in
// test_cli_analysis_pipeline.cpp.
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/util/file_lock.hpp"

#include "support/process.hpp"
#include "support/synthetic_market.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <set>
#include <unistd.h>

using namespace krxbatch;

namespace {

const std::string k_now = "2024-07-02T09:00:00+09:00"; // 2024-07-01 is published

struct Workspace {
  explicit Workspace(const std::string& name)
      : dir(std::filesystem::temp_directory_path() /
            ("krxbatch-ha-" + std::to_string(::getpid()) + "-" + name)) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Workspace() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  std::string path(const std::string& file) const { return (dir / file).string(); }
  std::filesystem::path dir;
};

const calendar::Calendar& calendar() {
  static const auto cal = calendar::Calendar::load(test::source_dir() / "holidays");
  return cal;
}

// The `n` sessions ending on `last`, and the session before `day`.
std::vector<core::Date> sessions_ending(core::Date last, int n) {
  return calendar().business_days(calendar().business_day_back(last, n - 1), last);
}
core::Date session_before(core::Date day) {
  return calendar().previous_business_day(day);
}

// A synthetic market of `tickers` issues over `sessions` sessions ending on `last`, in `db`.
void build_market(const std::string& db, std::size_t tickers, std::size_t sessions,
                  core::Date last = core::Date(2024, 7, 1)) {
  test::SyntheticMarket m;
  m.tickers = tickers;
  m.sessions = calendar().business_days(
      calendar().business_day_back(last, static_cast<int>(sessions) - 1), last);
  // One new listing (short history) and one issue suspended on the last session.
  m.listed_from = [sessions](std::size_t i) -> std::size_t { return i == 3 ? sessions - 30 : 0; };
  m.suspended = [sessions](std::size_t i, std::size_t s) { return i == 4 && s + 1 == sessions; };
  store::Database database(db);
  test::write_synthetic_market(database, m);
}

// With --log-level info: the tests read the runs' summaries on stderr, which a run without a
// terminal keeps for its log file otherwise (cron-quiet).
test::ProcessResult krxbatch(const std::string& db, const std::vector<std::string>& args,
                             const std::string& now = k_now) {
  std::vector<std::string> argv = {test::krxbatch_binary().string(), "--log-level", "info"};
  argv.insert(argv.end(), args.begin(), args.end());
  test::SpawnOptions o;
  o.env = {{"KRXBATCH_DB", db}, {"KRXBATCH_NOW", now}};
  return test::run(argv, o);
}

test::ProcessResult analyse(const std::string& db, std::vector<std::string> args = {},
                            const std::string& now = k_now) {
  args.insert(args.begin(), "hourly_analysis");
  return krxbatch(db, args, now);
}

std::vector<std::string> column(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  SQLite::Statement st(d, sql);
  std::vector<std::string> out;
  while (st.executeStep()) {
    out.push_back(st.getColumn(0).isNull() ? "NULL" : st.getColumn(0).getString());
  }
  return out;
}

std::string scalar(const std::string& db, const std::string& sql) {
  const auto c = column(db, sql);
  return c.empty() ? "" : c.front();
}

// Targets by market cap on the session, largest first, ties by ticker.
std::vector<std::string> by_cap(const std::string& db, const std::string& session) {
  return column(db, "SELECT t.ticker FROM target_tickers t JOIN daily_prices p ON p.ticker = "
                    "t.ticker AND p.trade_date = '" +
                        session + "' WHERE t.active = 1 ORDER BY p.market_cap DESC, t.ticker");
}

std::set<std::string> analysed(const std::string& db, const std::string& session) {
  const auto c =
      column(db, "SELECT ticker FROM analysis_results WHERE as_of_date = '" + session + "'");
  return {c.begin(), c.end()};
}

std::string digest(const std::string& db) {
  const auto r = krxbatch(db, {"digest"});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

bool has_exited(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string field;
  for (int i = 0; i < 3 && stat >> field; ++i) {
  }
  return !stat || field == "Z" || field == "X";
}

} // namespace

TEST_SUITE("cli.hourly_analysis") {
  TEST_CASE("quota runs take the largest caps first, then complete, rank and mark the session") {
    Workspace ws("quota");
    const auto db = ws.path("krx.db");
    build_market(db, 36, 300);
    const auto order = by_cap(db, "2024-07-01");
    REQUIRE(order.size() == 36);

    auto r = analyse(db, {"--quota", "10"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(analysed(db, "2024-07-01") == std::set<std::string>(order.begin(), order.begin() + 10));
    CHECK(r.err.find("hourly_analysis: partial: session 2024-07-01: 10 analysed, 0 failed, 26 "
                     "remaining of 36 targets") != std::string::npos);
    CHECK(scalar(db, "SELECT state FROM job_status WHERE job_name = 'hourly_analysis'") ==
          "partial");
    CHECK(scalar(db, "SELECT count(*) FROM analysis_results WHERE score IS NOT NULL") == "0");

    r = analyse(db, {"--quota", "10"}, "2024-07-02T10:00:00+09:00");
    CHECK(r.exit_code == 0);
    CHECK(analysed(db, "2024-07-01") == std::set<std::string>(order.begin(), order.begin() + 20));

    r = analyse(db, {"--quota", "10"}, "2024-07-02T11:00:00+09:00");
    CHECK(analysed(db, "2024-07-01").size() == 30);
    r = analyse(db, {"--quota", "10"}, "2024-07-02T12:00:00+09:00");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("succeeded: session 2024-07-01: 6 analysed, 0 failed, 0 remaining of 36 "
                     "targets; session ranked (34 eligible)") != std::string::npos);

    // Every eligible target has a score in 0-100, the others none; the job's mark is set.
    CHECK(scalar(db, "SELECT count(*) FROM analysis_results WHERE eligible = 1 AND score BETWEEN "
                     "0 AND 100") == "34");
    CHECK(column(db, "SELECT ticker || ':' || flags FROM analysis_results WHERE score IS NULL "
                     "ORDER BY ticker") ==
          std::vector<std::string>{test::synthetic_ticker(3) + ":short_history",
                                   test::synthetic_ticker(4) + ":suspended"});
    CHECK(scalar(db, "SELECT max(score) FROM analysis_results") == "100.0");
    CHECK(scalar(db, "SELECT min(score) FROM analysis_results") == "0.0");
    CHECK(scalar(db, "SELECT last_success_date || ' ' || state FROM job_status WHERE job_name = "
                     "'hourly_analysis'") == "2024-07-01 succeeded");
    CHECK(scalar(db, "SELECT count(*) FROM target_tickers WHERE last_analyzed_date = "
                     "'2024-07-01'") == "36");
    // The operator's view: indicator values and raw factors are there.
    CHECK(scalar(db, "SELECT count(*) FROM analysis_results WHERE eligible = 1 AND rsi14 IS NOT "
                     "NULL AND sma120 IS NOT NULL AND f_mom_12_7 IS NOT NULL AND composite_raw "
                     "IS NOT NULL") == "34");

    // A further run does nothing.
    const auto before = digest(db);
    r = analyse(db, {}, "2024-07-02T13:00:00+09:00");
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("hourly_analysis: skipped: nothing to do") != std::string::npos);
    CHECK(digest(db) == before);
    CHECK(scalar(db, "SELECT state FROM job_status WHERE job_name = 'hourly_analysis'") ==
          "skipped");
  }

  TEST_CASE("a run whose budget ends records partial and the next resumes without redoing") {
    Workspace ws("budget");
    const auto db = ws.path("krx.db");
    build_market(db, 20, 260);

    auto r = analyse(db, {"--budget-seconds", "0"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("partial: session 2024-07-01: 0 analysed, 0 failed, 20 remaining") !=
          std::string::npos);
    CHECK(r.err.find("time budget") != std::string::npos);
    CHECK(scalar(db, "SELECT state FROM job_status WHERE job_name = 'hourly_analysis'") ==
          "partial");
    CHECK(analysed(db, "2024-07-01").empty());

    r = analyse(db, {"--quota", "7"}, "2024-07-02T10:00:00+09:00");
    REQUIRE(r.exit_code == 0);
    const auto first =
        column(db, "SELECT ticker || ' ' || computed_at FROM analysis_results ORDER BY ticker");
    REQUIRE(first.size() == 7);

    r = analyse(db, {"--budget-minutes", "50"}, "2024-07-02T11:00:00+09:00");
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("succeeded: session 2024-07-01: 13 analysed") != std::string::npos);
    // The seven committed stocks were not analysed again.
    const auto after = column(db, "SELECT ticker || ' ' || computed_at FROM analysis_results "
                                  "WHERE computed_at < '2024-07-02T11' ORDER BY ticker");
    CHECK(after == first);
  }

  TEST_CASE("while daily_update has not completed the newest session, its mark is analysed") {
    Workspace ws("lag");
    const auto db = ws.path("krx.db");
    // Prices are stored through 2024-07-02, but daily_update's mark says 2024-07-01.
    build_market(db, 8, 200, core::Date(2024, 7, 2));
    {
      SQLite::Database d(db, SQLite::OPEN_READWRITE);
      d.exec("UPDATE job_status SET last_success_date = '2024-07-01' WHERE job_name = "
             "'daily_update'");
    }
    const auto r = analyse(db, {}, "2024-07-04T09:00:00+09:00");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("daily_update has not completed 2024-07-03; analysing 2024-07-01") !=
          std::string::npos);
    CHECK(column(db, "SELECT DISTINCT as_of_date FROM analysis_results") ==
          std::vector<std::string>{"2024-07-01"});
    // No bar of 2024-07-02 was used: the stored closes are 2024-07-01's.
    CHECK(scalar(db, "SELECT count(*) FROM analysis_results r JOIN daily_prices p ON p.ticker = "
                     "r.ticker AND p.trade_date = '2024-07-01' WHERE r.close = p.close") == "8");
    CHECK(scalar(db, "SELECT last_success_date FROM job_status WHERE job_name = "
                     "'hourly_analysis'") == "2024-07-01");
  }

  TEST_CASE("--ticker recomputes one stock and ranks the session again") {
    Workspace ws("ticker");
    const auto db = ws.path("krx.db");
    build_market(db, 12, 260);
    REQUIRE(analyse(db).exit_code == 0);
    const auto ticker = test::synthetic_ticker(7);
    const auto others = column(db, "SELECT ticker || ' ' || computed_at FROM analysis_results "
                                   "WHERE ticker <> '" +
                                       ticker + "' ORDER BY ticker");
    {
      SQLite::Database d(db, SQLite::OPEN_READWRITE);
      d.exec("UPDATE daily_prices SET close = close * 2 WHERE ticker = '" + ticker +
             "' AND trade_date = '2024-07-01'");
    }
    const auto r = analyse(db, {"--ticker", ticker}, "2024-07-02T10:00:00+09:00");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("succeeded: session 2024-07-01: " + ticker + " recomputed") !=
          std::string::npos);
    CHECK(scalar(db, "SELECT r.close = p.close FROM analysis_results r JOIN daily_prices p ON "
                     "p.ticker = r.ticker AND p.trade_date = r.as_of_date WHERE r.ticker = '" +
                         ticker + "'") == "1");
    CHECK(scalar(db, "SELECT count(*) FROM analysis_results WHERE ranked_at LIKE "
                     "'2024-07-02T10:%'") == "12");
    CHECK(column(db, "SELECT ticker || ' ' || computed_at FROM analysis_results WHERE ticker <> '" +
                         ticker + "' ORDER BY ticker") == others);

    const auto unknown = analyse(db, {"--ticker", "999999"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("999999 is not a target ticker") != std::string::npos);
  }

  TEST_CASE("a second instance exits 75 and changes nothing") {
    Workspace ws("lock");
    const auto db = ws.path("krx.db");
    build_market(db, 4, 130);
    const auto before = digest(db);
    auto held = util::FileLock::try_acquire(db + ".analysis.lock");
    REQUIRE(held);
    const auto r = analyse(db);
    CHECK(r.exit_code == 75);
    CHECK(r.err.find("krxbatch: skipped: hourly_analysis: another hourly_analysis") !=
          std::string::npos);
    CHECK(digest(db) == before);
    CHECK(scalar(db, "SELECT count(*) FROM job_runs WHERE job_name = 'hourly_analysis'") == "0");
    held.reset();
    CHECK(analyse(db).exit_code == 0);
  }

  TEST_CASE("without daily_update's mark it exits 2 and says to run manual_setup") {
    Workspace ws("nomark");
    const auto r = analyse(ws.path("empty.db"));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("run `krxbatch manual_setup` first") != std::string::npos);
  }

  TEST_CASE("a stock that cannot be analysed fails the run with exit 1 but not the session") {
    Workspace ws("failure");
    const auto db = ws.path("krx.db");
    build_market(db, 6, 130);
    {
      SQLite::Database d(db, SQLite::OPEN_READWRITE);
      d.exec("INSERT INTO target_tickers (ticker, name, market, market_cap, universe_date, "
             "added_date) VALUES ('99999K', 'ghost', 'KOSPI', 1, '2024-07-01', '2024-07-01')");
    }
    const auto r = analyse(db);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("failed: session 2024-07-01: 7 analysed, 1 failed, 0 remaining of 7 "
                     "targets (first error: 99999K: no prices stored") != std::string::npos);
    CHECK(scalar(db, "SELECT last_error IS NOT NULL FROM target_tickers WHERE ticker = "
                     "'99999K'") == "1");
    CHECK(scalar(db, "SELECT last_success_date FROM job_status WHERE job_name = "
                     "'hourly_analysis'") == "2024-07-01");
  }

  TEST_CASE("kill -9 in the middle of a batch, then a rerun, gives the uninterrupted database") {
    Workspace ws("kill-batch");
    const auto base = ws.path("base.db");
    build_market(base, 130, 140);
    const auto calm = ws.path("calm.db");
    const auto killed = ws.path("killed.db");
    std::filesystem::copy_file(base, calm);
    std::filesystem::copy_file(base, killed);
    REQUIRE(analyse(calm).exit_code == 0);

    // SIGKILL after the 75th stock's row: batch 1 (50) is committed, batch 2 is half written.
    test::SpawnOptions o;
    o.env = {{"KRXBATCH_DB", killed},
             {"KRXBATCH_NOW", k_now},
             {"KRXBATCH_TEST_KILL_AFTER_STOCKS", "75"}};
    const auto k = test::run({test::krxbatch_binary().string(), "hourly_analysis"}, o);
    INFO(k.err);
    REQUIRE(k.signal == SIGKILL);
    CHECK(scalar(killed, "SELECT count(*) FROM analysis_results") == "50");
    CHECK(scalar(killed, "SELECT count(*) FROM target_tickers WHERE last_analyzed_date IS NOT "
                         "NULL") == "50");
    CHECK(scalar(killed, "SELECT state FROM job_status WHERE job_name = 'hourly_analysis'") ==
          "running");

    const auto rerun = analyse(killed);
    INFO(rerun.err);
    CHECK(rerun.exit_code == 0);
    CHECK(rerun.err.find("stopped before finishing") != std::string::npos);
    CHECK(rerun.err.find("succeeded: session 2024-07-01: 80 analysed") != std::string::npos);
    CHECK(scalar(killed, "SELECT outcome FROM job_runs WHERE job_name = 'hourly_analysis' ORDER "
                         "BY run_id LIMIT 1") == "failed");
    CHECK(digest(killed) == digest(calm));
  }

  TEST_CASE("kill -9 from outside during a run, then a rerun, gives the uninterrupted database") {
    Workspace ws("kill");
    const auto base = ws.path("base.db");
    build_market(base, 400, 140);
    const auto calm = ws.path("calm.db");
    const auto killed = ws.path("killed.db");
    std::filesystem::copy_file(base, calm);
    std::filesystem::copy_file(base, killed);
    REQUIRE(analyse(calm).exit_code == 0);

    test::SpawnOptions o;
    o.env = {{"KRXBATCH_DB", killed}, {"KRXBATCH_NOW", k_now}};
    auto child = test::Child::spawn({test::krxbatch_binary().string(), "hourly_analysis"}, o);
    // Kill as soon as the first batch is seen committed (polling, no sleep). Where exactly the
    // kill lands depends on scheduling, so only the outcome is asserted: whatever was
    // committed, the rerun ends with the uninterrupted run's database.
    {
      SQLite::Database watch(killed, SQLite::OPEN_READONLY);
      watch.setBusyTimeout(10000);
      std::int64_t committed = 0;
      while (committed == 0 && !has_exited(child.pid())) {
        committed = watch.execAndGet("SELECT count(*) FROM analysis_results").getInt64();
      }
    }
    child.kill(SIGKILL);
    const auto k = child.wait();
    const std::string how = k.signal == SIGKILL ? "by SIGKILL" : "after it finished";
    MESSAGE("killed " << how << " with " << scalar(killed, "SELECT count(*) FROM analysis_results")
                      << " of 400 stocks committed");

    const auto rerun = analyse(killed);
    INFO(rerun.err);
    CHECK(rerun.exit_code == 0);
    CHECK(digest(killed) == digest(calm));
  }

  TEST_CASE("--from on a 300-session backfill scores every session, with scores from the first "
            "with enough history (120 bars) on") {
    Workspace ws("from");
    const auto db = ws.path("krx.db");
    build_market(db, 6, 300);
    const auto sessions = sessions_ending(core::Date(2024, 7, 1), 300);
    REQUIRE(sessions.size() == 300);
    const auto first = core::to_iso(sessions.front());

    // Before the stored history: refused, nothing changed.
    const auto before = digest(db);
    auto r = analyse(db, {"--from", core::to_iso(session_before(sessions.front()))});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("no prices are stored for") != std::string::npos);
    CHECK(digest(db) == before);

    r = analyse(db, {"--from", first});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("succeeded: sessions " + first +
                     "..2024-07-01: 300 of 300 ranked, 1800 "
                     "stocks analysed, 0 failed") != std::string::npos);
    CHECK(scalar(db, "SELECT count(*) FROM analysis_sessions WHERE state = 'ranked'") == "300");
    CHECK(scalar(db, "SELECT count(DISTINCT as_of_date) FROM analysis_results") == "300");
    CHECK(scalar(db, "SELECT count(*) FROM analysis_results") == "1800");
    // The 120th session is the first with a score; every row before it says why not.
    const auto enough = core::to_iso(sessions[119]);
    CHECK(scalar(db, "SELECT min(as_of_date) FROM analysis_results WHERE score IS NOT NULL") ==
          enough);
    CHECK(scalar(db, "SELECT count(*) FROM analysis_results WHERE as_of_date < '" + enough +
                         "' AND (flags IS NULL OR flags NOT LIKE '%short_history%') AND "
                         "ticker <> '" +
                         test::synthetic_ticker(3) + "'") == "0");
    // Issue 3 is listed 30 sessions before the end: on older sessions it was not listed yet,
    // which is not an error.
    CHECK(scalar(db, "SELECT count(*) FROM analysis_results WHERE error IS NOT NULL") == "0");
    CHECK(scalar(db, "SELECT flags FROM analysis_results WHERE ticker = '" +
                         test::synthetic_ticker(3) + "' AND as_of_date = '" + first + "'") ==
          "not_on_session");
    // last_analyzed_date stays the newest session analysed.
    CHECK(scalar(db, "SELECT count(*) FROM target_tickers WHERE last_analyzed_date = "
                     "'2024-07-01'") == "6");

    r = analyse(db, {"--from", first}, "2024-07-02T10:00:00+09:00");
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("skipped: nothing to do: sessions " + first + "..2024-07-01 are analysed") !=
          std::string::npos);
  }

  TEST_CASE("every stock of a run failing raises a CRITICAL alert, a third of them a WARN") {
    Workspace ws("all-failed");
    const auto db = ws.path("krx.db");
    build_market(db, 6, 130);
    {
      SQLite::Database d(db, SQLite::OPEN_READWRITE);
      d.exec("UPDATE daily_prices SET close = -1 WHERE trade_date = '2024-06-28'");
    }
    auto r = analyse(db);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("6 analysed, 6 failed") != std::string::npos);
    CHECK(column(db, "SELECT severity || ' ' || rule FROM alerts WHERE acknowledged = 0") ==
          std::vector<std::string>{"CRITICAL analysis_all_failed"});

    // Two of six failing (33 %) is a WARN; the CRITICAL is resolved.
    {
      SQLite::Database d(db, SQLite::OPEN_READWRITE);
      d.exec("UPDATE daily_prices SET close = 1000 WHERE trade_date = '2024-06-28' AND ticker NOT "
             "IN ('" +
             test::synthetic_ticker(0) + "', '" + test::synthetic_ticker(1) + "')");
      d.exec("DELETE FROM analysis_results");
      d.exec("DELETE FROM analysis_sessions");
    }
    r = analyse(db, {}, "2024-07-02T10:00:00+09:00");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("6 analysed, 2 failed") != std::string::npos);
    CHECK(column(db, "SELECT severity || ' ' || rule FROM alerts WHERE acknowledged = 0") ==
          std::vector<std::string>{"WARN analysis_failure_rate"});
  }
}
