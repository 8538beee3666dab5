// The score's risk, liquidity and return measures on series small enough to check by hand.
#include "krxbatch/analysis/bars.hpp"
#include "krxbatch/analysis/measures.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace krxbatch;
using doctest::Approx;
using V = std::vector<double>;

namespace {

analysis::BarSeries bars_from(const V& close, const V& volume) {
  analysis::BarSeries s;
  for (std::size_t i = 0; i < close.size(); ++i) {
    s.push_back(close[i], close[i], close[i], close[i], volume[i]);
  }
  return s;
}

V rising(std::size_t n, double from = 100.0) {
  V c;
  for (std::size_t i = 0; i < n; ++i) {
    c.push_back(from + static_cast<double>(i));
  }
  return c;
}

} // namespace

TEST_SUITE("analysis.measures") {
  TEST_CASE("volatility is the sample sd of daily log returns over the window") {
    // Log returns +a, −a, +a, −a: mean 0, sample variance 4a²/3.
    const double a = std::log(1.1);
    const V c = {50.0, 100.0, 110.0, 100.0, 110.0, 100.0};
    CHECK(analysis::log_return_volatility(c, 4) == Approx(std::sqrt(4.0 * a * a / 3.0)));
    CHECK(analysis::log_return_volatility(V(61, 100.0)) == 0.0);
    CHECK(std::isnan(analysis::log_return_volatility(V(60, 100.0))));
    CHECK(std::isnan(analysis::log_return_volatility(V{100.0, 0.0, 100.0}, 2)));
  }

  TEST_CASE("max drawdown is the deepest fall from a running peak inside the window") {
    const V c = {300.0, 100.0, 120.0, 60.0, 90.0, 130.0};
    // Within the last 5: peak 120 then 60 → 50 %.
    CHECK(analysis::max_drawdown(c, 5) == Approx(0.5));
    // The whole series: 300 → 60 is 80 %.
    CHECK(analysis::max_drawdown(c, 6) == Approx(0.8));
    CHECK(analysis::max_drawdown(rising(10), 10) == 0.0);
    CHECK(std::isnan(analysis::max_drawdown(c, 7)));
  }

  TEST_CASE("ulcer index is the RMS percentage drawdown from the running peak") {
    const V c = {100.0, 90.0, 100.0, 80.0};
    // R = 0, −10, 0, −20 → sqrt((100 + 400)/4).
    CHECK(analysis::ulcer_index(c, 4) == Approx(std::sqrt(125.0)));
    CHECK(analysis::ulcer_index(rising(120)) == 0.0);
    CHECK(std::isnan(analysis::ulcer_index(c, 5)));
  }

  TEST_CASE("average traded value uses the value column when given, else close x volume") {
    auto s = bars_from({10.0, 20.0, 30.0}, {1.0, 2.0, 0.0});
    CHECK(analysis::average_traded_value(s.view(), 2) == Approx((40.0 + 0.0) / 2.0));
    s.value = {5.0, 7.0, 9.0};
    CHECK(analysis::average_traded_value(s.view(), 2) == Approx(8.0));
    CHECK(std::isnan(analysis::average_traded_value(s.view(), 4)));
  }

  TEST_CASE("Amihud averages |return| per KRW traded and skips days without trades") {
    // Returns: +10 % on 1,100 KRW traded, 0 % suspended (skipped), −50 % on 550 KRW.
    const auto s = bars_from({100.0, 110.0, 110.0, 55.0}, {5.0, 10.0, 0.0, 10.0});
    CHECK(analysis::amihud_illiquidity(s.view(), 3) == Approx((0.1 / 1100.0 + 0.5 / 550.0) / 2.0));
    const auto idle = bars_from({100.0, 100.0, 100.0}, {5.0, 0.0, 0.0});
    CHECK(std::isnan(analysis::amihud_illiquidity(idle.view(), 2)));
    CHECK(std::isnan(analysis::amihud_illiquidity(s.view(), 4)));
  }

  TEST_CASE("MAX(k) is the mean of the k largest daily returns in the window") {
    // Returns: +30 %, −10 %, +10 %, 0 %, +20 %.
    const V c = {100.0, 130.0, 117.0, 128.7, 128.7, 154.44};
    CHECK(analysis::max_daily_return(c, 5, 2) == Approx((0.3 + 0.2) / 2.0));
    CHECK(analysis::max_daily_return(c, 5, 5) == Approx((0.3 - 0.1 + 0.1 + 0.0 + 0.2) / 5.0));
    CHECK(std::isnan(analysis::max_daily_return(c, 6, 2)));
    CHECK(std::isnan(analysis::max_daily_return(c, 5, 6)));
  }

  TEST_CASE("momentum 12-1 and 12-7 compare the close 252 bars back with 21 and 126 back") {
    V c(253, 100.0);
    c[0] = 50.0;         // t − 252
    c[252 - 126] = 75.0; // t − 126
    c[252 - 21] = 150.0; // t − 21
    c[252] = 999.0;      // today: skipped by both
    CHECK(analysis::momentum_12_1(c) == Approx(2.0));
    CHECK(analysis::momentum_12_7(c) == Approx(0.5));
    CHECK(std::isnan(analysis::momentum_12_1(V(252, 100.0))));
    CHECK(analysis::period_return(V{100.0, 120.0, 90.0}, 2, 1) == Approx(0.2));
  }

  TEST_CASE("nearness to the high divides today's close by the window's highest close") {
    const V c = {500.0, 200.0, 100.0, 150.0};
    CHECK(analysis::nearness_to_high(c, 3) == Approx(0.75));
    CHECK(analysis::nearness_to_high(c, 4) == Approx(0.3));
    CHECK(std::isnan(analysis::nearness_to_high(c, 5)));
  }

  TEST_CASE("reversal is minus the 5-day return") {
    const V c = {100.0, 1.0, 1.0, 1.0, 1.0, 110.0};
    CHECK(analysis::reversal(c) == Approx(-0.1));
    CHECK(std::isnan(analysis::reversal(V(5, 1.0))));
  }

  TEST_CASE("OBV flow is the OBV change over the window per unit of volume traded") {
    // OBV 1000 → 1000 + 300 − 100 over two bars that traded 400.
    const V obv = {1000.0, 1300.0, 1200.0};
    const V volume = {1000.0, 300.0, 100.0};
    CHECK(analysis::obv_flow(obv, volume, 2) == Approx(200.0 / 400.0));
    CHECK(analysis::obv_flow(V{5.0, 5.0, 5.0}, V{5.0, 0.0, 0.0}, 2) == 0.0);
    CHECK(std::isnan(analysis::obv_flow(obv, volume, 3)));
  }

  TEST_CASE("index closes align to the stock's dates, NaN where the index has no bar") {
    using core::Date;
    const std::vector<Date> stock = {Date(2024, 1, 2), Date(2024, 1, 3), Date(2024, 1, 5)};
    const std::vector<Date> index = {Date(2024, 1, 1), Date(2024, 1, 2), Date(2024, 1, 5),
                                     Date(2024, 1, 8)};
    const auto aligned = analysis::align_to_dates(stock, index, V{1.0, 2.0, 5.0, 8.0});
    REQUIRE(aligned.size() == 3);
    CHECK(aligned[0] == 2.0);
    CHECK(std::isnan(aligned[1]));
    CHECK(aligned[2] == 5.0);
  }

  TEST_CASE("beta is cov/var of daily returns, skipping pairs with a missing side") {
    // Index returns +10 %, −10 %, +10 %, −10 %; the stock moves twice as much.
    const V index = {100.0, 110.0, 99.0, 108.9, 98.01};
    const V stock = {100.0, 120.0, 96.0, 115.2, 92.16};
    CHECK(analysis::beta(stock, index, 4) == Approx(2.0));
    // A missing index day removes the two returns that touch it; 2 of 4 pairs still count.
    V gappy = index;
    gappy[2] = std::nan("");
    CHECK(analysis::beta(stock, gappy, 4) == Approx(2.0));
    CHECK(std::isnan(analysis::beta(stock, V(5, 100.0), 4))); // the index never moved
    CHECK(std::isnan(analysis::beta(stock, index, 5)));
  }

  TEST_CASE("relative strength is the stock's window return minus the index's") {
    const V index = {100.0, 105.0, 110.0};
    const V stock = {50.0, 40.0, 60.0};
    CHECK(analysis::relative_strength(stock, index, 2) == Approx(0.2 - 0.1));
    CHECK(std::isnan(analysis::relative_strength(stock, V{std::nan(""), 1.0, 1.0}, 2)));
    CHECK(std::isnan(analysis::relative_strength(stock, index, 3)));
  }
}
