// Internal to ops: one price_adjustments event as the reports print it (actions, prices,
// score, status), so that every command names its fields the same way.
#pragma once

#include "krxbatch/store/adjustment_store.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace krxbatch::ops {

// {"ticker", "name", "market", "ex_date", "prev_close", "base_price", "factor", "kind",
//  "prev_listed_shares", "listed_shares"}; name and market null when the ex-date's row is gone.
nlohmann::ordered_json adjustment_json(const store::StoredAdjustment& a);

// "2024-01-05 073010 케이에스피 KOSDAQ 3040 -> 2995 x0.985197 rights/bonus/other".
std::string adjustment_line(const store::StoredAdjustment& a);

} // namespace krxbatch::ops
