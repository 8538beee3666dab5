#include "krxbatch/fetch/retry_policy.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <limits>
#include <stdexcept>

using namespace krxbatch;
using fetch::FailureKind;
using fetch::RetryPolicy;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string name(std::optional<FailureKind> kind) {
  return kind ? std::string(to_string(*kind)) : std::string("none");
}

} // namespace

TEST_SUITE("fetch.retry_policy") {
  TEST_CASE("transient failures get 3 retries after 30 s, 60 s and 120 s") {
    const RetryPolicy policy;
    for (const auto kind :
         {FailureKind::server_error, FailureKind::network, FailureKind::malformed_body}) {
      CAPTURE(to_string(kind));
      CHECK(policy.next_wait(kind, 1) == milliseconds(seconds(30)));
      CHECK(policy.next_wait(kind, 2) == milliseconds(seconds(60)));
      CHECK(policy.next_wait(kind, 3) == milliseconds(seconds(120)));
      CHECK_FALSE(policy.next_wait(kind, 4).has_value());
      CHECK(policy.max_attempts(kind) == 4);
    }
  }

  TEST_CASE("a rate-limited call gets 2 retries after 60 s each") {
    const RetryPolicy policy;
    CHECK(policy.next_wait(FailureKind::rate_limited, 1) == milliseconds(seconds(60)));
    CHECK(policy.next_wait(FailureKind::rate_limited, 2) == milliseconds(seconds(60)));
    CHECK_FALSE(policy.next_wait(FailureKind::rate_limited, 3).has_value());
    CHECK(policy.max_attempts(FailureKind::rate_limited) == 3);
  }

  TEST_CASE("401, 404, other 4xx, quota and replay failures are final at once") {
    const RetryPolicy policy;
    for (const auto kind :
         {FailureKind::unauthorized, FailureKind::not_approved, FailureKind::bad_endpoint,
          FailureKind::client_error, FailureKind::quota_exhausted, FailureKind::missing_data}) {
      CAPTURE(to_string(kind));
      CHECK_FALSE(policy.next_wait(kind, 1).has_value());
      CHECK(policy.max_attempts(kind) == 1);
    }
  }

  TEST_CASE("every wait is multiplied by the retry scale") {
    const RetryPolicy tiny(0.001);
    CHECK(tiny.next_wait(FailureKind::server_error, 1) == milliseconds(30));
    CHECK(tiny.next_wait(FailureKind::network, 3) == milliseconds(120));
    CHECK(tiny.next_wait(FailureKind::rate_limited, 2) == milliseconds(60));
    CHECK(tiny.retry_scale() == doctest::Approx(0.001));
    const RetryPolicy none(0);
    CHECK(none.next_wait(FailureKind::server_error, 3) == milliseconds(0));
    CHECK_FALSE(none.next_wait(FailureKind::server_error, 4).has_value()); // still 3 retries
    const RetryPolicy slow(2.5);
    CHECK(slow.next_wait(FailureKind::server_error, 2) == milliseconds(seconds(150)));
  }

  TEST_CASE("a custom schedule replaces the waits and the number of retries") {
    fetch::RetrySchedule schedule;
    schedule.transient = {milliseconds(5)};
    schedule.rate_limited = {};
    const RetryPolicy policy(1.0, schedule);
    CHECK(policy.next_wait(FailureKind::server_error, 1) == milliseconds(5));
    CHECK_FALSE(policy.next_wait(FailureKind::server_error, 2).has_value());
    CHECK_FALSE(policy.next_wait(FailureKind::rate_limited, 1).has_value());
  }

  TEST_CASE("refuses a negative or non-finite retry scale") {
    CHECK_THROWS_AS(RetryPolicy(-1.0), std::invalid_argument);
    CHECK_THROWS_AS(RetryPolicy(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    CHECK_THROWS_AS(RetryPolicy(std::numeric_limits<double>::infinity()), std::invalid_argument);
  }

  TEST_CASE("classifies HTTP statuses, telling KRX's two 401 bodies apart") {
    CHECK(name(fetch::classify_status(200, "")) == "none");
    CHECK(name(fetch::classify_status(204, "")) == "none");
    CHECK(name(fetch::classify_status(401, R"({"respMsg":"Unauthorized Key","respCode":"401"})")) ==
          "unauthorized");
    CHECK(name(fetch::classify_status(
              401, R"({"respMsg":"Unauthorized API Call","respCode":"401"})")) == "not_approved");
    CHECK(name(fetch::classify_status(401, "<html>401</html>")) == "unauthorized");
    CHECK(name(fetch::classify_status(401, "")) == "unauthorized");
    CHECK(name(fetch::classify_status(
              404, R"({"respMsg":"API referenced by the path does not exist."})")) ==
          "bad_endpoint");
    CHECK(name(fetch::classify_status(301, "")) == "bad_endpoint");
    CHECK(name(fetch::classify_status(429, "")) == "rate_limited");
    CHECK(name(fetch::classify_status(500, "")) == "server_error");
    CHECK(name(fetch::classify_status(503, "<html>")) == "server_error");
    CHECK(name(fetch::classify_status(400, "LOGOUT")) == "client_error");
    CHECK(name(fetch::classify_status(403, "<html>Forbidden</html>")) == "client_error");
    CHECK(name(fetch::classify_status(100, "")) == "client_error");
  }

  TEST_CASE("classifies a KRX error object by its respCode") {
    CHECK(to_string(fetch::classify_api_error({"401", "Unauthorized Key"})) == "unauthorized");
    CHECK(to_string(fetch::classify_api_error({"401", "Unauthorized API Call"})) == "not_approved");
    CHECK(to_string(fetch::classify_api_error({"", "Unauthorized API Call"})) == "not_approved");
    CHECK(to_string(fetch::classify_api_error({"404", "no such API"})) == "bad_endpoint");
    CHECK(to_string(fetch::classify_api_error({"429", ""})) == "rate_limited");
    CHECK(to_string(fetch::classify_api_error({"500", "Internal"})) == "server_error");
    CHECK(to_string(fetch::classify_api_error({"200", "OK"})) == "malformed_body");
    CHECK(to_string(fetch::classify_api_error({"E999", "unknown"})) == "malformed_body");
  }

  TEST_CASE("classifies transport errors") {
    using fetch::TransportError;
    for (const auto e : {TransportError::timeout, TransportError::connection_refused,
                         TransportError::connection_reset, TransportError::tls,
                         TransportError::resolve, TransportError::other}) {
      CAPTURE(to_string(e));
      CHECK(fetch::classify_transport(e) == FailureKind::network);
    }
    CHECK(fetch::classify_transport(TransportError::partial_body) == FailureKind::malformed_body);
    CHECK(fetch::classify_transport(TransportError::bad_url) == FailureKind::bad_endpoint);
  }
}
