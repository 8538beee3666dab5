// Validation of one market's answer for one session, before anything is stored (DESIGN §5.5).
//
// Errors fail the day: nothing of it is stored and the day is retried by the next run.
// Warnings are stored with the day as data-quality issues. Pure; thread-safe.
//
// Errors: BAS_DD differs from the requested day; a ticker that is not 6 characters of
// [0-9A-Z]; the same ticker twice; a mandatory field (ticker, name, close, volume, value,
// market cap, listed shares) absent or negative; MKT_NM naming another market than the
// endpoint's; a row count below half of the reference (a partial answer); more rows than
// k_max_rows_per_answer (no KRX market has that many: not this market's answer).
// Warnings: OHLC inconsistent on a traded row (volume > 0: low <= open, close <= high,
// low > 0); market cap != close x listed shares; a row count that moved more than 10% from
// the reference; O/H/L absent on a traded row; the change absent (its base price, and so a
// corporate action, cannot be known: market/rebase.hpp). The reference is the caller's: the
// median of the recent sessions' counts, so that one odd stored session (an oversized answer)
// does not make every later normal session look partial.
// An empty answer (no rows: a holiday or a day not published yet) gives no finding: what an
// empty day means is the caller's decision (DESIGN §3).
// Rule names: "bas_dd", "ticker", "duplicate", "mandatory", "market", "row_count" (errors);
// "ohlc", "ohlc_absent", "market_cap", "row_count", "change_absent" (warnings).
#pragma once

#include "krxbatch/market/types.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::market {

enum class Severity { warn, error };

// The most rows one market's answer may have: KOSDAQ, the largest, lists about 1,800 issues.
inline constexpr std::size_t k_max_rows_per_answer = 10'000;

struct Finding {
  Severity severity = Severity::warn;
  std::string rule;    // short machine name, e.g. "ohlc", "market_cap", "bas_dd", "row_count"
  std::string ticker;  // empty for day-level findings
  std::string message; // human-readable, names the values involved
};

struct ValidationReport {
  std::vector<Finding> findings;
  bool has_errors() const;
  // The first error's message (for the day's last_error), or empty.
  std::string first_error() const;
};

// Whether `ticker` is a KRX short code: 6 characters of [0-9A-Z] (`005930`, `00104K`).
bool is_ticker(std::string_view ticker);

// Checks the rows of `market` for `requested` day. `reference_row_count` is the row count
// of this market on the recent sessions (their median), when known.
ValidationReport validate_stocks(const core::Date& requested, Market market,
                                 std::span<const PriceRow> rows,
                                 std::optional<std::size_t> reference_row_count);

// Checks index rows: BAS_DD, names present, no duplicate (class, name).
ValidationReport validate_indices(const core::Date& requested, std::span<const IndexRow> rows);

} // namespace krxbatch::market
