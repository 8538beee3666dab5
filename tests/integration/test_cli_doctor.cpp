// `krxbatch doctor` end to end against the fake KRX: the endpoint approvals, the config file's
// mode and the holiday files' end, each with its ✗ and its fix.
#include "ingest_env.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sys/stat.h>

using namespace krxbatch;
using test::IngestEnv;

namespace {

// Monday 2024-07-01 08:30 KST: Friday 06-28 is the latest published session.
constexpr const char* k_monday_morning = "2024-07-01T08:30:00+09:00";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("cli.doctor") {
  TEST_CASE("one unapproved endpoint: exit 1 naming it and the approval step, one call each, no "
            "retry, the key never shown") {
    IngestEnv env(k_monday_morning, {"--unapproved", "ksq_bydd_trd"});
    const auto r = env.run({"doctor"});
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.out, "✗ endpoint ksq_bydd_trd: not approved for this key"));
    CHECK(contains(r.out, "apply for ksq_bydd_trd (이용신청) at openapi.krx.co.kr"));
    CHECK(contains(r.out, "✓ endpoint stk_bydd_trd: approved"));
    CHECK(contains(r.out, "✓ endpoint kosdaq_dd_trd: approved"));
    CHECK(contains(r.out, "for 2024-06-28 (the latest published session)"));
    CHECK(test::request_count(env.fake(), "ksq_bydd_trd", "20240628") == 1);
    CHECK(test::request_count(env.fake(), "stk_bydd_trd", "20240628") == 1);
    CHECK_FALSE(contains(r.out + r.err, std::string(test::k_secret_key)));
    // Nothing was created.
    CHECK_FALSE(std::filesystem::exists(env.db()));
  }

  TEST_CASE("everything approved on a set-up database: exit 0, the calls counted against the "
            "daily limit") {
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "2"}).exit_code == 0);
    const auto calls_before = env.open().execAndGet("SELECT sum(calls) FROM api_calls").getInt64();
    const auto r = env.run({"--json", "doctor"});
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["ok"] == true);
    int endpoints = 0;
    for (const auto& c : j["checks"]) {
      CHECK(c["mark"] != "fail");
      endpoints += c["name"].get<std::string>().starts_with("endpoint ") ? 1 : 0;
      if (c["name"] == "KRX calls") {
        CHECK(contains(c["detail"].get<std::string>(), "counted against today's limit"));
      }
      if (c["name"] == "database") {
        CHECK(contains(c["detail"].get<std::string>(), "2 sessions"));
      }
    }
    CHECK(endpoints == 4);
    CHECK(env.open().execAndGet("SELECT sum(calls) FROM api_calls").getInt64() == calls_before + 4);
  }

  TEST_CASE("a config file holding the key that others may read: ✗ with the chmod, and no call "
            "is made with its key") {
    IngestEnv env(k_monday_morning);
    const auto conf = env.dir() / "krxbatch.conf";
    std::ofstream(conf) << "krx_auth_key = " << test::k_secret_key << "\n";
    REQUIRE(::chmod(conf.c_str(), 0644) == 0);
    const auto r = env.run({"doctor"}, {{"KRX_AUTH_KEY", std::nullopt}});
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.out, "✗ config file: " + conf.string() + " (mode 0644)"));
    CHECK(contains(r.out, "fix: run `chmod 600 " + conf.string() + "`"));
    CHECK(contains(r.out, "! endpoints: not called"));
    CHECK(test::request_count(env.fake(), "stk_bydd_trd", "20240628") == 0);
    CHECK_FALSE(contains(r.out + r.err, std::string(test::k_secret_key)));

    REQUIRE(::chmod(conf.c_str(), 0600) == 0);
    const auto fixed = env.run({"doctor"}, {{"KRX_AUTH_KEY", std::nullopt}});
    CHECK(contains(fixed.out, "✓ config file"));
    CHECK(contains(fixed.out, "✓ KRX key: set (" + conf.string() + ":1: krx_auth_key)"));
  }

  TEST_CASE("holiday files ending within 60 days: ✗ naming the file to add") {
    IngestEnv env(k_monday_morning);
    const auto r = env.run({"doctor"}, {{"KRXBATCH_NOW", "2027-11-20T10:00:00+09:00"}});
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.out, "✗ holiday files: cover "));
    CHECK(contains(r.out, "holidays/2028.txt"));
  }
}
