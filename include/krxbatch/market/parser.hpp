// The KRX Open API wire format: a response body in, typed rows out (krx-open-api.md §1.4-1.7).
//
// parse_price_rows() reads a `sto/*_bydd_trd` body, parse_index_rows() an `idx/*_dd_trd` body.
// Both follow the spec rather than any one server:
// - the rows are the objects of the top-level `OutBlock_1` array; keys may come in any order,
//   unknown keys (at any level, with any value) are ignored;
// - every value is a JSON string; "-" and "" mean absent (nullopt); commas are stripped from
//   numbers; integers are signed 64-bit, FLUC_RT and index levels are doubles; tickers and
//   names are kept as text. A JSON number or null where a string is expected is accepted (the
//   number's text is parsed as if it were quoted; null is absent);
// - a value that is present but not a number where a number is expected, a BAS_DD that is not
//   a real YYYYMMDD day and an MKT_NM that is not KOSPI/KOSDAQ/KONEX are `bad_value` errors
//   naming the field, the row's ticker (or index name) and the value.
// Bad bodies are classified precisely (BodyProblem) with a message that says what was received
// (a short, sanitised excerpt; see excerpt()). Nothing here does I/O or reads the clock.
// Streaming: no document tree is built; the only allocations are the rows and their own strings.
// KRX's usual answers are read by the flat scanner (flat_scanner.hpp); anything else, and every
// failure, by nlohmann's SAX parser: the results are the same whichever reads a body. Pure and
// thread-safe.
#pragma once

#include "krxbatch/core/result.hpp"
#include "krxbatch/market/types.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::market {

enum class BodyProblem {
  empty,        // nothing, or only whitespace
  html,         // an HTML page (an error or notice page) instead of JSON
  truncated,    // JSON that ends before its last value is complete
  invalid_json, // not JSON (a syntax error before the end of the body)
  no_out_block, // valid JSON without an `OutBlock_1` array of row objects
  error_object, // a KRX error answer, e.g. {"respMsg":"Unauthorized Key","respCode":"401"}
  bad_value,    // a row value that cannot be what its field holds
};

std::string_view to_string(BodyProblem problem); // "empty", "html", "truncated", ...

template <typename T>
using ParseResult = core::Result<T, BodyProblem>;

// The rows of a `sto/{stk,ksq,knx}_bydd_trd` body. `{"OutBlock_1":[]}` gives an empty vector.
ParseResult<std::vector<PriceRow>> parse_price_rows(std::string_view body);

// The rows of an `idx/{kospi,kosdaq,krx}_dd_trd` body.
ParseResult<std::vector<IndexRow>> parse_index_rows(std::string_view body);

// The same as parse_price_rows() / parse_index_rows(), through the SAX parser alone: the
// reference the flat scanner is checked against (tests, the parse benchmark).
ParseResult<std::vector<PriceRow>> parse_price_rows_sax(std::string_view body);
ParseResult<std::vector<IndexRow>> parse_index_rows_sax(std::string_view body);

// The fields of a KRX error answer such as `{"respMsg":"Unauthorized Key","respCode":"401"}`
// (the body of a 401 or 404, or of a 200 that carries an error). Values are sanitised
// excerpts. nullopt when the body is not a JSON object with a respCode or respMsg.
struct ApiError {
  std::string code;    // respCode, e.g. "401"; empty when absent
  std::string message; // respMsg, e.g. "Unauthorized API Call"; empty when absent
};
std::optional<ApiError> parse_api_error(std::string_view body);

// A single-line excerpt of untrusted text, safe to put in a message or a log line: at most
// `max_bytes` bytes (cut on a UTF-8 character boundary, "..." appended when cut), control
// characters and whitespace runs folded into one space, invalid UTF-8 bytes replaced by '?'.
std::string excerpt(std::string_view text, std::size_t max_bytes = 80);

} // namespace krxbatch::market
