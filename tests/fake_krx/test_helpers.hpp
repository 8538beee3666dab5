// Helpers for the fake KRX server's tests: reading bodies and computing expectations
// independently of the server's code (the tick table, the calendar from the holiday files).
#pragma once

#include "krxbatch/calendar/calendar.hpp"

#include "support/fake_krx.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace krxbatch::fake_krx_test {

using Json = nlohmann::ordered_json; // keeps the key order of the wire

inline constexpr const char* k_stk = "sto/stk_bydd_trd";
inline constexpr const char* k_ksq = "sto/ksq_bydd_trd";
inline constexpr const char* k_knx = "sto/knx_bydd_trd";
inline constexpr const char* k_kospi = "idx/kospi_dd_trd";
inline constexpr const char* k_kosdaq = "idx/kosdaq_dd_trd";

// A clock at which every session of 2023-2024 is published.
inline constexpr const char* k_late_now = "2025-03-04T12:00:00+09:00";

// The rows of a `{"OutBlock_1":[...]}` body; fails the test when it is not that shape.
inline std::vector<Json> rows_of(const std::string& body) {
  const auto j = Json::parse(body);
  REQUIRE(j.is_object());
  REQUIRE(j.size() == 1);
  REQUIRE(j.contains("OutBlock_1"));
  REQUIRE(j["OutBlock_1"].is_array());
  return j["OutBlock_1"].get<std::vector<Json>>();
}

// The rows of a successful data response.
inline std::vector<Json> fetch_rows(const test::FakeKrx& fake, const char* api,
                                    const std::string& bas_dd) {
  const auto r = fake.api(api, bas_dd);
  REQUIRE(r.complete);
  REQUIRE(r.status == 200);
  return rows_of(r.body);
}

// A decimal integer string as KRX writes it (optional '-', digits only); fails otherwise.
inline std::int64_t int_of(const Json& value) {
  REQUIRE(value.is_string());
  const auto text = value.get<std::string>();
  const std::size_t start = text.starts_with('-') ? 1 : 0;
  REQUIRE(text.size() > start);
  for (std::size_t i = start; i < text.size(); ++i) {
    REQUIRE(text[i] >= '0');
    REQUIRE(text[i] <= '9');
  }
  return std::stoll(text);
}

// The tick size table of indicators.md §4, written out again here so that the server's own
// table is checked against it rather than against itself.
inline std::int64_t krx_tick(std::int64_t price) {
  const std::pair<std::int64_t, std::int64_t> bands[] = {
      {2'000, 1}, {5'000, 5}, {20'000, 10}, {50'000, 50}, {200'000, 100}, {500'000, 500}};
  for (const auto& [below, tick] : bands) {
    if (price < below) {
      return tick;
    }
  }
  return 1'000;
}

// The KRX calendar from the source tree's holiday files.
inline const calendar::Calendar& source_calendar() {
  static const auto calendar = calendar::Calendar::load(test::source_dir() / "holidays");
  return calendar;
}

// The rows of a body by ISU_CD.
inline std::map<std::string, Json> by_code(const std::vector<Json>& rows) {
  std::map<std::string, Json> out;
  for (const auto& row : rows) {
    out.emplace(row["ISU_CD"].get<std::string>(), row);
  }
  return out;
}

} // namespace krxbatch::fake_krx_test
