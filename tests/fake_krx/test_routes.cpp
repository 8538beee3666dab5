// Routes and keys: the Open API's error answers byte for byte (krx-open-api.md §1.9), the
// .json suffix, POST with a JSON body, and the host root.
#include "test_helpers.hpp"

using namespace krxbatch;
using namespace krxbatch::fake_krx_test;

namespace {

const std::string k_unauthorized_key = R"({"respMsg":"Unauthorized Key","respCode":"401"})";
const std::string k_unapproved = R"({"respMsg":"Unauthorized API Call","respCode":"401"})";
const std::string k_not_found = R"({"respMsg":"API referenced by the path does not exist."})";

} // namespace

TEST_SUITE("fake_krx.routes") {
  TEST_CASE("a missing or wrong AUTH_KEY gets the 47-byte Unauthorized Key answer") {
    test::FakeKrx fake({"--now", k_late_now, "--auth-key", "right-key"});
    for (const auto& key : {std::string(), std::string("wrong-key")}) {
      CAPTURE(key);
      const auto r = fake.api(k_stk, "20240627", key);
      CHECK(r.status == 401);
      CHECK(r.body == k_unauthorized_key);
      CHECK(r.header("Content-Length") == "47");
      CHECK(r.header("Content-Type") == "application/json; charset=UTF-8");
    }
    const auto r = fake.api(k_stk, "20240627", "right-key");
    CHECK(r.status == 200);
    CHECK(rows_of(r.body).size() > 5);
  }

  TEST_CASE("without --auth-key any non-empty key is valid, an empty one is not") {
    test::FakeKrx fake({"--now", k_late_now});
    CHECK(fake.api(k_ksq, "20240627", "anything").status == 200);
    const auto r =
        fake.request("GET", "/svc/apis/sto/ksq_bydd_trd?basDd=20240627", {{"AUTH_KEY", ""}});
    CHECK(r.status == 401);
    CHECK(r.body == k_unauthorized_key);
  }

  TEST_CASE("an unapproved API gets the 52-byte Unauthorized API Call answer, others still work") {
    test::FakeKrx fake({"--now", k_late_now, "--unapproved", "knx_bydd_trd,kosdaq"});
    for (const char* api : {k_knx, k_kosdaq}) {
      CAPTURE(api);
      const auto r = fake.api(api, "20240627");
      CHECK(r.status == 401);
      CHECK(r.body == k_unapproved);
      CHECK(r.header("Content-Length") == "52");
    }
    CHECK(fake.api(k_stk, "20240627").status == 200);
    CHECK(fake.api(k_kospi, "20240627").status == 200);
    // A wrong key is reported as such before approval is looked at.
    CHECK(fake.api(k_knx, "20240627", "").body == k_unauthorized_key);
  }

  TEST_CASE("any other path under /svc/apis/ answers 404 with KRX's message") {
    test::FakeKrx fake({"--now", k_late_now});
    for (const char* path : {"ksq/ksq_bydd_trd", "sto/stk_bydd_trdx", "idx/stk_bydd_trd",
                             "sto/stk_isu_base_info", "sto/stk_bydd_trd.xml", "sto", ""}) {
      CAPTURE(path);
      const auto r = fake.api(path, "20240627");
      CHECK(r.status == 404);
      CHECK(r.body == k_not_found);
      CHECK(r.header("Content-Type") == "application/json; charset=UTF-8");
    }
  }

  TEST_CASE("the host root answers 403 with an Apache page") {
    test::FakeKrx fake;
    const auto r = fake.request("GET", "/");
    CHECK(r.status == 403);
    CHECK(r.header("Content-Type")->starts_with("text/html"));
    CHECK(r.body.find("<title>403 Forbidden</title>") != std::string::npos);
    CHECK(r.body.find("You don't have permission") != std::string::npos);
    CHECK(fake.request("GET", "/svc/other").status == 404);
  }

  TEST_CASE("the .json suffix and a POST with a JSON body give the same bytes as GET") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto plain = fake.api(k_stk, "20240627");
    REQUIRE(plain.status == 200);
    CHECK(fake.api("sto/stk_bydd_trd.json", "20240627").body == plain.body);
    const test::HttpHeaders headers = {{"AUTH_KEY", "k"}, {"Content-Type", "application/json"}};
    const auto posted =
        fake.request("POST", "/svc/apis/sto/stk_bydd_trd", headers, R"({"basDd":"20240627"})");
    CHECK(posted.status == 200);
    CHECK(posted.body == plain.body);
  }
}
