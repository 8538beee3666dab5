// The data bodies: the KRX Open API wire format (krx-open-api.md §1.4-1.8), checked against
// expectations computed here from the rows themselves and the spec, not by the server's code.
#include "test_helpers.hpp"

#include <algorithm>
#include <array>
#include <set>

using namespace krxbatch;
using namespace krxbatch::fake_krx_test;

namespace {

constexpr std::array<const char*, 15> k_stock_keys = {
    "BAS_DD",     "ISU_CD",        "ISU_NM",     "MKT_NM",     "SECT_TP_NM",
    "TDD_CLSPRC", "CMPPREVDD_PRC", "FLUC_RT",    "TDD_OPNPRC", "TDD_HGPRC",
    "TDD_LWPRC",  "ACC_TRDVOL",    "ACC_TRDVAL", "MKTCAP",     "LIST_SHRS"};
constexpr std::array<const char*, 12> k_index_keys = {
    "BAS_DD",     "IDX_CLSS",  "IDX_NM",    "CLSPRC_IDX", "CMPPREVDD_IDX", "FLUC_RT",
    "OPNPRC_IDX", "HGPRC_IDX", "LWPRC_IDX", "ACC_TRDVOL", "ACC_TRDVAL",    "MKTCAP"};
const std::set<std::string> k_kosdaq_sections = {"우량기업부",
                                                 "중견기업부",
                                                 "벤처기업부",
                                                 "기술성장기업부",
                                                 "SPAC(소속부없음)",
                                                 "관리종목(소속부없음)",
                                                 "투자주의환기종목(소속부없음)",
                                                 "외국기업(소속부없음)"};

bool is_two_decimals(const std::string& s) {
  const std::size_t start = s.starts_with('-') ? 1 : 0;
  const auto dot = s.find('.');
  if (dot == std::string::npos || dot == start || s.size() != dot + 3) {
    return false;
  }
  for (std::size_t i = start; i < s.size(); ++i) {
    if (i != dot && (s[i] < '0' || s[i] > '9')) {
      return false;
    }
  }
  return true;
}

// Hundredths from "-8.94".
std::int64_t hundredths_of(const Json& v) {
  const auto s = v.get<std::string>();
  REQUIRE(is_two_decimals(s));
  const bool negative = s.starts_with('-');
  std::string digits;
  for (const char c : s) {
    if (c >= '0' && c <= '9') {
      digits += c;
    }
  }
  const auto magnitude = std::stoll(digits);
  return negative ? -magnitude : magnitude;
}

// FLUC_RT as KRX writes it: the change over the base in percent, two decimals.
std::string expected_rate(std::int64_t change, std::int64_t base) {
  const long double percent =
      100.0L * static_cast<long double>(change) / static_cast<long double>(base);
  const auto hundredths = static_cast<std::int64_t>(std::llround(percent * 100.0L));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", hundredths < 0 ? "-" : "",
                static_cast<long long>(std::llabs(hundredths) / 100),
                static_cast<long long>(std::llabs(hundredths) % 100));
  return buf;
}

bool is_code(const std::string& code) {
  return code.size() == 6 && std::all_of(code.begin(), code.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
         });
}

std::vector<std::string> sessions_between(const char* from, const char* to) {
  std::vector<std::string> out;
  for (const auto& d :
       source_calendar().business_days(*core::parse_iso_date(from), *core::parse_iso_date(to))) {
    out.push_back(core::to_basdd(d));
  }
  return out;
}

} // namespace

TEST_SUITE("fake_krx.wire") {
  TEST_CASE("stock rows carry every value as a string in the spec's key order") {
    test::FakeKrx fake({"--now", k_late_now});
    const struct {
      const char* api;
      const char* market;
    } markets[] = {{k_stk, "KOSPI"}, {k_ksq, "KOSDAQ"}, {k_knx, "KONEX"}};
    for (const auto& m : markets) {
      CAPTURE(m.api);
      const auto r = fake.api(m.api, "20240627");
      REQUIRE(r.status == 200);
      CHECK(r.header("Content-Type") == "application/json; charset=UTF-8");
      CHECK(r.body.starts_with(R"({"OutBlock_1":[{"BAS_DD":"20240627","ISU_CD":")"));
      const auto rows = rows_of(r.body);
      REQUIRE(rows.size() > 5);
      std::string previous_name;
      for (const auto& row : rows) {
        CAPTURE(row.dump());
        REQUIRE(row.size() == k_stock_keys.size());
        std::size_t i = 0;
        for (const auto& [key, value] : row.items()) {
          CHECK(key == k_stock_keys.at(i++));
          CHECK(value.is_string());
        }
        CHECK(row["BAS_DD"] == "20240627");
        CHECK(row["MKT_NM"] == m.market);
        CHECK(is_code(row["ISU_CD"].get<std::string>()));
        CHECK(!row["ISU_NM"].get<std::string>().empty());
        for (const char* key : {"TDD_CLSPRC", "CMPPREVDD_PRC", "TDD_OPNPRC", "TDD_HGPRC",
                                "TDD_LWPRC", "ACC_TRDVOL", "ACC_TRDVAL", "MKTCAP", "LIST_SHRS"}) {
          int_of(row[key]); // digits only: no thousands separator, no "-"
        }
        CHECK(is_two_decimals(row["FLUC_RT"].get<std::string>()));
        CHECK(int_of(row["MKTCAP"]) == int_of(row["TDD_CLSPRC"]) * int_of(row["LIST_SHRS"]));
        const auto section = row["SECT_TP_NM"].get<std::string>();
        if (std::string(m.market) == "KOSPI") {
          CHECK(section == "-");
        } else if (std::string(m.market) == "KOSDAQ") {
          CHECK(k_kosdaq_sections.contains(section));
        } else {
          CHECK(section == "일반기업부");
        }
        // Listed by name, as the real files are.
        CHECK(previous_name <= row["ISU_NM"].get<std::string>());
        previous_name = row["ISU_NM"].get<std::string>();
      }
    }
  }

  TEST_CASE("changes and rates are computed from the previous session's close, re-based on an "
            "ex-date") {
    test::FakeKrx fake({"--now", k_late_now});
    // The re-based prices of every corporate action (test_corporate_actions.cpp checks them).
    std::map<std::pair<std::string, std::string>, std::int64_t> rebased;
    for (const auto& a : Json::parse(fake.request("GET", "/_fake/actions").body)) {
      const auto day = a["ex_date"].get<std::string>();
      rebased[{day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2), a["ticker"]}] =
          a["base_price"].get<std::int64_t>();
    }
    for (const char* api : {k_stk, k_ksq, k_knx}) {
      CAPTURE(api);
      // 2024-06-27 follows 2024-06-26; 2024-05-07 follows 2024-05-03 (a holiday and a weekend).
      for (const auto& [before, day] :
           {std::pair{"20240626", "20240627"}, std::pair{"20240503", "20240507"}}) {
        const auto previous = by_code(fetch_rows(fake, api, before));
        std::size_t compared = 0;
        for (const auto& row : fetch_rows(fake, api, day)) {
          const auto it = previous.find(row["ISU_CD"].get<std::string>());
          if (it == previous.end()) {
            continue; // listed that day
          }
          CAPTURE(row.dump());
          const auto action = rebased.find({day, row["ISU_CD"].get<std::string>()});
          const auto base =
              action != rebased.end() ? action->second : int_of(it->second["TDD_CLSPRC"]);
          const auto change = int_of(row["TDD_CLSPRC"]) - base;
          CHECK(int_of(row["CMPPREVDD_PRC"]) == change);
          CHECK(row["FLUC_RT"] == expected_rate(change, base));
          ++compared;
        }
        CHECK(compared > 5);
      }
    }
  }

  TEST_CASE("prices sit on the tick grid and daily moves stay within 30 percent") {
    test::FakeKrx fake({"--now", k_late_now});
    std::int64_t largest_move_bp = 0; // basis points
    for (const char* api : {k_stk, k_ksq, k_knx}) {
      for (const auto& day : sessions_between("2023-03-02", "2023-06-30")) {
        for (const auto& row : fetch_rows(fake, api, day)) {
          CAPTURE(row.dump());
          const auto close = int_of(row["TDD_CLSPRC"]);
          CHECK(close % krx_tick(close) == 0);
          if (int_of(row["ACC_TRDVOL"]) > 0) {
            for (const char* key : {"TDD_OPNPRC", "TDD_HGPRC", "TDD_LWPRC"}) {
              const auto price = int_of(row[key]);
              CHECK(price > 0);
              CHECK(price % krx_tick(price) == 0);
            }
          }
          const auto change = int_of(row["CMPPREVDD_PRC"]);
          const auto base = close - change;
          const std::int64_t move = change < 0 ? -change : change;
          CHECK(move * 10 <= base * 3);
          largest_move_bp = std::max(largest_move_bp, move * 10'000 / base);
        }
      }
    }
    // Over a few months of three markets, some issue moves by more than 10% in a day.
    CHECK(largest_move_bp > 1'000);
  }

  TEST_CASE("traded rows are consistent: low <= open, close <= high and value within the range") {
    test::FakeKrx fake({"--now", k_late_now});
    for (const char* api : {k_stk, k_ksq, k_knx}) {
      for (const auto& day : sessions_between("2024-03-04", "2024-03-29")) {
        for (const auto& row : fetch_rows(fake, api, day)) {
          const auto volume = int_of(row["ACC_TRDVOL"]);
          if (volume == 0) {
            continue;
          }
          CAPTURE(row.dump());
          const auto open = int_of(row["TDD_OPNPRC"]);
          const auto high = int_of(row["TDD_HGPRC"]);
          const auto low = int_of(row["TDD_LWPRC"]);
          const auto close = int_of(row["TDD_CLSPRC"]);
          CHECK(low <= std::min(open, close));
          CHECK(high >= std::max(open, close));
          const auto value = int_of(row["ACC_TRDVAL"]);
          CHECK(value >= volume * low);
          CHECK(value <= volume * high);
        }
      }
    }
  }

  TEST_CASE("rows of issues that did not trade look like the real suspended rows") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto days = sessions_between("2024-04-01", "2024-04-30");
    std::map<std::string, int> no_trade_rows;
    int konex_moved_without_trade = 0;
    for (const char* api : {k_stk, k_ksq, k_knx}) {
      std::map<std::string, Json> previous;
      for (const auto& day : days) {
        const auto rows = fetch_rows(fake, api, day);
        for (const auto& row : rows) {
          if (row["ACC_TRDVOL"] != "0") {
            continue;
          }
          CAPTURE(row.dump());
          ++no_trade_rows[api];
          CHECK(row["TDD_OPNPRC"] == "0");
          CHECK(row["TDD_HGPRC"] == "0");
          CHECK(row["TDD_LWPRC"] == "0");
          CHECK(row["ACC_TRDVAL"] == "0");
          CHECK(int_of(row["TDD_CLSPRC"]) > 0);
          CHECK(int_of(row["MKTCAP"]) == int_of(row["TDD_CLSPRC"]) * int_of(row["LIST_SHRS"]));
          const auto before = previous.find(row["ISU_CD"].get<std::string>());
          if (before == previous.end()) {
            continue;
          }
          const auto moved = int_of(row["TDD_CLSPRC"]) - int_of(before->second["TDD_CLSPRC"]);
          if (std::string(api) == k_knx) {
            // A KONEX quote may move without a trade (krx-open-api.md §3, pitfall 4).
            konex_moved_without_trade += moved != 0 ? 1 : 0;
            CHECK(int_of(row["CMPPREVDD_PRC"]) == moved);
          } else {
            CHECK(moved == 0);
            CHECK(row["CMPPREVDD_PRC"] == "0");
            CHECK(row["FLUC_RT"] == "0.00");
          }
        }
        previous = by_code(rows);
      }
    }
    CHECK(no_trade_rows[k_stk] > 0);
    CHECK(no_trade_rows[k_ksq] > 0);
    CHECK(no_trade_rows[k_knx] > 0);
    CHECK(konex_moved_without_trade > 0);
  }

  TEST_CASE("old-style and new-style alphanumeric codes appear among the issues") {
    test::FakeKrx fake({"--now", k_late_now});
    bool old_style = false; // `00104K`: five digits and a letter
    bool new_style = false; // `0126Z0`: a letter in the fifth position
    for (const char* api : {k_stk, k_ksq, k_knx}) {
      for (const auto& row : fetch_rows(fake, api, "20240627")) {
        const auto code = row["ISU_CD"].get<std::string>();
        const auto digits =
            std::count_if(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
        old_style = old_style || (digits == 5 && code[5] >= 'A' && code[5] <= 'Z');
        new_style = new_style || (digits == 5 && code[4] >= 'A' && code[4] <= 'Z');
      }
    }
    CHECK(old_style);
    CHECK(new_style);
  }

  TEST_CASE("market caps straddle 100 billion won") {
    test::FakeKrx fake({"--now", k_late_now});
    std::size_t large = 0;
    std::size_t all = 0;
    for (const char* api : {k_stk, k_ksq}) {
      std::size_t market_large = 0;
      const auto rows = fetch_rows(fake, api, "20240627");
      for (const auto& row : rows) {
        market_large += int_of(row["MKTCAP"]) >= 100'000'000'000 ? 1U : 0U;
      }
      CAPTURE(api);
      CHECK(market_large > 0);
      CHECK(market_large < rows.size());
      large += market_large;
      all += rows.size();
    }
    for (const auto& row : fetch_rows(fake, k_knx, "20240627")) {
      large += int_of(row["MKTCAP"]) >= 100'000'000'000 ? 1U : 0U;
      ++all;
    }
    CHECK(large * 100 >= all * 25);
    CHECK(large * 100 <= all * 55);
  }

  TEST_CASE("index rows follow the spec, and each composite sums its market") {
    test::FakeKrx fake({"--now", k_late_now});
    const struct {
      const char* api;
      const char* stocks;
      const char* index_class;
      const char* composite;
      const char* other;
      const char* priceless;
    } families[] = {{k_kospi, k_stk, "KOSPI", "코스피", "코스피 200", "코스피 (외국주포함)"},
                    {k_kosdaq, k_ksq, "KOSDAQ", "코스닥", "코스닥 150", "코스닥 (외국주포함)"}};
    for (const auto& f : families) {
      CAPTURE(f.api);
      const auto rows = fetch_rows(fake, f.api, "20240627");
      CHECK(rows.size() >= 4);
      std::map<std::string, Json> by_name;
      for (const auto& row : rows) {
        CAPTURE(row.dump());
        REQUIRE(row.size() == k_index_keys.size());
        std::size_t i = 0;
        for (const auto& [key, value] : row.items()) {
          CHECK(key == k_index_keys.at(i++));
          CHECK(value.is_string());
        }
        CHECK(row["BAS_DD"] == "20240627");
        CHECK(row["IDX_CLSS"] == f.index_class);
        for (const char* key : {"ACC_TRDVOL", "ACC_TRDVAL", "MKTCAP"}) {
          CHECK(int_of(row[key]) > 0);
        }
        if (row["CLSPRC_IDX"] != "-") {
          for (const char* key :
               {"CLSPRC_IDX", "CMPPREVDD_IDX", "FLUC_RT", "OPNPRC_IDX", "HGPRC_IDX", "LWPRC_IDX"}) {
            CHECK(is_two_decimals(row[key].get<std::string>()));
          }
          const auto high = hundredths_of(row["HGPRC_IDX"]);
          const auto low = hundredths_of(row["LWPRC_IDX"]);
          CHECK(low <=
                std::min(hundredths_of(row["OPNPRC_IDX"]), hundredths_of(row["CLSPRC_IDX"])));
          CHECK(high >=
                std::max(hundredths_of(row["OPNPRC_IDX"]), hundredths_of(row["CLSPRC_IDX"])));
        }
        by_name.emplace(row["IDX_NM"].get<std::string>(), row);
      }
      REQUIRE(by_name.contains(f.composite));
      CHECK(by_name.contains(f.other));
      REQUIRE(by_name.contains(f.priceless));
      for (const char* key :
           {"CLSPRC_IDX", "CMPPREVDD_IDX", "FLUC_RT", "OPNPRC_IDX", "HGPRC_IDX", "LWPRC_IDX"}) {
        CHECK(by_name[f.priceless][key] == "-");
      }
      // The composite holds every issue of its market.
      std::int64_t cap = 0;
      std::int64_t volume = 0;
      std::int64_t value = 0;
      for (const auto& row : fetch_rows(fake, f.stocks, "20240627")) {
        cap += int_of(row["MKTCAP"]);
        volume += int_of(row["ACC_TRDVOL"]);
        value += int_of(row["ACC_TRDVAL"]);
      }
      const auto& composite = by_name[f.composite];
      CHECK(int_of(composite["MKTCAP"]) == cap);
      CHECK(int_of(composite["ACC_TRDVOL"]) == volume);
      CHECK(int_of(composite["ACC_TRDVAL"]) == value);
    }
  }

  TEST_CASE("the KOSPI composite moves by the cap-weighted return over the base of the issues "
            "listed both days") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto days = sessions_between("2023-01-02", "2023-03-31");
    std::map<std::string, Json> previous_rows;
    std::optional<std::int64_t> previous_level;
    std::size_t checked = 0;
    for (const auto& day : days) {
      CAPTURE(day);
      const auto rows = fetch_rows(fake, k_stk, day);
      std::optional<std::int64_t> level;
      for (const auto& row : fetch_rows(fake, k_kospi, day)) {
        if (row["IDX_NM"] == "코스피") {
          level = hundredths_of(row["CLSPRC_IDX"]);
          if (previous_level) {
            CHECK(hundredths_of(row["CMPPREVDD_IDX"]) == *level - *previous_level);
          }
        }
      }
      REQUIRE(level);
      if (previous_level) {
        long double now_cap = 0;
        long double then_cap = 0;
        for (const auto& row : rows) {
          const auto before = previous_rows.find(row["ISU_CD"].get<std::string>());
          if (before != previous_rows.end()) {
            // Against the base (close - change): a corporate action re-bases it and the
            // shares, and must not move the index.
            const auto shares = static_cast<long double>(int_of(row["LIST_SHRS"]));
            const auto close = int_of(row["TDD_CLSPRC"]);
            now_cap += static_cast<long double>(close) * shares;
            then_cap += static_cast<long double>(close - int_of(row["CMPPREVDD_PRC"])) * shares;
          }
        }
        const long double expected = static_cast<long double>(*previous_level) * now_cap / then_cap;
        // Both levels are rounded to hundredths: at most one hundredth apart, plus slack.
        CHECK(std::fabs(static_cast<double>(expected) - static_cast<double>(*level)) <= 1.5);
        ++checked;
      }
      previous_rows = by_code(rows);
      previous_level = level;
    }
    CHECK(checked > 40);
  }
}
