// Calendar dates and KST wall-clock times.
//
// A `Date` is a Boost.Date_Time gregorian date; a `KstTime` is a naive Boost ptime that is
// *always* Korea Standard Time (UTC+9, no DST). Nothing here reads the host clock or TZ, so
// every function is pure and thread-safe.
#pragma once

#include <boost/date_time/gregorian/gregorian_types.hpp>
#include <boost/date_time/posix_time/posix_time_types.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace krxbatch::core {

using Date = boost::gregorian::date;
using KstTime = boost::posix_time::ptime;

// Strict ISO `YYYY-MM-DD` (exactly 10 characters, a real calendar day). nullopt otherwise.
std::optional<Date> parse_iso_date(std::string_view text);

// Like parse_iso_date, but throws a usage error naming `what` (e.g. "--from") on bad input.
Date parse_iso_date_arg(std::string_view text, std::string_view what);

// KRX `basDd` form `YYYYMMDD`. nullopt when malformed or not a real day.
std::optional<Date> parse_basdd(std::string_view text);

std::string to_iso(const Date& date);    // 2024-01-05
std::string to_basdd(const Date& date);  // 20240105
std::string to_iso(const KstTime& time); // 2024-01-05T19:00:00+09:00

// Parses an instant such as `2024-06-28T19:00:00+09:00`, `2024-06-28T10:00:00Z`,
// `2024-06-28T19:00+09:00` or `2024-06-28T19:00:00` (no offset: taken as KST) and returns the
// same instant in KST. nullopt when malformed, or when the instant in KST falls outside the
// years 1900 to 9000 (a run computes dates around it, which must stay representable).
std::optional<KstTime> parse_instant_to_kst(std::string_view text);

// The KST wall time of a POSIX timestamp (seconds since the epoch, UTC).
KstTime kst_from_unix_seconds(long long seconds);
long long unix_seconds_from_kst(const KstTime& time);

bool is_weekend(const Date& date);

} // namespace krxbatch::core
