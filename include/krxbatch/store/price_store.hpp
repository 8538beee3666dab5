// Daily prices, index prices and data-quality issues, written one session at a time.
//
// Writes happen inside the caller's transaction (the per-day transaction of DESIGN §5.1 that
// also marks the day `succeeded`); statements are prepared once per PriceStore and reused.
// A stock row that did not trade (volume 0 and O/H/L 0, as KRX sends suspended issues) is
// stored with NULL open/high/low: 0 is never a price.
// Lifetime: the Database must outlive the PriceStore. Same threading rules as Database.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/market/validation.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

namespace krxbatch::store {

struct QualityIssue {
  core::Date trade_date;
  std::optional<market::Market> market;
  std::string ticker;
  std::string severity; // WARN | ERROR
  std::string rule;
  std::string message;
  std::string detected_at;
};

class PriceStore {
public:
  explicit PriceStore(Database& db);
  ~PriceStore();
  PriceStore(const PriceStore&) = delete;
  PriceStore& operator=(const PriceStore&) = delete;

  // Replaces everything stored for `day` (prices of every market, index prices, quality
  // issues) with the given rows and findings. Returns the number of price and index rows
  // written. Precondition: rows are validated and all carry trade_date == day.
  std::int64_t replace_day(const core::Date& day, std::span<const market::PriceRow> prices,
                           std::span<const market::IndexRow> indices,
                           std::span<const std::pair<market::Market, market::Finding>> warnings,
                           const core::KstTime& now);

  // Number of price rows stored for `market` on `day` (0 when none).
  std::size_t row_count(const core::Date& day, market::Market market) const;
  // The sessions that have at least one price row, in [from, to], ascending.
  std::vector<core::Date> stored_sessions(const core::Date& from, const core::Date& to) const;
  // The sessions in [from, to] that have price rows for every one of `markets`.
  std::set<core::Date> complete_sessions(const core::Date& from, const core::Date& to,
                                         std::span<const market::Market> markets) const;
  std::vector<QualityIssue> quality_issues(const core::Date& from, const core::Date& to) const;

private:
  struct Statements;
  Database& m_db;
  std::unique_ptr<Statements> m_st; // prepared on first use
};

} // namespace krxbatch::store
