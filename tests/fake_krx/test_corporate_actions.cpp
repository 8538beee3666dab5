// Corporate actions in the fake market (corporate_actions.hpp): every kind early in a small
// market, re-based as KRX does it (base = previous close x ratio on the tick, change and
// FLUC_RT against the base), the halts before splits and consolidations, and the listed
// shares. Expectations are computed here from the rows and the control API's list.
#include "test_helpers.hpp"

#include <cmath>
#include <set>

using namespace krxbatch;
using namespace krxbatch::fake_krx_test;

namespace {

// The market starts on 2024-01-02; its first 45 sessions hold the four guaranteed actions of
// each of KOSPI and KOSDAQ (sessions 20-41).
const std::vector<std::string> k_args = {"--now",    "2024-04-01T09:00:00+09:00",
                                         "--start",  "2024-01-02",
                                         "--kospi",  "10",
                                         "--kosdaq", "10",
                                         "--konex",  "4"};

std::vector<core::Date> first_sessions(std::size_t n) {
  auto days = source_calendar().business_days(core::Date(2024, 1, 2), core::Date(2024, 6, 28));
  days.resize(n);
  return days;
}

// The grid price nearest to `x` (a tie goes up), from the tick table of test_helpers.hpp.
std::int64_t nearest_on_grid(double x) {
  std::int64_t best = 0;
  double best_gap = 0.0;
  for (const std::int64_t tick : {1, 5, 10, 50, 100, 500, 1000}) {
    for (const double k :
         {std::floor(x / static_cast<double>(tick)), std::ceil(x / static_cast<double>(tick))}) {
      const auto p = static_cast<std::int64_t>(k) * tick;
      if (p <= 0 || krx_tick(p) != tick) {
        continue;
      }
      const double gap = std::abs(static_cast<double>(p) - x);
      if (best == 0 || gap < best_gap || (gap == best_gap && p > best)) {
        best = p;
        best_gap = gap;
      }
    }
  }
  return best;
}

std::int64_t expected_base(const Json& a) {
  const auto prev = static_cast<double>(a["prev_close"].get<std::int64_t>());
  const double ratio = a["ratio"].get<double>();
  const auto kind = a["kind"].get<std::string>();
  if (kind == "split") {
    return nearest_on_grid(prev / ratio);
  }
  if (kind == "consolidation") {
    return nearest_on_grid(prev * ratio);
  }
  if (kind == "bonus_issue") {
    return nearest_on_grid(prev / (1.0 + ratio));
  }
  const double subscription = a["subscription"].get<double>();
  return nearest_on_grid((prev + ratio * subscription * prev) / (1.0 + ratio));
}

const char* stock_api(const std::string& market) {
  return market == "KOSPI" ? k_stk : market == "KOSDAQ" ? k_ksq : k_knx;
}

Json row_of(const test::FakeKrx& fake, const std::string& market, const core::Date& day,
            const std::string& ticker) {
  for (const auto& row : fetch_rows(fake, stock_api(market), core::to_basdd(day))) {
    if (row["ISU_CD"] == ticker) {
      return row;
    }
  }
  FAIL("no row for " << ticker << " on " << core::to_iso(day));
  return {};
}

} // namespace

TEST_SUITE("fake_krx.actions") {
  TEST_CASE("every kind of corporate action happens early in a small market") {
    test::FakeKrx fake(k_args);
    const auto sessions = first_sessions(45);
    const auto r = fake.request("GET", "/_fake/actions?to=" + core::to_iso(sessions.back()));
    REQUIRE(r.status == 200);
    std::map<std::string, std::set<std::string>> kinds;
    for (const auto& a : Json::parse(r.body)) {
      kinds[a["market"].get<std::string>()].insert(a["kind"].get<std::string>());
      CHECK(a["ex_date"].get<std::string>() <= core::to_iso(sessions.back()));
    }
    const std::set<std::string> all = {"split", "consolidation", "bonus_issue", "rights_offering"};
    CHECK(kinds["KOSPI"] == all);
    CHECK(kinds["KOSDAQ"] == all);
    CHECK(fake.request("GET", "/_fake/actions?from=2024-13-01").status == 400);
  }

  TEST_CASE("an ex-date's base is the previous close times the ratio on the tick, and the "
            "change, rate, limits and listed shares follow KRX") {
    test::FakeKrx fake(k_args);
    const auto& cal = source_calendar();
    const auto actions = Json::parse(fake.request("GET", "/_fake/actions?to=2024-03-08").body);
    REQUIRE(actions.size() >= 8);
    for (const auto& a : actions) {
      CAPTURE(a.dump());
      const auto market = a["market"].get<std::string>();
      const auto ticker = a["ticker"].get<std::string>();
      const auto ex = *core::parse_iso_date(a["ex_date"].get<std::string>());
      const auto before = row_of(fake, market, cal.previous_business_day(ex), ticker);
      const auto row = row_of(fake, market, ex, ticker);
      CHECK(int_of(before["TDD_CLSPRC"]) == a["prev_close"].get<std::int64_t>());
      const auto change = int_of(row["CMPPREVDD_PRC"]);
      const auto base = int_of(row["TDD_CLSPRC"]) - change;
      CHECK(base == expected_base(a));
      CHECK(base == a["base_price"].get<std::int64_t>());
      CHECK(base != a["prev_close"].get<std::int64_t>());
      CHECK(base % krx_tick(base) == 0);
      CHECK(std::llabs(change) * 10 <= base * 3); // within the day's limits around the base
      const auto rate =
          std::llround(10000.0 * static_cast<double>(change) / static_cast<double>(base));
      CHECK(std::llround(std::stod(row["FLUC_RT"].get<std::string>()) * 100.0) == rate);
      const auto shares_before = int_of(before["LIST_SHRS"]);
      const auto shares = int_of(row["LIST_SHRS"]);
      const auto kind = a["kind"].get<std::string>();
      const double ratio = a["ratio"].get<double>();
      if (kind == "split") {
        CHECK(shares == std::llround(static_cast<double>(shares_before) * ratio));
      } else if (kind == "consolidation") {
        CHECK(shares == std::llround(static_cast<double>(shares_before) / ratio));
      } else {
        // New shares are listed later, not on the ex-date.
        CHECK(shares == shares_before);
        const auto listed = *core::parse_iso_date(a["shares_from"].get<std::string>());
        CHECK(listed > ex);
        if (listed <= core::Date(2024, 3, 29)) {
          CHECK(int_of(row_of(fake, market, listed, ticker)["LIST_SHRS"]) ==
                shares_before + std::llround(static_cast<double>(shares_before) * ratio));
        }
      }
    }
  }

  TEST_CASE("a split or consolidation halts trading for the three sessions before its ex-date") {
    test::FakeKrx fake(k_args);
    const auto& cal = source_calendar();
    int halted = 0;
    for (const auto& a : Json::parse(fake.request("GET", "/_fake/actions?to=2024-03-08").body)) {
      const auto kind = a["kind"].get<std::string>();
      const auto ex = *core::parse_iso_date(a["ex_date"].get<std::string>());
      const auto halt = *core::parse_iso_date(a["halt_from"].get<std::string>());
      if (kind == "bonus_issue" || kind == "rights_offering") {
        CHECK(halt == ex);
        continue;
      }
      CAPTURE(a.dump());
      const auto days = cal.business_days(halt, cal.previous_business_day(ex));
      REQUIRE(days.size() == 3);
      const auto market = a["market"].get<std::string>();
      const auto ticker = a["ticker"].get<std::string>();
      auto previous_close =
          int_of(row_of(fake, market, cal.previous_business_day(halt), ticker)["TDD_CLSPRC"]);
      for (const auto& d : days) {
        const auto row = row_of(fake, market, d, ticker);
        CHECK(row["ACC_TRDVOL"] == "0");
        CHECK(row["TDD_OPNPRC"] == "0");
        CHECK(row["TDD_HGPRC"] == "0");
        CHECK(row["TDD_LWPRC"] == "0");
        CHECK(row["CMPPREVDD_PRC"] == "0");
        CHECK(int_of(row["TDD_CLSPRC"]) == previous_close);
        previous_close = int_of(row["TDD_CLSPRC"]);
        ++halted;
      }
    }
    CHECK(halted >= 12); // two of each kind at least: 4 x 3 halted sessions
  }
}
