#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/open_api_source.hpp"
#include "krxbatch/fetch/raw_archive.hpp"
#include "krxbatch/util/log.hpp"

#include "support.hpp"
#include "support/fetch_fakes.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

using namespace krxbatch;
using fetch::Endpoint;
using fetch::FailureKind;
using fetch::TransportError;
using std::chrono::milliseconds;
using test::http;
using test::transport;

namespace {

const core::Date k_day(2024, 1, 5);
// 40 hex characters, like a real key; unique to this file so that no other test's text
// contains it by accident.
const std::string k_key = "5f4e3d2c1b0a99887766554433221100ffeeddcc";

const std::string k_rows =
    R"({"OutBlock_1":[{"BAS_DD":"20240105","ISU_CD":"005930","ISU_NM":"삼성전자",)"
    R"("MKT_NM":"KOSPI","TDD_CLSPRC":"76600","ACC_TRDVOL":"11304316"},)"
    R"j({"BAS_DD":"20240105","ISU_CD":"00104K","ISU_NM":"CJ4우(전환)","MKT_NM":"KOSPI",)j"
    R"("TDD_CLSPRC":"73100","ACC_TRDVOL":"12777"}]})";
const std::string k_bad_key = R"({"respMsg":"Unauthorized Key","respCode":"401"})";
const std::string k_not_approved = R"({"respMsg":"Unauthorized API Call","respCode":"401"})";
const std::string k_html =
    "<!DOCTYPE html><html><head><title>에러페이지 - 한국거래소</title></head><body></body></html>";

// A source over a scripted HTTP client, with a counting budget and a recording sleeper.
struct Harness {
  explicit Harness(std::vector<fetch::HttpResult> script, int budget_limit = 1'000'000,
                   double retry_scale = 1.0, std::string base_url = "http://127.0.0.1:8080")
      : budget(budget_limit) {
    auto client = std::make_unique<test::ScriptedHttp>(std::move(script));
    http = client.get();
    source = std::make_unique<fetch::OpenApiSource>(
        fetch::OpenApiSettings{std::move(base_url), k_key}, std::move(client), budget,
        fetch::RetryPolicy(retry_scale), sleeper);
  }

  fetch::FetchResult<std::vector<market::PriceRow>> kospi() {
    return source->stocks(Endpoint::kospi_stocks, k_day);
  }

  test::CountingBudget budget;
  test::RecordingSleeper sleeper;
  test::ScriptedHttp* http = nullptr;
  std::unique_ptr<fetch::OpenApiSource> source;
};

template <typename T>
std::string kind_of(const fetch::FetchResult<T>& result) {
  return result.ok() ? std::string("ok") : std::string(to_string(result.failure().kind));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("fetch.open_api_source") {
  TEST_CASE("GETs {base}/svc/apis/{path}?basDd=YYYYMMDD with the AUTH_KEY header") {
    Harness h({http(200, k_rows)}, 1'000'000, 1.0, "http://127.0.0.1:8080/");
    const auto rows = h.kospi();
    REQUIRE(rows.ok());
    CHECK(rows.value().size() == 2);
    CHECK(rows.value()[1].ticker == "00104K");
    REQUIRE(h.http->urls.size() == 1);
    CHECK(h.http->urls[0] == "http://127.0.0.1:8080/svc/apis/sto/stk_bydd_trd?basDd=20240105");
    bool key_sent = false;
    for (const auto& header : h.http->sent_headers[0]) {
      key_sent = key_sent || (header.name == "AUTH_KEY" && header.value == k_key);
    }
    CHECK(key_sent);
    CHECK(h.budget.used == 1);
    CHECK(h.sleeper.waits->empty());
    CHECK(h.source->counts_calls());
    CHECK(h.source->describe() == "KRX Open API at http://127.0.0.1:8080");
  }

  TEST_CASE("fetches index rows from the idx endpoints") {
    Harness h({http(200, R"({"OutBlock_1":[{"BAS_DD":"20240105","IDX_CLSS":"KOSDAQ",)"
                         R"("IDX_NM":"코스닥","CLSPRC_IDX":"878.33"}]})")});
    const auto rows = h.source->indices(Endpoint::kosdaq_index, k_day);
    REQUIRE(rows.ok());
    CHECK(rows.value().at(0).close == doctest::Approx(878.33));
    CHECK(h.http->urls.at(0) == "http://127.0.0.1:8080/svc/apis/idx/kosdaq_dd_trd?basDd=20240105");
  }

  TEST_CASE("an empty OutBlock_1 is an empty answer") {
    Harness h({http(200, R"({"OutBlock_1":[]})")});
    const auto rows = h.kospi();
    REQUIRE(rows.ok());
    CHECK(rows.value().empty());
    CHECK(h.http->urls.size() == 1);
  }

  TEST_CASE("defaults to https://data-dbg.krx.co.kr when the base URL is empty") {
    test::CountingBudget budget;
    fetch::OpenApiSource source(
        fetch::OpenApiSettings{"", k_key},
        std::make_unique<test::ScriptedHttp>(std::vector<fetch::HttpResult>{http(200, k_rows)}),
        budget);
    CHECK(source.url(Endpoint::konex_stocks, k_day) ==
          "https://data-dbg.krx.co.kr/svc/apis/sto/knx_bydd_trd?basDd=20240105");
  }

  TEST_CASE("500 twice then 200: the rows after 3 attempts, the budget asked 3 times") {
    Harness h({http(500, "Internal Server Error"), http(500, ""), http(200, k_rows)});
    const auto rows = h.kospi();
    REQUIRE(rows.ok());
    CHECK(rows.value().size() == 2);
    CHECK(h.http->urls.size() == 3);
    CHECK(h.budget.used == 3);
    CHECK(*h.sleeper.waits ==
          std::vector<milliseconds>{std::chrono::seconds(30), std::chrono::seconds(60)});
  }

  TEST_CASE("500 forever: server_error after 4 attempts, naming endpoint, day, status") {
    Harness h({http(503, "<html><title>Service Unavailable</title></html>")}, 1'000'000, 0.01);
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "server_error");
    CHECK(h.http->urls.size() == 4);
    CHECK(h.budget.used == 4);
    CHECK(*h.sleeper.waits ==
          std::vector<milliseconds>{milliseconds(300), milliseconds(600), milliseconds(1200)});
    const auto& msg = rows.failure().message;
    CHECK(contains(msg, "sto/stk_bydd_trd"));
    CHECK(contains(msg, "2024-01-05"));
    CHECK(contains(msg, "HTTP 503"));
    CHECK(contains(msg, "4 attempts"));
    CHECK(contains(msg, "next run"));
    CHECK_FALSE(fetch::stops_run(rows.failure().kind));
  }

  TEST_CASE("401 Unauthorized Key: one attempt, unauthorized, check KRX_AUTH_KEY") {
    Harness h({http(401, k_bad_key)});
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "unauthorized");
    CHECK(h.http->urls.size() == 1);
    CHECK(h.sleeper.waits->empty());
    CHECK(fetch::stops_run(rows.failure().kind));
    const auto& msg = rows.failure().message;
    CHECK(contains(msg, "HTTP 401 'Unauthorized Key'"));
    CHECK(contains(msg, "1 attempt"));
    CHECK(contains(msg, "KRX_AUTH_KEY"));
  }

  TEST_CASE("401 Unauthorized API Call: not_approved, apply at openapi.krx.co.kr") {
    Harness h({http(401, k_not_approved)});
    const auto rows = h.source->stocks(Endpoint::konex_stocks, k_day);
    REQUIRE(kind_of(rows) == "not_approved");
    CHECK(h.http->urls.size() == 1);
    CHECK(fetch::stops_run(rows.failure().kind));
    CHECK(contains(rows.failure().message, "knx_bydd_trd"));
    CHECK(contains(rows.failure().message, "openapi.krx.co.kr"));
  }

  TEST_CASE("a 401 error object inside a 200 stops like a 401") {
    Harness h({http(200, k_not_approved)});
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "not_approved");
    CHECK(h.http->urls.size() == 1);
    CHECK(contains(rows.failure().message, "HTTP 200"));
  }

  TEST_CASE("404: bad_endpoint at once, pointing at KRX_API_BASE_URL") {
    Harness h({http(404, R"({"respMsg":"API referenced by the path does not exist."})")});
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "bad_endpoint");
    CHECK(h.http->urls.size() == 1);
    CHECK(contains(rows.failure().message, "HTTP 404"));
    CHECK(contains(rows.failure().message, "KRX_API_BASE_URL"));
    CHECK(contains(rows.failure().message, "http://127.0.0.1:8080"));
  }

  TEST_CASE("a redirect that was not followed is a bad endpoint naming where it pointed") {
    fetch::HttpResponse moved{301, "", "text/html", "https://elsewhere.example/svc"};
    Harness h({fetch::HttpResult(moved)});
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "bad_endpoint");
    CHECK(contains(rows.failure().message, "https://elsewhere.example/svc"));
  }

  TEST_CASE("HTML with status 200: retried, then malformed_body with the page's title") {
    Harness h({http(200, k_html, "text/html; charset=utf-8")});
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "malformed_body");
    CHECK(h.http->urls.size() == 4);
    CHECK(h.sleeper.waits->size() == 3);
    CHECK(contains(rows.failure().message, "에러페이지 - 한국거래소"));
    CHECK(contains(rows.failure().message, "text/html"));
  }

  TEST_CASE("a truncated body is retried, and recovers when a whole one comes") {
    Harness h({http(200, k_rows.substr(0, 100)), http(200, k_rows)});
    const auto rows = h.kospi();
    REQUIRE(rows.ok());
    CHECK(h.http->urls.size() == 2);

    Harness never({http(200, k_rows.substr(0, 100))});
    const auto failed = never.kospi();
    REQUIRE(kind_of(failed) == "malformed_body");
    CHECK(never.http->urls.size() == 4);
    CHECK(contains(failed.failure().message, "truncated"));
  }

  TEST_CASE("a connection closed before Content-Length is retried as a malformed body") {
    Harness h({transport(TransportError::partial_body, "transfer closed with 100 bytes left")});
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "malformed_body");
    CHECK(h.http->urls.size() == 4);
    CHECK(contains(rows.failure().message, "100 bytes left"));
  }

  TEST_CASE("a value KRX sent wrong is not retried") {
    Harness h({http(200, R"({"OutBlock_1":[{"ISU_CD":"005930","TDD_CLSPRC":"N/A"}]})")});
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "malformed_body");
    CHECK(h.http->urls.size() == 1);
    CHECK(contains(rows.failure().message, "TDD_CLSPRC"));
    CHECK(contains(rows.failure().message, "'N/A'"));
  }

  TEST_CASE("timeouts, resets and refusals are retried, then a network failure") {
    for (const auto error : {TransportError::timeout, TransportError::connection_reset,
                             TransportError::connection_refused}) {
      CAPTURE(to_string(error));
      Harness h({transport(error, "Operation failed for 127.0.0.1")});
      const auto rows = h.kospi();
      REQUIRE(kind_of(rows) == "network");
      CHECK(h.http->urls.size() == 4);
      CHECK(contains(rows.failure().message, std::string(fetch::describe(error))));
      CHECK(contains(rows.failure().message, "4 attempts"));
    }
  }

  TEST_CASE("mixed transient failures share one count of attempts") {
    Harness h({transport(TransportError::timeout), http(502, ""), http(200, k_rows)});
    REQUIRE(h.kospi().ok());
    CHECK(*h.sleeper.waits ==
          std::vector<milliseconds>{std::chrono::seconds(30), std::chrono::seconds(60)});
  }

  TEST_CASE("429: 2 retries after 60 s, then rate_limited after 3 attempts") {
    Harness h({http(429, "Too Many Requests")});
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "rate_limited");
    CHECK(h.http->urls.size() == 3);
    CHECK(*h.sleeper.waits ==
          std::vector<milliseconds>{std::chrono::seconds(60), std::chrono::seconds(60)});
    CHECK(contains(rows.failure().message, "HTTP 429"));
    CHECK(contains(rows.failure().message, "3 attempts"));
  }

  TEST_CASE("other 4xx: no retry, client_error quoting the body") {
    Harness h({http(400, "LOGOUT", "text/plain")});
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "client_error");
    CHECK(h.http->urls.size() == 1);
    CHECK(contains(rows.failure().message, "HTTP 400 'LOGOUT'"));
  }

  TEST_CASE("a server echoing the key: no piece of it in the failure, even where an excerpt "
            "cuts through it") {
    // 50 bytes of padding put the key across the 80-byte excerpt of a 4xx body, and across
    // the 60-byte excerpt of a content type: the cut keeps its first half, which no longer
    // matches the whole key that log redaction looks for.
    const std::string pad(50, 'x');
    for (const auto& [response, where] : std::vector<std::pair<fetch::HttpResult, std::string>>{
             {http(400, pad + " AUTH_KEY=" + k_key, "text/plain"), "4xx body"},
             {http(200, "{\"respMsg\":\"" + pad + k_key + "\",\"respCode\":\"500\"}"),
              "error object"},
             {http(200, "busy", "text/plain; " + std::string(30, 'y') + k_key), "content type"}}) {
      CAPTURE(where);
      Harness h({response}, 1'000'000, 0.01);
      const auto rows = h.kospi();
      REQUIRE_FALSE(rows.ok());
      const auto& msg = rows.failure().message;
      CHECK_FALSE(contains(msg, k_key.substr(0, 10)));
      CHECK_FALSE(contains(msg, k_key.substr(10, 10)));
      CHECK_FALSE(contains(msg, k_key.substr(30, 10)));
    }
  }

  TEST_CASE("a refused budget means quota_exhausted with no HTTP call") {
    Harness h({http(200, k_rows)}, 0);
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "quota_exhausted");
    CHECK(h.http->urls.empty());
    CHECK(h.budget.refusals == 1);
    CHECK(fetch::stops_run(rows.failure().kind));
    CHECK(contains(rows.failure().message, "daily limit"));
    CHECK(contains(rows.failure().message, "2024-01-05"));
  }

  TEST_CASE("the budget is asked before every retry too") {
    Harness h({http(500, "")}, 2);
    const auto rows = h.kospi();
    REQUIRE(kind_of(rows) == "quota_exhausted");
    CHECK(h.http->urls.size() == 2);
    CHECK(h.budget.used == 2);
    CHECK(contains(rows.failure().message, "not retried after 2 attempts"));
    CHECK(contains(rows.failure().message, "HTTP 500"));
  }

  TEST_CASE("refuses to start without a usable key or base URL") {
    test::CountingBudget budget;
    const auto make = [&](std::string base, std::string key) {
      return fetch::OpenApiSource(
          fetch::OpenApiSettings{std::move(base), std::move(key)},
          std::make_unique<test::ScriptedHttp>(std::vector<fetch::HttpResult>{http(200, "")}),
          budget);
    };
    CHECK_THROWS_WITH_AS(make("", ""), doctest::Contains("KRX_AUTH_KEY"), core::Error);
    CHECK_THROWS_WITH_AS(make("", k_key + "\n"), doctest::Contains("KRX_AUTH_KEY"), core::Error);
    CHECK_THROWS_WITH_AS(make("ftp://x", k_key), doctest::Contains("KRX_API_BASE_URL"),
                         core::Error);
    CHECK_THROWS_WITH_AS(make("data-dbg.krx.co.kr", k_key), doctest::Contains("KRX_API_BASE_URL"),
                         core::Error);
    try {
      make("", "");
    } catch (const core::Error& e) {
      CHECK(e.code() == core::ExitCode::usage);
    }
  }

  TEST_CASE("the key appears in no message and no log line, even at trace level") {
    // A body that echoes the key, as a careless server might: what the source reports or logs
    // of it must be redacted too.
    const std::string echo = R"({"respMsg":"Unauthorized Key )" + k_key + R"(","respCode":"401"})";
    const std::vector<std::vector<fetch::HttpResult>> scripts = {
        {http(401, k_bad_key)},
        {http(401, k_not_approved)},
        {http(401, echo)},
        {http(200, echo)},
        {http(500, "key was " + k_key)},
        {http(200, "<html><title>" + k_key + "</title></html>")},
        {http(200, k_rows.substr(0, 80) + k_key)},
        {transport(TransportError::timeout, "timed out sending " + k_key)},
        {http(200, k_rows)},
    };
    std::size_t logged = 0;
    for (std::size_t i = 0; i < scripts.size(); ++i) {
      CAPTURE(i);
      const test::LogCapture capture(spdlog::level::trace);
      Harness h(scripts[i], 1'000'000, 0.0);
      const auto rows = h.kospi();
      const auto log = capture.text();
      logged += log.size();
      CHECK_FALSE(contains(log, k_key));
      if (!rows.ok()) {
        CHECK_FALSE(contains(rows.failure().message, k_key));
        CHECK_FALSE(rows.failure().message.empty());
      }
      CHECK_FALSE(contains(h.source->describe(), k_key));
    }
    CHECK(logged > 0); // the capture did see the source's trace and debug lines
    CHECK(util::redact("x" + k_key) == "x***"); // and the key is registered for redaction
  }
}

TEST_SUITE("fetch.open_api_source.prefetch") {
  TEST_CASE("a prefetched call is counted when it is asked for, once") {
    Harness h({http(200, k_rows)});
    const std::vector<Endpoint> both = {Endpoint::kospi_stocks, Endpoint::kosdaq_stocks};
    h.source->prefetch(k_day, both);
    CHECK(h.budget.used == 2);
    h.source->prefetch(k_day, both); // asked already
    CHECK(h.budget.used == 2);
    REQUIRE(h.kospi().ok());
    REQUIRE(h.source->stocks(Endpoint::kosdaq_stocks, k_day).ok());
    CHECK(h.budget.used == 2);
    // Taken: the same call again is a new call, counted again.
    REQUIRE(h.kospi().ok());
    CHECK(h.budget.used == 3);
    CHECK(h.http->urls.size() == 3);
  }

  TEST_CASE("a prefetched call's retries are counted as usual") {
    Harness h({http(500, "busy"), http(200, k_rows)});
    const std::vector<Endpoint> one = {Endpoint::kospi_stocks};
    h.source->prefetch(k_day, one);
    REQUIRE(h.kospi().ok());
    CHECK(h.http->urls.size() == 2);
    CHECK(h.budget.used == 2);
  }

  TEST_CASE("prefetching stops at the first call the budget refuses, and that call is refused "
            "again when it is made") {
    Harness h({http(200, k_rows)}, 1);
    const std::vector<Endpoint> both = {Endpoint::kospi_stocks, Endpoint::kosdaq_stocks};
    h.source->prefetch(k_day, both);
    CHECK(h.budget.used == 1);
    CHECK(h.budget.refusals == 1);
    REQUIRE(h.kospi().ok());
    const auto kosdaq = h.source->stocks(Endpoint::kosdaq_stocks, k_day);
    REQUIRE_FALSE(kosdaq.ok());
    CHECK(kosdaq.failure().kind == FailureKind::quota_exhausted);
    CHECK(contains(kosdaq.failure().message, "not called"));
    CHECK(h.http->urls.size() == 1);
  }
}

namespace {

// Records what the source hands to the archive.
class RecordingSink final : public fetch::AnswerSink {
public:
  void keep(Endpoint endpoint, const core::Date& day, fetch::SharedBody body) override {
    kept.push_back({endpoint, day, *body});
  }
  struct Kept {
    Endpoint endpoint;
    core::Date day;
    std::string body;
  };
  std::vector<Kept> kept;
};

} // namespace

TEST_SUITE("fetch.open_api_source") {
  TEST_CASE("every HTTP 200 answer goes to the archive sink before parsing, an unparsable one "
            "too, error statuses do not") {
    Harness h({http(200, k_html), http(200, k_rows), http(401, k_not_approved)}, 1'000'000, 0.0);
    RecordingSink sink;
    h.source->set_answer_sink(&sink);
    REQUIRE(h.kospi().ok()); // the HTML answer is retried, then the rows come
    REQUIRE(sink.kept.size() == 2);
    CHECK(sink.kept[0].body == k_html);
    CHECK(sink.kept[1].body == k_rows);
    CHECK(sink.kept[1].endpoint == Endpoint::kospi_stocks);
    CHECK(sink.kept[1].day == k_day);
    CHECK_FALSE(h.kospi().ok()); // 401: not kept
    CHECK(sink.kept.size() == 2);
  }

  TEST_CASE("an answer echoing the key reaches the archive without it") {
    Harness h({http(200, R"({"OutBlock_1":[],"echo":")" + k_key + R"("})")});
    RecordingSink sink;
    h.source->set_answer_sink(&sink);
    (void)h.kospi();
    REQUIRE(sink.kept.size() == 1);
    CHECK_FALSE(contains(sink.kept[0].body, k_key));
  }

  TEST_CASE("a TLS failure names the missing CA store and how to install it") {
    Harness h({transport(TransportError::tls, "SSL certificate problem: unable to get local "
                                              "issuer certificate")},
              1'000'000, 0.0);
    const auto r = h.kospi();
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.failure().message, "ca-certificates"));
    CHECK(contains(r.failure().message, "apt-get install ca-certificates"));
  }
}
