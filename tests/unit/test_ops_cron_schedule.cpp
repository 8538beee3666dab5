#include "krxbatch/ops/cron_schedule.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace krxbatch;

namespace {

std::vector<ops::CronLine> shipped() {
  std::ifstream in(std::filesystem::path(KRXBATCH_SOURCE_DIR) / "cron" / "krxbatch.crontab");
  std::ostringstream text;
  text << in.rdbuf();
  return ops::parse_crontab(text.str());
}

} // namespace

TEST_SUITE("ops.cron_schedule") {
  TEST_CASE("the shipped crontab: daily_update at 08:30 and 19:00 on weekdays") {
    const auto lines = shipped();
    CHECK(lines.size() == 12);
    // The morning report follows the 08:30 update, and again after the evening one.
    CHECK(ops::next_run(lines, "report", test::kst(2026, 11, 20, 19, 30)) ==
          test::kst(2026, 11, 23, 9, 0));
    // Friday 2026-11-20 19:30 -> Monday 08:30.
    CHECK(ops::next_run(lines, "daily_update", test::kst(2026, 11, 20, 19, 30)) ==
          test::kst(2026, 11, 23, 8, 30));
    CHECK(ops::next_run(lines, "daily_update", test::kst(2026, 11, 23, 8, 30)) ==
          test::kst(2026, 11, 23, 19, 0));
    // A line may name the job by its hyphenated alias.
    const auto alias = ops::parse_crontab("30 8 * * 1-5 krxbatch daily-update\n");
    CHECK(ops::next_run(alias, "daily_update", test::kst(2026, 11, 23, 8, 29)) ==
          test::kst(2026, 11, 23, 8, 30));
  }

  TEST_CASE("the shipped crontab: hourly_analysis every hour from 19:10 to 08:10, Monday "
            "evening to Saturday morning") {
    const auto lines = shipped();
    CHECK(ops::next_run(lines, "hourly_analysis", test::kst(2026, 11, 20, 19, 30)) ==
          test::kst(2026, 11, 20, 20, 10));
    // Saturday 08:30: the last one was 08:10; the next is Monday 19:10.
    CHECK(ops::next_run(lines, "hourly_analysis", test::kst(2026, 11, 21, 8, 30)) ==
          test::kst(2026, 11, 23, 19, 10));
    CHECK(ops::next_run(lines, "manual_setup", test::kst(2026, 11, 21, 8, 30)) == std::nullopt);
  }

  TEST_CASE("steps, lists, Sunday as 7, and day-of-month or weekday") {
    const auto lines = ops::parse_crontab("MAILTO=\"\"\n# a comment\n@reboot x job\n"
                                          "*/20 6,18 * * 7 run job\n"
                                          "0 12 15 * 3 run other\n"
                                          "bad line here x y z\n");
    REQUIRE(lines.size() == 2);
    // Sunday 2026-11-22.
    CHECK(ops::next_run(lines, "job", test::kst(2026, 11, 21, 23, 0)) ==
          test::kst(2026, 11, 22, 6, 0));
    CHECK(ops::next_run(lines, "job", test::kst(2026, 11, 22, 6, 0)) ==
          test::kst(2026, 11, 22, 6, 20));
    // The 15th or a Wednesday, whichever comes first: Wednesday 2026-11-25.
    CHECK(ops::next_run(lines, "other", test::kst(2026, 11, 22, 0, 0)) ==
          test::kst(2026, 11, 25, 12, 0));
  }
}
