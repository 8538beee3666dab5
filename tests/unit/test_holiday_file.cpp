#include "krxbatch/calendar/holiday_file.hpp"
#include "krxbatch/core/error.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

using namespace krxbatch;
using core::Date;

namespace {

std::string error_of(const auto& fn) {
  try {
    fn();
  } catch (const core::Error& e) {
    CHECK(e.code() == core::ExitCode::usage);
    return e.what();
  }
  FAIL("expected an error");
  return {};
}

} // namespace

TEST_SUITE("calendar.holiday_file") {
  TEST_CASE("reads dates with names, skipping comments and blank lines") {
    const auto h = calendar::parse_holiday_file("# header\n\n2024-10-01  # Armed Forces Day\r\n"
                                                "2024-10-03 #National Foundation Day\n"
                                                "2024-12-31\n",
                                                "holidays/2024.txt", 2024);
    REQUIRE(h.size() == 3);
    CHECK(h[0].date == Date(2024, 10, 1));
    CHECK(h[0].name == "Armed Forces Day");
    CHECK(h[1].name == "National Foundation Day");
    CHECK(h[2].name.empty());
  }

  TEST_CASE("accepts a UTF-8 byte-order mark and Korean names") {
    const auto h = calendar::parse_holiday_file("\xEF\xBB\xBF"
                                                "2024-02-09  # 설날 전날\n",
                                                "x", 2024);
    REQUIRE(h.size() == 1);
    CHECK(h[0].name == "설날 전날");
  }

  TEST_CASE("names the file and line of a malformed date") {
    const auto msg = error_of([] {
      (void)calendar::parse_holiday_file("2024-01-01\n# ok\n2024-13-01 # bad\n",
                                         "holidays/2024.txt", 2024);
    });
    CHECK(msg.starts_with("holidays/2024.txt:3: "));
    CHECK(msg.find("2024-13-01") != std::string::npos);
  }

  TEST_CASE("rejects a date from another year") {
    const auto msg = error_of(
        [] { (void)calendar::parse_holiday_file("2025-01-01\n", "holidays/2024.txt", 2024); });
    CHECK(msg.starts_with("holidays/2024.txt:1: "));
    CHECK(msg.find("2024") != std::string::npos);
  }

  TEST_CASE("rejects a date listed twice") {
    const auto msg = error_of([] {
      (void)calendar::parse_holiday_file("2024-05-01\n2024-05-01 # again\n", "f.txt", 2024);
    });
    CHECK(msg.starts_with("f.txt:2: "));
    CHECK(msg.find("twice") != std::string::npos);
  }

  TEST_CASE("reads special sessions and validates their times") {
    const auto s = calendar::parse_special_sessions(
        "# comment\n2026-11-19 10:00 16:30  # CSAT\n2001-09-12 12:00 15:00\n", "s.txt");
    REQUIRE(s.size() == 2);
    CHECK(s[0].date == Date(2026, 11, 19));
    CHECK(s[0].open == boost::posix_time::hours(10));
    CHECK(s[0].close == boost::posix_time::hours(16) + boost::posix_time::minutes(30));
    CHECK(s[0].reason == "CSAT");
    CHECK(error_of([] {
            (void)calendar::parse_special_sessions("2026-11-19 10:00\n", "s.txt");
          }).starts_with("s.txt:1: "));
    CHECK(error_of([] {
            (void)calendar::parse_special_sessions("\n2026-11-19 16:30 10:00\n", "s.txt");
          }).starts_with("s.txt:2: "));
    CHECK(error_of([] {
            (void)calendar::parse_special_sessions("2026-11-19 10:0 16:30\n", "s.txt");
          }).starts_with("s.txt:1: "));
  }
}
