// The reads behind `krxbatch verify`, each one pass over a table or an index, so that the
// whole check of a full market (300 sessions x 2,700 issues) takes seconds. Read-only; throw
// core::Error on storage failures (a damaged page, typically).
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::store {

struct SessionMarketCount {
  core::Date session;
  std::string market;
  std::int64_t rows = 0;
};

// Price rows per (session, market), ascending (an index-only scan).
std::vector<SessionMarketCount> price_counts(Database& db);

// Sessions with at least one index row, ascending.
std::vector<core::Date> index_sessions(Database& db);

// A stored price row that breaks a rule validation checks before storing: `ohlc` (on a
// traded row, volume > 0: O/H/L present, low <= open, close <= high, low > 0) or
// `market_cap` (market_cap != close x listed_shares).
struct PriceViolation {
  core::Date session;
  std::string ticker;
  std::string rule;   // "ohlc" | "market_cap"
  std::string values; // "open=.. high=.. low=.. close=.. volume=.." or "market_cap=.. ..."
  bool known = false; // recorded as a data-quality issue of the same rule when stored
};

struct ViolationScan {
  std::int64_t unknown = 0; // not recorded when stored: changed since (or never validated)
  std::int64_t known = 0;   // accepted with a warning when stored
  std::vector<PriceViolation> unknown_examples; // the first max_examples, by date and ticker
  std::vector<PriceViolation> known_examples;
};
ViolationScan price_violations(Database& db, std::size_t max_examples);

} // namespace krxbatch::store
