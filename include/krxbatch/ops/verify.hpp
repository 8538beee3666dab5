// `krxbatch verify`: checks a database for damage and for data that contradicts itself.
//
// Checks (each finding has a level, the check's name and a one-line message):
//   integrity      PRAGMA integrity_check (ERROR per problem)
//   foreign_keys   PRAGMA foreign_key_check (ERROR)
//   missing_market a session with price rows for some of the stored markets but not all, or
//                  with price rows and no index rows (ERROR); index rows alone (WARN)
//   row_count      a market's row count on a session that differs by more than 10% from both
//                  neighbouring sessions' (WARN), or is under half of both (ERROR: partial); at
//                  either end of the history the two nearest sessions are the neighbours
//   ohlc           on a traded row (volume > 0): O/H/L present, low <= open, close <= high,
//   market_cap     low > 0; market_cap == close x listed_shares. A violation recorded as a
//                  data-quality issue when the day was stored was accepted then (one WARN);
//                  any other is damage or an edit since (ERROR, the first 20 named)
//   not_a_session  price rows on a day the calendar says is closed (WARN)
//   mark_gap       a KRX session between the first stored session and daily_update's mark
//                  without price rows (ERROR): the mark claims it is complete
//   job_state      a daily_update day recorded `succeeded` without price rows (ERROR); a day
//                  at or before the mark left failed/waiting/running (WARN)
//   leftover       a temporary file or directory of an interrupted backup, snapshot, restore,
//                  export or metrics write (util::find_leftovers) in the directories given
//                  (WARN: it holds disk space; the next run of that command removes it)
//   adjustments    price_adjustments against the rows (docs/ADJUSTMENTS.md): every stored
//                  event must be a re-base the rows show (the ex-date's base = close - change
//                  against the close on the previous KRX session) with its numbers, factor and
//                  cum_factor; every re-base the rows show must be stored (ERROR each, the
//                  first 20 named)
//   holidays       the holiday files end within 30 days of today (WARN; the rule of the
//                  `holidays_ending` alert, calendar::coverage_ends_soon)
//   reparse        with --reparse: every archived session parsed again and compared with the
//                  stored rows (ops/reparse.hpp): ERROR per difference (the first 50 named)
//   summary        what the database holds (INFO)
// A check that cannot run (a damaged page) is itself an ERROR. The pure rule functions are
// exposed for tests; verify_database() runs everything. Read-only.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/adjustment_store.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/job_store.hpp"
#include "krxbatch/store/verify_queries.hpp"

#include <filesystem>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

enum class Level { error, warn, info };
std::string_view to_string(Level level); // "ERROR", "WARN", "INFO"

struct Finding {
  Level level = Level::info;
  std::string check;
  std::string message;
};

// missing_market, from the per-(session, market) counts and the sessions with index rows.
std::vector<Finding> check_markets(std::span<const store::SessionMarketCount> counts,
                                   std::span<const core::Date> index_sessions,
                                   std::span<const market::Market> markets);

// row_count: each market's sessions compared with their stored neighbours.
std::vector<Finding> check_row_counts(std::span<const store::SessionMarketCount> counts);

// mark_gap and not_a_session: `stored` are the sessions with price rows, ascending.
std::vector<Finding> check_sessions(const calendar::Calendar& calendar,
                                    std::span<const core::Date> stored,
                                    const std::optional<core::Date>& history_start,
                                    const std::optional<core::Date>& mark);

// job_state: daily_update's day records against the stored sessions.
std::vector<Finding> check_job_days(std::span<const store::DayRecord> days,
                                    const std::set<core::Date>& stored,
                                    const std::optional<core::Date>& mark);

// ohlc and market_cap from a scan.
std::vector<Finding> check_prices(const store::ViolationScan& scan);

// adjustments: the stored events (by ticker, ex_date) against the re-bases the rows show (by
// ticker, ex_date).
std::vector<Finding> check_adjustments(std::span<const store::StoredAdjustment> stored,
                                       std::span<const store::DatedRebase> found);

struct VerifyReport {
  std::vector<Finding> findings; // errors first, then warnings, then info
  int errors = 0;
  int warnings = 0;
};

// leftover: one WARN per leftover found in `dirs` (missing directories are skipped).
std::vector<Finding> check_leftovers(std::span<const std::filesystem::path> dirs);

// What verify_database() checks beyond the database itself.
struct VerifyOptions {
  // The holidays check is made for this day (KST today); none without it.
  std::optional<core::Date> today;
  // verify --reparse: the raw archive to compare with the database.
  std::optional<std::filesystem::path> reparse_archive;
};

// Every check; the leftover check looks in `leftover_dirs` (the database's directory, the
// backup and snapshot directories, the archive's year folders, ...).
VerifyReport verify_database(store::Database& db, const calendar::Calendar& calendar,
                             std::span<const std::filesystem::path> leftover_dirs = {},
                             const VerifyOptions& options = {});

} // namespace krxbatch::ops
