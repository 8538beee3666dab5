#include "krxbatch/ops/doctor.hpp"

#include "fake_market_source.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

using namespace krxbatch;
using fetch::Endpoint;
using fetch::FailureKind;
using ops::Mark;

namespace {

const core::Date k_session(2024, 6, 28);

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("ops.doctor") {
  TEST_CASE("a config file holding the key that others may read is a ✗ with the chmod to run") {
    const std::filesystem::path file = "/etc/krxbatch/krxbatch.conf";
    const auto c = ops::check_config_file(file, S_IFREG | 0644U, true, false);
    CHECK(c.mark == Mark::fail);
    CHECK(contains(c.detail, "mode 0644"));
    CHECK(c.fix == "run `chmod 600 /etc/krxbatch/krxbatch.conf` (and `chown` it to the user the "
                   "jobs run as)");
    CHECK(ops::check_config_file(file, S_IFREG | 0600U, true, false).mark == Mark::ok);
    // Without the key the jobs accept it; webhook tokens readable by others are a !.
    CHECK(ops::check_config_file(file, S_IFREG | 0644U, false, true).mark == Mark::warn);
    CHECK(ops::check_config_file(file, S_IFREG | 0644U, false, false).mark == Mark::ok);
    CHECK(ops::check_config_file(std::nullopt, 0, false, false).mark == Mark::warn);
  }

  TEST_CASE("the key is reported present with where it came from, never shown") {
    ops::Settings s;
    CHECK(ops::check_key(s).mark == Mark::fail);
    s.krx_auth_key = "SECRET-doctor-key-0123";
    s.origins["krx_auth_key"] = "KRX_AUTH_KEY";
    const auto c = ops::check_key(s);
    CHECK(c.mark == Mark::ok);
    CHECK(c.detail == "set (KRX_AUTH_KEY)");
    CHECK_FALSE(contains(ops::doctor_text(std::vector{c}), "SECRET"));
  }

  TEST_CASE("holiday files ending within 60 days are a ✗ naming the file to add") {
    const auto& cal = test::real_calendar(); // to 2027-12-31
    const auto late = ops::check_holidays(cal, core::Date(2027, 11, 15));
    CHECK(late.mark == Mark::fail);
    CHECK(contains(late.fix, "holidays/2028.txt"));
    CHECK(ops::check_holidays(cal, core::Date(2027, 10, 15)).mark == Mark::ok);
  }

  TEST_CASE("an unapproved endpoint is a ✗ naming it and the approval step, the others are "
            "still called once each") {
    test::FakeMarketSource source(3);
    source.publish_until(k_session);
    source.fail(Endpoint::kosdaq_stocks, k_session, FailureKind::not_approved);
    const std::vector<Endpoint> endpoints = {Endpoint::kospi_stocks, Endpoint::kosdaq_stocks,
                                             Endpoint::kospi_index};
    const auto checks = ops::check_endpoints(source, endpoints, k_session);
    REQUIRE(checks.size() == 3);
    CHECK(checks[0].mark == Mark::ok);
    CHECK(checks[1].mark == Mark::fail);
    CHECK(checks[1].name == "endpoint ksq_bydd_trd");
    CHECK(contains(checks[1].fix, "이용신청"));
    CHECK(contains(checks[1].fix, "ksq_bydd_trd"));
    CHECK(checks[2].mark == Mark::ok);
    CHECK(source.calls().size() == 3);
    CHECK(ops::has_failure(checks));
  }

  TEST_CASE("a refused key stops the endpoint calls at the first") {
    test::FakeMarketSource source(3);
    source.publish_until(k_session);
    source.fail(Endpoint::kospi_stocks, k_session, FailureKind::unauthorized);
    const std::vector<Endpoint> endpoints = {Endpoint::kospi_stocks, Endpoint::kosdaq_stocks};
    const auto checks = ops::check_endpoints(source, endpoints, k_session);
    REQUIRE(checks.size() == 2);
    CHECK(checks[0].mark == Mark::fail);
    CHECK(checks[1].mark == Mark::warn);
    CHECK(source.calls().size() == 1);
  }

  TEST_CASE("no CA certificates is a ✗ for https with the package to install") {
    const test::TempDir dir;
    const fetch::CaStore none{(dir / "none.crt").string(), (dir / "certs").string()};
    const auto c = ops::check_ca_store(none, true);
    CHECK(c.mark == Mark::fail);
    CHECK(contains(c.fix, "apt-get install ca-certificates"));
    CHECK(ops::check_ca_store(none, false).mark == Mark::warn);
    const fetch::CaStore some{dir.write("ca.crt", "-----BEGIN CERTIFICATE-----").string(), ""};
    CHECK(ops::check_ca_store(some, true).mark == Mark::ok);
  }

  TEST_CASE("free disk space below a year of the database's own growth is a ✗") {
    ops::DatabaseFacts f;
    f.path = "data/krxbatch.db";
    f.exists = true;
    f.schema_version = 5;
    f.latest_schema_version = 5;
    f.sessions = 100;
    f.db_bytes = 100U << 20U; // 1 MiB a session: 250 MiB a year
    f.writable = true;
    f.free_bytes = 200U << 20U;
    auto checks = ops::check_database(f);
    REQUIRE(checks.size() == 3);
    CHECK(checks[0].mark == Mark::ok);
    CHECK(checks[2].name == "disk space");
    CHECK(checks[2].mark == Mark::fail);
    f.free_bytes = 600U << 20U;
    CHECK(ops::check_database(f)[2].mark == Mark::ok);
    f.writable = false;
    CHECK(ops::check_database(f)[1].mark == Mark::fail);
  }

  TEST_CASE("the schedule: found for this database, found without it, or not found (!)") {
    ops::ScheduleFacts facts;
    facts.crontabs.emplace_back("crontab of krxbatch",
                                "# m h dom mon dow command\n"
                                "30 8 * * 1-5 krxbatch --db /srv/k.db daily_update\n"
                                "10 19-23 * * 1-5 krxbatch --db /srv/k.db hourly_analysis\n");
    auto c = ops::check_schedule(facts, "/srv/k.db");
    CHECK(c.mark == Mark::ok);
    CHECK(contains(c.detail, "daily_update and hourly_analysis"));
    CHECK(ops::check_schedule(facts, "/srv/other.db").mark == Mark::warn);
    ops::ScheduleFacts none;
    none.unreadable.push_back("crontab -l: no crontab command (cron not installed)");
    c = ops::check_schedule(none, "/srv/k.db");
    CHECK(c.mark == Mark::warn);
    CHECK(contains(c.detail, "cron not installed"));
  }

  TEST_CASE("the JSON form lists every check and says whether any is ✗") {
    const std::vector<ops::Check> checks = {{Mark::ok, "a", "fine", ""},
                                            {Mark::fail, "b", "broken", "fix it"}};
    const auto j = nlohmann::json::parse(ops::doctor_json(checks));
    CHECK(j["ok"] == false);
    REQUIRE(j["checks"].size() == 2);
    CHECK(j["checks"][1]["mark"] == "fail");
    CHECK(j["checks"][1]["fix"] == "fix it");
    const auto text = ops::doctor_text(checks);
    CHECK(contains(text, "✗ b: broken\n    fix: fix it\n"));
  }
}
