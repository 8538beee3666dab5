// libFuzzer target: the KRX Open API response parser (market/parser.hpp) on any body.
// Properties: no crash or sanitizer report; a failure carries a non-empty one-line message;
// every parsed row's BAS_DD is absent or a real day; excerpts are clean lines within their bound;
// and the parser (flat scanner first) answers exactly what the SAX parser alone answers.
#include "krxbatch/market/parser.hpp"

#include "fuzz_check.hpp"
#include "support/parsed_rows.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace krxbatch;

namespace {

template <typename Result>
void check(const Result& result) {
  if (!result.ok()) {
    fuzz::require(!result.failure().message.empty(), "a parse failure without a message");
    fuzz::require(fuzz::one_clean_line(result.failure().message),
                  "a parse failure message that is not one clean line");
    return;
  }
  for (const auto& row : result.value()) {
    // Absent ("-", "" or missing: validation then refuses the row) or a real day.
    fuzz::require(!row.trade_date.is_special() || row.trade_date.is_not_a_date(),
                  "a row whose BAS_DD is neither absent nor a real day");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto prices = market::parse_price_rows(body);
  const auto indices = market::parse_index_rows(body);
  check(prices);
  check(indices);
  fuzz::require(test::same_result(prices, market::parse_price_rows_sax(body)),
                "the flat scanner and the SAX parser disagree on a price body");
  fuzz::require(test::same_result(indices, market::parse_index_rows_sax(body)),
                "the flat scanner and the SAX parser disagree on an index body");
  if (const auto error = market::parse_api_error(body)) {
    fuzz::require(fuzz::one_clean_line(error->code), "respCode excerpt is not one clean line");
    fuzz::require(fuzz::one_clean_line(error->message), "respMsg excerpt is not one clean line");
  }
  const std::size_t max_bytes = size % 97;
  const auto cut = market::excerpt(body, max_bytes);
  fuzz::require(cut.size() <= max_bytes + 3, "an excerpt longer than its bound");
  fuzz::require(fuzz::one_clean_line(cut), "an excerpt that is not one clean line");
  return 0;
}
