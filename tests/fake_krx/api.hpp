// The five KRX Open API services the fake serves, and how their paths are spelt.
//
// Pure and thread-safe.
#pragma once

#include "krxbatch/market/types.hpp"

#include <array>
#include <optional>
#include <string_view>

namespace krxbatch::fake_krx {

enum class Api { stk_bydd_trd, ksq_bydd_trd, knx_bydd_trd, kospi_dd_trd, kosdaq_dd_trd };

inline constexpr std::array<Api, 5> k_all_apis = {
    Api::stk_bydd_trd, Api::ksq_bydd_trd, Api::knx_bydd_trd, Api::kospi_dd_trd, Api::kosdaq_dd_trd};

std::string_view api_id(Api api);     // "stk_bydd_trd", ..., "kosdaq_dd_trd"
std::string_view api_group(Api api);  // "sto" or "idx"
std::string_view short_name(Api api); // "stk", "ksq", "knx", "kospi", "kosdaq" (--endpoints)
bool is_index(Api api);
// The market whose stocks (or indices) the API lists.
market::Market market_of(Api api);

// `sto/stk_bydd_trd` or `sto/stk_bydd_trd.json` (the part after `/svc/apis/`); nullopt for any
// other path, including a right id under the wrong group (`ksq/ksq_bydd_trd`) and `.xml`.
std::optional<Api> parse_api_path(std::string_view path);
// An api id (`stk_bydd_trd`) or a short name (`stk`).
std::optional<Api> parse_api_name(std::string_view name);

} // namespace krxbatch::fake_krx
