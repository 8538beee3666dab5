// What the database holds for one session against rows parsed again from KRX's answers
// (`verify --reparse`, ops/reparse.hpp): a parser fix can be checked against history without a
// call to KRX.
//
// The parsed rows are compared in the form daily_prices stores them (open, high and low NULL
// for an issue that did not trade: the rule of replace_day, applied by the same code), column by
// column and exactly (a re-parse of the same bytes gives the same doubles). Staged rows
// (daily_prices_staging) count as stored. Read-only; throws core::Error on storage failures.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/database.hpp"

#include <span>
#include <string>
#include <vector>

namespace krxbatch::store {

// The differences between the stored price rows of `market` on `day` and `parsed` (one KRX
// answer's rows), one line each, e.g. "005930: close stored 71000, answer 71200",
// "123450: in the answer, not stored", "234560: stored, not in the answer"; empty when they
// agree.
std::vector<std::string> diff_session_prices(Database& db, const core::Date& day,
                                             market::Market market,
                                             std::span<const market::PriceRow> parsed);

// The same for the index rows of `day` whose index class is `index_class` ("KOSPI").
std::vector<std::string> diff_session_indices(Database& db, const core::Date& day,
                                              const std::string& index_class,
                                              std::span<const market::IndexRow> parsed);

} // namespace krxbatch::store
