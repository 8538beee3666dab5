// HTTP/1.1 behaviour: persistent connections, pipelining, many connections at once.
#include "test_helpers.hpp"

#include <memory>

using namespace krxbatch;
using namespace krxbatch::fake_krx_test;

TEST_SUITE("fake_krx.http") {
  TEST_CASE("many requests travel on one keep-alive connection") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto stk = fake.api(k_stk, "20240627").body;
    const auto kospi = fake.api(k_kospi, "20240627").body;
    test::HttpConnection connection("127.0.0.1", fake.port());
    const test::HttpHeaders key = {{"AUTH_KEY", "k"}};
    for (int round = 0; round < 3; ++round) {
      auto r = connection.get("/svc/apis/sto/stk_bydd_trd?basDd=20240627", key);
      CHECK(r.complete);
      CHECK(r.header("Connection") == "keep-alive");
      CHECK(r.body == stk);
      r = connection.request("POST", "/svc/apis/idx/kospi_dd_trd", key, R"({"basDd":"20240627"})");
      CHECK(r.body == kospi);
      CHECK(connection.get("/svc/apis/sto/none", key).status == 404);
      CHECK(connection.get("/").status == 403);
      CHECK(connection.get("/_fake/stats").status == 200);
      CHECK(connection.get("/svc/apis/sto/stk_bydd_trd?basDd=20240627").status == 401);
      REQUIRE(connection.open());
    }
  }

  TEST_CASE("Connection: close is honoured") {
    test::FakeKrx fake;
    test::HttpConnection connection("127.0.0.1", fake.port());
    const auto r = connection.get("/", {{"Connection", "close"}});
    CHECK(r.status == 403);
    CHECK(r.header("Connection") == "close");
    CHECK_FALSE(connection.open());
  }

  TEST_CASE("pipelined requests are answered in order") {
    test::FakeKrx fake({"--now", k_late_now});
    test::HttpConnection connection("127.0.0.1", fake.port());
    const char* days[] = {"20240624", "20240625", "20240626", "20240627"};
    for (const char* day : days) {
      REQUIRE(connection.send_request("GET", std::string("/svc/apis/sto/ksq_bydd_trd?basDd=") + day,
                                      {{"AUTH_KEY", "k"}}));
    }
    for (const char* day : days) {
      const auto r = connection.read_response();
      REQUIRE(r.complete);
      CHECK(rows_of(r.body).front()["BAS_DD"] == day);
    }
  }

  TEST_CASE("many connections are served at the same time") {
    test::FakeKrx fake({"--now", k_late_now});
    std::vector<std::unique_ptr<test::HttpConnection>> connections;
    for (int i = 0; i < 64; ++i) {
      connections.push_back(std::make_unique<test::HttpConnection>("127.0.0.1", fake.port()));
    }
    // Every request is sent before any answer is read: a server that served one connection
    // at a time would still answer, so also hold one connection idle in the middle.
    for (std::size_t i = 0; i < connections.size(); ++i) {
      if (i != 10) {
        REQUIRE(connections[i]->send_request("GET", "/svc/apis/idx/kosdaq_dd_trd?basDd=20240627",
                                             {{"AUTH_KEY", "k"}}));
      }
    }
    for (std::size_t i = 0; i < connections.size(); ++i) {
      if (i != 10) {
        const auto r = connections[i]->read_response();
        CHECK(r.complete);
        CHECK(r.status == 200);
      }
    }
  }

  TEST_CASE("a malformed request gets 400 and the connection is closed") {
    test::FakeKrx fake;
    test::HttpConnection connection("127.0.0.1", fake.port());
    const auto r = connection.request("GET", "/ HTTP/1.1\r\nbroken header line\r\nX", {});
    CHECK(r.status == 400);
    CHECK_FALSE(connection.open());
  }
}
