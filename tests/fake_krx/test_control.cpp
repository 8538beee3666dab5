// The control API (request log, quota, stats), the process contract (the listening line,
// clean exits) and the command line.
#include "test_helpers.hpp"

#include <csignal>

using namespace krxbatch;
using namespace krxbatch::fake_krx_test;

TEST_SUITE("fake_krx.control") {
  TEST_CASE("the request log lists requests in order with their outcome, never the key") {
    test::FakeKrx fake({"--now", k_late_now, "--auth-key", "secret-key-123"});
    fake.add_faults(R"({"api":"kosdaq_dd_trd","fault":"empty"})");
    const test::HttpHeaders good = {{"AUTH_KEY", "secret-key-123"}};
    fake.request("GET", "/svc/apis/sto/stk_bydd_trd?basDd=20240627", good);
    fake.request("GET", "/svc/apis/sto/ksq_bydd_trd?basDd=20240627", {{"AUTH_KEY", "wrong-key"}});
    fake.request("GET", "/svc/apis/idx/kospi_dd_trd?basDd=20240627");
    fake.request("GET", "/");
    fake.request("GET", "/svc/apis/sto/nope?basDd=20240627", good);
    fake.request("POST", "/svc/apis/sto/stk_bydd_trd.json", good, R"({"basDd":"20240626"})");
    fake.request("GET", "/svc/apis/idx/kosdaq_dd_trd?basDd=20240627", good);

    const auto log = Json::parse(fake.requests());
    const Json expected = Json::parse(R"([
      {"seq":1,"method":"GET","path":"/svc/apis/sto/stk_bydd_trd","api":"stk_bydd_trd","basDd":"20240627","status":200,"fault":"none","auth":"valid"},
      {"seq":2,"method":"GET","path":"/svc/apis/sto/ksq_bydd_trd","api":"ksq_bydd_trd","basDd":"20240627","status":401,"fault":"none","auth":"invalid"},
      {"seq":3,"method":"GET","path":"/svc/apis/idx/kospi_dd_trd","api":"kospi_dd_trd","basDd":"20240627","status":401,"fault":"none","auth":"missing"},
      {"seq":4,"method":"GET","path":"/","api":"","basDd":"","status":403,"fault":"none","auth":"missing"},
      {"seq":5,"method":"GET","path":"/svc/apis/sto/nope","api":"","basDd":"","status":404,"fault":"none","auth":"valid"},
      {"seq":6,"method":"POST","path":"/svc/apis/sto/stk_bydd_trd.json","api":"stk_bydd_trd","basDd":"20240626","status":200,"fault":"none","auth":"valid"},
      {"seq":7,"method":"GET","path":"/svc/apis/idx/kosdaq_dd_trd","api":"kosdaq_dd_trd","basDd":"20240627","status":200,"fault":"empty","auth":"valid"}
    ])");
    CHECK(log == expected);
    const auto raw = fake.requests();
    CHECK(raw.find("secret-key-123") == std::string::npos);
    CHECK(raw.find("wrong-key") == std::string::npos);
    CHECK(fake.log().find("secret-key-123") == std::string::npos);
    CHECK(fake.log().find("wrong-key") == std::string::npos);

    const auto since = Json::parse(fake.request("GET", "/_fake/requests?since=5").body);
    REQUIRE(since.size() == 2);
    CHECK(since[0]["seq"] == 6);
    fake.clear_requests();
    CHECK(Json::parse(fake.requests()).empty());
    fake.request("GET", "/");
    CHECK(Json::parse(fake.requests())[0]["seq"] == 8); // numbering goes on
  }

  TEST_CASE("a key put in the query string is not logged either") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto r =
        fake.request("GET", "/svc/apis/sto/stk_bydd_trd?basDd=20240627&AUTH_KEY=query-secret",
                     {{"AUTH_KEY", "header-secret"}});
    CHECK(r.status == 200);
    const auto log = fake.log();
    CHECK(log.find("/svc/apis/sto/stk_bydd_trd basDd=20240627 -> 200") != std::string::npos);
    for (const char* secret : {"query-secret", "header-secret"}) {
      CHECK(log.find(secret) == std::string::npos);
      CHECK(fake.requests().find(secret) == std::string::npos);
    }
  }

  TEST_CASE("past the quota 429 is answered, and the count starts again the next fake day") {
    test::FakeKrx fake({"--now", "2025-03-04T12:00:00+09:00", "--quota", "2"});
    CHECK(fake.api(k_stk, "20240627").status == 200);
    CHECK(fake.api(k_ksq, "20240627").status == 200);
    auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 429);
    CHECK(r.body == R"({"respMsg":"Too Many Requests","respCode":"429"})");
    CHECK(Json::parse(fake.requests()).back()["fault"] == "quota");
    const auto stats = Json::parse(fake.stats());
    CHECK(stats["calls_today"] == 3);
    CHECK(stats["quota"]["limit"] == 2);
    // Calls without a valid key are not calls.
    CHECK(fake.api(k_stk, "20240627", "").status == 401);
    CHECK(Json::parse(fake.stats())["calls_today"] == 3);
    fake.set_clock("2025-03-05T00:00:01+09:00");
    CHECK(fake.api(k_stk, "20240627").status == 200);
    CHECK(Json::parse(fake.stats())["calls_today"] == 1);
  }

  TEST_CASE("the quota can answer 401 or an empty list, and be lifted") {
    test::FakeKrx fake({"--now", k_late_now});
    fake.set_quota("limit=1&mode=401");
    CHECK(fake.api(k_stk, "20240627").status == 200);
    auto r = fake.api(k_stk, "20240627");
    CHECK(r.status == 401);
    CHECK(r.body == R"({"respMsg":"Unauthorized Key","respCode":"401"})");

    fake.set_quota("limit=1&mode=empty"); // configuring starts today's count again
    CHECK(rows_of(fake.api(k_stk, "20240627").body).size() > 5);
    r = fake.api(k_stk, "20240627");
    CHECK(r.status == 200);
    CHECK(r.body == R"({"OutBlock_1":[]})");

    fake.set_quota("limit=none");
    for (int i = 0; i < 3; ++i) {
      CHECK(rows_of(fake.api(k_stk, "20240627").body).size() > 5);
    }
    const auto quota = Json::parse(fake.request("GET", "/_fake/quota").body);
    CHECK(quota["limit"].is_null());
    CHECK(quota["mode"] == "empty");
    CHECK(fake.request("POST", "/_fake/quota?mode=418").status == 400);
    CHECK(fake.request("POST", "/_fake/quota?limit=-3").status == 400);
  }

  TEST_CASE("stats count requests per API") {
    test::FakeKrx fake({"--now", k_late_now});
    fake.api(k_stk, "20240627");
    fake.api(k_stk, "20240626");
    fake.api(k_kospi, "20240627");
    fake.api(k_knx, "20240627", "");
    fake.request("GET", "/");
    const auto stats = Json::parse(fake.stats());
    CHECK(stats["requests_total"] == 5);
    CHECK(stats["requests"]["stk_bydd_trd"] == 2);
    CHECK(stats["requests"]["ksq_bydd_trd"] == 0);
    CHECK(stats["requests"]["knx_bydd_trd"] == 1);
    CHECK(stats["requests"]["kospi_dd_trd"] == 1);
    CHECK(stats["calls_today"] == 3);
    CHECK(stats["fake_day"] == "2025-03-04");
  }

  TEST_CASE("an unknown control path answers 404, a wrong method 405") {
    test::FakeKrx fake;
    CHECK(fake.request("GET", "/_fake/nothing").status == 404);
    CHECK(fake.request("GET", "/_fake/shutdown").status == 405);
    CHECK(fake.request("PUT", "/_fake/faults").status == 405);
    CHECK(fake.request("POST", "/_fake/stats").status == 405);
  }

  TEST_CASE("stdout holds only the listening line, and SIGTERM ends the server with 0") {
    test::FakeKrx fake;
    const int port = fake.port();
    CHECK(fake.request("GET", "/").status == 403);
    const auto result = fake.stop();
    CHECK(result.exit_code == 0);
    CHECK(result.out == "listening 127.0.0.1:" + std::to_string(port) + "\n");
    CHECK(result.err.find("fake_krx: stopped") != std::string::npos);
  }

  TEST_CASE("POST /_fake/shutdown answers, then the server exits with 0") {
    test::FakeKrx fake;
    const auto r = fake.request("POST", "/_fake/shutdown");
    CHECK(r.status == 200);
    CHECK(r.complete);
    const auto result = fake.wait();
    CHECK(result.exit_code == 0);
  }

  TEST_CASE("SIGINT ends the server cleanly even with an idle keep-alive connection open") {
    test::FakeKrx fake;
    test::HttpConnection idle("127.0.0.1", fake.port());
    CHECK(idle.get("/").status == 403);
    REQUIRE(idle.open());
    fake.kill(SIGINT);
    const auto result = fake.wait();
    CHECK(result.exit_code == 0);
    CHECK_FALSE(idle.get("/").complete); // the server closed it on the way out
  }

  TEST_CASE("bad options exit 2 with a one-line error") {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--kospi", "many"},
             {"--quota-mode", "500"},
             {"--start", "2031-01-02"},
             {"--now", "soon"},
             {"--publish-hour", "24"},
             {"--unapproved", "stk,bogus"},
             {"--dump", "/tmp/x", "--from", "2024-01-02"},
             {"--from", "2024-01-02"},
             {"--frobnicate"},
         }) {
      CAPTURE(args.front());
      std::vector<std::string> argv = {test::fake_krx_binary().string()};
      argv.insert(argv.end(), args.begin(), args.end());
      const auto r = test::run(argv);
      CHECK(r.exit_code == 2);
      CHECK(r.out.empty());
      CHECK(r.err.starts_with("fake_krx: error: "));
    }
    const auto help = test::run({test::fake_krx_binary().string(), "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Usage: fake_krx") != std::string::npos);
    CHECK(help.out.find("--publish-hour") != std::string::npos);
  }
}
