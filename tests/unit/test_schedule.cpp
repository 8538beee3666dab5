// The deployment schedule (cron/krxbatch.crontab and cron/systemd/*.timer): parsed here and
// replayed minute by minute over real KRX calendars, to prove which session each run works on.
#include "support.hpp"
#include "support/schedule.hpp"

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
using namespace krxbatch::test::schedule;

const fs::path k_cron_dir = fs::path(KRXBATCH_SOURCE_DIR) / "cron";

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
  const auto daily = firings(crontab().schedule.at("daily_update --analyze"), from, to);
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
    for (const auto* command :
         {"daily_update --analyze", "hourly_analysis", "backup --gzip", "snapshot",
          "backup --cleanup-only --retention-days 30", "snapshot cleanup --days 56", "verify",
          "universe refresh --yes", "report daily --send --once"}) {
      CAPTURE(command);
      CHECK(c.schedule.contains(command));
    }
    CHECK(c.schedule.size() == 9);
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
    const auto runs = firings(crontab().schedule.at("daily_update --analyze"), from,
                              from + boost::gregorian::days(28));
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
    for (const auto& [dow, h, m] : week("daily_update --analyze")) {
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
