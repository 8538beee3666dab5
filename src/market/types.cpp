#include "krxbatch/market/types.hpp"

namespace krxbatch::market {

std::string_view to_string(Market market) {
  switch (market) {
  case Market::kospi:
    return "KOSPI";
  case Market::kosdaq:
    return "KOSDAQ";
  case Market::konex:
    return "KONEX";
  }
  return "?";
}

std::optional<Market> parse_market(std::string_view text) {
  for (auto m : {Market::kospi, Market::kosdaq, Market::konex}) {
    if (text == to_string(m)) {
      return m;
    }
  }
  return std::nullopt;
}

} // namespace krxbatch::market
