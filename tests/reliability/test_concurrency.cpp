// Concurrency (DESIGN §5.3, §4 WAL): many instances of a job started together on one
// database. Exactly one does the work, the others exit 75; no SQLITE_BUSY escapes (no
// `database is locked`, no exit 1); no row is lost or duplicated (the digest and the row counts
// equal a single run's, every session is fetched once).
#include "reliability.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

using namespace krxbatch;
using namespace krxbatch::test;
using namespace krxbatch::test::rel;

namespace {

// Processes started together, each waited for on its own thread, so that the test can wait
// for "n of them have exited" (an event) without polling or sleeping.
class Crowd {
public:
  Crowd() = default;
  Crowd(const Crowd&) = delete;
  Crowd& operator=(const Crowd&) = delete;
  ~Crowd() { join(); }

  void spawn(const IngestEnv& env, const std::vector<std::string>& args, const std::string& db) {
    m_children.push_back(env.spawn(args, db));
    m_labels.push_back(args.front());
  }
  // Starts waiting for every child.
  void start() {
    m_results.resize(m_children.size());
    for (std::size_t i = 0; i < m_children.size(); ++i) {
      m_threads.emplace_back([this, i] {
        auto r = m_children[i].wait();
        std::lock_guard lock(m_mutex);
        m_results[i] = std::move(r);
        ++m_exited;
        m_cv.notify_all();
      });
    }
  }
  // Blocks until at least `n` children have exited; false after `timeout`.
  bool wait_exited(std::size_t n, std::chrono::seconds timeout = std::chrono::seconds(300)) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, timeout, [&] { return m_exited >= n; });
  }
  void join() {
    for (auto& t : m_threads) {
      if (t.joinable()) {
        t.join();
      }
    }
  }
  const std::vector<ProcessResult>& results() const { return m_results; }
  const std::vector<std::string>& labels() const { return m_labels; }

private:
  std::vector<Child> m_children;
  std::vector<std::string> m_labels;
  std::vector<std::thread> m_threads;
  std::vector<ProcessResult> m_results;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::size_t m_exited = 0;
};

std::map<int, int> exit_codes(const std::vector<ProcessResult>& results) {
  std::map<int, int> codes;
  for (const auto& r : results) {
    ++codes[r.exit_code];
  }
  return codes;
}

// No run let an SQLite busy error out, and none printed more than one error line.
void check_no_busy(const std::vector<ProcessResult>& results) {
  for (const auto& r : results) {
    INFO(r.err);
    CHECK_FALSE(raw_sqlite_busy(r.err));
    CHECK(r.err.find("locked by another program") == std::string::npos);
    CHECK(r.exit_code != 1);
    CHECK(r.signal == 0);
  }
}

std::int64_t rows(const std::string& db, const std::string& table) {
  SQLite::Database conn(db, SQLite::OPEN_READONLY);
  return conn.execAndGet("SELECT count(*) FROM " + table).getInt64();
}

// Every request the fake logged is for a distinct (api, basDd): nothing was fetched twice.
int duplicate_requests(FakeKrx& fake) {
  std::map<std::pair<std::string, std::string>, int> seen;
  int duplicates = 0;
  for (const auto& e : nlohmann::json::parse(fake.requests())) {
    duplicates += seen[{e.value("api", ""), e.value("basDd", "")}]++ > 0 ? 1 : 0;
  }
  return duplicates;
}

struct Prepared {
  explicit Prepared(int days = 5) : env(k_monday_morning) {
    base = (env.dir() / "base.db").string();
    REQUIRE(
        run_on(env, base, {"manual_setup", "--yes", "--days", std::to_string(days)}).exit_code ==
        0);
    env.set_now(k_thursday_morning);
    reference = (env.dir() / "reference.db").string();
    copy_database(base, reference);
    REQUIRE(run_on(env, reference, {"daily_update"}).exit_code == 0);
    expected = env.digest(reference);
  }
  IngestEnv env;
  std::string base;
  std::string reference;
  std::string expected;
};

} // namespace

TEST_SUITE("reliability.concurrency") {
  TEST_CASE("20 daily_update started together while one works: exactly one does the work, the "
            "other 19 exit 75, nothing lost or duplicated") {
    const int n = knob("CONCURRENT", 20, 20);
    const int rounds = knob("CONCURRENCY_ROUNDS", 1, 1);
    Prepared p;
    int worked = 0;
    int skipped = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < rounds; ++round) {
      const auto db = (p.env.dir() / "crowd.db").string();
      copy_database(p.base, db);
      p.env.fake().clear_requests();
      // The one that gets the lock is held on its first request until every other has exited.
      p.env.fake().add_faults(
          R"({"api":"stk_bydd_trd","date":"2024-07-01","fault":"delay","ms":600000})");
      Crowd crowd;
      for (int i = 0; i < n; ++i) {
        crowd.spawn(p.env, {"daily_update"}, db);
      }
      crowd.start();
      p.env.fake().wait_for_request("stk_bydd_trd", "20240701");
      REQUIRE(crowd.wait_exited(static_cast<std::size_t>(n - 1)));
      p.env.fake().release_delays();
      crowd.join();
      const auto codes = exit_codes(crowd.results());
      CHECK(codes.at(0) == 1);
      CHECK(codes.at(75) == n - 1);
      for (const auto& r : crowd.results()) {
        if (r.exit_code == 75) {
          CHECK(r.err.find("skipped") != std::string::npos);
        }
      }
      check_no_busy(crowd.results());
      CHECK(p.env.digest(db) == p.expected);
      CHECK(rows(db, "daily_prices") == rows(p.reference, "daily_prices"));
      CHECK(rows(db, "index_prices") == rows(p.reference, "index_prices"));
      CHECK(duplicate_requests(p.env.fake()) == 0);
      CHECK(check_invariants(db, {"2024-07-01", "2024-07-02", "2024-07-03"}) == "");
      worked += codes.count(0) != 0U ? codes.at(0) : 0;
      skipped += codes.count(75) != 0U ? codes.at(75) : 0;
    }
    report("concurrency.daily_update.held", {{"processes", n},
                                             {"rounds", rounds},
                                             {"worked", worked},
                                             {"exit_75", skipped},
                                             {"seconds", seconds_since(start)}});
  }

  TEST_CASE("20 daily_update started together, free for all: each exits 0 or 75, none fails, "
            "every session fetched once, the database as one run leaves it") {
    const int n = knob("CONCURRENT", 20, 20);
    const int rounds = knob("CONCURRENCY_ROUNDS", 2, 1);
    Prepared p;
    std::map<int, int> totals;
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < rounds; ++round) {
      const auto db = (p.env.dir() / "crowd.db").string();
      copy_database(p.base, db);
      p.env.fake().clear_requests();
      Crowd crowd;
      for (int i = 0; i < n; ++i) {
        crowd.spawn(p.env, {"daily_update"}, db);
      }
      crowd.start();
      crowd.join();
      const auto codes = exit_codes(crowd.results());
      for (const auto& [code, count] : codes) {
        CHECK((code == 0 || code == 75));
        totals[code] += count;
      }
      check_no_busy(crowd.results());
      CHECK(p.env.digest(db) == p.expected);
      CHECK(rows(db, "daily_prices") == rows(p.reference, "daily_prices"));
      CHECK(duplicate_requests(p.env.fake()) == 0);
      CHECK(check_invariants(db, {"2024-07-01", "2024-07-02", "2024-07-03"}) == "");
    }
    report("concurrency.daily_update.free", {{"processes", n},
                                             {"rounds", rounds},
                                             {"exit_codes", totals},
                                             {"seconds", seconds_since(start)}});
  }

  TEST_CASE("manual_setup and daily_update share one lock: started together, one works and the "
            "other exits 75") {
    Prepared p;
    const auto db = (p.env.dir() / "mixed.db").string();
    copy_database(p.base, db);
    p.env.fake().clear_requests();
    p.env.fake().add_faults(
        R"({"api":"stk_bydd_trd","date":"2024-07-01","fault":"delay","ms":600000})");
    auto worker = p.env.spawn({"daily_update"}, db);
    p.env.fake().wait_for_request("stk_bydd_trd", "20240701");
    const auto setup = run_on(p.env, db, {"manual_setup", "--yes", "--days", "5"});
    CHECK(setup.exit_code == 75);
    CHECK(setup.err.find("skipped") != std::string::npos);
    p.env.fake().release_delays();
    CHECK(worker.wait().exit_code == 0);
    CHECK(p.env.digest(db) == p.expected);
  }
}
