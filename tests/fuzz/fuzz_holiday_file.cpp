// libFuzzer target: the calendar file parsers (calendar/holiday_file.hpp) on any text. The
// first two bytes choose the year (2000-2099) for the holiday file; the rest is the text.
// Properties: no crash or sanitizer report; only core::Error escapes, with exit code 2 and a
// `path:line: reason` one-line message; what parses keeps the promises of the header (dates in
// the year and unique; special sessions unique with open < close).
#include "krxbatch/calendar/holiday_file.hpp"
#include "krxbatch/core/error.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

using namespace krxbatch;

namespace {

constexpr std::string_view k_path = "holidays/fuzz.txt";

void check_error(const core::Error& e) {
  const std::string_view what = e.what();
  fuzz::require(e.code() == core::ExitCode::usage, "a file error that is not exit code 2");
  fuzz::require(what.starts_with(k_path), "a file error that does not name the file");
  fuzz::require(what.find('\n') == std::string_view::npos, "a file error of several lines");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const int year = 2000 + (data[0] * 256 + data[1]) % 100;
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  try {
    const auto holidays = calendar::parse_holiday_file(text, k_path, year);
    std::set<core::Date> seen;
    for (const auto& h : holidays) {
      fuzz::require(h.date.year() == year, "a holiday outside its year");
      fuzz::require(seen.insert(h.date).second, "a holiday listed twice");
    }
  } catch (const core::Error& e) {
    check_error(e);
  }
  try {
    const auto sessions = calendar::parse_special_sessions(text, k_path);
    std::set<core::Date> seen;
    for (const auto& s : sessions) {
      fuzz::require(s.open < s.close, "a special session that closes before it opens");
      fuzz::require(seen.insert(s.date).second, "a special session listed twice");
    }
  } catch (const core::Error& e) {
    check_error(e);
  }
  return 0;
}
