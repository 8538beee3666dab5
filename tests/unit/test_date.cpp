#include "krxbatch/core/date.hpp"
#include "krxbatch/core/error.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

using namespace krxbatch;
using core::Date;

TEST_SUITE("core.date") {
  TEST_CASE("parses strict ISO dates and rejects impossible ones") {
    CHECK(core::parse_iso_date("2024-02-29") == Date(2024, 2, 29));
    CHECK_FALSE(core::parse_iso_date("2023-02-29"));
    CHECK_FALSE(core::parse_iso_date("2024-13-01"));
    CHECK_FALSE(core::parse_iso_date("2024-1-01"));
    CHECK_FALSE(core::parse_iso_date("2024/01/01"));
    CHECK_FALSE(core::parse_iso_date("2024-01-01 "));
    CHECK_FALSE(core::parse_iso_date("20240101"));
    CHECK_FALSE(core::parse_iso_date(""));
    CHECK_FALSE(core::parse_iso_date("2024-00-10"));
    CHECK_FALSE(core::parse_iso_date("2024-04-31"));
  }

  TEST_CASE("reports a bad date argument as a usage error naming the option") {
    try {
      (void)core::parse_iso_date_arg("2024-02-30", "--from");
      FAIL("expected an error");
    } catch (const core::Error& e) {
      CHECK(e.code() == core::ExitCode::usage);
      CHECK(std::string(e.what()).find("--from") != std::string::npos);
      CHECK(std::string(e.what()).find("2024-02-30") != std::string::npos);
    }
  }

  TEST_CASE("round-trips KRX basDd") {
    CHECK(core::parse_basdd("20240105") == Date(2024, 1, 5));
    CHECK(core::to_basdd(Date(2024, 1, 5)) == "20240105");
    CHECK(core::to_iso(Date(2024, 1, 5)) == "2024-01-05");
    CHECK_FALSE(core::parse_basdd("20240230"));
    CHECK_FALSE(core::parse_basdd("2024010"));
    CHECK_FALSE(core::parse_basdd("2024-01-05"));
  }

  TEST_CASE("converts instants with any offset to KST") {
    using boost::posix_time::hours;
    using boost::posix_time::minutes;
    const auto kst = [](int y, int m, int d, int hh, int mm) {
      return core::KstTime(Date(static_cast<unsigned short>(y), static_cast<unsigned short>(m),
                                static_cast<unsigned short>(d)),
                           hours(hh) + minutes(mm));
    };
    CHECK(core::parse_instant_to_kst("2024-06-28T19:00:00+09:00") == kst(2024, 6, 28, 19, 0));
    CHECK(core::parse_instant_to_kst("2024-06-28T10:00:00Z") == kst(2024, 6, 28, 19, 0));
    CHECK(core::parse_instant_to_kst("2024-06-28T06:00:00-04:00") == kst(2024, 6, 28, 19, 0));
    CHECK(core::parse_instant_to_kst("2024-06-28T19:00") == kst(2024, 6, 28, 19, 0));
    // Crossing midnight: 20:30 UTC is 05:30 KST the next day.
    CHECK(core::parse_instant_to_kst("2024-12-31T20:30:00Z") == kst(2025, 1, 1, 5, 30));
    CHECK_FALSE(core::parse_instant_to_kst("2024-06-28"));
    CHECK_FALSE(core::parse_instant_to_kst("2024-06-28T25:00:00+09:00"));
    CHECK_FALSE(core::parse_instant_to_kst("2024-06-28T19:00:00+0900"));
    CHECK_FALSE(core::parse_instant_to_kst("yesterday"));
  }

  TEST_CASE("maps unix seconds to KST wall time and back") {
    // 2024-01-01T00:00:00Z is 09:00 KST.
    const auto t = core::kst_from_unix_seconds(1704067200);
    CHECK(core::to_iso(t) == "2024-01-01T09:00:00+09:00");
    CHECK(core::unix_seconds_from_kst(t) == 1704067200);
    // Before the epoch.
    CHECK(core::unix_seconds_from_kst(core::kst_from_unix_seconds(-100000)) == -100000);
  }

  TEST_CASE("knows weekends") {
    CHECK(core::is_weekend(Date(2026, 11, 21))); // Saturday
    CHECK(core::is_weekend(Date(2026, 11, 22))); // Sunday
    CHECK_FALSE(core::is_weekend(Date(2026, 11, 23)));
  }
}
