// Pure units of the server, in-process: the tick grid and limits, number formatting, and the
// fault plan's matching. Each is checked against a table or rule written out here.
#include "fake_krx/fault_plan.hpp"
#include "fake_krx/ticks.hpp"
#include "fake_krx/wire_format.hpp"
#include "test_helpers.hpp"

#include <stdexcept>

using namespace krxbatch;
using namespace krxbatch::fake_krx;

TEST_SUITE("fake_krx.units") {
  TEST_CASE("tick sizes follow KRX's table at every band edge") {
    for (const std::int64_t edge : {2'000, 5'000, 20'000, 50'000, 200'000, 500'000}) {
      for (const std::int64_t price : {edge - 1, edge, edge + 1}) {
        CAPTURE(price);
        CHECK(tick_size(price) == fake_krx_test::krx_tick(price));
      }
    }
    CHECK(tick_size(1) == 1);
    CHECK(tick_size(3'000'000) == 1'000);
  }

  TEST_CASE("rounding lands on the grid, floor and ceil on the right side") {
    for (double p = 1.0; p < 900'000.0; p = p * 1.013 + 0.37) {
      CAPTURE(p);
      const auto r = round_to_tick(p);
      const auto f = floor_to_tick(p);
      const auto c = ceil_to_tick(p);
      CHECK(r % fake_krx_test::krx_tick(r) == 0);
      CHECK(f % fake_krx_test::krx_tick(f) == 0);
      CHECK(c % fake_krx_test::krx_tick(c) == 0);
      CHECK(static_cast<double>(f) <= p);
      CHECK(static_cast<double>(c) >= p);
      CHECK(f <= r);
      CHECK(r <= c);
    }
  }

  TEST_CASE("daily limits are base +- 30% of the base truncated to its tick, on the grid") {
    for (std::int64_t base = 1; base < 2'000'000; base = base * 21 / 20 + 7) {
      base -= base % fake_krx_test::krx_tick(base);
      CAPTURE(base);
      const auto tick = fake_krx_test::krx_tick(base);
      const auto width = base * 3 / 10 / tick * tick;
      const auto up = upper_limit(base);
      const auto down = lower_limit(base);
      CHECK(up <= base + width);
      CHECK(up + fake_krx_test::krx_tick(up) > base + width); // the highest grid price within
      CHECK(up % fake_krx_test::krx_tick(up) == 0);
      CHECK(down >= std::max<std::int64_t>(1, base - width));
      CHECK(down % fake_krx_test::krx_tick(down) == 0);
    }
    CHECK(upper_limit(10'000) == 13'000);
    CHECK(lower_limit(10'000) == 7'000);
    CHECK(upper_limit(1'995) == 2'590); // width 598, 2593 truncated to the 5-won tick
  }

  TEST_CASE("hundredths are written with two decimals and rates round half away from zero") {
    CHECK(format_hundredths(-894) == "-8.94");
    CHECK(format_hundredths(5) == "0.05");
    CHECK(format_hundredths(0) == "0.00");
    CHECK(format_hundredths(257808) == "2578.08");
    CHECK(rate_hundredths(-75, 3275) == -229); // 가이아코퍼레이션 -2.29 (krx-open-api.md §1.8)
    CHECK(rate_hundredths(2100, 71000) == 296); // CJ4우(전환) 2.96
    CHECK(rate_hundredths(1, 200) == 50);
    CHECK(rate_hundredths(-1, 80000) == -0); // rounds to zero: "0.00", never "-0.00"
    CHECK(format_hundredths(rate_hundredths(-1, 80000)) == "0.00");
  }

  TEST_CASE("the fault plan uses the first matching rule and drops it when used up") {
    FaultPlan plan;
    plan.add(parse_fault_rules(R"([
      {"api":"ksq","date":"2024-06-27","fault":"empty","times":2},
      {"date":"20240627","fault":"reset"}
    ])"));
    const core::Date day(2024, 6, 27);
    CHECK_FALSE(plan.take(Api::ksq_bydd_trd, core::Date(2024, 6, 26)));
    CHECK_FALSE(plan.take(Api::ksq_bydd_trd, std::nullopt));
    CHECK(plan.take(Api::ksq_bydd_trd, day)->kind == FaultKind::empty);
    CHECK(plan.take(Api::stk_bydd_trd, day)->kind == FaultKind::reset);
    CHECK(plan.take(Api::ksq_bydd_trd, day)->kind == FaultKind::empty);
    CHECK(plan.size() == 0);
    CHECK_FALSE(plan.take(Api::ksq_bydd_trd, day));
    CHECK_THROWS_AS(parse_fault_rules(R"({"fault":"reset","ms":"5"})"), std::invalid_argument);
  }
}
