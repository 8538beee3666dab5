// The history backfill (manual_setup --from) across the KRX daily call limit: the real binary
// against the fake KRX, the KST days simulated with the clock (no sleeps).
#include "ingest_env.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace krxbatch;
using test::IngestEnv;
using Json = nlohmann::json;

namespace {

// Monday 2024-07-01 08:30 KST: Friday 06-28 is the latest published session.
constexpr const char* k_monday_morning = "2024-07-01T08:30:00+09:00";
// A small market: the test is about the calls, not the rows.
const std::vector<std::string> k_small_market = {"--kospi", "5", "--kosdaq", "7", "--konex", "0"};
// 30 calls a KST day: 7 sessions of 4 calls.
const std::vector<std::pair<std::string, std::optional<std::string>>> k_low_limit = {
    {"KRX_DAILY_LIMIT", "30"}};
const std::vector<std::pair<std::string, std::optional<std::string>>> k_no_limit = {
    {"KRX_DAILY_LIMIT", "100000"}};

std::string text(SQLite::Database& db, const std::string& sql) {
  const auto c = db.execAndGet(sql);
  return c.isNull() ? std::string() : c.getString();
}

Json status(const IngestEnv& env,
            const std::vector<std::pair<std::string, std::optional<std::string>>>& extra) {
  const auto r = env.run({"--json", "status"}, extra);
  REQUIRE(r.exit_code == 0);
  return Json::parse(r.out);
}

// The basDd values of the requests logged from index `from` on, in order.
std::vector<std::string> days_asked(test::FakeKrx& fake, std::size_t from) {
  std::vector<std::string> out;
  const auto log = Json::parse(fake.requests());
  for (std::size_t i = from; i < log.size(); ++i) {
    out.push_back(log[i].value("basDd", ""));
  }
  return out;
}

} // namespace

TEST_SUITE("ingest.backfill") {
  TEST_CASE("manual_setup --from across the daily limit: daily_update runs finish it newest first "
            "after their own session, to the digest of an unlimited run") {
    IngestEnv env(k_monday_morning, k_small_market);
    const std::vector<std::string> setup = {"manual_setup", "--yes",     "--days", "5",
                                            "--from",       "2024-05-20"};
    auto r = env.run(setup, k_low_limit);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // 29 sessions from 05-20 to 06-28: 5 newest, 24 more of backfill, 4 calls each.
    CHECK(r.out.find("history backfill  24 sessions more, back to 2024-05-20") !=
          std::string::npos);
    // The latest session's two stock calls were made already (they find it).
    CHECK(r.out.find("KRX calls needed  about 114 (limit 30 per KST day; 28 left today)") !=
          std::string::npos);
    CHECK(r.out.find("KST days          5: stopped by the limit") != std::string::npos);
    {
      auto db = env.open();
      // The 5 newest first, then the 2 newest sessions of the backfill that today's calls left
      // (28 calls: a third would pass 30).
      CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
            "2024-06-28");
      CHECK(text(db, "SELECT value FROM meta WHERE key='history_start'") == "2024-06-20");
      CHECK(text(db, "SELECT min(trade_date) FROM daily_prices") == "2024-06-20");
      CHECK(db.execAndGet("SELECT max(calls) FROM api_calls").getInt() == 28);
    }
    auto s = status(env, k_low_limit);
    CHECK(s["backfill"]["from"] == "2024-05-20");
    CHECK(s["backfill"]["sessions"] == 29);
    CHECK(s["backfill"]["stored"] == 7);
    CHECK(s["backfill"]["left"] == 22);
    CHECK(s["backfill"]["calls_left"] == 88);
    // 88 calls at 26 a day (30 less daily_update's own session), none left today: 4 more days.
    CHECK(s["backfill"]["ends"] == "2024-07-05");
    const auto table = env.run({"status"}, k_low_limit);
    CHECK(table.out.find("backfill  history back to 2024-05-20: 7 of 29 session(s) stored") !=
          std::string::npos);

    // The next mornings: daily_update stores its own session, then 6 more of the backfill.
    const std::vector<std::string> mornings = {
        "2024-07-02T08:30:00+09:00", "2024-07-03T08:30:00+09:00", "2024-07-04T08:30:00+09:00",
        "2024-07-05T08:30:00+09:00", "2024-07-08T08:30:00+09:00"};
    const std::vector<std::string> own = {"20240701", "20240702", "20240703", "20240704",
                                          "20240705"};
    std::size_t day = 0;
    for (; day < mornings.size(); ++day) {
      CAPTURE(mornings[day]);
      env.set_now(mornings[day]);
      const auto logged = Json::parse(env.fake().requests()).size();
      r = env.run({"daily_update"}, k_low_limit);
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      const auto asked = days_asked(env.fake(), logged);
      REQUIRE(asked.size() >= 4);
      // Its own session first (all four calls), then older ones only.
      for (std::size_t i = 0; i < 4; ++i) {
        CHECK(asked[i] == own[day]);
      }
      for (std::size_t i = 4; i < asked.size(); ++i) {
        CHECK(asked[i] < "20240624");
      }
      auto db = env.open();
      CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
            std::string(own[day]).insert(6, "-").insert(4, "-"));
      CHECK(db.execAndGet("SELECT max(calls) FROM api_calls").getInt() <= 30);
      if (status(env, k_low_limit)["backfill"]["left"] == 0) {
        break;
      }
    }
    // 22 sessions at 6 a morning: the fourth morning finishes, as status estimated.
    CHECK(day == 3);
    s = status(env, k_low_limit);
    CHECK(s["backfill"]["history_start"] == "2024-05-20");
    CHECK(s["backfill"]["ends"].is_null());
    CHECK(env.run({"verify"}).exit_code == 0);

    // The same history in one unlimited run, then the same mornings' sessions.
    const auto reference = (env.dir() / "reference.db").string();
    const std::vector<std::pair<std::string, std::optional<std::string>>> ref_env = {
        {"KRX_DAILY_LIMIT", "100000"}, {"KRXBATCH_DB", reference}};
    env.set_now(k_monday_morning);
    REQUIRE(env.run(setup, ref_env).exit_code == 0);
    env.set_now(mornings[day]);
    REQUIRE(env.run({"daily_update"}, ref_env).exit_code == 0);
    CHECK(env.digest() == env.digest(reference));
  }
}

TEST_SUITE("ingest.backfill") {
  TEST_CASE("a manual_setup cut short by the daily limit is finished by the next daily_update, "
            "universe included") {
    IngestEnv env(k_monday_morning, k_small_market);
    // 10 sessions (40 calls) against 30 calls a day.
    const std::vector<std::string> setup = {"manual_setup", "--yes", "--days", "10"};
    auto r = env.run(setup, k_low_limit);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    {
      auto db = env.open();
      // Oldest first: the latest session (06-28), whose prices the universe is built from, is
      // not in yet.
      CHECK(text(db, "SELECT max(trade_date) FROM daily_prices") < "2024-06-28");
      CHECK(db.execAndGet("SELECT count(*) FROM target_tickers").getInt() == 0);
      CHECK(text(db, "SELECT value FROM meta WHERE key='setup_universe'") ==
            "2024-06-28 100000000000");
    }
    env.set_now("2024-07-02T08:30:00+09:00");
    r = env.run({"--log-level", "info", "daily_update"}, k_low_limit);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("the analysis universe it asked for is built") != std::string::npos);
    {
      auto db = env.open();
      CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='daily_update'") ==
            "2024-07-01");
      CHECK(text(db, "SELECT last_success_date FROM job_status WHERE job_name='manual_setup'") ==
            "2024-06-28");
      CHECK(db.execAndGet("SELECT count(*) FROM target_tickers").getInt() > 0);
      CHECK(text(db, "SELECT value FROM meta WHERE key='setup_universe'").empty());
    }

    // The same without a limit: the same database.
    const auto reference = (env.dir() / "reference.db").string();
    const std::vector<std::pair<std::string, std::optional<std::string>>> ref_env = {
        {"KRX_DAILY_LIMIT", "100000"}, {"KRXBATCH_DB", reference}};
    env.set_now(k_monday_morning);
    REQUIRE(env.run(setup, ref_env).exit_code == 0);
    env.set_now("2024-07-02T08:30:00+09:00");
    REQUIRE(env.run({"daily_update"}, ref_env).exit_code == 0);
    CHECK(env.digest() == env.digest(reference));
  }
}

TEST_SUITE("ingest.connections") {
  TEST_CASE("eight connections to the KRX store the same database as one") {
    IngestEnv env(k_monday_morning, k_small_market);
    const std::vector<std::string> setup = {"manual_setup", "--yes", "--days", "12"};
    const auto one = (env.dir() / "one.db").string();
    const auto eight = (env.dir() / "eight.db").string();
    auto r = env.run(setup, {{"KRXBATCH_DB", one}, {"KRX_CONNECTIONS", "1"}});
    REQUIRE(r.exit_code == 0);
    const auto logged = Json::parse(env.fake().requests()).size();
    r = env.run(setup, {{"KRXBATCH_DB", eight}, {"KRX_CONNECTIONS", "8"}});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // Every call made once (12 sessions, 4 calls each).
    CHECK(days_asked(env.fake(), logged).size() == 48);
    CHECK(env.digest(one) == env.digest(eight));
  }
}
