// Fault matrix: every fault the fake KRX can inject, against each job, with the end state the
// job must leave (docs/RELIABILITY.md "Fault matrix" is this table in prose). For every cell:
// - the exit code, the faulted session's state and error, daily_update's mark, the run's
//   outcome and the exact set of open alerts;
// - the invariants of DESIGN §5 (reliability.hpp check_invariants);
// - KRX_AUTH_KEY appears in no output and no file; no `database is locked`; at most one
//   `krxbatch: error:` line;
// - then the fault is removed and the next run heals: the database ends identical (digest) to
//   a run that never saw the fault.
#include "reliability.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace krxbatch;
using namespace krxbatch::test;
using namespace krxbatch::test::rel;

namespace {

using Env = std::vector<std::pair<std::string, std::optional<std::string>>>;

struct Cell {
  std::string name;
  std::string faults;           // fault rules, "{DAY}" standing for the faulted session; or ""
  std::string quota;            // a POST /_fake/quota query, or ""
  Env env;                      // extra environment for the faulted run
  int exit_code;                // of the faulted run
  std::string day_state;        // the faulted session's state after it ("" = no state row)
  std::string error_has;        // a part of that session's last_error ("" = not checked)
  std::string mark;             // daily_update's mark after the run ("" = none)
  std::string outcome;          // the job's job_status.state after the run
  std::set<std::string> alerts; // open alerts, "SEVERITY rule"
  int requests = -1;            // requests for the faulted api and session (-1 = not checked)
};

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
  for (auto pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + with.size())) {
    text.replace(pos, what.size(), with);
  }
  return text;
}

std::string text_or_empty(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement st(db, sql);
  if (!st.executeStep() || st.getColumn(0).isNull()) {
    return {};
  }
  return st.getColumn(0).getString();
}

std::set<std::string> open_alerts(SQLite::Database& db) {
  std::set<std::string> out;
  SQLite::Statement st(db, "SELECT severity || ' ' || rule FROM alerts WHERE acknowledged = 0");
  while (st.executeStep()) {
    out.insert(st.getColumn(0).getString());
  }
  return out;
}

int count_lines_with(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

// The checks every cell makes; returns the cell's observed end state for the figures.
nlohmann::json check_cell(IngestEnv& env, const Cell& cell, const std::string& job,
                          const std::string& db, const std::string& day,
                          const std::string& faulted_api, const std::vector<std::string>& window,
                          const std::vector<std::string>& run_args, const std::string& expected) {
  CAPTURE(job);
  CAPTURE(cell.name);
  env.fake().clear_faults();
  env.fake().clear_requests();
  if (!cell.faults.empty()) {
    env.fake().add_faults(replace_all(cell.faults, "{DAY}", day));
  }
  if (!cell.quota.empty()) {
    env.fake().set_quota(cell.quota);
  }
  const auto r = run_on(env, db, run_args, cell.env);
  env.fake().release_delays();
  if (!cell.quota.empty()) {
    env.fake().set_quota("limit=none");
  }
  INFO(r.err);
  CHECK(r.exit_code == cell.exit_code);
  CHECK(find_secret(k_secret_key, r, env.dir()) == "");
  CHECK_FALSE(raw_sqlite_busy(r.err));
  CHECK(count_lines_with(r.err, "krxbatch: error:") <= 1);
  CHECK(check_invariants(db, window) == "");

  nlohmann::json seen;
  {
    SQLite::Database conn(db, SQLite::OPEN_READONLY);
    const auto state = text_or_empty(
        conn, "SELECT state FROM job_days WHERE job_name = 'daily_update' AND trade_date = '" +
                  day + "'");
    const auto error =
        text_or_empty(conn, "SELECT last_error FROM job_days WHERE job_name = 'daily_update' AND "
                            "trade_date = '" +
                                day + "'");
    const auto mark = text_or_empty(conn, "SELECT last_success_date FROM job_status WHERE "
                                          "job_name = 'daily_update'");
    const auto outcome =
        text_or_empty(conn, "SELECT state FROM job_status WHERE job_name = '" + job + "'");
    const auto alerts = open_alerts(conn);
    CHECK(state == cell.day_state);
    CAPTURE(error);
    CHECK(error.find(cell.error_has) != std::string::npos);
    CHECK(mark == cell.mark);
    CHECK(outcome == cell.outcome);
    CHECK(alerts == cell.alerts);
    const int requests = request_count(env.fake(), faulted_api, bas_dd(day));
    if (cell.requests >= 0) {
      CHECK(requests == cell.requests);
    }
    seen = {{"job", job},   {"fault", cell.name}, {"exit", r.exit_code}, {"day_state", state},
            {"mark", mark}, {"outcome", outcome}, {"alerts", alerts},    {"requests", requests}};
  }

  // The fault is gone: the next run heals, to exactly what a run without the fault stores.
  env.fake().clear_faults();
  const auto healed = run_on(env, db, run_args);
  INFO(healed.err);
  const auto digest = env.digest(db);
  CHECK(healed.exit_code == 0);
  CHECK(digest == expected);
  CHECK(check_invariants(db, window) == "");
  seen["healed"] = healed.exit_code == 0 && digest == expected;
  return seen;
}

// Cells shared by both ingestion jobs: the faulted api is stk_bydd_trd on the faulted day
// unless the rule says otherwise. `later` is what happens to the sessions after the faulted one
// when the run stops at it ("" when they are still worked on).
struct IngestExpectations {
  std::string mark_before;              // the mark when the faulted session is not complete
  std::string mark_after;               // the mark when every session is complete
  std::string outcome_ok;               // job state when it completes
  std::string failed_alert;             // "WARN ingest_day_failed"
  std::set<std::string> stopped_alerts; // extra open alerts when the run stops at the session
  std::set<std::string> failed_extra;   // extra open alerts when the session failed
  std::set<std::string> waiting_extra;  // extra open alerts when the session waits
};

std::vector<Cell> ingest_cells(const IngestExpectations& x) {
  const auto with = [](std::set<std::string> a, const std::set<std::string>& b) {
    a.insert(b.begin(), b.end());
    return a;
  };
  const std::set<std::string> failed = with({x.failed_alert}, x.failed_extra);
  const std::set<std::string> auth = with({"CRITICAL krx_auth"}, x.stopped_alerts);
  const auto rule = [](const std::string& fault, const std::string& more = {}) {
    return R"({"api":"stk_bydd_trd","date":"{DAY}","fault":")" + fault + R"(","times":-1)" + more +
           "}";
  };
  const auto once = [](const std::string& fault, int times, const std::string& more = {}) {
    return R"({"api":"stk_bydd_trd","date":"{DAY}","fault":")" + fault + R"(","times":)" +
           std::to_string(times) + more + "}";
  };
  return {
      {"no fault", "", "", {}, 0, "succeeded", "", x.mark_after, x.outcome_ok, {}, 1},
      {"status 500 twice, then 200",
       once("status", 2, R"(,"status":500)"),
       "",
       {},
       0,
       "succeeded",
       "",
       x.mark_after,
       x.outcome_ok,
       {},
       3},
      {"status 500",
       rule("status", R"(,"status":500)"),
       "",
       {},
       1,
       "failed",
       "HTTP 500",
       x.mark_before,
       "failed",
       failed,
       4},
      {"status 503",
       rule("status", R"(,"status":503)"),
       "",
       {},
       1,
       "failed",
       "HTTP 503",
       x.mark_before,
       "failed",
       failed,
       4},
      {"status 429",
       rule("status", R"(,"status":429)"),
       "",
       {},
       1,
       "failed",
       "429",
       x.mark_before,
       "failed",
       failed,
       3},
      {"status 404",
       rule("status", R"(,"status":404)"),
       "",
       {},
       1,
       "failed",
       "404",
       x.mark_before,
       "failed",
       x.stopped_alerts,
       1},
      {"delay 50 ms",
       once("delay", 1, R"(,"ms":50)"),
       "",
       {},
       0,
       "succeeded",
       "",
       x.mark_after,
       x.outcome_ok,
       {},
       1},
      {"delay past the request timeout", rule("delay", R"(,"ms":20000)"), "",
       Env{{"KRXBATCH_TEST_HTTP_TIMEOUT_MS", "1000"}}, 1, "failed", "timed out", x.mark_before,
       "failed", failed, 4},
      {"reset once",
       once("reset", 1),
       "",
       {},
       0,
       "succeeded",
       "",
       x.mark_after,
       x.outcome_ok,
       {},
       2},
      // 4 attempts, 6 requests: libcurl resends at once, on a fresh connection, a request whose
      // kept-alive connection died before any answer. Two attempts start on a kept-alive
      // connection: the first (asked ahead, while the previous session was being written) and
      // the second (queued behind the session's other answers, which came over a new
      // connection); the third and fourth start on a new one, the reset having closed it.
      // Counted over one connection: with several (krx_connections) any attempt may start on a
      // kept-alive one, so 4 attempts make 4 to 8 requests.
      {"reset", rule("reset"), "", Env{{"KRX_CONNECTIONS", "1"}}, 1, "failed", "reset",
       x.mark_before, "failed", failed, 6},
      {"truncate",
       rule("truncate"),
       "",
       {},
       1,
       "failed",
       "truncated",
       x.mark_before,
       "failed",
       failed,
       4},
      {"html", rule("html"), "", {}, 1, "failed", "HTML", x.mark_before, "failed", failed, 4},
      {"invalid_json",
       rule("invalid_json"),
       "",
       {},
       1,
       "failed",
       "JSON",
       x.mark_before,
       "failed",
       failed,
       4},
      {"empty",
       rule("empty"),
       "",
       {},
       0,
       "waiting",
       "no rows",
       x.mark_before,
       x.outcome_ok,
       with({"WARN unpublished"}, x.waiting_extra),
       1},
      {"unauthorized",
       rule("unauthorized"),
       "",
       {},
       1,
       "failed",
       "KRX_AUTH_KEY",
       x.mark_before,
       "failed",
       auth,
       1},
      {"unapproved",
       rule("unapproved"),
       "",
       {},
       1,
       "failed",
       "not approved",
       x.mark_before,
       "failed",
       auth,
       1},
      {"wrong_date",
       rule("wrong_date"),
       "",
       {},
       1,
       "failed",
       "BAS_DD",
       x.mark_before,
       "failed",
       failed,
       1},
  };
}

} // namespace

TEST_SUITE("reliability.fault_matrix") {
  TEST_CASE("daily_update: every fault of the fake KRX leaves the documented end state, and the "
            "next run heals it") {
    IngestEnv env(k_monday_morning);
    const auto base = (env.dir() / "base.db").string();
    REQUIRE(run_on(env, base, {"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    env.set_now(k_thursday_morning);
    const std::vector<std::string> window = {"2024-06-24", "2024-06-25", "2024-06-26",
                                             "2024-06-27", "2024-06-28", "2024-07-01",
                                             "2024-07-02", "2024-07-03"};
    const auto reference = (env.dir() / "reference.db").string();
    copy_database(base, reference);
    REQUIRE(run_on(env, reference, {"daily_update"}).exit_code == 0);
    const auto expected = env.digest(reference);

    // 07-01, 07-02 (faulted) and 07-03 to fetch; 07-02 is published 07-03 08:00, so an empty
    // answer for it on 07-04 08:30 is more than a day late.
    IngestExpectations x{"2024-07-01",
                         "2024-07-03",
                         "succeeded",
                         "WARN ingest_day_failed",
                         {"CRITICAL sessions_behind"},
                         {"CRITICAL sessions_behind"},
                         {"CRITICAL sessions_behind"}};
    auto cells = ingest_cells(x);
    // The fake's daily quota, passed on the 6th call of the run: 07-01 takes 4 calls, then
    // 07-02's stk_bydd_trd; its ksq_bydd_trd is the first refused.
    cells.push_back({"quota (401 mode)",
                     "",
                     "limit=5&mode=401",
                     {},
                     1,
                     "failed",
                     "KRX_AUTH_KEY",
                     "2024-07-01",
                     "failed",
                     {"CRITICAL krx_auth", "CRITICAL sessions_behind"},
                     -1});
    cells.push_back({"quota (429 mode)",
                     "",
                     "limit=5&mode=429",
                     {},
                     1,
                     "failed",
                     "429",
                     "2024-07-01",
                     "failed",
                     {"WARN ingest_day_failed", "CRITICAL sessions_behind"},
                     -1});
    cells.push_back({"quota (empty mode)",
                     "",
                     "limit=5&mode=empty",
                     {},
                     0,
                     "waiting",
                     "no rows",
                     "2024-07-01",
                     "succeeded",
                     {"WARN unpublished", "CRITICAL sessions_behind"},
                     -1});
    // krxbatch's own count of calls (KRX_DAILY_LIMIT): stops before a session it cannot finish.
    cells.push_back({"KRX_DAILY_LIMIT reached",
                     "",
                     "",
                     Env{{"KRX_DAILY_LIMIT", "5"}},
                     0,
                     "",
                     "",
                     "2024-07-01",
                     "partial",
                     {"CRITICAL sessions_behind"},
                     0});

    nlohmann::json results = nlohmann::json::array();
    int passed = 0;
    for (const auto& cell : cells) {
      const auto db = (env.dir() / "cell.db").string();
      copy_database(base, db);
      auto seen = check_cell(env, cell, "daily_update", db, "2024-07-02", "stk_bydd_trd", window,
                             {"daily_update"}, expected);
      passed += seen["healed"].get<bool>() ? 1 : 0;
      results.push_back(std::move(seen));
    }
    report("faults.daily_update",
           {{"cells", cells.size()}, {"healed", passed}, {"results", results}});
  }

  TEST_CASE("manual_setup: every fault of the fake KRX leaves the documented end state, and the "
            "next run heals it") {
    IngestEnv env(k_monday_morning);
    const std::vector<std::string> window = {"2024-06-24", "2024-06-25", "2024-06-26", "2024-06-27",
                                             "2024-06-28"};
    const std::vector<std::string> args = {"manual_setup", "--yes", "--days", "5"};
    const auto reference = (env.dir() / "reference.db").string();
    REQUIRE(run_on(env, reference, args).exit_code == 0);
    const auto expected = env.digest(reference);

    // The backfill goes oldest first after probing 06-28; 06-26 is faulted. Its mark moves
    // with each complete session from the first one (06-24), so it stops at 06-25; the 2024
    // sessions are long published, so the missing one puts the database sessions behind.
    IngestExpectations x{"2024-06-25",
                         "2024-06-28",
                         "succeeded",
                         "WARN ingest_day_failed",
                         {"CRITICAL sessions_behind"},
                         {"CRITICAL sessions_behind"},
                         {"CRITICAL sessions_behind"}};
    auto cells = ingest_cells(x);
    // Faults on the probe of the latest session (06-28, fetched first).
    cells.push_back({"status 500 on the probe",
                     R"({"api":"stk_bydd_trd","date":"2024-06-28","fault":"status","times":-1})",
                     "",
                     {},
                     1,
                     "",
                     "",
                     "",
                     "failed",
                     {},
                     -1});
    cells.push_back({"unauthorized on the probe",
                     R"({"api":"stk_bydd_trd","date":"2024-06-28","fault":"unauthorized",
                        "times":-1})",
                     "",
                     {},
                     1,
                     "",
                     "",
                     "",
                     "failed",
                     {"CRITICAL krx_auth"},
                     -1});

    nlohmann::json results = nlohmann::json::array();
    int passed = 0;
    for (const auto& cell : cells) {
      const auto db = (env.dir() / "cell.db").string();
      remove_database(db);
      auto seen = check_cell(env, cell, "manual_setup", db, "2024-06-26", "stk_bydd_trd", window,
                             args, expected);
      passed += seen["healed"].get<bool>() ? 1 : 0;
      results.push_back(std::move(seen));
    }
    report("faults.manual_setup",
           {{"cells", cells.size()}, {"healed", passed}, {"results", results}});
  }
}
