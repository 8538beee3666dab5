#include "krxbatch/core/date.hpp"

#include "krxbatch/core/error.hpp"

#include <boost/date_time/gregorian/gregorian.hpp>

#include <cstdio>

namespace krxbatch::core {
namespace {

// Reads exactly `width` ASCII digits at `pos`; -1 when any is not a digit.
int read_digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) {
    return -1;
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      return -1;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<Date> make_date(int year, int month, int day) {
  // Boost supports 1400..9999; we only ever need KRX-era dates, but accept the whole range.
  if (year < 1400 || year > 9999 || month < 1 || month > 12 || day < 1) {
    return std::nullopt;
  }
  const auto y = static_cast<unsigned short>(year);
  const auto m = static_cast<unsigned short>(month);
  if (day > boost::gregorian::gregorian_calendar::end_of_month_day(y, m)) {
    return std::nullopt;
  }
  return Date(y, m, static_cast<unsigned short>(day));
}

constexpr long long k_kst_offset_seconds = 9LL * 3600;
// The years an instant may fall in: Boost's dates end at 9999 and start at 1400, and a run
// computes some days either side of "now".
constexpr int k_min_year = 1900;
constexpr int k_max_year = 9000;

} // namespace

std::optional<Date> parse_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  return make_date(read_digits(text, 0, 4), read_digits(text, 5, 2), read_digits(text, 8, 2));
}

Date parse_iso_date_arg(std::string_view text, std::string_view what) {
  if (auto date = parse_iso_date(text)) {
    return *date;
  }
  throw usage_error(std::string(what) + ": '" + std::string(text) +
                    "' is not a valid date; use YYYY-MM-DD, e.g. 2024-10-01");
}

std::optional<Date> parse_basdd(std::string_view text) {
  if (text.size() != 8) {
    return std::nullopt;
  }
  return make_date(read_digits(text, 0, 4), read_digits(text, 4, 2), read_digits(text, 6, 2));
}

std::string to_iso(const Date& date) {
  const auto ymd = date.year_month_day();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(ymd.year),
                static_cast<int>(ymd.month), static_cast<int>(ymd.day));
  return buf;
}

std::string to_basdd(const Date& date) {
  const auto ymd = date.year_month_day();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", static_cast<int>(ymd.year),
                static_cast<int>(ymd.month), static_cast<int>(ymd.day));
  return buf;
}

std::string to_iso(const KstTime& time) {
  const auto tod = time.time_of_day();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d+09:00", to_iso(time.date()).c_str(),
                static_cast<int>(tod.hours()), static_cast<int>(tod.minutes()),
                static_cast<int>(tod.seconds()));
  return buf;
}

std::optional<KstTime> parse_instant_to_kst(std::string_view text) {
  // YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM|-HH:MM]; a space is accepted in place of 'T'.
  if (text.size() < 16 || (text[10] != 'T' && text[10] != ' ' && text[10] != 't')) {
    return std::nullopt;
  }
  auto date = parse_iso_date(text.substr(0, 10));
  const int hour = read_digits(text, 11, 2);
  const int minute = read_digits(text, 14, 2);
  if (!date || text[13] != ':' || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    return std::nullopt;
  }
  std::size_t pos = 16;
  int second = 0;
  if (pos < text.size() && text[pos] == ':') {
    second = read_digits(text, pos + 1, 2);
    if (second < 0 || second > 59) {
      return std::nullopt;
    }
    pos += 3;
  }
  long long offset_seconds = k_kst_offset_seconds; // no offset given: the time is KST
  if (pos < text.size()) {
    const char sign = text[pos];
    if ((sign == 'Z' || sign == 'z') && pos + 1 == text.size()) {
      offset_seconds = 0;
    } else if ((sign == '+' || sign == '-') && pos + 6 == text.size() && text[pos + 3] == ':') {
      const int oh = read_digits(text, pos + 1, 2);
      const int om = read_digits(text, pos + 4, 2);
      if (oh < 0 || oh > 14 || om < 0 || om > 59) {
        return std::nullopt;
      }
      offset_seconds = (sign == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL);
    } else {
      return std::nullopt;
    }
  }
  const KstTime local(*date, boost::posix_time::hours(hour) + boost::posix_time::minutes(minute) +
                                 boost::posix_time::seconds(second));
  // local - offset = UTC; UTC + 9h = KST. Near the ends of what Boost represents the shift
  // can leave its range (9999-12-31T23:00-05:00 is in year 10000): not an instant we take.
  try {
    const auto kst = local + boost::posix_time::seconds(
                                 static_cast<long>(k_kst_offset_seconds - offset_seconds));
    if (kst.is_special() || kst.date().year() < k_min_year || kst.date().year() > k_max_year) {
      return std::nullopt;
    }
    return kst;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

KstTime kst_from_unix_seconds(long long seconds) {
  static const KstTime epoch(Date(1970, 1, 1));
  const long long kst = seconds + k_kst_offset_seconds;
  const long long days = kst >= 0 ? kst / 86400 : -((-kst + 86399) / 86400);
  const long long rest = kst - days * 86400;
  return epoch + boost::gregorian::days(static_cast<long>(days)) +
         boost::posix_time::seconds(static_cast<long>(rest));
}

long long unix_seconds_from_kst(const KstTime& time) {
  static const KstTime epoch(Date(1970, 1, 1));
  return (time - epoch).total_seconds() - k_kst_offset_seconds;
}

bool is_weekend(const Date& date) {
  const auto dow = date.day_of_week().as_number();
  return dow == 0 || dow == 6;
}

} // namespace krxbatch::core
