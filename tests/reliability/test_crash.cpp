// Crash suite: kill -9 at many instants of a run, then reruns; the database must end exactly as
// an uninterrupted run leaves it (same `krxbatch digest`), and between the kill and the rerun
// it must already satisfy the self-healing invariants (reliability.hpp check_invariants).
//
// Kill instants are chosen by events, never by sleeps, so that a seed reproduces a run: a
// seeded PRNG draws n, the fake KRX holds the nth data request of the run, the test waits until
// the fake has seen it, and then either kills the process while it waits for that answer
// ("held": before the session's commit, a deterministic state) or releases the answer and kills
// at once ("released": while it parses, writes or commits; the exact instruction varies, the
// invariants must hold wherever it lands). Sometimes the rerun is killed too.
#include "reliability.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <map>

using namespace krxbatch;
using namespace krxbatch::test;
using namespace krxbatch::test::rel;

namespace {

std::vector<std::string> setup_args(int days) {
  return {"manual_setup", "--yes", "--days", std::to_string(days)};
}

struct Kill {
  bool killed = false; // false: the run finished before its nth request
  ProcessResult result;
};

// Runs `args` on `db` and kills it at its nth data request (held, or released first).
Kill run_and_kill(IngestEnv& env, const std::string& db, const std::vector<std::string>& args,
                  int n, bool release_first) {
  hold_nth_request(env.fake(), n);
  auto child = env.spawn(args, db);
  Kill k;
  if (wait_for_requests(env.fake(), n, child.pid())) {
    if (release_first) {
      env.fake().release_delays();
    }
    child.kill(SIGKILL);
  }
  k.result = child.wait();
  k.killed = k.result.signal == SIGKILL;
  env.fake().clear_faults();
  env.fake().release_delays(); // the held answer goes to a dead socket
  return k;
}

} // namespace

TEST_SUITE("reliability.crash") {
  TEST_CASE("kill -9 at seeded request-anchored instants of a manual_setup backfill: every "
            "rerun ends identical to an uninterrupted run") {
    const int kills = knob("CRASH_KILLS", 8, 4);
    const int days = knob("CRASH_DAYS", 20, 10);
    const auto run_seed = seed();
    Rng rng(run_seed);
    IngestEnv env(k_monday_morning);
    const auto window = last_sessions(env, "2024-06-28", days);
    const auto reference = (env.dir() / "reference.db").string();
    env.fake().clear_requests();
    {
      const auto r = run_on(env, reference, setup_args(days));
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
    }
    const auto plan = request_log(env.fake());
    const int requests = static_cast<int>(plan.size());
    REQUIRE(requests >= 4 * days);
    const auto expected = env.digest(reference);

    const auto start = std::chrono::steady_clock::now();
    int killed = 0;
    int trials = 0;
    int rerun_finished_first = 0;
    std::map<std::string, int> phases;
    std::map<std::string, int> modes;
    std::map<std::string, int> apis;
    while (killed < kills) {
      const auto db = (env.dir() / "crash.db").string();
      remove_database(db);
      ++trials;
      // One kill, sometimes more in a row (the reruns killed too), then a rerun to completion.
      for (int round = 0; round == 0 || (killed < kills && rng.chance(0.3)); ++round) {
        const int n = static_cast<int>(rng.between(1, requests));
        const bool release_first = rng.chance(0.5);
        const auto k = run_and_kill(env, db, setup_args(days), n, release_first);
        CAPTURE(trials);
        CAPTURE(n);
        CAPTURE(release_first);
        if (!k.killed) {
          // Only a rerun can end before its nth request (it skips what is done).
          INFO(k.result.err);
          CHECK(round > 0);
          CHECK(k.result.exit_code == 0);
          ++rerun_finished_first;
          break;
        }
        ++killed;
        ++modes[release_first ? "released" : "held"];
        if (round == 0) {
          ++apis[plan[static_cast<std::size_t>(n - 1)].first];
        }
        CHECK(check_invariants(db, window) == "");
        ++phases[phase(ingest_progress(db), days)];
      }
      env.fake().clear_requests();
      const auto r = run_on(env, db, setup_args(days));
      INFO(r.err);
      CHECK(r.exit_code == 0);
      CHECK(env.digest(db) == expected);
      CHECK(check_invariants(db, window) == "");
    }
    report("crash.manual_setup", {{"kills", killed},
                                  {"trials", trials},
                                  {"reruns_finished_before_kill", rerun_finished_first},
                                  {"sessions", days},
                                  {"requests_per_run", requests},
                                  {"seed", run_seed},
                                  {"modes", modes},
                                  {"killed_at_api", apis},
                                  {"phases", phases},
                                  {"seconds", seconds_since(start)}});
  }
}
