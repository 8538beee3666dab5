// `krxbatch actions`: the corporate actions detected from KRX's base price (price_adjustments,
// docs/ADJUSTMENTS.md), with the name and market on the ex-date and a hint of the
// kind (market::kind_of). Read-only; storage errors are core::Error.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/adjustment_store.hpp"
#include "krxbatch/store/database.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::ops {

struct ActionsQuery {
  core::Date from{1900, 1, 1};
  core::Date to{9999, 12, 31};
  std::optional<std::string> ticker;
};

// The events with ex_date in [from, to] (of the ticker when given), by ex_date then ticker.
std::vector<store::StoredAdjustment> list_actions(store::Database& db, const ActionsQuery& query);

// A JSON array of the events (fields of docs/ADJUSTMENTS.md), pretty-printed.
std::string actions_json(std::span<const store::StoredAdjustment> events);
// A table: ex-date, ticker, name, market, previous close, base, factor, kind.
std::string actions_table(std::span<const store::StoredAdjustment> events);

} // namespace krxbatch::ops
