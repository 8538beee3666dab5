#include "fake_krx/api.hpp"

#include <string>

namespace krxbatch::fake_krx {

std::string_view api_id(Api api) {
  switch (api) {
  case Api::stk_bydd_trd:
    return "stk_bydd_trd";
  case Api::ksq_bydd_trd:
    return "ksq_bydd_trd";
  case Api::knx_bydd_trd:
    return "knx_bydd_trd";
  case Api::kospi_dd_trd:
    return "kospi_dd_trd";
  case Api::kosdaq_dd_trd:
    return "kosdaq_dd_trd";
  }
  return "";
}

std::string_view api_group(Api api) {
  return is_index(api) ? "idx" : "sto";
}

std::string_view short_name(Api api) {
  switch (api) {
  case Api::stk_bydd_trd:
    return "stk";
  case Api::ksq_bydd_trd:
    return "ksq";
  case Api::knx_bydd_trd:
    return "knx";
  case Api::kospi_dd_trd:
    return "kospi";
  case Api::kosdaq_dd_trd:
    return "kosdaq";
  }
  return "";
}

bool is_index(Api api) {
  return api == Api::kospi_dd_trd || api == Api::kosdaq_dd_trd;
}

market::Market market_of(Api api) {
  switch (api) {
  case Api::stk_bydd_trd:
  case Api::kospi_dd_trd:
    return market::Market::kospi;
  case Api::ksq_bydd_trd:
  case Api::kosdaq_dd_trd:
    return market::Market::kosdaq;
  case Api::knx_bydd_trd:
    return market::Market::konex;
  }
  return market::Market::kospi;
}

std::optional<Api> parse_api_path(std::string_view path) {
  if (path.ends_with(".json")) {
    path.remove_suffix(5);
  }
  for (const Api api : k_all_apis) {
    const std::string full = std::string(api_group(api)) + "/" + std::string(api_id(api));
    if (path == full) {
      return api;
    }
  }
  return std::nullopt;
}

std::optional<Api> parse_api_name(std::string_view name) {
  for (const Api api : k_all_apis) {
    if (name == api_id(api) || name == short_name(api)) {
      return api;
    }
  }
  return std::nullopt;
}

} // namespace krxbatch::fake_krx
