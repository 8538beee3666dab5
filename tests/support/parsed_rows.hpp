// Field-by-field equality of parsed KRX rows and parse results, for the tests and the fuzz
// target that hold the flat scanner to the SAX parser's answers (market/flat_scanner.hpp).
#pragma once

#include "krxbatch/market/parser.hpp"
#include "krxbatch/market/types.hpp"

#include <cstddef>
#include <vector>

namespace krxbatch::test {

inline bool same_row(const market::PriceRow& a, const market::PriceRow& b) {
  return a.trade_date == b.trade_date && a.ticker == b.ticker && a.name == b.name &&
         a.market == b.market && a.section == b.section && a.close == b.close &&
         a.change == b.change && a.change_rate == b.change_rate && a.open == b.open &&
         a.high == b.high && a.low == b.low && a.volume == b.volume && a.value == b.value &&
         a.market_cap == b.market_cap && a.listed_shares == b.listed_shares;
}

inline bool same_row(const market::IndexRow& a, const market::IndexRow& b) {
  return a.trade_date == b.trade_date && a.index_class == b.index_class &&
         a.index_name == b.index_name && a.close == b.close && a.change == b.change &&
         a.change_rate == b.change_rate && a.open == b.open && a.high == b.high && a.low == b.low &&
         a.volume == b.volume && a.value == b.value && a.market_cap == b.market_cap;
}

template <typename Row>
bool same_rows(const std::vector<Row>& a, const std::vector<Row>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_row(a[i], b[i])) {
      return false;
    }
  }
  return true;
}

// The same success and rows, or the same failure kind and message.
template <typename Row>
bool same_result(const market::ParseResult<std::vector<Row>>& a,
                 const market::ParseResult<std::vector<Row>>& b) {
  if (a.ok() != b.ok()) {
    return false;
  }
  if (!a.ok()) {
    return a.failure().kind == b.failure().kind && a.failure().message == b.failure().message;
  }
  return same_rows(a.value(), b.value());
}

} // namespace krxbatch::test
