#include "krxbatch/serve/rate_limiter.hpp"

#include <doctest/doctest.h>

using namespace krxbatch;
using namespace std::chrono_literals;

TEST_SUITE("serve.rate_limiter") {
  TEST_CASE("a client may burst a minute's allowance, then goes at the steady rate") {
    serve::RateLimiter limiter(60); // one a second
    const auto t0 = serve::RateLimiter::Clock::time_point{} + 1h;
    for (int i = 0; i < 60; ++i) {
      CHECK(limiter.allow("10.0.0.1", t0));
    }
    CHECK_FALSE(limiter.allow("10.0.0.1", t0));
    CHECK(limiter.allow("10.0.0.2", t0)); // another client has its own bucket
    CHECK_FALSE(limiter.allow("10.0.0.1", t0 + 500ms));
    CHECK(limiter.allow("10.0.0.1", t0 + 1s)); // one more a second later
    CHECK_FALSE(limiter.allow("10.0.0.1", t0 + 1s));
    CHECK(limiter.retry_after_seconds() == 1);
    CHECK(serve::RateLimiter(10).retry_after_seconds() == 6);
  }

  TEST_CASE("a client idle for minutes is forgotten: it gets a full bucket again") {
    serve::RateLimiter limiter(2);
    const auto t0 = serve::RateLimiter::Clock::time_point{} + 1h;
    CHECK(limiter.allow("a", t0));
    CHECK(limiter.allow("a", t0));
    CHECK_FALSE(limiter.allow("a", t0));
    CHECK(limiter.allow("a", t0 + 5min));
    CHECK(limiter.allow("a", t0 + 5min));
    CHECK_FALSE(limiter.allow("a", t0 + 5min));
  }

  TEST_CASE("tokens compare equal only when equal, whatever the lengths") {
    CHECK(serve::constant_time_equal("secret-token", "secret-token"));
    CHECK_FALSE(serve::constant_time_equal("secret-token", "secret-tokeN"));
    CHECK_FALSE(serve::constant_time_equal("secret-token", "secret"));
    CHECK_FALSE(serve::constant_time_equal("secret", "secret-token"));
    CHECK_FALSE(serve::constant_time_equal("", "x"));
    CHECK(serve::constant_time_equal("", ""));
  }
}
