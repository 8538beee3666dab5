// Parsers for the plain-text calendar files under holidays/.
//
// Holiday file `holidays/YYYY.txt`: one closed weekday per line as an ISO date, optionally
// followed by `# name of the closure`; blank lines and whole-line `#` comments are ignored.
//
//     2024-10-01  # Armed Forces Day (국군의 날)
//
// Special-sessions file `holidays/special-sessions.txt`: days whose session hours differ
// from the regular ones, as `YYYY-MM-DD HH:MM HH:MM  # reason` (open, close, KST).
//
// Both parsers are pure; they throw core::Error (exit code 2) whose message is
// `<path>:<line>: <reason>` on the first malformed line, so an operator can fix the file.
#pragma once

#include "krxbatch/core/date.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::calendar {

struct Holiday {
  core::Date date;
  std::string name; // the comment after '#', trimmed; may be empty
};

struct SpecialSession {
  core::Date date;
  boost::posix_time::time_duration open;  // KST
  boost::posix_time::time_duration close; // KST
  std::string reason;
};

// Parses the text of a holiday file. Every date must lie in `year` and appear once.
// `path` is used only in error messages.
std::vector<Holiday> parse_holiday_file(std::string_view text, std::string_view path, int year);

// Parses the text of the special-sessions file. Dates must be unique and open < close.
std::vector<SpecialSession> parse_special_sessions(std::string_view text, std::string_view path);

} // namespace krxbatch::calendar
