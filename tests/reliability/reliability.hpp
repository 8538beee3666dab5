// Shared by the reliability suites (docs/RELIABILITY.md): their knobs, the figures they report,
// and the checks every suite makes on a database after a fault.
//
// Knobs: each suite has a short default that CI runs (smaller again in a sanitizer build) and
// reads KRXBATCH_RELIABILITY_<NAME> to run longer (scripts/reliability sets them). Figures: a
// suite reports what it did as one JSON object, printed and, when KRXBATCH_RELIABILITY_REPORT
// names a file, appended to it as one line (scripts/reliability turns them into the tables of
// docs/RELIABILITY.md). Not thread-safe.
#pragma once

#include "ingest_env.hpp"
#include "support/db_files.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace krxbatch::test::rel {

// Monday 2024-07-01 08:30 KST: Friday 06-28 has just been published; the market is closed.
inline constexpr const char* k_monday_morning = "2024-07-01T08:30:00+09:00";
// Thursday 2024-07-04 08:30 KST: 07-01, 07-02 and 07-03 are out.
inline constexpr const char* k_thursday_morning = "2024-07-04T08:30:00+09:00";

// True in an AddressSanitizer build (everything runs several times slower there).
bool sanitized_build();

// KRXBATCH_RELIABILITY_<name> as a positive integer, else `ci` (or `sanitized` in a sanitizer
// build). Throws std::runtime_error on a malformed value.
int knob(const char* name, int ci, int sanitized);

// The seed of the suites' PRNG: KRXBATCH_RELIABILITY_SEED, else a fixed default (so that CI is
// reproducible; the long runs pass their own).
std::uint64_t seed();

// A seeded PRNG with the few draws the suites need.
class Rng {
public:
  explicit Rng(std::uint64_t seed) : m_engine(seed) {}
  // Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // True with probability p.
  bool chance(double p);

private:
  std::mt19937_64 m_engine;
};

// Prints `figures` (plus "suite") and appends it to $KRXBATCH_RELIABILITY_REPORT when set.
void report(const std::string& suite, nlohmann::json figures);

// Seconds since `start` (for the figures only; never asserted).
double seconds_since(std::chrono::steady_clock::time_point start);

// The KRX sessions in [from, to] (ISO dates), from `krxbatch calendar list`.
std::vector<std::string> sessions(const IngestEnv& env, const std::string& from,
                                  const std::string& to);
// The last `n` sessions up to and including `last`.
std::vector<std::string> last_sessions(const IngestEnv& env, const std::string& last, int n);
// "2024-06-28" -> "20240628".
std::string bas_dd(const std::string& iso);

// The whole content of a file ("" when absent).
std::string slurp(const std::filesystem::path& path);

// Copies a database file and its -wal (when present) to `to`, replacing what is there.
void copy_database(const std::string& from, const std::string& to);
// Removing one: test::remove_database (support/db_files.hpp).

// Runs `krxbatch <args>` on `db` with the environment of `env`, plus `extra_env`.
ProcessResult
run_on(const IngestEnv& env, const std::string& db, const std::vector<std::string>& args,
       const std::vector<std::pair<std::string, std::optional<std::string>>>& extra_env = {});

// The invariants of DESIGN §5 that must hold after any failure, checked on the database at
// `db` (opened read-write, as the next run would, so that SQLite recovers its WAL first):
// - PRAGMA integrity_check is ok;
// - every session with price or index rows is `succeeded` for daily_update, and every
//   `succeeded` session has rows for each of `markets` and index rows (nothing half-written);
// - at most one session is `running` (the one in flight when the process died);
// - daily_update's mark, when set, is preceded by complete sessions only: every session of
//   `window` up to the mark is `succeeded`.
// Returns "" when they hold, else what is wrong. A missing file or a database without tables
// (killed before its schema was created) holds them trivially.
std::string check_invariants(const std::string& db, const std::vector<std::string>& window,
                             const std::vector<std::string>& markets = {"KOSPI", "KOSDAQ"});

// Where a killed ingestion run stopped, from the database it left (for the figures).
struct IngestProgress {
  bool database = false; // the file and its schema exist
  int succeeded = 0;     // sessions complete
  int running = 0;       // sessions left `running`
  bool mark_set = false; // daily_update's mark is set
  bool universe = false; // target_tickers is filled
};
IngestProgress ingest_progress(const std::string& db);

// One-word name of an IngestProgress for the figures: "before-schema", "probe", "in-session",
// "between-sessions", "after-backfill".
std::string phase(const IngestProgress& p, int sessions);

// Kill instants chosen by events, not by time (the crash suite): the fake holds the `n`th
// data request of the next run (n >= 1, counting every api and day; the requests before it get a
// 1 ms delay, which consumes one use of a rule). Call before spawning the run; clears the
// fake's faults and request log first.
void hold_nth_request(FakeKrx& fake, int n);
// Blocks until the fake's request log holds `n` requests (true) or the process `pid` has exited
// without making them (false; the process is not reaped). Polls, as wait_for_request does.
bool wait_for_requests(FakeKrx& fake, int n, pid_t pid,
                       std::chrono::seconds timeout = std::chrono::seconds(300));
// The fake's request log as (api, basDd) pairs, in arrival order.
std::vector<std::pair<std::string, std::string>> request_log(FakeKrx& fake);

// True when `err` holds SQLite's own busy message ("database is locked", SQLITE_BUSY escaping
// untranslated), as opposed to krxbatch's "the database is locked by another program ...".
bool raw_sqlite_busy(const std::string& err);

// The output and files an operator could see, checked for `secret`: returns the places where
// it appears ("" when nowhere). `dir` is scanned recursively (databases, WAL, logs, locks).
std::string find_secret(std::string_view secret, const ProcessResult& result,
                        const std::filesystem::path& dir);

} // namespace krxbatch::test::rel
