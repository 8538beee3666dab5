#include "krxbatch/core/date.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/util/clock.hpp"
#include "krxbatch/util/log.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace krxbatch;

TEST_SUITE("util.clock") {
  TEST_CASE("--now starts the clock at that instant, in KST") {
    const auto clock = util::make_clock(std::string("2024-06-28T10:00:00Z"));
    const auto now = clock->now_kst();
    CHECK(now >= core::KstTime(core::Date(2024, 6, 28), boost::posix_time::hours(19)));
    CHECK(now < core::KstTime(core::Date(2024, 6, 28), boost::posix_time::hours(20)));
    CHECK(clock->today_kst() == core::Date(2024, 6, 28));
  }

  TEST_CASE("a malformed --now is a usage error naming the option") {
    CHECK_THROWS_WITH_AS(util::make_clock(std::string("tomorrow")), doctest::Contains("--now"),
                         core::Error);
  }

  TEST_CASE("a --now whose KST instant leaves the representable years is a usage error") {
    // 9999-12-31 23:00 at UTC-5 is in year 10000 in KST; 1400 is Boost's first year.
    for (const char* now : {"9999-12-31T23:00:00-05:00", "9000-12-31T23:00:00-05:00",
                            "1400-01-01T00:00:00+14:00", "1899-12-31T12:00:00"}) {
      CAPTURE(now);
      CHECK_FALSE(core::parse_instant_to_kst(now));
      CHECK_THROWS_WITH_AS(util::make_clock(std::string(now)),
                           doctest::Contains("between the years 1900 and 9000"), core::Error);
    }
    CHECK(core::parse_instant_to_kst("1900-01-01T09:00:00+09:00"));
  }

  TEST_CASE("KRXBATCH_NOW is used when --now is absent") {
    ::setenv("KRXBATCH_NOW", "2030-01-02T03:04:05+09:00", 1);
    const auto clock = util::make_clock(std::nullopt);
    ::unsetenv("KRXBATCH_NOW");
    CHECK(clock->today_kst() == core::Date(2030, 1, 2));
  }

  TEST_CASE("the system clock is KST whatever TZ says") {
    ::setenv("TZ", "America/Los_Angeles", 1);
    ::tzset();
    const auto kst = util::SystemClock().now_kst();
    const auto utc_seconds = static_cast<long long>(std::time(nullptr));
    ::unsetenv("TZ");
    ::tzset();
    const auto diff = core::unix_seconds_from_kst(kst) - utc_seconds;
    CHECK(diff >= -2);
    CHECK(diff <= 2);
  }
}

TEST_SUITE("util.log") {
  TEST_CASE("registered secrets are redacted") {
    util::register_secret("0123456789abcdef0123456789abcdef01234567");
    CHECK(util::redact("key=0123456789abcdef0123456789abcdef01234567; again "
                       "0123456789abcdef0123456789abcdef01234567") == "key=***; again ***");
    util::register_secret("ab"); // too short to redact safely
    CHECK(util::redact("abc") == "abc");
  }

  TEST_CASE("the credentials of a URL are found whole, alone and percent-decoded") {
    using V = std::vector<std::string>;
    CHECK(util::url_credentials("https://hooks.example/T1/B2") == V{});
    CHECK(util::url_credentials("https://bot:s3cr%40t@hc.example:8443/ping?x=a@b") ==
          V{"bot:s3cr%40t", "s3cr%40t", "bot:s3cr@t", "s3cr@t"});
    CHECK(util::url_credentials("http://token@host/") == V{"token"});
    CHECK(util::url_credentials("not a url") == V{});
    CHECK(util::without_url_credentials("https://bot:pw@hc.example/ping?x=a@b") ==
          "https://***@hc.example/ping?x=a@b");
    CHECK(util::without_url_credentials("https://hc.example/a@b") == "https://hc.example/a@b");
    for (const auto& c : util::url_credentials("https://user:Pa55word-x@127.0.0.1:9/")) {
      util::register_secret(c);
    }
    CHECK(util::redact("GET https://user:Pa55word-x@127.0.0.1:9/svc failed") ==
          "GET https://***@127.0.0.1:9/svc failed");
  }

  TEST_CASE("parses log levels and rejects unknown ones") {
    CHECK(util::parse_log_level("debug") == util::LogLevel::debug);
    CHECK(util::parse_log_level("warning") == util::LogLevel::warn);
    CHECK_THROWS_WITH_AS(util::parse_log_level("loud"), doctest::Contains("--log-level"),
                         core::Error);
  }
}
