// The re-base rule (market/rebase.hpp) and the back-adjustment (analysis/adjustment.hpp).
#include "krxbatch/analysis/adjustment.hpp"
#include "krxbatch/market/rebase.hpp"
#include "krxbatch/market/types.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace krxbatch;
using core::Date;
using market::CloseRow;

TEST_SUITE("market.rebase") {
  TEST_CASE("the base is close minus change, and a base off the previous close is a re-base") {
    // 케이에스피 (073010) on 2024-01-05: close 3,005, change +10 against the base 2,995, the
    // theoretical ex-rights price; 3,040 the session before.
    const CloseRow before{"073010", 3040, -15, 11'000'000};
    const CloseRow ex{"073010", 3005, 10, 11'000'000};
    CHECK(market::base_price(ex) == 2995);
    const auto r = market::rebase_of(before, ex);
    REQUIRE(r);
    CHECK(r->ticker == "073010");
    CHECK(r->prev_close == 3040);
    CHECK(r->base_price == 2995);
    CHECK(r->factor() == 2995.0 / 3040.0);
    CHECK(r->prev_listed_shares == 11'000'000);
  }

  TEST_CASE("an ordinary day, a missing change or a previous close of 0 is no re-base") {
    const CloseRow before{"005930", 70000, 0, 100};
    CHECK_FALSE(market::rebase_of(before, {"005930", 70500, 500, 100}));
    CHECK_FALSE(market::rebase_of(before, {"005930", 35000, std::nullopt, 200}));
    CHECK_FALSE(market::base_price({"005930", 35000, std::nullopt, 200}));
    CHECK_FALSE(market::rebase_of({"005930", 0, 0, 100}, {"005930", 35000, 0, 200}));
    // A day without trades keeps the base as its close: no re-base either.
    CHECK_FALSE(market::rebase_of(before, {"005930", 70000, 0, 100}));
  }

  TEST_CASE("a session's re-bases compare each issue with its own previous row only") {
    const std::vector<CloseRow> previous = {
        {"000010", 1000, 0, 10}, {"000020", 2000, 0, 10}, {"000040", 4000, 0, 10}};
    const std::vector<CloseRow> today = {
        {"000010", 1010, 10, 10},  // ordinary
        {"000020", 1005, 5, 20},   // split 1:2: base 1,000 against 2,000
        {"000030", 5000, 100, 10}, // absent before (a listing): nothing to compare
        {"000050", 700, -300, 10}, // absent before too
    };
    const auto found = market::find_rebases(previous, today);
    REQUIRE(found.size() == 1);
    CHECK(found[0].ticker == "000020");
    CHECK(found[0].base_price == 1000);
    CHECK(market::find_rebases({}, today).empty());
  }

  TEST_CASE("the kind hint reads the listed shares against the inverse of the factor") {
    using market::RebaseKind;
    const auto kind = [](std::int64_t prev, std::int64_t base, std::int64_t shares_before,
                         std::int64_t shares) {
      return market::kind_of({"000010", prev, base, shares_before, shares});
    };
    CHECK(kind(2'650'000, 53'000, 1000, 50'000) == RebaseKind::split);
    CHECK(kind(5350, 5350 * 5, 5000, 1000) == RebaseKind::consolidation);
    // A tick of rounding in the base is tolerated.
    CHECK(kind(10320, 1035, 100, 1000) == RebaseKind::split);
    // A rights offering or bonus issue lists its shares later: no change on the ex-date.
    CHECK(kind(3040, 2995, 1000, 1000) == RebaseKind::other);
    CHECK(kind(3000, 1500, 1000, 1000) == RebaseKind::other);
    // Shares that changed by another ratio.
    CHECK(kind(3000, 1500, 1000, 3000) == RebaseKind::other);
    CHECK(market::to_string(RebaseKind::other) == "rights/bonus/other");
  }
}

TEST_SUITE("analysis.adjustment") {
  const std::vector<analysis::Adjustment> k_events = {{Date(2024, 1, 10), 0.5},
                                                      {Date(2024, 1, 20), 0.8}};

  TEST_CASE("cumulative factors multiply from the newest event back") {
    const auto c = analysis::cumulative_factors(k_events);
    REQUIRE(c.size() == 2);
    CHECK(c[1] == 0.8);
    CHECK(c[0] == 0.5 * 0.8);
    CHECK(analysis::cumulative_factors({}).empty());
  }

  TEST_CASE("a bar takes the factor of the first event after it, the ex-date and later bars none") {
    const std::vector<Date> dates = {Date(2024, 1, 9), Date(2024, 1, 10), Date(2024, 1, 19),
                                     Date(2024, 1, 20), Date(2024, 1, 22)};
    const auto f = analysis::bar_factors(dates, k_events);
    CHECK(f == std::vector<double>{0.5 * 0.8, 0.8, 0.8, 1.0, 1.0});
    CHECK(analysis::bar_factors(dates, {}) == std::vector<double>(5, 1.0));
  }

  TEST_CASE("back-adjusting multiplies prices and divides volume, leaving later bars alone") {
    std::vector<double> open = {100, 50};
    std::vector<double> high = {110, 55};
    std::vector<double> low = {90, 45};
    std::vector<double> close = {104, 52};
    std::vector<double> volume = {1000, 2000};
    const std::vector<Date> dates = {Date(2024, 1, 9), Date(2024, 1, 10)};
    analysis::back_adjust({open, high, low, close, volume}, dates, k_events);
    // Both events come after the first bar, only the second after the other.
    CHECK(open == std::vector<double>{100 * (0.5 * 0.8), 50 * 0.8});
    CHECK(high == std::vector<double>{110 * (0.5 * 0.8), 55 * 0.8});
    CHECK(low == std::vector<double>{90 * (0.5 * 0.8), 45 * 0.8});
    CHECK(close == std::vector<double>{104 * (0.5 * 0.8), 52 * 0.8});
    CHECK(volume == std::vector<double>{1000 / (0.5 * 0.8), 2000 / 0.8});
    // Point in time: without the events after the last bar, its prices are KRX's.
    std::vector<double> c2 = {104, 52};
    std::vector<double> o2 = c2;
    std::vector<double> h2 = c2;
    std::vector<double> l2 = c2;
    std::vector<double> v2 = {1000, 2000};
    analysis::back_adjust({o2, h2, l2, c2, v2}, dates, std::span(k_events).first(1));
    CHECK(c2 == std::vector<double>{104 * 0.5, 52});
    CHECK(v2 == std::vector<double>{1000 / 0.5, 2000});
  }
}

TEST_SUITE("market.types") {
  TEST_CASE("ticker keys order tickers as their text does") {
    std::vector<std::string> tickers = {"005930", "00104K", "0126Z0", "000660", "A00000",
                                        "ZZZZZZ", "100000", "0099X0", "00104",  ""};
    auto by_text = tickers;
    std::sort(by_text.begin(), by_text.end());
    auto by_key = tickers;
    std::sort(by_key.begin(), by_key.end(), [](const auto& a, const auto& b) {
      return market::ticker_key(a) < market::ticker_key(b);
    });
    CHECK(by_key == by_text);
    CHECK(market::ticker_key("005930") != market::ticker_key("005931"));
  }
}
