// A fast path for the KRX wire format's usual shape: `{"OutBlock_1":[{"KEY":"value",...},...]}`
// with JSON whitespace anywhere between tokens and every row value a string without escapes.
//
// KRX sends every day's answer in that shape, and reading it needs no general JSON machinery: the
// scanner walks the bytes once, checks them as strictly as JSON does (UTF-8 validity, no control
// characters inside strings, nothing after the document), and stores each value through the very
// same field table and value readers as the general (SAX) parser of parser.hpp.
//
// Contract: for any body, scan_flat_*_rows() either returns exactly the rows that
// parse_*_rows_sax() would return for it (same rows, same order, same values), or nullopt. It
// returns nullopt for anything outside the shape above (other top-level keys, escapes, numbers,
// null, nested values, a BOM), for a value its field cannot hold, and for any syntax error: the
// caller then runs the general parser, which classifies the failure (parse_price_rows() does
// exactly this). Pure and thread-safe; the only allocations are the rows and their strings.
#pragma once

#include "krxbatch/market/types.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace krxbatch::market {

std::optional<std::vector<PriceRow>> scan_flat_price_rows(std::string_view body);
std::optional<std::vector<IndexRow>> scan_flat_index_rows(std::string_view body);

} // namespace krxbatch::market
