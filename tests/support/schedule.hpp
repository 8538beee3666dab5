// The deployment schedule (cron/krxbatch.crontab and cron/systemd/*.timer) as data: the
// crontab's lines and the timers' OnCalendar= lines parsed into the minutes they fire on, for
// the unit test that checks the schedule and the integration test that replays a week of it
// against the real binary. Header-only; test code only (REQUIRE/CHECK on malformed lines).
#pragma once

#include "krxbatch/core/date.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace krxbatch::test::schedule {

using core::KstTime;

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) {
    out.push_back(w);
  }
  return out;
}

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    const auto next = s.find(sep, pos);
    out.push_back(s.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) {
      return out;
    }
    pos = next + 1;
  }
}

// A cron field ("*", "10", "19-23", "1-5", "*/2", "0,30") as the set of values it matches.
inline std::set<int> cron_field(const std::string& field, int lo, int hi) {
  std::set<int> values;
  for (const auto& part : split(field, ',')) {
    const auto slash = part.find('/');
    const int step = slash == std::string::npos ? 1 : std::stoi(part.substr(slash + 1));
    const auto range = part.substr(0, slash);
    int from = lo;
    int to = hi;
    if (range != "*") {
      const auto dash = range.find('-');
      from = std::stoi(range.substr(0, dash));
      to = dash == std::string::npos ? from : std::stoi(range.substr(dash + 1));
    }
    REQUIRE(from >= lo);
    REQUIRE(to <= hi);
    for (int v = from; v <= to; v += step) {
      values.insert(v);
    }
  }
  return values;
}

// One schedule rule: the minutes, hours and days of the week (0 = Sunday) it fires on.
struct Rule {
  std::set<int> minutes;
  std::set<int> hours;
  std::set<int> weekdays;
  bool fires_at(const KstTime& t) const {
    const auto tod = t.time_of_day();
    return minutes.contains(static_cast<int>(tod.minutes())) &&
           hours.contains(static_cast<int>(tod.hours())) &&
           weekdays.contains(t.date().day_of_week().as_number());
  }
};

// Command (the krxbatch arguments, e.g. "daily_update") -> its rules.
using Schedule = std::map<std::string, std::vector<Rule>>;

struct Crontab {
  std::map<std::string, std::string> variables;
  Schedule schedule;
};

inline Crontab parse_crontab(const std::string& text) {
  Crontab c;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto w = words(line);
    if (w.empty() || w[0].starts_with("#")) {
      continue;
    }
    if (const auto eq = line.find('=');
        eq != std::string::npos && w[0].find('=') != std::string::npos) {
      c.variables[line.substr(0, eq)] = line.substr(eq + 1);
      continue;
    }
    REQUIRE(w.size() >= 7);
    CHECK(w[2] == "*"); // day of month
    CHECK(w[3] == "*"); // month
    auto dow = cron_field(w[4], 0, 7);
    if (dow.erase(7) > 0) {
      dow.insert(0);
    }
    CHECK(w[5] == "/usr/local/lib/krxbatch/krxbatch-cron");
    std::string command;
    for (std::size_t i = 6; i < w.size(); ++i) {
      command += (command.empty() ? "" : " ") + w[i];
    }
    c.schedule[command].push_back({cron_field(w[0], 0, 59), cron_field(w[1], 0, 23), dow});
  }
  return c;
}

inline int weekday_number(const std::string& name) {
  static const std::map<std::string, int> k_days = {{"Sun", 0}, {"Mon", 1}, {"Tue", 2}, {"Wed", 3},
                                                    {"Thu", 4}, {"Fri", 5}, {"Sat", 6}};
  const auto it = k_days.find(name);
  REQUIRE(it != k_days.end());
  return it->second;
}

// "1..3" or "19..23" or "08" or "10,40" as a set.
inline std::set<int> calendar_values(const std::string& field) {
  std::set<int> values;
  for (const auto& part : split(field, ',')) {
    const auto dots = part.find("..");
    const int from = std::stoi(part.substr(0, dots));
    const int to = dots == std::string::npos ? from : std::stoi(part.substr(dots + 2));
    for (int v = from; v <= to; ++v) {
      values.insert(v);
    }
  }
  return values;
}

// systemd OnCalendar= of the form "[Mon..Fri|Sun,Sat] *-*-* HH:MM:SS Asia/Seoul".
inline Rule parse_on_calendar(const std::string& spec) {
  auto w = words(spec);
  REQUIRE(!w.empty());
  CHECK(w.back() == "Asia/Seoul");
  Rule r;
  if (w.size() == 4) {
    for (const auto& part : split(w[0], ',')) {
      const auto dots = part.find("..");
      const int from = weekday_number(part.substr(0, dots));
      const int to = dots == std::string::npos ? from : weekday_number(part.substr(dots + 2));
      for (int d = from; d <= to; ++d) {
        r.weekdays.insert(d);
      }
    }
    w.erase(w.begin());
  } else {
    r.weekdays = {0, 1, 2, 3, 4, 5, 6};
  }
  REQUIRE(w.size() == 3);
  CHECK(w[0] == "*-*-*");
  const auto hms = split(w[1], ':');
  REQUIRE(hms.size() == 3);
  CHECK(hms[2] == "00");
  r.hours = calendar_values(hms[0]);
  r.minutes = calendar_values(hms[1]);
  return r;
}

// The timers: each .timer's OnCalendar lines under the ExecStart arguments of its .service.
inline Schedule parse_timers(const std::filesystem::path& dir) {
  Schedule s;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != ".timer") {
      continue;
    }
    auto service = f.path();
    service.replace_extension(".service");
    REQUIRE(std::filesystem::exists(service));
    std::string command;
    std::istringstream unit(read_text(service));
    for (std::string line; std::getline(unit, line);) {
      if (line.starts_with("ExecStart=/usr/local/bin/krxbatch ")) {
        command = line.substr(std::string("ExecStart=/usr/local/bin/krxbatch ").size());
      }
    }
    REQUIRE(!command.empty());
    std::istringstream timer(read_text(f.path()));
    bool persistent = false;
    for (std::string line; std::getline(timer, line);) {
      if (line.starts_with("OnCalendar=")) {
        s[command].push_back(parse_on_calendar(line.substr(11)));
      }
      persistent = persistent || line == "Persistent=true";
    }
    CAPTURE(f.path().string());
    CHECK(persistent);
  }
  return s;
}

// Every minute in [from, to) at which `rules` fire.
std::vector<KstTime> firings(const std::vector<Rule>& rules, const KstTime& from,
                             const KstTime& to) {
  std::vector<KstTime> out;
  for (auto t = from; t < to; t += boost::posix_time::minutes(1)) {
    for (const auto& r : rules) {
      if (r.fires_at(t)) {
        out.push_back(t);
        break;
      }
    }
  }
  return out;
}

} // namespace krxbatch::test::schedule
