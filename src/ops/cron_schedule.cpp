#include "krxbatch/ops/cron_schedule.hpp"

#include <charconv>
#include <sstream>

namespace krxbatch::ops {
namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
    if (at == std::string_view::npos) {
      return out;
    }
    start = at + 1;
  }
}

std::optional<int> number(std::string_view s) {
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

// Sets the values of one field in [lo, hi] into `out` (indexed by value); false when the
// field is malformed.
template <std::size_t N>
bool field(std::string_view text, int lo, int hi, std::bitset<N>& out, bool& any) {
  any = text == "*";
  for (const auto& part : split(text, ',')) {
    auto range = std::string_view(part);
    int step = 1;
    if (const auto slash = range.find('/'); slash != std::string_view::npos) {
      const auto s = number(range.substr(slash + 1));
      if (!s || *s < 1) {
        return false;
      }
      step = *s;
      range = range.substr(0, slash);
    }
    int from = lo;
    int to = hi;
    if (range != "*") {
      const auto dash = range.find('-');
      const auto a = number(range.substr(0, dash));
      const auto b = dash == std::string_view::npos ? a : number(range.substr(dash + 1));
      if (!a || !b || *a < lo || *b > hi || *a > *b) {
        return false;
      }
      from = *a;
      to = *b;
    }
    for (int v = from; v <= to; v += step) {
      out.set(static_cast<std::size_t>(v % static_cast<int>(N)));
    }
  }
  return true;
}

bool runs(const CronLine& line, std::string_view job) {
  std::string alias(job);
  for (auto& c : alias) {
    c = c == '_' ? '-' : c;
  }
  for (const auto& w : line.words) {
    if (w == job || w == alias) {
      return true;
    }
  }
  return false;
}

} // namespace

std::vector<CronLine> parse_crontab(std::string_view text) {
  std::vector<CronLine> out;
  for (const auto& raw : split(text, '\n')) {
    std::istringstream in(raw);
    std::vector<std::string> words;
    for (std::string w; in >> w;) {
      words.push_back(w);
    }
    if (words.size() < 6 || words[0].starts_with('#') || words[0].find('=') != std::string::npos) {
      continue;
    }
    CronLine line;
    bool any_minute = false;
    bool any_hour = false;
    bool any_month = false;
    std::bitset<8> weekdays; // 7 is Sunday too
    if (!field(words[0], 0, 59, line.minutes, any_minute) ||
        !field(words[1], 0, 23, line.hours, any_hour) ||
        !field(words[2], 1, 31, line.days, line.any_day) ||
        !field(words[3], 1, 12, line.months, any_month) ||
        !field(words[4], 0, 7, weekdays, line.any_weekday)) {
      continue;
    }
    for (std::size_t d = 0; d < 7; ++d) {
      line.weekdays[d] = weekdays[d] || (d == 0 && weekdays[7]);
    }
    line.words.assign(words.begin() + 5, words.end());
    out.push_back(std::move(line));
  }
  return out;
}

std::optional<core::KstTime> next_run(std::span<const CronLine> lines, std::string_view job,
                                      const core::KstTime& after) {
  using boost::posix_time::minutes;
  auto t = core::KstTime(after.date(), boost::posix_time::hours(after.time_of_day().hours()) +
                                           minutes(after.time_of_day().minutes())) +
           minutes(1);
  for (int i = 0; i < 8 * 24 * 60; ++i, t += minutes(1)) {
    const auto d = t.date();
    const auto tod = t.time_of_day();
    for (const auto& line : lines) {
      if (!line.minutes[static_cast<std::size_t>(tod.minutes())] ||
          !line.hours[static_cast<std::size_t>(tod.hours())] ||
          !line.months[static_cast<std::size_t>(d.month().as_number())]) {
        continue;
      }
      const bool day = line.days[static_cast<std::size_t>(d.day().as_number())];
      const bool weekday = line.weekdays[static_cast<std::size_t>(d.day_of_week().as_number())];
      const bool date_ok = line.any_day && line.any_weekday ? true
                           : line.any_day                   ? weekday
                           : line.any_weekday               ? day
                                                            : day || weekday;
      if (date_ok && runs(line, job)) {
        return t;
      }
    }
  }
  return std::nullopt;
}

} // namespace krxbatch::ops
