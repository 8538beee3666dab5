#include "krxbatch/fetch/market_source.hpp"

namespace krxbatch::fetch {

std::string_view api_id(Endpoint endpoint) {
  switch (endpoint) {
  case Endpoint::kospi_stocks:
    return "stk_bydd_trd";
  case Endpoint::kosdaq_stocks:
    return "ksq_bydd_trd";
  case Endpoint::konex_stocks:
    return "knx_bydd_trd";
  case Endpoint::kospi_index:
    return "kospi_dd_trd";
  case Endpoint::kosdaq_index:
    return "kosdaq_dd_trd";
  }
  return "?";
}

std::string_view api_path(Endpoint endpoint) {
  switch (endpoint) {
  case Endpoint::kospi_stocks:
    return "sto/stk_bydd_trd";
  case Endpoint::kosdaq_stocks:
    return "sto/ksq_bydd_trd";
  case Endpoint::konex_stocks:
    return "sto/knx_bydd_trd";
  case Endpoint::kospi_index:
    return "idx/kospi_dd_trd";
  case Endpoint::kosdaq_index:
    return "idx/kosdaq_dd_trd";
  }
  return "?";
}

Endpoint stock_endpoint(market::Market market) {
  switch (market) {
  case market::Market::kospi:
    return Endpoint::kospi_stocks;
  case market::Market::kosdaq:
    return Endpoint::kosdaq_stocks;
  case market::Market::konex:
    return Endpoint::konex_stocks;
  }
  return Endpoint::kospi_stocks;
}

std::optional<Endpoint> index_endpoint(market::Market market) {
  switch (market) {
  case market::Market::kospi:
    return Endpoint::kospi_index;
  case market::Market::kosdaq:
    return Endpoint::kosdaq_index;
  case market::Market::konex:
    return std::nullopt;
  }
  return std::nullopt;
}

std::vector<Endpoint> session_endpoints(const std::vector<market::Market>& markets) {
  std::vector<Endpoint> endpoints;
  endpoints.reserve(2 * markets.size()); // a stock and an index endpoint each, at most
  for (const auto m : markets) {
    endpoints.push_back(stock_endpoint(m));
  }
  for (const auto m : markets) {
    if (const auto e = index_endpoint(m)) {
      endpoints.push_back(*e);
    }
  }
  return endpoints;
}

bool is_stock_endpoint(Endpoint endpoint) {
  return endpoint == Endpoint::kospi_stocks || endpoint == Endpoint::kosdaq_stocks ||
         endpoint == Endpoint::konex_stocks;
}

std::string_view to_string(FailureKind kind) {
  switch (kind) {
  case FailureKind::unauthorized:
    return "unauthorized";
  case FailureKind::not_approved:
    return "not_approved";
  case FailureKind::bad_endpoint:
    return "bad_endpoint";
  case FailureKind::quota_exhausted:
    return "quota_exhausted";
  case FailureKind::server_error:
    return "server_error";
  case FailureKind::network:
    return "network";
  case FailureKind::rate_limited:
    return "rate_limited";
  case FailureKind::malformed_body:
    return "malformed_body";
  case FailureKind::client_error:
    return "client_error";
  case FailureKind::missing_data:
    return "missing_data";
  }
  return "?";
}

bool stops_run(FailureKind kind) {
  return refuses_key(kind) || kind == FailureKind::bad_endpoint ||
         kind == FailureKind::quota_exhausted;
}

bool refuses_key(FailureKind kind) {
  return kind == FailureKind::unauthorized || kind == FailureKind::not_approved;
}

} // namespace krxbatch::fetch
