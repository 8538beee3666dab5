// The deployment schedule (cron/krxbatch.crontab and cron/systemd/*.timer): parsed here and
// replayed minute by minute over real KRX calendars, to prove which session each run works on.
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

using namespace krxbatch;
using core::Date;
using core::KstTime;

namespace {

namespace fs = std::filesystem;

const fs::path k_cron_dir = fs::path(KRXBATCH_SOURCE_DIR) / "cron";

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) {
    out.push_back(w);
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
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
std::set<int> cron_field(const std::string& field, int lo, int hi) {
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

Crontab parse_crontab(const std::string& text) {
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

int weekday_number(const std::string& name) {
  static const std::map<std::string, int> k_days = {{"Sun", 0}, {"Mon", 1}, {"Tue", 2}, {"Wed", 3},
                                                    {"Thu", 4}, {"Fri", 5}, {"Sat", 6}};
  const auto it = k_days.find(name);
  REQUIRE(it != k_days.end());
  return it->second;
}

// "1..3" or "19..23" or "08" or "10,40" as a set.
std::set<int> calendar_values(const std::string& field) {
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
Rule parse_on_calendar(const std::string& spec) {
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
Schedule parse_timers(const fs::path& dir) {
  Schedule s;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().extension() != ".timer") {
      continue;
    }
    auto service = f.path();
    service.replace_extension(".service");
    REQUIRE(fs::exists(service));
    std::string command;
    std::istringstream unit(test::read_file(service));
    for (std::string line; std::getline(unit, line);) {
      if (line.starts_with("ExecStart=/usr/local/bin/krxbatch ")) {
        command = line.substr(std::string("ExecStart=/usr/local/bin/krxbatch ").size());
      }
    }
    REQUIRE(!command.empty());
    std::istringstream timer(test::read_file(f.path()));
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

const Crontab& crontab() {
  static const Crontab c = parse_crontab(test::read_file(k_cron_dir / "krxbatch.crontab"));
  return c;
}

// The evening a run belongs to: hours before noon belong to the evening before.
Date evening_of(const KstTime& t) {
  return t.time_of_day().hours() < 12 ? t.date() - boost::gregorian::days(1) : t.date();
}

// Replays the crontab from `from` to `to`, each daily_update run completing every published
// session (latest_published_session at its start), and returns each hourly_analysis run with
// the session it works on (daily_update's mark).
std::vector<std::pair<KstTime, Date>> analysed_sessions(const KstTime& from, const KstTime& to) {
  const auto& cal = test::real_calendar();
  const auto daily = firings(crontab().schedule.at("daily_update"), from, to);
  const auto hourly = firings(crontab().schedule.at("hourly_analysis"), from, to);
  std::vector<std::pair<KstTime, Date>> out;
  std::size_t d = 0;
  std::optional<Date> mark;
  for (const auto& t : hourly) {
    for (; d < daily.size() && daily[d] < t; ++d) {
      mark = cal.latest_published_session(daily[d]);
    }
    REQUIRE(mark);
    out.emplace_back(t, *mark);
  }
  return out;
}

} // namespace

TEST_SUITE("deploy.schedule") {
  TEST_CASE("the crontab is in KST and runs each job through the wrapper") {
    const auto& c = crontab();
    CHECK(c.variables.at("CRON_TZ") == "Asia/Seoul");
    for (const auto* command : {"daily_update", "hourly_analysis", "backup --gzip", "snapshot",
                                "backup --cleanup-only --retention-days 30",
                                "snapshot cleanup --days 56", "verify", "universe refresh --yes"}) {
      CAPTURE(command);
      CHECK(c.schedule.contains(command));
    }
    CHECK(c.schedule.size() == 8);
  }

  TEST_CASE("every systemd timer fires exactly when its crontab line does") {
    const auto timers = parse_timers(k_cron_dir / "systemd");
    CHECK(timers.size() == crontab().schedule.size());
    // Three weeks around Chuseok 2024, weekends and midnights included.
    const KstTime from(Date(2024, 9, 8), {});
    const KstTime to(Date(2024, 9, 29), {});
    for (const auto& [command, rules] : crontab().schedule) {
      CAPTURE(command);
      REQUIRE(timers.contains(command));
      CHECK(firings(timers.at(command), from, to) == firings(rules, from, to));
    }
  }

  TEST_CASE("daily_update runs at 08:30 and 19:00 on weekdays and never on a weekend") {
    const KstTime from(Date(2024, 6, 24), {});
    const auto runs =
        firings(crontab().schedule.at("daily_update"), from, from + boost::gregorian::days(28));
    CHECK(runs.size() == 40); // 4 weeks x 5 days x 2
    for (const auto& t : runs) {
      CAPTURE(t);
      CHECK_FALSE(core::is_weekend(t.date()));
      const auto hm = t.time_of_day();
      CHECK(((hm.hours() == 8 && hm.minutes() == 30) || (hm.hours() == 19 && hm.minutes() == 0)));
    }
  }

  TEST_CASE("data care: backup nightly 01:00, snapshot and cleanups on Sunday, Saturday checks") {
    // One week from Monday 2024-06-24: each line's firings as (weekday, hour, minute).
    const KstTime from(Date(2024, 6, 24), {});
    const auto week = [&](const std::string& command) {
      std::vector<std::tuple<int, int, int>> out;
      for (const auto& t :
           firings(crontab().schedule.at(command), from, from + boost::gregorian::days(7))) {
        out.emplace_back(t.date().day_of_week().as_number(),
                         static_cast<int>(t.time_of_day().hours()),
                         static_cast<int>(t.time_of_day().minutes()));
      }
      std::sort(out.begin(), out.end());
      return out;
    };
    using W = std::vector<std::tuple<int, int, int>>;
    CHECK(week("backup --gzip") ==
          W{{0, 1, 0}, {1, 1, 0}, {2, 1, 0}, {3, 1, 0}, {4, 1, 0}, {5, 1, 0}, {6, 1, 0}});
    CHECK(week("snapshot") == W{{0, 2, 0}});
    CHECK(week("backup --cleanup-only --retention-days 30") == W{{0, 3, 0}});
    CHECK(week("snapshot cleanup --days 56") == W{{0, 3, 30}});
    CHECK(week("verify") == W{{6, 9, 30}});
    CHECK(week("universe refresh --yes") == W{{6, 10, 0}});
    // universe refresh takes the ingestion lock: no ingestion runs on Saturday.
    for (const auto& [dow, h, m] : week("daily_update")) {
      CHECK(dow != 6);
    }
  }

  TEST_CASE("hourly_analysis runs 19:10 to 08:10 on Monday to Friday evenings only") {
    const KstTime from(Date(2024, 6, 24), {});
    std::map<Date, std::vector<KstTime>> by_evening;
    for (const auto& t : firings(crontab().schedule.at("hourly_analysis"), from,
                                 from + boost::gregorian::days(14))) {
      CHECK(t.time_of_day().minutes() == 10);
      by_evening[evening_of(t)].push_back(t);
    }
    CHECK(by_evening.size() == 10);
    for (const auto& [evening, runs] : by_evening) {
      CAPTURE(evening);
      CHECK_FALSE(core::is_weekend(evening));
      REQUIRE(runs.size() == 14);
      CHECK(runs.front() ==
            KstTime(evening, boost::posix_time::hours(19) + boost::posix_time::minutes(10)));
      CHECK(runs.back() == KstTime(evening + boost::gregorian::days(1),
                                   boost::posix_time::hours(8) + boost::posix_time::minutes(10)));
    }
    // No run on Saturday evening, Sunday, or Monday before the evening.
    CHECK_FALSE(by_evening.contains(Date(2024, 6, 29)));
    CHECK_FALSE(by_evening.contains(Date(2024, 6, 30)));
  }

  TEST_CASE("Friday 23:10 and Saturday 08:10 both analyse Thursday's session") {
    const auto runs =
        analysed_sessions(KstTime(Date(2024, 6, 24), {}), KstTime(Date(2024, 7, 3), {}));
    std::map<KstTime, Date> session(runs.begin(), runs.end());
    CHECK(session.at(test::kst(2024, 6, 28, 23, 10)) == Date(2024, 6, 27));
    CHECK(session.at(test::kst(2024, 6, 29, 0, 10)) == Date(2024, 6, 27));
    CHECK(session.at(test::kst(2024, 6, 29, 8, 10)) == Date(2024, 6, 27));
    // Monday evening: Friday, published Monday 08:00 and fetched at 08:30.
    CHECK(session.at(test::kst(2024, 7, 1, 19, 10)) == Date(2024, 6, 28));
    CHECK(session.at(test::kst(2024, 7, 2, 8, 10)) == Date(2024, 6, 28));
  }

  TEST_CASE("every run of a night analyses the previous business day, Chuseok included") {
    const auto& cal = test::real_calendar();
    // Four weeks around Chuseok 2024 (closed 09-16..09-18).
    const auto runs =
        analysed_sessions(KstTime(Date(2024, 9, 2), {}), KstTime(Date(2024, 9, 30), {}));
    std::map<Date, std::set<Date>> sessions_by_evening;
    for (const auto& [t, session] : runs) {
      sessions_by_evening[evening_of(t)].insert(session);
    }
    for (const auto& [evening, sessions] : sessions_by_evening) {
      CAPTURE(evening);
      REQUIRE(sessions.size() == 1); // one session per night, across midnight
      const auto session = *sessions.begin();
      if (cal.is_business_day(evening)) {
        CHECK(session == cal.previous_business_day(evening));
      }
    }
    // During the holidays the newest published session is 09-12 (09-13 publishes on 09-19).
    CHECK(*sessions_by_evening.at(Date(2024, 9, 16)).begin() == Date(2024, 9, 12));
    CHECK(*sessions_by_evening.at(Date(2024, 9, 18)).begin() == Date(2024, 9, 12));
    CHECK(*sessions_by_evening.at(Date(2024, 9, 19)).begin() == Date(2024, 9, 13));
    CHECK(*sessions_by_evening.at(Date(2024, 9, 20)).begin() == Date(2024, 9, 19));
  }
}
