// The KRX business-day calendar.
//
// A KRX business day (a "session") is a weekday that is not listed in the holiday files
// (holidays/YYYY.txt, read at run time so an ad-hoc closure needs no rebuild). The calendar
// covers exactly the years it has files for, which must be contiguous; asking about a date
// outside them throws core::Error (exit 2) telling the operator which file to add, because
// guessing would let a batch fetch on a holiday or skip a session.
//
// Pure: no clock, no TZ; immutable after construction, so const methods are thread-safe.
#pragma once

#include "krxbatch/calendar/holiday_file.hpp"
#include "krxbatch/core/date.hpp"

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::calendar {

// Regular or special session hours of one business day (KST).
struct SessionHours {
  boost::posix_time::time_duration open;
  boost::posix_time::time_duration close;
  // Until 2000-05-19 the market paused for lunch (12:00-13:00).
  std::optional<std::pair<boost::posix_time::time_duration, boost::posix_time::time_duration>>
      lunch_break;
  std::string note; // why the hours are special; empty on a regular day
};

class Calendar {
public:
  // Builds a calendar covering the whole years first_year..last_year.
  // Preconditions: first_year <= last_year, every holiday date within those years.
  Calendar(int first_year, int last_year, const std::vector<Holiday>& holidays,
           std::vector<SpecialSession> special_sessions = {});

  // Loads `dir`/YYYY.txt (all of them; the years must be contiguous) and, when present,
  // `dir`/special-sessions.txt. Throws core::Error (exit 2) naming the file and line of the
  // first problem.
  static Calendar load(const std::filesystem::path& dir);

  int first_year() const { return m_first_year; }
  int last_year() const { return m_last_year; }
  // 31 December of last_year(): the last day the holiday files cover.
  core::Date last_day() const {
    return core::Date(static_cast<unsigned short>(m_last_year), 12, 31);
  }
  bool covers(const core::Date& date) const;

  // All of the following throw core::Error (exit 2) when a date they would need to look at
  // lies outside the covered years.
  bool is_business_day(const core::Date& date) const;
  // Why the market is closed on `date` ("Saturday", "Sunday" or the holiday's name, which may
  // be "holiday" when the file gave none); nullopt when it is a business day.
  std::optional<std::string> closure_reason(const core::Date& date) const;
  core::Date next_business_day(const core::Date& date) const;     // strictly after
  core::Date previous_business_day(const core::Date& date) const; // strictly before
  // Like next_business_day, but nullopt instead of an error past the calendar's last year.
  std::optional<core::Date> next_business_day_if_known(const core::Date& date) const;
  // The latest business day on or before `date`.
  core::Date business_day_on_or_before(const core::Date& date) const;
  // Business days in [from, to], ascending; empty when from > to.
  std::vector<core::Date> business_days(const core::Date& from, const core::Date& to) const;
  // Like previous_business_day, but nullopt instead of an error before the first year.
  std::optional<core::Date> previous_business_day_if_known(const core::Date& date) const;
  // The business day `n` sessions before the latest business day on or before `date`
  // (n = 0 gives that day itself). Precondition: n >= 0.
  core::Date business_day_back(const core::Date& date, int n) const;
  // The same, but the calendar's first session when fewer than `n` sessions precede it: for
  // a look-back window, which simply starts where the calendar does.
  core::Date business_day_back_or_first(const core::Date& date, int n) const;
  // The `count` KRX sessions (at least one) ending on `session`, oldest first, fewer when the
  // calendar starts later: a look-back window (the analysis window of a stock). Throws
  // core::Error (exit 2) when `session` is outside the calendar.
  std::vector<core::Date> sessions_ending(const core::Date& session, std::size_t count) const;
  // Number of business days d with after < d <= upto (0 when upto <= after).
  int business_days_between(const core::Date& after, const core::Date& upto) const;

  // Session hours of a business day: the special sessions file first, else the regular
  // hours of the era (09:00-15:30 since 2016-08-01).
  SessionHours session_hours(const core::Date& date) const;
  // Whether the regular session is running at `now` (KST).
  bool is_market_open(const core::KstTime& now) const;
  // When `session`'s data is final: the session's close time.
  core::KstTime session_close(const core::Date& session) const;
  // When the KRX Open API is expected to publish `session`: 08:00 KST on the next business
  // day (krx-open-api.md §1.10).
  // nullopt when that business day lies past the last year (not known yet: later than any
  // instant the calendar covers).
  std::optional<core::KstTime> expected_publication(const core::Date& session) const;
  // The newest session whose expected publication time is at or before `now`: the newest
  // day a run at `now` can expect to fetch. A session whose next business day lies past the
  // last year is not published yet (its publication is in a year the files do not cover).
  core::Date latest_published_session(const core::KstTime& now) const;

private:
  void check_covered(const core::Date& date) const;
  long index_of(const core::Date& date) const; // days since Jan 1 of first_year

  int m_first_year;
  int m_last_year;
  core::Date m_first_day;
  std::vector<core::Date> m_sessions;             // ascending
  std::map<core::Date, std::string> m_holidays;   // closed weekdays with names
  std::map<core::Date, SpecialSession> m_special; // special session hours
};

// The jobs' `holidays_ending` alert and `verify` warn when the holiday files end within this many
// days; `doctor` fails its check within twice as many (the time to get next year's file in).
inline constexpr int k_holiday_warning_days = 30;
inline constexpr int k_holiday_doctor_days = 60;

// The rule behind the `holidays_ending` alert, `verify` and `doctor`: when the holiday files end
// less than `days` days after `today` (or already have), what to tell the operator (when they
// end, and which file to add); nullopt while they reach further.
std::optional<std::string> coverage_ends_soon(const Calendar& calendar, const core::Date& today,
                                              int days);

} // namespace krxbatch::calendar
