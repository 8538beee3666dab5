// The foundation from the command line: calendar commands, status, help and exit codes.
#include "support/db_files.hpp"
#include "support/process.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <boost/date_time/gregorian/gregorian.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

using namespace krxbatch;
using test::run;

namespace {

test::SpawnOptions with_env(std::vector<std::pair<std::string, std::optional<std::string>>> env) {
  test::SpawnOptions o;
  o.env = std::move(env);
  return o;
}

test::ProcessResult cli(const std::vector<std::string>& args,
                        const test::SpawnOptions& options = {}) {
  std::vector<std::string> argv = {test::krxbatch_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, options);
}

std::filesystem::path temp_path(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("krxbatch-it-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(p);
  return p;
}

} // namespace

TEST_SUITE("cli.calendar") {
  TEST_CASE("calendar list 2010-2026 is the same under UTC, Seoul and Los Angeles") {
    std::string first;
    for (const char* tz : {"UTC", "Asia/Seoul", "America/Los_Angeles"}) {
      CAPTURE(tz);
      const auto r = cli({"calendar", "list", "--from", "2010-01-01", "--to", "2026-12-31"},
                         with_env({{"TZ", tz}}));
      REQUIRE(r.exit_code == 0);
      if (first.empty()) {
        first = r.out;
      }
      CHECK(r.out == first);
    }
    // 4183 sessions: the sum of the researched trading-day counts 2010-2026 (docs/CALENDAR.md).
    CHECK(std::count(first.begin(), first.end(), '\n') == 4183);

    // And exactly the weekdays minus the researched closures, when that file is at hand.
    const auto csv = std::filesystem::path(KRXBATCH_SHARED_DIR) / "data" / "krx_closed_days.csv";
    if (!std::filesystem::exists(csv)) {
      MESSAGE("not run (the exact comparison): " << csv.string() << " is absent");
      return;
    }
    std::set<std::string> closed;
    std::ifstream in(csv);
    std::string line;
    while (std::getline(in, line)) {
      closed.insert(line.substr(0, 10));
    }
    std::string expected;
    for (boost::gregorian::date d(2010, 1, 1); d <= boost::gregorian::date(2026, 12, 31);
         d += boost::gregorian::days(1)) {
      const auto dow = d.day_of_week().as_number();
      const auto iso = boost::gregorian::to_iso_extended_string(d);
      if (dow != 0 && dow != 6 && !closed.contains(iso)) {
        expected += iso + "\n";
      }
    }
    CHECK(first == expected);
  }

  TEST_CASE("calendar check names closures and confirms sessions") {
    auto r = cli({"calendar", "check", "2024-10-01"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("2024-10-01 closed: Armed Forces Day"));
    r = cli({"calendar", "check", "2026-07-17"});
    CHECK(r.out.starts_with("2026-07-17 closed: Constitution Day"));
    r = cli({"calendar", "check", "2026-09-28"});
    CHECK(r.out.starts_with("2026-09-28 open"));
    r = cli({"--json", "calendar", "check", "2026-11-21"});
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["business_day"] == false);
    CHECK(j["closure"] == "Saturday");
  }

  TEST_CASE("a bad date argument exits 2 with a clear message") {
    for (const char* bad : {"2024-02-30", "20241001", "tomorrow"}) {
      CAPTURE(bad);
      const auto r = cli({"calendar", "check", bad});
      CHECK(r.exit_code == 2);
      CHECK(r.out.empty());
      CHECK(r.err.find(std::string("'") + bad + "' is not a valid date") != std::string::npos);
      CHECK(r.err.find("YYYY-MM-DD") != std::string::npos);
    }
    CHECK(cli({"calendar", "list", "--from", "2024-01-01"}).exit_code == 2);
    CHECK(cli({"calendar", "list", "--from", "2024-02-01", "--to", "2024-01-01"}).exit_code == 2);
    CHECK(cli({"calendar", "check", "2031-01-02"}).err.find("holidays/2031.txt") !=
          std::string::npos);
  }

  TEST_CASE("calendar next and prev step over the Chuseok block") {
    CHECK(cli({"calendar", "next", "2024-09-13"}).out == "2024-09-19\n");
    CHECK(cli({"calendar", "prev", "2024-09-19"}).out == "2024-09-13\n");
  }

  TEST_CASE("calendar today follows --now and KRXBATCH_NOW, with CSAT hours") {
    auto r = cli({"--now", "2026-11-19T10:30:00+09:00", "--json", "calendar", "today"});
    REQUIRE(r.exit_code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["date"] == "2026-11-19");
    CHECK(j["business_day"] == true);
    CHECK(j["hours"]["open"] == "10:00");
    CHECK(j["hours"]["close"] == "16:30");
    CHECK(j["market_open"] == true);
    // 01:30 UTC on the 19th is 10:30 KST; 00:30 UTC is 09:30 KST, before the late open.
    r = cli({"--json", "calendar", "today"},
            with_env({{"KRXBATCH_NOW", "2026-11-19T00:30:00Z"}, {"TZ", "America/New_York"}}));
    j = nlohmann::json::parse(r.out);
    CHECK(j["date"] == "2026-11-19");
    CHECK(j["market_open"] == false);
  }

  TEST_CASE("a malformed holiday file stops with file:line") {
    const auto dir = temp_path("holidays");
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "2024.txt") << "2024-01-01 # ok\n2024-01-32 # typo\n";
    const auto r = cli({"--holidays", dir.string(), "calendar", "check", "2024-01-02"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find((dir / "2024.txt").string() + ":2: ") != std::string::npos);
    std::filesystem::remove_all(dir);
  }
}

TEST_SUITE("cli.status") {
  TEST_CASE("status creates the schema on a new database path") {
    const auto db = temp_path("new.db");
    const auto r = cli({"--db", db.string(), "status"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("daily_update") != std::string::npos);
    {
      SQLite::Database check(db.string());
      CHECK(check
                .execAndGet("SELECT count(*) FROM pragma_table_info('job_status') WHERE "
                            "name = 'last_success_date'")
                .getInt() == 1);
      CHECK(check.execAndGet("PRAGMA journal_mode").getString() == "wal");
    }
    test::remove_database(db.string());
  }

  TEST_CASE("status --json lists each job with its mark, state and sessions behind") {
    const auto db = temp_path("status.db");
    REQUIRE(cli({"--db", db.string(), "status"}).exit_code == 0);
    {
      SQLite::Database w(db.string(), SQLite::OPEN_READWRITE);
      w.exec("UPDATE job_status SET last_success_date = '2024-09-13', state = 'succeeded' "
             "WHERE job_name = 'daily_update'");
    }
    // Thursday 2024-09-19 19:00, after Chuseok: 09-13 is 0 sessions behind the latest
    // published session (09-13 itself; 09-19 publishes on the 20th).
    auto r = cli({"status", "--json", "--db", db.string(), "--now", "2024-09-19T19:00:00+09:00"});
    REQUIRE(r.exit_code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["latest_published_session"] == "2024-09-13");
    REQUIRE(j["jobs"].size() == 3);
    CHECK(j["jobs"][1]["job"] == "daily_update");
    CHECK(j["jobs"][1]["last_success_date"] == "2024-09-13");
    CHECK(j["jobs"][1]["state"] == "succeeded");
    CHECK(j["jobs"][1]["sessions_behind"] == 0);
    CHECK(j["jobs"][2]["sessions_behind"].is_null());
    // Friday 2024-09-27 19:00: the sessions 09-19, 20, 23, 24, 25 and 26 are out and missing.
    r = cli({"status", "--json", "--db", db.string(), "--now", "2024-09-27T19:00:00+09:00"});
    j = nlohmann::json::parse(r.out);
    CHECK(j["jobs"][1]["sessions_behind"] == 6);
    test::remove_database(db.string());
  }

  TEST_CASE("a database that is not a database: exit 1, named, file untouched") {
    const auto db = temp_path("junk.db");
    std::ofstream(db) << std::string(2048, 'j');
    const auto r = cli({"--db", db.string(), "status"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(db.string()) != std::string::npos);
    CHECK(std::filesystem::file_size(db) == 2048);
    test::remove_database(db.string());
  }
}

TEST_SUITE("cli.usage") {
  TEST_CASE("--help works on every level") {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"--help"},
                                               {"status", "--help"},
                                               {"calendar", "--help"},
                                               {"calendar", "list", "--help"},
                                               {"calendar", "today", "--help"}}) {
      const auto r = cli(args);
      CAPTURE(args.front());
      CHECK(r.exit_code == 0);
      CHECK(r.out.find("Usage: krxbatch") != std::string::npos);
    }
  }

  TEST_CASE("usage errors exit 2") {
    CHECK(cli({}).exit_code == 2);
    CHECK(cli({"frobnicate"}).exit_code == 2);
    CHECK(cli({"status", "--bogus"}).exit_code == 2);
    CHECK(cli({"--log-level", "loud", "status"}).exit_code == 2);
    CHECK(cli({"--now", "soon", "calendar", "today"}).exit_code == 2);
  }
}
