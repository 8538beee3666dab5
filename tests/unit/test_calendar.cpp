#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/error.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace krxbatch;
using boost::posix_time::hours;
using boost::posix_time::minutes;
using core::Date;
using core::KstTime;

namespace {

using test::real_calendar;

// A small calendar: 2024 with the Seollal block (Feb 9-12) and Dec 31.
calendar::Calendar small_calendar() {
  return calendar::Calendar(2024, 2024,
                            {{Date(2024, 2, 9), "Seollal eve"},
                             {Date(2024, 2, 12), "Seollal substitute"},
                             {Date(2024, 12, 31), "Year-end closure"}});
}

KstTime at(Date d, int h, int m = 0) {
  return {d, hours(h) + minutes(m)};
}

} // namespace

TEST_SUITE("calendar") {
  TEST_CASE("skips the Seollal block and weekends") {
    const auto cal = small_calendar();
    CHECK(cal.is_business_day(Date(2024, 2, 8)));
    CHECK_FALSE(cal.is_business_day(Date(2024, 2, 9)));
    CHECK(cal.next_business_day(Date(2024, 2, 8)) == Date(2024, 2, 13));
    CHECK(cal.previous_business_day(Date(2024, 2, 13)) == Date(2024, 2, 8));
    CHECK(cal.closure_reason(Date(2024, 2, 12)) == "Seollal substitute");
    CHECK(cal.closure_reason(Date(2024, 2, 10)) == "Saturday");
    CHECK(cal.closure_reason(Date(2024, 2, 11)) == "Sunday");
    CHECK_FALSE(cal.closure_reason(Date(2024, 2, 13)));
  }

  TEST_CASE("lists business days in a range, inclusive") {
    const auto cal = small_calendar();
    const auto days = cal.business_days(Date(2024, 2, 7), Date(2024, 2, 14));
    const std::vector<Date> expected = {Date(2024, 2, 7), Date(2024, 2, 8), Date(2024, 2, 13),
                                        Date(2024, 2, 14)};
    CHECK(days == expected);
    CHECK(cal.business_days(Date(2024, 2, 10), Date(2024, 2, 11)).empty());
    CHECK(cal.business_days(Date(2024, 2, 14), Date(2024, 2, 7)).empty());
  }

  TEST_CASE("counts and steps back over business days") {
    const auto cal = small_calendar();
    CHECK(cal.business_day_back(Date(2024, 2, 13), 0) == Date(2024, 2, 13));
    CHECK(cal.business_day_back(Date(2024, 2, 13), 1) == Date(2024, 2, 8));
    // From a closed day the anchor is the session before it.
    CHECK(cal.business_day_back(Date(2024, 2, 11), 0) == Date(2024, 2, 8));
    CHECK(cal.business_day_back(Date(2024, 2, 11), 2) == Date(2024, 2, 6));
    CHECK(cal.business_days_between(Date(2024, 2, 8), Date(2024, 2, 13)) == 1);
    CHECK(cal.business_days_between(Date(2024, 2, 6), Date(2024, 2, 14)) == 4);
    CHECK(cal.business_days_between(Date(2024, 2, 14), Date(2024, 2, 6)) == 0);
  }

  TEST_CASE("refuses dates outside its years and says which file to add") {
    const auto cal = small_calendar();
    try {
      (void)cal.is_business_day(Date(2025, 1, 2));
      FAIL("expected an error");
    } catch (const core::Error& e) {
      CHECK(e.code() == core::ExitCode::usage);
      CHECK(std::string(e.what()).find("holidays/2025.txt") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS((void)cal.next_business_day(Date(2024, 12, 30)),
                         doctest::Contains("date 2025-01-01 is outside"), core::Error);
    CHECK_THROWS_WITH_AS((void)cal.previous_business_day(Date(2024, 1, 1)),
                         doctest::Contains("holidays/2023.txt"), core::Error);
    CHECK_THROWS_AS((void)cal.business_day_back(Date(2024, 1, 3), 5), core::Error);
  }

  TEST_CASE("loads a directory and reports a malformed file with its line") {
    test::TempDir dir;
    dir.write("2024.txt", "2024-02-09 # eve\n");
    dir.write("2025.txt", "# header\n2025-01-01 # ok\n2025-02-30 # bad\n");
    try {
      (void)calendar::Calendar::load(dir.path());
      FAIL("expected an error");
    } catch (const core::Error& e) {
      CHECK(std::string(e.what()) == (dir / "2025.txt").string() +
                                         ":3: '2025-02-30' is not a date; expected "
                                         "YYYY-MM-DD  # name");
    }
  }

  TEST_CASE("requires contiguous years of holiday files") {
    test::TempDir dir;
    dir.write("2023.txt", "");
    dir.write("2025.txt", "");
    CHECK_THROWS_WITH_AS((void)calendar::Calendar::load(dir.path()),
                         doctest::Contains("2024.txt: missing"), core::Error);
    test::TempDir empty;
    CHECK_THROWS_AS((void)calendar::Calendar::load(empty.path()), core::Error);
    CHECK_THROWS_AS((void)calendar::Calendar::load(empty / "nope"), core::Error);
  }

  TEST_CASE("real files: the closures the issue names") {
    const auto& cal = real_calendar();
    CHECK(cal.first_year() == 2000);
    CHECK(cal.last_year() == 2027);
    CHECK(cal.closure_reason(Date(2024, 10, 1)).value_or("").find("Armed Forces") !=
          std::string::npos);
    CHECK(cal.closure_reason(Date(2026, 7, 17)).value_or("").find("Constitution") !=
          std::string::npos);
    CHECK(cal.is_business_day(Date(2026, 9, 28)));
    CHECK_FALSE(cal.is_business_day(Date(2000, 1, 3))); // Y2K closure
    CHECK_FALSE(cal.is_business_day(Date(2000, 12, 29)));
    CHECK(cal.is_business_day(Date(2025, 10, 10)));
  }

  TEST_CASE("real files: trading days per year match the researched table") {
    // docs/CALENDAR.md "Rows per year" (weekdays minus closed weekdays), 2000-2027.
    const std::map<int, int> trading_days = {
        {2000, 241}, {2001, 246}, {2002, 244}, {2003, 247}, {2004, 249}, {2005, 249}, {2006, 247},
        {2007, 246}, {2008, 248}, {2009, 253}, {2010, 251}, {2011, 248}, {2012, 248}, {2013, 247},
        {2014, 245}, {2015, 248}, {2016, 246}, {2017, 243}, {2018, 244}, {2019, 246}, {2020, 248},
        {2021, 248}, {2022, 246}, {2023, 245}, {2024, 244}, {2025, 242}, {2026, 244}, {2027, 245}};
    const auto& cal = real_calendar();
    for (const auto& [year, count] : trading_days) {
      const auto y = static_cast<unsigned short>(year);
      CAPTURE(year);
      CHECK(cal.business_days(Date(y, 1, 1), Date(y, 12, 31)).size() ==
            static_cast<std::size_t>(count));
    }
  }

  TEST_CASE("real files: every closure of the researched CSV, by name") {
    const auto csv = test::shared_dir() / "data" / "krx_closed_days.csv";
    if (!std::filesystem::exists(csv)) {
      MESSAGE("not run: " << csv.string() << " is absent (reference material outside the repo)");
      return;
    }
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line); // header
    std::set<Date> closed;
    const auto& cal = real_calendar();
    while (std::getline(in, line)) {
      const auto date = core::parse_iso_date(line.substr(0, 10));
      REQUIRE(date);
      const auto name = line.substr(
          11, line.find(',', 11) == std::string::npos ? std::string::npos : line.rfind(',') - 11);
      closed.insert(*date);
      CAPTURE(line);
      CHECK(cal.closure_reason(*date) == name);
    }
    CHECK(closed.size() == 407);
    // And nothing else: every other weekday 2000-2027 is a session.
    std::size_t sessions = 0;
    for (Date d(2000, 1, 1); d <= Date(2027, 12, 31); d += boost::gregorian::days(1)) {
      if (!core::is_weekend(d) && !closed.contains(d)) {
        ++sessions;
        CHECK(cal.is_business_day(d));
      }
    }
    CHECK(cal.business_days(Date(2000, 1, 1), Date(2027, 12, 31)).size() == sessions);
  }

  TEST_CASE("session hours: regular eras, CSAT day and first trading day") {
    const auto& cal = real_calendar();
    const auto regular = cal.session_hours(Date(2024, 6, 28));
    CHECK(regular.open == hours(9));
    CHECK(regular.close == hours(15) + minutes(30));
    CHECK(regular.note.empty());
    CHECK(cal.session_hours(Date(2015, 6, 1)).close == hours(15));
    CHECK(cal.session_hours(Date(2000, 3, 2)).lunch_break.has_value());
    const auto csat = cal.session_hours(Date(2026, 11, 19));
    CHECK(csat.open == hours(10));
    CHECK(csat.close == hours(16) + minutes(30));
    CHECK(csat.note.find("CSAT") != std::string::npos);
    CHECK(cal.session_hours(Date(2026, 1, 2)).open == hours(10));
  }

  TEST_CASE("market open now honours special hours and closures") {
    const auto& cal = real_calendar();
    CHECK(cal.is_market_open(at(Date(2024, 6, 28), 9, 0)));
    CHECK(cal.is_market_open(at(Date(2024, 6, 28), 15, 29)));
    CHECK_FALSE(cal.is_market_open(at(Date(2024, 6, 28), 15, 30)));
    CHECK_FALSE(cal.is_market_open(at(Date(2026, 11, 19), 9, 30))); // CSAT: opens 10:00
    CHECK(cal.is_market_open(at(Date(2026, 11, 19), 16, 0)));       // and closes 16:30
    CHECK_FALSE(cal.is_market_open(at(Date(2024, 10, 1), 11, 0)));  // holiday
    CHECK_FALSE(cal.is_market_open(at(Date(2000, 3, 2), 12, 30)));  // lunch break, 2000
  }

  TEST_CASE("publication: day T is expected at 08:00 on the next business day") {
    const auto& cal = real_calendar();
    // Thursday 2024-06-27 is published Friday 08:00.
    CHECK(cal.expected_publication(Date(2024, 6, 27)) == at(Date(2024, 6, 28), 8));
    // Friday's data comes Monday 08:00.
    CHECK(cal.expected_publication(Date(2024, 6, 28)) == at(Date(2024, 7, 1), 8));
    // Before a holiday block: 2024-09-13 (Fri) -> 2024-09-19 (Thu, after Chuseok).
    CHECK(cal.expected_publication(Date(2024, 9, 13)) == at(Date(2024, 9, 19), 8));
  }

  TEST_CASE("latest published session for a run at a given time") {
    const auto& cal = real_calendar();
    // Friday 19:00: Thursday is out, Friday is not.
    CHECK(cal.latest_published_session(at(Date(2024, 6, 28), 19)) == Date(2024, 6, 27));
    // Monday 07:59: still Thursday; at 08:00, Friday.
    CHECK(cal.latest_published_session(at(Date(2024, 7, 1), 7, 59)) == Date(2024, 6, 27));
    CHECK(cal.latest_published_session(at(Date(2024, 7, 1), 8, 0)) == Date(2024, 6, 28));
    // Sunday afternoon: Friday's data only comes on Monday, so still Thursday.
    CHECK(cal.latest_published_session(at(Date(2024, 6, 30), 15)) == Date(2024, 6, 27));
  }

  TEST_CASE("at either end of the holiday files, what the covered sessions decide still works") {
    const auto& cal = small_calendar(); // 2024 only; 2024-12-30 is its last session
    // The last session's publication falls in a year the files do not cover: not yet.
    CHECK_FALSE(cal.expected_publication(Date(2024, 12, 30)));
    CHECK(cal.expected_publication(Date(2024, 12, 27)) == at(Date(2024, 12, 30), 8));
    CHECK(cal.latest_published_session(at(Date(2024, 12, 30), 19)) == Date(2024, 12, 27));
    CHECK(cal.latest_published_session(at(Date(2024, 12, 31), 23)) == Date(2024, 12, 27));
    CHECK_FALSE(cal.next_business_day_if_known(Date(2024, 12, 30)));
    // The first session has no previous one; a look-back window starts at it.
    CHECK_FALSE(cal.previous_business_day_if_known(Date(2024, 1, 1)));
    CHECK(cal.previous_business_day_if_known(Date(2024, 1, 2)) == Date(2024, 1, 1));
    CHECK(cal.business_day_back_or_first(Date(2024, 1, 5), 100) == Date(2024, 1, 1));
    CHECK(cal.business_day_back_or_first(Date(2024, 1, 5), 1) == Date(2024, 1, 4));
    // What needs a day past the files is still a usage error naming the file to add.
    CHECK_THROWS_WITH_AS(cal.next_business_day(Date(2024, 12, 30)),
                         doctest::Contains("holidays/2025.txt"), core::Error);
  }

  TEST_CASE("sessions_ending: the look-back window of a session skips holidays and weekends, "
            "holds at least one session, and is cut at the calendar's first session") {
    const auto cal = small_calendar();
    using V = std::vector<Date>;
    // Across the Seollal block (Fri Feb 9 and Mon Feb 12 closed) and a weekend.
    CHECK(cal.sessions_ending(Date(2024, 2, 13), 3) ==
          V{Date(2024, 2, 7), Date(2024, 2, 8), Date(2024, 2, 13)});
    CHECK(cal.sessions_ending(Date(2024, 2, 13), 1) == V{Date(2024, 2, 13)});
    CHECK(cal.sessions_ending(Date(2024, 2, 13), 0) == V{Date(2024, 2, 13)});
    // 2024-01-01 is the first session of this calendar: the window is shorter, never an error.
    CHECK(cal.sessions_ending(Date(2024, 1, 3), 60) ==
          V{Date(2024, 1, 1), Date(2024, 1, 2), Date(2024, 1, 3)});
    const auto window = cal.sessions_ending(Date(2024, 12, 30), 60);
    CHECK(window.size() == 60);
    CHECK(window.back() == Date(2024, 12, 30));
    CHECK(static_cast<int>(window.size()) ==
          cal.business_days_between(cal.business_day_back(window.front(), 1), window.back()));
    CHECK_THROWS_AS((void)cal.sessions_ending(Date(2025, 1, 2), 5), core::Error);
  }

  TEST_CASE("coverage_ends_soon: silent while the files reach further, then says when they end "
            "and which file to add") {
    const auto& cal = real_calendar(); // files up to 2027
    CHECK_FALSE(calendar::coverage_ends_soon(cal, Date(2027, 12, 1), 30));
    const auto soon = calendar::coverage_ends_soon(cal, Date(2027, 12, 2), 30);
    REQUIRE(soon);
    CHECK(soon->find("2027-12-31, in 29 days") != std::string::npos);
    CHECK(soon->find("holidays/2028.txt") != std::string::npos);
    CHECK(calendar::coverage_ends_soon(cal, Date(2027, 11, 1), 61));
    CHECK(cal.last_day() == Date(2027, 12, 31));
  }
}
