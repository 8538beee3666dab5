// CurlHttpClient and OpenApiSource against the fake KRX server (tests/fake_krx) on loopback:
// keep-alive, timeouts, resets, cut bodies, KRX's error answers, retries and the key's secrecy.
#include "krxbatch/fetch/curl_http_client.hpp"
#include "krxbatch/fetch/open_api_source.hpp"
#include "krxbatch/market/parser.hpp"
#include "krxbatch/market/validation.hpp"

#include "support/fake_krx.hpp"
#include "support/fetch_fakes.hpp"
#include "support/log_capture.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace krxbatch;
using fetch::Endpoint;
using Json = nlohmann::json;

namespace {

// Monday 2024-07-01 09:00 KST: Friday 2024-06-28 and the days before are published.
const std::vector<std::string> k_fake_args = {"--now", "2024-07-01T09:00:00+09:00"};
const core::Date k_day(2024, 6, 28);
const std::string k_basdd = "20240628";
// The key the fake accepts in the tests that start it with --auth-key.
const std::string k_key = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3";

std::string api_url(const test::FakeKrx& fake, std::string_view path, std::string_view basdd) {
  return fake.base_url() + "/svc/apis/" + std::string(path) + "?basDd=" + std::string(basdd);
}

const std::vector<fetch::HttpHeader> k_test_key = {
    {"AUTH_KEY", std::string(test::k_test_auth_key)}};

template <typename T>
std::string kind_of(const fetch::FetchResult<T>& result) {
  return result.ok() ? std::string("ok") : std::string(to_string(result.failure().kind));
}

std::string transport_kind(const fetch::HttpResult& result) {
  return result.ok() ? "HTTP " + std::to_string(result.value().status)
                     : std::string(to_string(result.failure().kind));
}

// How many requests the fake has logged.
std::size_t logged_requests(const test::FakeKrx& fake) {
  return Json::parse(fake.requests()).size();
}

// An OpenApiSource over a real CurlHttpClient pointed at `fake`.
struct LiveSource {
  LiveSource(const test::FakeKrx& fake, std::string key = std::string(test::k_test_auth_key),
             fetch::CurlOptions options = {}, std::string base_url = {})
      : source(
            fetch::OpenApiSettings{base_url.empty() ? fake.base_url() : base_url, std::move(key)},
            std::make_unique<fetch::CurlHttpClient>(options), budget, fetch::RetryPolicy(0.001),
            sleeper) {}

  test::CountingBudget budget;
  test::RecordingSleeper sleeper;
  fetch::OpenApiSource source;
};

} // namespace

TEST_SUITE("fetch.curl_http_client") {
  TEST_CASE("gets published days as JSON over one kept-alive connection") {
    test::FakeKrx fake(k_fake_args);
    fetch::CurlHttpClient client;
    std::size_t rows = 0;
    for (const char* day : {"20240626", "20240627", "20240628"}) {
      for (const char* path : {"sto/stk_bydd_trd", "sto/ksq_bydd_trd"}) {
        CAPTURE(day);
        CAPTURE(path);
        const auto r = client.get(api_url(fake, path, day), k_test_key);
        REQUIRE(transport_kind(r) == "HTTP 200");
        CHECK(r.value().content_type.find("application/json") != std::string::npos);
        const auto parsed = market::parse_price_rows(r.value().body);
        REQUIRE(parsed.ok());
        rows += parsed.value().size();
      }
    }
    CHECK(rows > 0);
    CHECK(client.connections_opened() == 1);
    CHECK(logged_requests(fake) == 6);
  }

  TEST_CASE("KRX's 401 and 404 are answers and not transport failures") {
    test::FakeKrx fake(k_fake_args);
    fetch::CurlHttpClient client;
    const auto no_key = client.get(api_url(fake, "sto/stk_bydd_trd", k_basdd), {});
    REQUIRE(transport_kind(no_key) == "HTTP 401");
    CHECK(no_key.value().body == R"({"respMsg":"Unauthorized Key","respCode":"401"})");
    const auto wrong_path = client.get(api_url(fake, "ksq/ksq_bydd_trd", k_basdd), k_test_key);
    REQUIRE(transport_kind(wrong_path) == "HTTP 404");
    CHECK(market::parse_api_error(wrong_path.value().body).has_value());
  }

  TEST_CASE("an answer that does not come within the total timeout is a timeout") {
    test::FakeKrx fake(k_fake_args);
    fake.add_faults(R"({"api":"stk_bydd_trd","fault":"delay","ms":600000})");
    fetch::CurlOptions options;
    options.total_timeout = std::chrono::milliseconds(300);
    fetch::CurlHttpClient client(options);
    const auto slow = client.get(api_url(fake, "sto/stk_bydd_trd", k_basdd), k_test_key);
    CHECK(transport_kind(slow) == "timeout");
    fake.release_delays();
    // The timed-out connection is gone; the next call opens another and gets its answer.
    const auto next = client.get(api_url(fake, "sto/ksq_bydd_trd", k_basdd), k_test_key);
    CHECK(transport_kind(next) == "HTTP 200");
    CHECK(client.connections_opened() == 2);
  }

  TEST_CASE("a connection reset before the answer is connection_reset") {
    test::FakeKrx fake(k_fake_args);
    fake.add_faults(R"({"fault":"reset"})");
    fetch::CurlHttpClient client;
    CHECK(transport_kind(client.get(api_url(fake, "sto/stk_bydd_trd", k_basdd), k_test_key)) ==
          "connection_reset");
    CHECK(transport_kind(client.get(api_url(fake, "sto/stk_bydd_trd", k_basdd), k_test_key)) ==
          "HTTP 200");
  }

  TEST_CASE("a body cut before its Content-Length is partial_body") {
    test::FakeKrx fake(k_fake_args);
    fake.add_faults(R"({"fault":"truncate"})");
    fetch::CurlHttpClient client;
    const auto cut = client.get(api_url(fake, "sto/stk_bydd_trd", k_basdd), k_test_key);
    REQUIRE(transport_kind(cut) == "partial_body");
    CHECK_FALSE(cut.failure().message.empty());
  }

  TEST_CASE("a port nobody listens on is connection_refused") {
    // A socket bound but not listening holds the port, so nothing else can take it meanwhile.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const auto port = std::to_string(ntohs(addr.sin_port));
    fetch::CurlHttpClient client;
    const auto r = client.get("http://127.0.0.1:" + port + "/svc/apis/sto/stk_bydd_trd", {});
    ::close(fd);
    REQUIRE(transport_kind(r) == "connection_refused");
    CHECK(r.failure().message.find(port) != std::string::npos);
  }

  TEST_CASE("refuses a server whose certificate is not trusted") {
    // openssl's own TLS test server with a fresh self-signed certificate: TLS verification is
    // always on, so the handshake must fail (fake_krx speaks plain HTTP only).
    const auto which = test::run({"/bin/sh", "-c", "command -v openssl"});
    if (which.exit_code != 0) {
      MESSAGE("not run: the openssl command is not installed");
      return;
    }
    const auto openssl = which.out.substr(0, which.out.find('\n'));
    const auto dir =
        std::filesystem::temp_directory_path() / ("krxbatch-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto cert = (dir / "cert.pem").string();
    const auto key = (dir / "key.pem").string();
    const auto made =
        test::run({openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                   cert, "-days", "1", "-subj", "/CN=127.0.0.1"});
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);
    test::SpawnOptions options;
    options.stdout_pipe = true;
    auto server = test::Child::spawn({openssl, "s_server", "-accept", "127.0.0.1:0", "-cert", cert,
                                      "-key", key, "-www", "-naccept", "1"},
                                     options);
    std::string port;
    while (const auto line = server.read_line()) {
      if (line->rfind("ACCEPT 127.0.0.1:", 0) == 0) {
        port = line->substr(17);
        break;
      }
    }
    REQUIRE_FALSE(port.empty());
    fetch::CurlHttpClient client;
    const auto r =
        client.get("https://127.0.0.1:" + port + "/svc/apis/sto/stk_bydd_trd", k_test_key);
    server.kill(SIGTERM);
    (void)server.wait();
    std::filesystem::remove_all(dir);
    REQUIRE(transport_kind(r) == "tls");
    CHECK(r.failure().message.find("certificate") != std::string::npos);
  }
}

TEST_SUITE("fetch.open_api_source") {
  TEST_CASE("fetches a published day of stocks and indices that passes validation") {
    test::FakeKrx fake(k_fake_args);
    LiveSource live(fake);
    for (const auto m : {market::Market::kospi, market::Market::kosdaq, market::Market::konex}) {
      CAPTURE(to_string(m));
      const auto rows = live.source.stocks(fetch::stock_endpoint(m), k_day);
      REQUIRE(rows.ok());
      CHECK_FALSE(rows.value().empty());
      const auto report = market::validate_stocks(k_day, m, rows.value(), std::nullopt);
      CHECK_MESSAGE(!report.has_errors(), report.first_error());
    }
    const auto index = live.source.indices(Endpoint::kospi_index, k_day);
    REQUIRE(index.ok());
    CHECK(market::validate_indices(k_day, index.value()).findings.empty());
    bool composite = false;
    for (const auto& r : index.value()) {
      composite = composite || (r.index_name == market::k_kospi_composite_name && r.close);
    }
    CHECK(composite);
    CHECK(live.budget.used == 4);
    CHECK(live.sleeper.waits->empty());
  }

  TEST_CASE("an unpublished day is an empty answer") {
    test::FakeKrx fake(k_fake_args);
    LiveSource live(fake);
    const auto rows = live.source.stocks(Endpoint::kospi_stocks, core::Date(2024, 7, 1));
    REQUIRE(rows.ok());
    CHECK(rows.value().empty());
  }

  TEST_CASE("rides out a reset then a 503 then a cut body before returning the rows") {
    test::FakeKrx fake(k_fake_args);
    fake.add_faults(R"([{"api":"stk","fault":"reset"},{"api":"stk","fault":"status","status":503},)"
                    R"({"api":"stk","fault":"truncate"}])");
    LiveSource live(fake);
    const auto rows = live.source.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE_MESSAGE(rows.ok(), (rows.ok() ? std::string() : rows.failure().message));
    CHECK_FALSE(rows.value().empty());
    CHECK(live.budget.used == 4);
    CHECK(live.sleeper.waits->size() == 3);
    const auto log = Json::parse(fake.requests());
    REQUIRE(log.size() == 4);
    CHECK(log[0]["fault"] == "reset");
    CHECK(log[1]["fault"] == "status");
    CHECK(log[2]["fault"] == "truncate");
    CHECK(log[3]["fault"] == "none");
  }

  TEST_CASE("libcurl re-sends once by itself when a kept-alive connection was reset") {
    // A known limit of the call count: libcurl silently retries a request, on a new
    // connection, when a reused one dies before any byte of the answer. That is one budgeted
    // attempt but two requests KRX may count.
    test::FakeKrx fake(k_fake_args);
    fake.add_faults(
        R"([{"api":"ksq","fault":"reset"},{"api":"ksq","fault":"status","status":503}])");
    LiveSource live(fake);
    REQUIRE(live.source.stocks(Endpoint::kospi_stocks, k_day).ok()); // opens the connection
    const auto rows = live.source.stocks(Endpoint::kosdaq_stocks, k_day);
    REQUIRE(rows.ok());
    CHECK(live.budget.used == 3);
    const auto log = Json::parse(fake.requests());
    REQUIRE(log.size() == 4);
    CHECK(log[1]["fault"] == "reset");
    CHECK(log[2]["fault"] == "status");
  }

  TEST_CASE("an HTML page or invalid JSON every time: malformed_body after 4 attempts") {
    for (const char* fault : {"html", "invalid_json"}) {
      CAPTURE(fault);
      test::FakeKrx fake(k_fake_args);
      fake.add_faults(R"({"fault":")" + std::string(fault) + R"(","times":-1})");
      LiveSource live(fake);
      const auto rows = live.source.stocks(Endpoint::kosdaq_stocks, k_day);
      REQUIRE(kind_of(rows) == "malformed_body");
      CHECK(logged_requests(fake) == 4);
      CHECK(rows.failure().message.find("4 attempts") != std::string::npos);
      CHECK(rows.failure().message.find(std::string(fault) == "html" ? "HTML" : "JSON") !=
            std::string::npos);
    }
  }

  TEST_CASE("a refused key or an unapproved API stops after one request") {
    test::FakeKrx fake(
        {"--now", "2024-07-01T09:00:00+09:00", "--auth-key", k_key, "--unapproved", "ksq"});
    LiveSource wrong(fake, "0000000000000000000000000000000000000000");
    const auto refused = wrong.source.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE(kind_of(refused) == "unauthorized");
    CHECK(fetch::stops_run(refused.failure().kind));
    CHECK(logged_requests(fake) == 1);

    LiveSource right(fake, k_key);
    REQUIRE(right.source.stocks(Endpoint::kospi_stocks, k_day).ok());
    const auto unapproved = right.source.stocks(Endpoint::kosdaq_stocks, k_day);
    REQUIRE(kind_of(unapproved) == "not_approved");
    CHECK(unapproved.failure().message.find("openapi.krx.co.kr") != std::string::npos);
    CHECK(logged_requests(fake) == 3);
  }

  TEST_CASE("KRX's 429 is retried twice before rate_limited") {
    test::FakeKrx fake(k_fake_args);
    fake.set_quota("limit=0&mode=429");
    LiveSource live(fake);
    const auto rows = live.source.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE(kind_of(rows) == "rate_limited");
    CHECK(logged_requests(fake) == 3);
  }

  TEST_CASE("a wrong base URL is bad_endpoint at once") {
    test::FakeKrx fake(k_fake_args);
    LiveSource live(fake, std::string(test::k_test_auth_key), {}, fake.base_url() + "/krx");
    const auto rows = live.source.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE(kind_of(rows) == "bad_endpoint");
    CHECK(rows.failure().message.find("KRX_API_BASE_URL") != std::string::npos);
    CHECK(live.budget.used == 1);
  }

  TEST_CASE("an answer slower than the timeout is retried before a network failure") {
    test::FakeKrx fake(k_fake_args);
    fake.add_faults(R"({"fault":"delay","ms":600000,"times":-1})");
    fetch::CurlOptions options;
    options.total_timeout = std::chrono::milliseconds(200);
    LiveSource live(fake, std::string(test::k_test_auth_key), options);
    const auto rows = live.source.stocks(Endpoint::kospi_stocks, k_day);
    fake.release_delays();
    REQUIRE(kind_of(rows) == "network");
    CHECK(rows.failure().message.find("timed out") != std::string::npos);
    CHECK(rows.failure().message.find("4 attempts") != std::string::npos);
    CHECK(live.budget.used == 4);
  }

  TEST_CASE("the key is in no message and no log line including libcurl's trace") {
    test::FakeKrx fake({"--now", "2024-07-01T09:00:00+09:00", "--auth-key", k_key});
    fake.add_faults(
        R"([{"api":"stk","fault":"status","status":503},{"api":"ksq","fault":"html"}])");
    std::vector<std::string> messages;
    std::string log;
    const std::string near_miss = k_key.substr(0, 39) + "0";
    {
      const test::LogCapture capture(spdlog::level::trace);
      LiveSource right(fake, k_key);
      CHECK(right.source.stocks(Endpoint::kospi_stocks, k_day).ok());
      CHECK(right.source.stocks(Endpoint::kosdaq_stocks, k_day).ok());
      LiveSource wrong(fake, near_miss);
      const auto refused = wrong.source.stocks(Endpoint::kospi_stocks, k_day);
      REQUIRE_FALSE(refused.ok());
      messages.push_back(refused.failure().message);
      log = capture.text();
    }
    CHECK(log.find("curl: ") != std::string::npos); // libcurl's trace was on
    CHECK(log.find("HTTP 503") != std::string::npos);
    CHECK(log.find(k_key) == std::string::npos);
    CHECK(log.find("AUTH_KEY") == std::string::npos); // no request header line at all
    for (const auto& m : messages) {
      CHECK(m.find(k_key) == std::string::npos);
      CHECK(m.find(near_miss) == std::string::npos);
    }
    CHECK(log.find(near_miss) == std::string::npos);
  }
}
