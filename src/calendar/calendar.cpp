#include "krxbatch/calendar/calendar.hpp"

#include "krxbatch/core/error.hpp"

#include <boost/date_time/gregorian/gregorian.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace krxbatch::calendar {
namespace {

using boost::posix_time::hours;
using boost::posix_time::minutes;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw core::usage_error(path.string() + ": cannot read the file; check its permissions");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// The year of a holiday file named `YYYY.txt`, else nullopt.
std::optional<int> year_of_holiday_file(const std::string& name) {
  if (name.size() != 8 || !name.ends_with(".txt")) {
    return std::nullopt;
  }
  int year = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (name[i] < '0' || name[i] > '9') {
      return std::nullopt;
    }
    year = year * 10 + (name[i] - '0');
  }
  return year;
}

const core::Date k_lunch_break_ended(2000, 5, 22);
const core::Date k_close_1530_from(2016, 8, 1);

} // namespace

Calendar::Calendar(int first_year, int last_year, const std::vector<Holiday>& holidays,
                   std::vector<SpecialSession> special_sessions)
    : m_first_year(first_year), m_last_year(last_year),
      m_first_day(static_cast<unsigned short>(first_year), 1, 1) {
  for (const auto& h : holidays) {
    m_holidays.emplace(h.date, h.name.empty() ? std::string("holiday") : h.name);
  }
  const core::Date last_day(static_cast<unsigned short>(last_year), 12, 31);
  for (core::Date d = m_first_day; d <= last_day; d += boost::gregorian::days(1)) {
    if (!core::is_weekend(d) && !m_holidays.contains(d)) {
      m_sessions.push_back(d);
    }
  }
  for (auto& s : special_sessions) {
    const auto date = s.date;
    m_special.emplace(date, std::move(s));
  }
}

Calendar Calendar::load(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw core::usage_error(dir.string() +
                            ": holidays directory not found; pass --holidays DIR or set "
                            "KRXBATCH_HOLIDAYS");
  }
  std::map<int, std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (const auto year = year_of_holiday_file(entry.path().filename().string());
        year && entry.is_regular_file()) {
      files.emplace(*year, entry.path());
    }
  }
  if (files.empty()) {
    throw core::usage_error(dir.string() +
                            ": no holiday files (YYYY.txt) found; pass --holidays DIR pointing "
                            "at the project's holidays/ folder");
  }
  const int first = files.begin()->first;
  const int last = files.rbegin()->first;
  for (int y = first; y <= last; ++y) {
    if (!files.contains(y)) {
      throw core::usage_error((dir / (std::to_string(y) + ".txt")).string() +
                              ": missing; holiday files must cover every year from " +
                              std::to_string(first) + " to " + std::to_string(last));
    }
  }
  std::vector<Holiday> all;
  for (const auto& [year, path] : files) {
    auto parsed = parse_holiday_file(read_file(path), path.string(), year);
    all.insert(all.end(), parsed.begin(), parsed.end());
  }
  std::vector<SpecialSession> special;
  const auto special_path = dir / "special-sessions.txt";
  if (std::filesystem::exists(special_path, ec)) {
    special = parse_special_sessions(read_file(special_path), special_path.string());
  }
  return Calendar(first, last, all, std::move(special));
}

bool Calendar::covers(const core::Date& date) const {
  return date.year() >= m_first_year && date.year() <= m_last_year;
}

void Calendar::check_covered(const core::Date& date) const {
  if (!covers(date)) {
    throw core::usage_error("date " + core::to_iso(date) +
                            " is outside the KRX calendar (holiday files cover " +
                            std::to_string(m_first_year) + "-" + std::to_string(m_last_year) +
                            "); add holidays/" + std::to_string(static_cast<int>(date.year())) +
                            ".txt with that year's closures (KRX publishes them each December)");
  }
}

long Calendar::index_of(const core::Date& date) const {
  return (date - m_first_day).days();
}

bool Calendar::is_business_day(const core::Date& date) const {
  check_covered(date);
  return std::binary_search(m_sessions.begin(), m_sessions.end(), date);
}

std::optional<std::string> Calendar::closure_reason(const core::Date& date) const {
  check_covered(date);
  const auto dow = date.day_of_week().as_number();
  if (dow == 6) {
    return "Saturday";
  }
  if (dow == 0) {
    return "Sunday";
  }
  if (auto it = m_holidays.find(date); it != m_holidays.end()) {
    return it->second;
  }
  return std::nullopt;
}

core::Date Calendar::next_business_day(const core::Date& date) const {
  check_covered(date);
  auto it = std::upper_bound(m_sessions.begin(), m_sessions.end(), date);
  if (it == m_sessions.end()) {
    check_covered(core::Date(static_cast<unsigned short>(m_last_year + 1), 1, 1)); // throws
  }
  return *it;
}

std::optional<core::Date> Calendar::next_business_day_if_known(const core::Date& date) const {
  check_covered(date);
  auto it = std::upper_bound(m_sessions.begin(), m_sessions.end(), date);
  if (it == m_sessions.end()) {
    return std::nullopt;
  }
  return *it;
}

core::Date Calendar::previous_business_day(const core::Date& date) const {
  check_covered(date);
  auto it = std::lower_bound(m_sessions.begin(), m_sessions.end(), date);
  if (it == m_sessions.begin()) {
    check_covered(m_first_day - boost::gregorian::days(1)); // throws with the file to add
  }
  return *std::prev(it);
}

std::optional<core::Date> Calendar::previous_business_day_if_known(const core::Date& date) const {
  check_covered(date);
  auto it = std::lower_bound(m_sessions.begin(), m_sessions.end(), date);
  if (it == m_sessions.begin()) {
    return std::nullopt;
  }
  return *std::prev(it);
}

core::Date Calendar::business_day_on_or_before(const core::Date& date) const {
  return is_business_day(date) ? date : previous_business_day(date);
}

std::vector<core::Date> Calendar::business_days(const core::Date& from,
                                                const core::Date& to) const {
  if (from > to) {
    return {};
  }
  check_covered(from);
  check_covered(to);
  auto lo = std::lower_bound(m_sessions.begin(), m_sessions.end(), from);
  auto hi = std::upper_bound(m_sessions.begin(), m_sessions.end(), to);
  return {lo, hi};
}

core::Date Calendar::business_day_back(const core::Date& date, int n) const {
  const auto anchor = business_day_on_or_before(date);
  auto it = std::lower_bound(m_sessions.begin(), m_sessions.end(), anchor);
  const auto pos = static_cast<long>(it - m_sessions.begin());
  if (pos < n) {
    check_covered(m_first_day - boost::gregorian::days(1)); // throws with the file to add
  }
  return m_sessions[static_cast<std::size_t>(pos - n)];
}

core::Date Calendar::business_day_back_or_first(const core::Date& date, int n) const {
  const auto anchor = business_day_on_or_before(date);
  auto it = std::lower_bound(m_sessions.begin(), m_sessions.end(), anchor);
  const auto pos = static_cast<long>(it - m_sessions.begin());
  return m_sessions[static_cast<std::size_t>(std::max(0L, pos - n))];
}

std::vector<core::Date> Calendar::sessions_ending(const core::Date& session,
                                                  std::size_t count) const {
  const auto first =
      business_day_back_or_first(session, static_cast<int>(std::max<std::size_t>(count, 1) - 1));
  return business_days(first, session);
}

int Calendar::business_days_between(const core::Date& after, const core::Date& upto) const {
  if (upto <= after) {
    return 0;
  }
  check_covered(after);
  check_covered(upto);
  auto lo = std::upper_bound(m_sessions.begin(), m_sessions.end(), after);
  auto hi = std::upper_bound(m_sessions.begin(), m_sessions.end(), upto);
  return static_cast<int>(hi - lo);
}

SessionHours Calendar::session_hours(const core::Date& date) const {
  if (auto it = m_special.find(date); it != m_special.end()) {
    return {it->second.open, it->second.close, std::nullopt, it->second.reason};
  }
  if (date < k_lunch_break_ended) {
    return {hours(9), hours(15), std::make_pair(hours(12), hours(13)), {}};
  }
  if (date < k_close_1530_from) {
    return {hours(9), hours(15), std::nullopt, {}};
  }
  return {hours(9), hours(15) + minutes(30), std::nullopt, {}};
}

bool Calendar::is_market_open(const core::KstTime& now) const {
  const auto date = now.date();
  if (!is_business_day(date)) {
    return false;
  }
  const auto h = session_hours(date);
  const auto t = now.time_of_day();
  if (t < h.open || t >= h.close) {
    return false;
  }
  return !(h.lunch_break && t >= h.lunch_break->first && t < h.lunch_break->second);
}

core::KstTime Calendar::session_close(const core::Date& session) const {
  return {session, session_hours(session).close};
}

std::optional<core::KstTime> Calendar::expected_publication(const core::Date& session) const {
  const auto next = next_business_day_if_known(session);
  if (!next) {
    return std::nullopt;
  }
  return core::KstTime(*next, hours(8));
}

core::Date Calendar::latest_published_session(const core::KstTime& now) const {
  auto session = business_day_on_or_before(now.date());
  for (;;) {
    if (const auto published = expected_publication(session); published && *published <= now) {
      return session;
    }
    session = previous_business_day(session);
  }
}

std::optional<std::string> coverage_ends_soon(const Calendar& calendar, const core::Date& today,
                                              int days) {
  const auto end = calendar.last_day();
  const auto left = (end - today).days();
  if (left >= days) {
    return std::nullopt;
  }
  const auto next = std::to_string(calendar.last_year() + 1);
  return "the holiday files end on " + core::to_iso(end) +
         (left >= 0 ? ", in " + std::to_string(left) + (left == 1 ? " day" : " days")
                    : ", " + std::to_string(-left) + (left == -1 ? " day" : " days") + " ago") +
         ": add holidays/" + next + ".txt (KRX's closed days of " + next +
         ", announced in December; docs/CALENDAR.md) before then, or every job stops with exit 2 "
         "on the first day past them";
}

} // namespace krxbatch::calendar
