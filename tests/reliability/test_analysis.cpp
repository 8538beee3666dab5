// hourly_analysis under stress: kill -9 at many seeded instants, 20 instances at once, and the
// storage faults of the fault matrix (it makes no network calls, so the KRX faults do not
// apply to it; docs/RELIABILITY.md). Its database is a synthetic market written through the
// store API (tests/support/synthetic_market.hpp): fast, and the same for every run.
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/util/file_lock.hpp"

#include "reliability.hpp"
#include "support/synthetic_market.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <sys/wait.h>
#include <thread>

using namespace krxbatch;
using namespace krxbatch::test;
using namespace krxbatch::test::rel;

namespace {

const std::string k_now = "2024-07-02T09:00:00+09:00"; // 2024-07-01 is published
using Env = std::vector<std::pair<std::string, std::optional<std::string>>>;

// A directory with a synthetic market of `tickers` issues over 140 sessions to 2024-07-01.
struct Market {
  explicit Market(std::size_t tickers) : count(tickers) {
    dir =
        std::filesystem::temp_directory_path() /
        ("krxbatch-rel-analysis-" + std::to_string(::getpid()) + "-" + std::to_string(++s_serial));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    base = path("base.db");
    static const auto cal = calendar::Calendar::load(test::source_dir() / "holidays");
    const core::Date last(2024, 7, 1);
    SyntheticMarket m;
    m.tickers = tickers;
    m.sessions = cal.business_days(cal.business_day_back(last, 139), last);
    {
      store::Database database(base);
      write_synthetic_market(database, m);
    }
    const auto calm = path("calm.db");
    copy_database(base, calm);
    const auto r = analyse(calm);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    expected = digest(calm);
    base_digest = digest(base);
  }
  ~Market() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Market(const Market&) = delete;
  Market& operator=(const Market&) = delete;

  std::string path(const std::string& file) const { return (dir / file).string(); }

  static SpawnOptions options(const std::string& db, const Env& extra = {}) {
    SpawnOptions o;
    o.env = {{"KRXBATCH_DB", db}, {"KRXBATCH_NOW", k_now}};
    o.env.insert(o.env.end(), extra.begin(), extra.end());
    return o;
  }
  static ProcessResult krxbatch(const std::string& db, const std::vector<std::string>& args,
                                const Env& extra = {}) {
    std::vector<std::string> argv = {krxbatch_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, options(db, extra));
  }
  static ProcessResult analyse(const std::string& db, const Env& extra = {}) {
    return krxbatch(db, {"hourly_analysis"}, extra);
  }
  static Child spawn_analysis(const std::string& db, const Env& extra = {}) {
    return Child::spawn({krxbatch_binary().string(), "hourly_analysis"}, options(db, extra));
  }
  static std::string digest(const std::string& db) {
    const auto r = krxbatch(db, {"--json", "--log-level", "warn", "digest"});
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out).at("sha256").get<std::string>();
  }

  std::size_t count;
  std::filesystem::path dir;
  std::string base;
  std::string expected;    // after one uninterrupted hourly_analysis
  std::string base_digest; // before any
  static inline int s_serial = 0;
};

std::int64_t scalar(const std::string& db, const std::string& sql) {
  SQLite::Database conn(db, SQLite::OPEN_READONLY);
  conn.setBusyTimeout(60000);
  return conn.execAndGet(sql).getInt64();
}

std::int64_t committed(const std::string& db) {
  return scalar(db, "SELECT count(*) FROM analysis_results");
}

bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

// Kills `child` from outside once it has stopped itself after committing its nth stock
// (KRXBATCH_TEST_STOP_AFTER_COMMITTED); false when it exited first (a rerun with fewer than n
// stocks left). Polling the file for the commit raced the run: its batches can commit within a
// millisecond of each other, and the run then finished before any poll saw the nth.
bool kill_when_stopped(Child& child) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(child.pid()), &info, WSTOPPED | WEXITED | WNOWAIT) != 0 ||
      info.si_code != CLD_STOPPED) {
    return false;
  }
  child.kill(SIGKILL);
  return true;
}

// The "another program" of test_storage_faults.cpp: holds SQLite's write lock on `db`.
class WriteLockHolder {
public:
  explicit WriteLockHolder(const std::string& db) {
    SpawnOptions o;
    o.stdout_pipe = true;
    m_child.emplace(Child::spawn({KRXBATCH_LOCK_HOLDER_BINARY, db, "write"}, o));
    const auto line = m_child->read_line();
    REQUIRE((line && *line == "locked"));
  }
  void release() {
    if (m_child) {
      m_child->kill(SIGKILL);
      m_child->wait();
      m_child.reset();
    }
  }
  ~WriteLockHolder() { release(); }
  WriteLockHolder(const WriteLockHolder&) = delete;
  WriteLockHolder& operator=(const WriteLockHolder&) = delete;

private:
  std::optional<Child> m_child;
};

std::string first_error_line(const std::string& err) {
  const auto from = err.find("krxbatch: error:");
  return from == std::string::npos ? std::string() : err.substr(from, err.find('\n', from) - from);
}

} // namespace

TEST_SUITE("reliability.analysis") {
  TEST_CASE("kill -9 at seeded instants of hourly_analysis (after the nth stock written, or "
            "from outside after the nth commit): every rerun ends identical to an "
            "uninterrupted run") {
    const int kills = knob("ANALYSIS_KILLS", 8, 4);
    const auto run_seed = seed() + 7;
    Rng rng(run_seed);
    Market market(200); // 4 batches of 50
    const auto db = market.path("crash.db");
    const auto start = std::chrono::steady_clock::now();
    int killed = 0;
    int trials = 0;
    int finished_first = 0;
    std::map<std::string, int> modes;
    std::map<std::string, int> committed_when_killed; // "0", "50", ...
    while (killed < kills) {
      copy_database(market.base, db);
      ++trials;
      for (int round = 0; round == 0 || (killed < kills && rng.chance(0.3)); ++round) {
        const auto n = rng.between(1, static_cast<std::int64_t>(market.count));
        const bool inside = rng.chance(0.5);
        CAPTURE(trials);
        CAPTURE(n);
        CAPTURE(inside);
        ProcessResult k;
        if (inside) {
          // The CLI's test seam raises SIGKILL right after the nth stock's row is written,
          // inside its batch's transaction: an exact instant, mid-batch.
          k = Market::analyse(db, {{"KRXBATCH_TEST_KILL_AFTER_STOCKS", std::to_string(n)}});
        } else {
          auto child = Market::spawn_analysis(
              db, {{"KRXBATCH_TEST_STOP_AFTER_COMMITTED", std::to_string(n)}});
          kill_when_stopped(child);
          k = child.wait();
        }
        if (k.signal != SIGKILL) {
          // Only a rerun can finish first (it has fewer stocks left than n).
          INFO(k.err);
          CHECK(round > 0);
          CHECK(k.exit_code == 0);
          ++finished_first;
          break;
        }
        ++killed;
        ++modes[inside ? "after_nth_stock" : "outside_after_nth_commit"];
        const auto rows = committed(db);
        ++committed_when_killed[std::to_string(rows)];
        // Batches are whole: every committed result has its target marked, and no more.
        CHECK(rows % 50 == 0);
        CHECK(scalar(db, "SELECT count(*) FROM target_tickers WHERE last_analyzed_date IS NOT "
                         "NULL") == rows);
        CHECK(scalar(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check "
                         "<> 'ok'") == 0);
      }
      const auto r = Market::analyse(db);
      INFO(r.err);
      CHECK(r.exit_code == 0);
      CHECK(Market::digest(db) == market.expected);
    }
    report("crash.hourly_analysis", {{"kills", killed},
                                     {"trials", trials},
                                     {"reruns_finished_before_kill", finished_first},
                                     {"stocks", market.count},
                                     {"seed", run_seed},
                                     {"modes", modes},
                                     {"committed_when_killed", committed_when_killed},
                                     {"seconds", seconds_since(start)}});
  }

  TEST_CASE("kill -9 at seeded instants of hourly_analysis --from over a whole backfill: every "
            "rerun ends identical to an uninterrupted run") {
    const int kills = knob("ANALYSIS_RANGE_KILLS", 4, 2);
    const auto run_seed = seed() + 11;
    Rng rng(run_seed);
    Market market(12);                     // 140 sessions x 12 stocks
    const std::string from = "2023-12-04"; // the first of the 140 sessions
    const std::vector<std::string> args = {"--log-level", "info", "hourly_analysis", "--from",
                                           from};
    const auto calm = market.path("calm-range.db");
    copy_database(market.base, calm);
    {
      const auto r = Market::krxbatch(calm, args);
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      REQUIRE(r.err.find("140 of 140 ranked") != std::string::npos);
    }
    const auto expected = Market::digest(calm);
    const auto total = scalar(calm, "SELECT count(*) FROM analysis_results");
    REQUIRE(total == 140 * 12);
    const auto db = market.path("crash-range.db");
    const auto start = std::chrono::steady_clock::now();
    std::map<std::string, int> ranked_when_killed;
    for (int k = 0; k < kills; ++k) {
      copy_database(market.base, db);
      const auto n = rng.between(1, total - 1);
      CAPTURE(n);
      const auto killed =
          Market::krxbatch(db, args, {{"KRXBATCH_TEST_KILL_AFTER_STOCKS", std::to_string(n)}});
      INFO(killed.err);
      REQUIRE(killed.signal == SIGKILL);
      // Whole batches only, and every ranked session is complete.
      CHECK(committed(db) % 12 == 0);
      CHECK(committed(db) <= n);
      CHECK(scalar(db, "SELECT count(*) FROM analysis_sessions s WHERE state = 'ranked' AND "
                       "(SELECT count(*) FROM analysis_results r WHERE r.as_of_date = "
                       "s.session) <> 12") == 0);
      ++ranked_when_killed[std::to_string(
          scalar(db, "SELECT count(*) FROM analysis_sessions WHERE state = 'ranked'"))];
      // The scheduled run (without --from) finishes the range that was asked for.
      const auto rerun = Market::analyse(db);
      INFO(rerun.err);
      CHECK(rerun.exit_code == 0);
      CHECK(Market::digest(db) == expected);
    }
    report("crash.hourly_analysis.range", {{"kills", kills},
                                           {"stocks", total},
                                           {"seed", run_seed},
                                           {"ranked_when_killed", ranked_when_killed},
                                           {"seconds", seconds_since(start)}});
  }

  TEST_CASE("20 hourly_analysis started together while one works: exactly one does the work, "
            "the other 19 exit 75, no SQLITE_BUSY escapes, the results as one run leaves "
            "them") {
    const int n = knob("CONCURRENT", 20, 20);
    const int rounds = knob("CONCURRENCY_ROUNDS", 1, 1);
    Market market(120);
    const auto db = market.path("crowd.db");
    int worked = 0;
    int skipped = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < rounds; ++round) {
      copy_database(market.base, db);
      std::vector<ProcessResult> results;
      {
        // The barrier: another program holds SQLite's write lock, so the instance that takes
        // the analysis lock waits (within its busy timeout) at its first write until every
        // other instance has exited; they never touch the database.
        WriteLockHolder holder(db);
        std::vector<Child> crowd;
        for (int i = 0; i < n; ++i) {
          crowd.push_back(Market::spawn_analysis(db));
        }
        // Wait for n - 1 exits, whichever they are, by reaping in a loop of waitid(WNOWAIT).
        std::vector<bool> done(crowd.size(), false);
        int exited = 0;
        while (exited < n - 1) {
          for (std::size_t i = 0; i < crowd.size(); ++i) {
            if (!done[i] && has_exited(crowd[i].pid())) {
              done[i] = true;
              ++exited;
            }
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        holder.release();
        for (auto& c : crowd) {
          results.push_back(c.wait());
        }
      }
      std::map<int, int> codes;
      for (const auto& r : results) {
        INFO(r.err);
        ++codes[r.exit_code];
        CHECK(r.signal == 0);
        CHECK_FALSE(raw_sqlite_busy(r.err));
        CHECK(r.err.find("locked by another program") == std::string::npos);
        if (r.exit_code == 75) {
          CHECK(r.err.find("skipped") != std::string::npos);
        }
      }
      CHECK(codes[0] == 1);
      CHECK(codes[75] == n - 1);
      CHECK(Market::digest(db) == market.expected);
      CHECK(scalar(db, "SELECT count(*) FROM job_runs WHERE job_name = 'hourly_analysis'") == 1);
      worked += codes[0];
      skipped += codes[75];
    }
    report("concurrency.hourly_analysis.held", {{"processes", n},
                                                {"rounds", rounds},
                                                {"worked", worked},
                                                {"exit_75", skipped},
                                                {"seconds", seconds_since(start)}});
  }

  TEST_CASE("hourly_analysis' column of the fault matrix: each storage fault leaves the "
            "documented exit code and message, nothing lost, and the next run heals") {
    Market market(120);
    struct Cell {
      std::string name;
      int exit_code;
      std::string message; // part of the error line ("" for exit 0)
      bool changes;        // whether the faulted run may change the data
      std::function<void(const std::string& db)> prepare;
      Env env;
      bool hold_write_lock = false; // another program holds SQLite's write lock during the run
    };
    const auto nothing = [](const std::string&) {};
    const std::vector<Cell> cells = {
        {"no fault", 0, "", true, nothing, {}},
        // `changes`: the holder finishes its own run; this one changes nothing.
        {"another hourly_analysis holds the analysis lock",
         75,
         "another hourly_analysis",
         true,
         nothing,
         {}},
        {"another program holds the write lock past the busy timeout", 1, "fuser", false, nothing,
         Env{{"KRXBATCH_TEST_BUSY_TIMEOUT_MS", "300"}}, true},
        {"the disk is full (max_page_count at the file's size)",
         1,
         "the disk is full",
         false,
         [](const std::string& db) {
           SQLite::Database conn(db, SQLite::OPEN_READWRITE);
           conn.exec("PRAGMA wal_checkpoint(TRUNCATE)");
         },
         {}},
        {"the file is not a database",
         1,
         "krxbatch restore",
         false,
         [](const std::string& db) {
           remove_database(db);
           std::ofstream(db, std::ios::binary) << std::string(8192, 'x');
         },
         {}},
        {"no session to analyse (daily_update has no mark)",
         2,
         "manual_setup",
         false,
         [](const std::string& db) {
           SQLite::Database conn(db, SQLite::OPEN_READWRITE);
           conn.exec("UPDATE job_status SET last_success_date = NULL "
                     "WHERE job_name = 'daily_update'");
         },
         {}},
    };
    nlohmann::json results = nlohmann::json::array();
    int passed = 0;
    for (const auto& cell : cells) {
      CAPTURE(cell.name);
      const auto db = market.path("cell.db");
      copy_database(market.base, db);
      auto env = cell.env;
      cell.prepare(db);
      const bool is_database = cell.name != "the file is not a database";
      const auto before_digest = is_database ? Market::digest(db) : std::string();
      if (cell.name.starts_with("the disk is full")) {
        env.emplace_back("KRXBATCH_TEST_MAX_PAGE_COUNT",
                         std::to_string(scalar(db, "PRAGMA page_count")));
      }
      std::optional<WriteLockHolder> holder;
      if (cell.hold_write_lock) {
        holder.emplace(db);
      }
      const auto before = slurp(db);
      ProcessResult r;
      if (cell.exit_code == 75) {
        // The analysis lock, held by a real hourly_analysis stopped at its first write.
        WriteLockHolder barrier(db);
        auto first = Market::spawn_analysis(db);
        // It writes its PID into the lock file once it holds the lock.
        while (util::FileLock::holder_pid(db + ".analysis.lock") != first.pid() &&
               !has_exited(first.pid())) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        r = Market::analyse(db);
        barrier.release();
        CHECK(first.wait().exit_code == 0);
      } else {
        r = Market::analyse(db, env);
      }
      holder.reset();
      INFO(r.err);
      CHECK(r.exit_code == cell.exit_code);
      CHECK_FALSE(raw_sqlite_busy(r.err));
      if (!cell.message.empty()) {
        const auto line = cell.exit_code == 75 ? r.err : first_error_line(r.err);
        CHECK(line.find(cell.message) != std::string::npos);
      }
      bool healed = false;
      if (cell.name == "the file is not a database") {
        CHECK(slurp(db) == before); // left for the operator to restore
        healed = slurp(db) == before;
      } else {
        if (!cell.changes) {
          CHECK(Market::digest(db) == before_digest); // nothing lost, nothing half-written
        }
        if (cell.name.starts_with("no session")) {
          healed = true; // nothing to heal: the operator runs manual_setup
        } else {
          const auto again = Market::analyse(db);
          INFO(again.err);
          CHECK(again.exit_code == 0);
          CHECK(Market::digest(db) == market.expected);
          healed = again.exit_code == 0 && Market::digest(db) == market.expected;
        }
      }
      passed += healed ? 1 : 0;
      results.push_back({{"job", "hourly_analysis"},
                         {"fault", cell.name},
                         {"exit", r.exit_code},
                         {"healed", healed}});
    }
    report("faults.hourly_analysis",
           {{"cells", cells.size()}, {"healed", passed}, {"results", results}});
  }
}
