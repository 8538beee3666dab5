// The fault plan: every fault kind, `times`, matching by API and date, and rule validation.
#include "test_helpers.hpp"

using namespace krxbatch;
using namespace krxbatch::fake_krx_test;

namespace {

const std::string k_unauthorized_key = R"({"respMsg":"Unauthorized Key","respCode":"401"})";
const std::string k_unapproved = R"({"respMsg":"Unauthorized API Call","respCode":"401"})";

// The body of stk_bydd_trd on 2024-06-27 without faults.
std::string normal_body(const test::FakeKrx& fake) {
  const auto r = fake.api(k_stk, "20240627");
  REQUIRE(r.status == 200);
  REQUIRE(rows_of(r.body).size() > 5);
  return r.body;
}

// The fault recorded for the last request in the log.
std::string last_logged_fault(const test::FakeKrx& fake) {
  const auto log = Json::parse(fake.requests());
  REQUIRE(!log.empty());
  return log.back()["fault"].get<std::string>();
}

} // namespace

TEST_SUITE("fake_krx.faults") {
  TEST_CASE("status answers the given status once, then the day is served normally") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto normal = normal_body(fake);
    fake.add_faults(R"({"api":"stk_bydd_trd","date":"2024-06-27","fault":"status","status":503})");
    auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 503);
    CHECK(r.header("Content-Type")->starts_with("text/html"));
    CHECK(r.body.find("503") != std::string::npos);
    CHECK(last_logged_fault(fake) == "status");
    CHECK(fake.api(k_stk, "20240627").body == normal);

    fake.add_faults(R"({"fault":"status","status":500,"body":"{\"respMsg\":\"oops\"}"})");
    r = fake.api(k_stk, "20240627");
    CHECK(r.status == 500);
    CHECK(r.body == R"({"respMsg":"oops"})");
    CHECK(r.header("Content-Type") == "application/json; charset=UTF-8");
  }

  TEST_CASE("delay answers normally after the wait") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto normal = normal_body(fake);
    fake.add_faults(R"({"fault":"delay","ms":30})");
    const auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 200);
    CHECK(r.body == normal);
    CHECK(last_logged_fault(fake) == "delay");
  }

  TEST_CASE("a delayed answer does not hold up other connections") {
    test::FakeKrx fake({"--now", k_late_now});
    fake.add_faults(R"({"api":"ksq_bydd_trd","fault":"delay","ms":600000})");
    test::HttpConnection slow("127.0.0.1", fake.port());
    REQUIRE(
        slow.send_request("GET", "/svc/apis/sto/ksq_bydd_trd?basDd=20240627", {{"AUTH_KEY", "k"}}));
    // Wait until the server has taken the slow request (it is logged before the delay).
    bool taken = false;
    for (int attempt = 0; attempt < 100'000 && !taken; ++attempt) {
      taken = Json::parse(fake.requests()).size() == 1;
    }
    REQUIRE(taken);
    const auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 200);
    CHECK(rows_of(r.body).size() > 5);
    CHECK(Json::parse(fake.requests())[0]["fault"] == "delay");
  }

  TEST_CASE("reset closes the connection without an answer") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto normal = normal_body(fake);
    fake.add_faults(R"({"fault":"reset"})");
    const auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 0);
    CHECK_FALSE(r.complete);
    CHECK(r.body.empty());
    const auto log = Json::parse(fake.requests());
    CHECK(log.back()["status"] == 0);
    CHECK(log.back()["fault"] == "reset");
    CHECK(fake.api(k_stk, "20240627").body == normal);
  }

  TEST_CASE("truncate sends the full Content-Length and only half of the body") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto normal = normal_body(fake);
    fake.add_faults(R"({"fault":"truncate","date":"2024-06-27"})");
    const auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 200);
    CHECK_FALSE(r.complete);
    CHECK(r.header("Content-Length") == std::to_string(normal.size()));
    CHECK(r.body == normal.substr(0, normal.size() / 2));
  }

  TEST_CASE("html answers 200 with KRX's notice page instead of JSON") {
    test::FakeKrx fake({"--now", k_late_now});
    fake.add_faults(R"({"fault":"html"})");
    const auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 200);
    CHECK(r.header("Content-Type")->starts_with("text/html"));
    CHECK(r.body.find("서비스 제공 불가능") != std::string::npos);
    CHECK_FALSE(Json::accept(r.body));
  }

  TEST_CASE("invalid_json answers 200 JSON that does not parse") {
    test::FakeKrx fake({"--now", k_late_now});
    fake.add_faults(R"([{"fault":"invalid_json"},{"fault":"invalid_json","date":"2024-06-29"}])");
    for (const char* day : {"20240627", "20240629"}) { // a session, then a Saturday
      const auto r = fake.api(k_stk, day);
      CHECK(r.status == 200);
      CHECK(r.complete);
      CHECK(r.header("Content-Type") == "application/json; charset=UTF-8");
      CHECK_FALSE(r.body.empty());
      CHECK_FALSE(Json::accept(r.body));
    }
  }

  TEST_CASE("empty answers an empty list for a published day") {
    test::FakeKrx fake({"--now", k_late_now});
    fake.add_faults(R"({"fault":"empty"})");
    const auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 200);
    CHECK(r.body == R"({"OutBlock_1":[]})");
    CHECK(rows_of(fake.api(k_stk, "20240627").body).size() > 5);
  }

  TEST_CASE("unauthorized and unapproved answer KRX's 401 bodies despite a valid key") {
    test::FakeKrx fake({"--now", k_late_now});
    fake.add_faults(R"([{"fault":"unauthorized"},{"fault":"unapproved"}])");
    auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 401);
    CHECK(r.body == k_unauthorized_key);
    r = fake.api(k_stk, "20240627");
    CHECK(r.status == 401);
    CHECK(r.body == k_unapproved);
    CHECK(fake.api(k_stk, "20240627").status == 200);
  }

  TEST_CASE("wrong_date answers the rows of another session") {
    test::FakeKrx fake({"--now", k_late_now});
    fake.add_faults(R"({"fault":"wrong_date","api":"ksq_bydd_trd"})");
    const auto rows = fetch_rows(fake, k_ksq, "20240627");
    REQUIRE(rows.size() > 5);
    for (const auto& row : rows) {
      CHECK(row["BAS_DD"] != "20240627");
      CHECK(row["BAS_DD"] == "20240626"); // the previous session
    }
    CHECK(fetch_rows(fake, k_ksq, "20240627").front()["BAS_DD"] == "20240627");
  }

  TEST_CASE("times counts uses, -1 never runs out, and the first matching rule goes first") {
    test::FakeKrx fake({"--now", k_late_now});
    fake.add_faults(R"([
      {"api":"stk_bydd_trd","date":"2024-06-27","fault":"empty","times":2},
      {"api":"*","date":"2024-06-27","fault":"status","status":502,"times":-1}
    ])");
    CHECK(fake.api(k_stk, "20240627").body == R"({"OutBlock_1":[]})");
    CHECK(fake.api(k_stk, "20240627").body == R"({"OutBlock_1":[]})");
    for (int i = 0; i < 5; ++i) {
      CHECK(fake.api(k_stk, "20240627").status == 502);
    }
    CHECK(fake.api(k_ksq, "20240627").status == 502);
    CHECK(fake.api(k_kospi, "20240627").status == 502);
    // Another date is not matched.
    CHECK(rows_of(fake.api(k_stk, "20240626").body).size() > 5);
    const auto plan = Json::parse(fake.request("GET", "/_fake/faults").body);
    REQUIRE(plan.size() == 1);
    CHECK(plan[0]["fault"] == "status");
    CHECK(plan[0]["times"] == -1);
    fake.clear_faults();
    CHECK(fake.api(k_stk, "20240627").status == 200);
    CHECK(Json::parse(fake.request("GET", "/_fake/faults").body).empty());
  }

  TEST_CASE("malformed rules are refused with 400 and change nothing") {
    test::FakeKrx fake({"--now", k_late_now});
    for (const char* rules : {
             R"({"fault":"explode"})",
             R"({"api":"stk","date":"2024-13-01","fault":"empty"})",
             R"({"api":"nope","fault":"empty"})",
             R"({"fault":"empty","times":0})",
             R"({"fault":"empty","time":3})",
             R"({"fault":"status","status":99})",
             R"({"api":"*"})",
             R"([{"fault":"empty"},{"fault":"what"}])",
             "not json",
         }) {
      CAPTURE(rules);
      const auto r = fake.request("POST", "/_fake/faults", {}, rules);
      CHECK(r.status == 400);
      CHECK(Json::parse(r.body).contains("error"));
    }
    CHECK(Json::parse(fake.request("GET", "/_fake/faults").body).empty());
    CHECK(fake.api(k_stk, "20240627").status == 200);
  }
}

TEST_SUITE("fake_krx.faults") {
  TEST_CASE("release sends a held delayed answer at once, unchanged") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto normal = normal_body(fake);
    fake.clear_requests();
    fake.add_faults(R"({"api":"stk_bydd_trd","fault":"delay","ms":600000})");
    test::HttpConnection slow("127.0.0.1", fake.port());
    REQUIRE(
        slow.send_request("GET", "/svc/apis/sto/stk_bydd_trd?basDd=20240627", {{"AUTH_KEY", "k"}}));
    fake.wait_for_request("stk_bydd_trd", "20240627");
    fake.release_delays();
    const auto r = slow.read_response();
    CHECK(r.complete);
    CHECK(r.status == 200);
    CHECK(r.body == normal);
  }
}
