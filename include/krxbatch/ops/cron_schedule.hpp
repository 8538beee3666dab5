// When the crontab runs a job next, for the dashboard's job cards: the five time fields of each
// crontab line (numbers, `*`, ranges `a-b`, steps `*/n` and `a-b/n`, lists; weekdays 0-7 with 0
// and 7 Sunday; when both day of month and weekday are restricted, either matches, as cron
// does), read in KST (the shipped crontab says CRON_TZ=Asia/Seoul). A line runs `job` when one
// of its command's words is the job's name or its hyphenated alias. Environment lines,
// comments and lines that are not five time fields and a command (`@reboot`) are skipped.
// Pure.
#pragma once

#include "krxbatch/core/date.hpp"

#include <bitset>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

struct CronLine {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;           // 1-31
  std::bitset<13> months;         // 1-12
  std::bitset<7> weekdays;        // 0 = Sunday
  bool any_day = true;            // the day-of-month field was `*`
  bool any_weekday = true;        // the weekday field was `*`
  std::vector<std::string> words; // the command
};

std::vector<CronLine> parse_crontab(std::string_view text);

// The first minute strictly after `after` on which a line of `lines` runs `job`, looking at
// most 8 days ahead; nullopt when none does.
std::optional<core::KstTime> next_run(std::span<const CronLine> lines, std::string_view job,
                                      const core::KstTime& after);

} // namespace krxbatch::ops
