#include "krxbatch/calendar/holiday_file.hpp"

#include "krxbatch/core/error.hpp"

#include <set>

namespace krxbatch::calendar {
namespace {

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

[[noreturn]] void fail(std::string_view path, int line, const std::string& reason) {
  throw core::usage_error(std::string(path) + ":" + std::to_string(line) + ": " + reason);
}

// Splits a line into its data part and its comment (after the first '#'), both trimmed.
struct Line {
  std::string_view data;
  std::string_view comment;
};

Line split_comment(std::string_view raw) {
  const auto hash = raw.find('#');
  if (hash == std::string_view::npos) {
    return {trim(raw), {}};
  }
  return {trim(raw.substr(0, hash)), trim(raw.substr(hash + 1))};
}

// Calls `fn(line_number, line)` for every line of `text` (LF or CRLF). A UTF-8 BOM is skipped.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  int number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto raw = text.substr(0, nl);
    fn(++number, raw);
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
}

std::optional<boost::posix_time::time_duration> parse_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') {
    return std::nullopt;
  }
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4])) {
    return std::nullopt;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) {
    return std::nullopt;
  }
  return boost::posix_time::hours(h) + boost::posix_time::minutes(m);
}

} // namespace

std::vector<Holiday> parse_holiday_file(std::string_view text, std::string_view path, int year) {
  std::vector<Holiday> out;
  std::set<core::Date> seen;
  for_each_line(text, [&](int number, std::string_view raw) {
    const auto line = split_comment(raw);
    if (line.data.empty()) {
      return; // blank line or whole-line comment
    }
    const auto date = core::parse_iso_date(line.data);
    if (!date) {
      fail(path, number,
           "'" + std::string(line.data) + "' is not a date; expected YYYY-MM-DD  # name");
    }
    if (date->year() != year) {
      fail(path, number,
           core::to_iso(*date) + " does not belong in the file for " + std::to_string(year));
    }
    if (!seen.insert(*date).second) {
      fail(path, number, core::to_iso(*date) + " is listed twice");
    }
    out.push_back({*date, std::string(line.comment)});
  });
  return out;
}

std::vector<SpecialSession> parse_special_sessions(std::string_view text, std::string_view path) {
  std::vector<SpecialSession> out;
  std::set<core::Date> seen;
  for_each_line(text, [&](int number, std::string_view raw) {
    const auto line = split_comment(raw);
    if (line.data.empty()) {
      return;
    }
    // Three fields separated by blanks: date, open, close.
    std::vector<std::string_view> fields;
    std::string_view rest = line.data;
    while (!rest.empty()) {
      const auto end = rest.find_first_of(" \t");
      fields.push_back(rest.substr(0, end));
      if (end == std::string_view::npos) {
        break;
      }
      rest = trim(rest.substr(end));
    }
    if (fields.size() != 3) {
      fail(path, number, "expected 'YYYY-MM-DD HH:MM HH:MM  # reason'");
    }
    const auto date = core::parse_iso_date(fields[0]);
    if (!date) {
      fail(path, number, "'" + std::string(fields[0]) + "' is not a date (YYYY-MM-DD)");
    }
    const auto open = parse_hhmm(fields[1]);
    const auto close = parse_hhmm(fields[2]);
    if (!open || !close) {
      fail(path, number, "session times must be HH:MM HH:MM (KST)");
    }
    if (*close <= *open) {
      fail(path, number, "the close time must be after the open time");
    }
    if (!seen.insert(*date).second) {
      fail(path, number, core::to_iso(*date) + " is listed twice");
    }
    out.push_back({*date, *open, *close, std::string(line.comment)});
  });
  return out;
}

} // namespace krxbatch::calendar
