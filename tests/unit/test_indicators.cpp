// Each indicator on small series whose values are worked out here from the definitions
// (indicators.md §3), not by calling the implementation: lookbacks, seeds, the zero rules on
// flat prices, a true gap and a suspended day.
#include "krxbatch/analysis/bars.hpp"
#include "krxbatch/analysis/indicators.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <vector>

using namespace krxbatch;
using analysis::Indicator;

namespace {

// Bars with H = C + up, L = C − down, O = C and a constant volume.
analysis::BarSeries from_closes(const std::vector<double>& closes, double up = 0.0,
                                double down = 0.0, double volume = 1000.0) {
  analysis::BarSeries s;
  for (const double c : closes) {
    s.push_back(c, c + up, c - down, c, volume);
  }
  return s;
}

analysis::IndicatorSeries compute(const analysis::BarSeries& bars) {
  analysis::IndicatorSeries out;
  analysis::compute_indicators(bars.view(), out);
  return out;
}

std::vector<double> flat(std::size_t n, double price) {
  return std::vector<double>(n, price);
}

// Rows before the lookback are NaN and the lookback row has a value.
void check_lookback(const analysis::IndicatorSeries& out, Indicator indicator) {
  CAPTURE(analysis::name_of(indicator));
  const auto col = out[indicator];
  const auto lookback = analysis::lookback_of(indicator);
  REQUIRE(col.size() > lookback);
  for (std::size_t t = 0; t < lookback; ++t) {
    CHECK(std::isnan(col[t]));
  }
  CHECK_FALSE(std::isnan(col[lookback]));
}

double mean(const std::vector<double>& x, std::size_t first, std::size_t count) {
  return std::accumulate(x.begin() + static_cast<std::ptrdiff_t>(first),
                         x.begin() + static_cast<std::ptrdiff_t>(first + count), 0.0) /
         static_cast<double>(count);
}

// A zig-zag with drift: never flat, never monotonic.
std::vector<double> wavy(std::size_t n) {
  std::vector<double> c;
  for (std::size_t t = 0; t < n; ++t) {
    c.push_back(1000.0 + 10.0 * static_cast<double>(t % 7) + 3.0 * static_cast<double>(t) -
                (t % 3 == 0 ? 25.0 : 0.0));
  }
  return c;
}

} // namespace

TEST_SUITE("analysis.indicators") {
  TEST_CASE("every output is NaN before its TA-Lib lookback and present from it") {
    const auto out = compute(from_closes(wavy(130), 15.0, 12.0));
    for (std::size_t i = 0; i < analysis::k_indicator_count; ++i) {
      check_lookback(out, static_cast<Indicator>(i));
    }
  }

  TEST_CASE("a series shorter than a lookback leaves that output wholly NaN") {
    const auto out = compute(from_closes(wavy(12), 5.0, 5.0));
    for (const auto i : {Indicator::sma20, Indicator::ema26, Indicator::rsi14, Indicator::macd,
                         Indicator::atr14, Indicator::adx14, Indicator::willr14}) {
      CAPTURE(analysis::name_of(i));
      for (const double v : out[i]) {
        CHECK(std::isnan(v));
      }
    }
    CHECK(out[Indicator::sma5][4] == doctest::Approx(mean(wavy(12), 0, 5)));
    CHECK(out[Indicator::obv][0] == 1000.0);
  }

  TEST_CASE("an empty series yields empty columns") {
    const auto out = compute(analysis::BarSeries{});
    CHECK(out.size() == 0);
    CHECK(out[Indicator::obv].empty());
  }

  TEST_CASE("SMA is the plain mean of the last n closes") {
    std::vector<double> c(130);
    std::iota(c.begin(), c.end(), 1.0); // 1..130
    const auto out = compute(from_closes(c));
    CHECK(out[Indicator::sma5][4] == 3.0);
    CHECK(out[Indicator::sma5][129] == 128.0);
    CHECK(out[Indicator::sma20][19] == 10.5);
    CHECK(out[Indicator::sma60][59] == 30.5);
    CHECK(out[Indicator::sma120][129] == 70.5);
  }

  TEST_CASE("EMA is seeded with the SMA of its first n closes, then (x - e)k + e") {
    const auto c = wavy(40);
    const auto out = compute(from_closes(c));
    const double k = 2.0 / 13.0;
    double e = mean(c, 0, 12);
    CHECK(out[Indicator::ema12][11] == doctest::Approx(e).epsilon(1e-14));
    for (std::size_t t = 12; t < 40; ++t) {
      e = (c[t] - e) * k + e;
    }
    CHECK(out[Indicator::ema12][39] == doctest::Approx(e).epsilon(1e-13));
    CHECK(out[Indicator::ema26][25] == doctest::Approx(mean(c, 0, 26)).epsilon(1e-14));
  }

  TEST_CASE("RSI seeds with simple averages of 14 changes, then smooths as Wilder") {
    // Changes: +2, −1 alternating (7 gains of 2, 7 losses of 1), then +3.
    std::vector<double> c = {100.0};
    for (int i = 0; i < 14; ++i) {
      c.push_back(c.back() + (i % 2 == 0 ? 2.0 : -1.0));
    }
    c.push_back(c.back() + 3.0);
    const auto out = compute(from_closes(c));
    // G = 14/14 = 1, L = 7/14 = 0.5.
    CHECK(out[Indicator::rsi14][14] == doctest::Approx(100.0 * 1.0 / 1.5));
    // G = (1·13 + 3)/14, L = 0.5·13/14.
    const double g = 16.0 / 14.0;
    const double l = 6.5 / 14.0;
    CHECK(out[Indicator::rsi14][15] == doctest::Approx(100.0 * g / (g + l)));
  }

  TEST_CASE("RSI is 0 on prices that never moved and constant on a flat stretch") {
    const auto out = compute(from_closes(flat(30, 5000.0)));
    CHECK(out[Indicator::rsi14][14] == 0.0);
    CHECK(out[Indicator::rsi14][29] == 0.0);

    auto c = wavy(20);
    const auto tail = flat(15, c.back());
    c.insert(c.end(), tail.begin(), tail.end());
    const auto moved = compute(from_closes(c));
    CHECK(moved[Indicator::rsi14][20] == doctest::Approx(moved[Indicator::rsi14][34]));
    CHECK(moved[Indicator::rsi14][34] > 0.0);
  }

  TEST_CASE("MACD seeds its fast EMA at row 25 and starts all outputs at row 33") {
    const auto c = wavy(45);
    const auto out = compute(from_closes(c));
    double slow = mean(c, 0, 26);
    double fast = mean(c, 14, 12); // closes 14..25, not 0..11
    std::vector<double> line = {fast - slow};
    for (std::size_t t = 26; t <= 33; ++t) {
      slow = (c[t] - slow) * (2.0 / 27.0) + slow;
      fast = (c[t] - fast) * (2.0 / 13.0) + fast;
      line.push_back(fast - slow);
    }
    const double signal = mean(line, 0, 9);
    CHECK(std::isnan(out[Indicator::macd][32]));
    CHECK(out[Indicator::macd][33] == doctest::Approx(line.back()).epsilon(1e-12));
    CHECK(out[Indicator::macd_signal][33] == doctest::Approx(signal).epsilon(1e-12));
    CHECK(out[Indicator::macd_hist][33] ==
          doctest::Approx(line.back() - signal).epsilon(1e-9).scale(1.0));
    // Not the difference of the EMA12 and EMA26 columns during warm-up.
    CHECK(out[Indicator::macd][33] !=
          doctest::Approx(out[Indicator::ema12][33] - out[Indicator::ema26][33]));
  }

  TEST_CASE("Bollinger bands use the population standard deviation and meet on a flat window") {
    std::vector<double> c;
    for (int i = 0; i < 20; ++i) {
      c.push_back(i % 2 == 0 ? 10.0 : 20.0); // mean 15, population sd 5
    }
    const auto out = compute(from_closes(c));
    CHECK(out[Indicator::bb_middle][19] == 15.0);
    CHECK(out[Indicator::bb_upper][19] == 25.0);
    CHECK(out[Indicator::bb_lower][19] == 5.0);

    const auto flat_out = compute(from_closes(flat(25, 19970.0)));
    CHECK(flat_out[Indicator::bb_upper][24] == 19970.0);
    CHECK(flat_out[Indicator::bb_middle][24] == 19970.0);
    CHECK(flat_out[Indicator::bb_lower][24] == 19970.0);
  }

  TEST_CASE("ATR averages true ranges 1..14, then smooths, a true gap counts from the close") {
    // Range 10 every bar; bar 15 gaps up: prior close 100, low 150, high 160 → TR = 60.
    auto s = from_closes(flat(15, 100.0), 5.0, 5.0);
    s.push_back(155.0, 160.0, 150.0, 155.0, 1000.0);
    const auto out = compute(s);
    CHECK(out[Indicator::atr14][14] == 10.0);
    CHECK(out[Indicator::atr14][15] == doctest::Approx((10.0 * 13.0 + 60.0) / 14.0));
    CHECK(out[Indicator::natr14][15] ==
          doctest::Approx((10.0 * 13.0 + 60.0) / 14.0 / 155.0 * 100.0));
  }

  TEST_CASE("STOCH and WILLR are 0 when the 14-bar high equals the low") {
    const auto out = compute(from_closes(flat(20, 7000.0)));
    CHECK(out[Indicator::stoch_slowk][17] == 0.0);
    CHECK(out[Indicator::stoch_slowd][19] == 0.0);
    CHECK(out[Indicator::willr14][13] == 0.0);
  }

  TEST_CASE("STOCH smooths fast %K twice with SMA(3), WILLR measures from the high") {
    // Closes 1..20 with H = C + 1, L = C − 1: over 14 bars HH = C + 1, LL = C − 14.
    std::vector<double> c(20);
    std::iota(c.begin(), c.end(), 1.0);
    const auto out = compute(from_closes(c, 1.0, 1.0));
    const double fast_k = 100.0 * 14.0 / 15.0; // (C − LL)/(HH − LL)
    CHECK(out[Indicator::stoch_slowk][17] == doctest::Approx(fast_k));
    CHECK(out[Indicator::stoch_slowd][17] == doctest::Approx(fast_k));
    CHECK(out[Indicator::willr14][13] == doctest::Approx(-100.0 * 1.0 / 15.0));
  }

  TEST_CASE("WILLR of a limit-up close at the high is zero (printed -0 by TA-Lib)") {
    auto s = from_closes(wavy(14), 10.0, 10.0);
    const double limit_up = 1300.0;
    s.push_back(1200.0, limit_up, 1190.0, limit_up, 5000.0);
    const auto out = compute(s);
    CHECK(out[Indicator::willr14][14] == 0.0);
    CHECK(std::signbit(out[Indicator::willr14][14]));
  }

  TEST_CASE("OBV starts at the first volume and adds or subtracts on moves only") {
    analysis::BarSeries s;
    s.push_back(10, 10, 10, 10, 500);
    s.push_back(11, 11, 11, 11, 100); // up
    s.push_back(9, 9, 9, 9, 40);      // down
    s.push_back(9, 9, 9, 9, 70);      // unchanged
    const auto out = compute(s);
    CHECK(out[Indicator::obv][0] == 500.0);
    CHECK(out[Indicator::obv][1] == 600.0);
    CHECK(out[Indicator::obv][2] == 560.0);
    CHECK(out[Indicator::obv][3] == 560.0);
  }

  TEST_CASE("MFI is 100 when typical prices only rise and 0 when no flow moved") {
    std::vector<double> c(16);
    std::iota(c.begin(), c.end(), 100.0);
    CHECK(compute(from_closes(c))[Indicator::mfi14][15] == 100.0);
    CHECK(compute(from_closes(flat(16, 100.0)))[Indicator::mfi14][15] == 0.0);
    // Down days only: no positive flow.
    std::vector<double> d(16);
    std::iota(d.rbegin(), d.rend(), 100.0);
    CHECK(compute(from_closes(d))[Indicator::mfi14][14] == 0.0);
  }

  TEST_CASE("MFI weighs each typical-price move by its money flow") {
    // Bars 1..14: TP rises by 1 on odd bars (volume 100) and falls by 1 on even bars (volume
    // 300): MFI = 100·pos/(pos + neg).
    analysis::BarSeries s;
    double tp = 1000.0;
    s.push_back(tp, tp, tp, tp, 100.0);
    double pos = 0.0;
    double neg = 0.0;
    for (int t = 1; t <= 14; ++t) {
      const bool up = t % 2 == 1;
      tp += up ? 1.0 : -1.0;
      const double v = up ? 100.0 : 300.0;
      s.push_back(tp, tp, tp, tp, v);
      (up ? pos : neg) += tp * v;
    }
    CHECK(compute(s)[Indicator::mfi14][14] == doctest::Approx(100.0 * pos / (pos + neg)));
  }

  TEST_CASE("ADX is 100 and -DI 0 on a steady climb, lookback 27") {
    // Every bar one higher: +DM = 1, −DM = 0, so DX = 100 throughout.
    std::vector<double> c(35);
    std::iota(c.begin(), c.end(), 100.0);
    const auto out = compute(from_closes(c, 2.0, 2.0));
    CHECK(std::isnan(out[Indicator::adx14][26]));
    CHECK(out[Indicator::adx14][27] == 100.0);
    CHECK(out[Indicator::adx14][34] == 100.0);
    CHECK(out[Indicator::minus_di14][20] == 0.0);
    // TR = 4 and +DM = 1 every bar: S+/S_TR = 1/4 for every smoothing.
    CHECK(out[Indicator::plus_di14][20] == doctest::Approx(25.0));
  }

  TEST_CASE("ADX seeds on 13-bar sums, not 14") {
    // Bars 1..13 have range 2 and bar 14 range 20, so a 14-bar seed would differ.
    analysis::BarSeries s;
    for (int t = 0; t < 28; ++t) {
      const double c = 100.0 + t;
      const double half = t < 14 ? 1.0 : 10.0;
      s.push_back(c, c + half, c - half, c, 1000.0);
    }
    const auto out = compute(s);
    // Bars 1..13: up = ΔH = 1, dn = −ΔL = −1 → +DM 1, TR 2.
    double plus_dm = 0.0;
    double tr = 0.0;
    for (int t = 1; t < 14; ++t) {
      plus_dm += 1.0;
      tr += 2.0;
    }
    // Bar 14: H 124 (prev 114), L 104 (prev 112): up 10, dn 8 → +DM 10; TR = max(20, |113−124|,
    // |113−104|) = 20.
    plus_dm = plus_dm - plus_dm / 14.0 + 10.0;
    tr = tr - tr / 14.0 + 20.0;
    CHECK(out[Indicator::plus_di14][14] == doctest::Approx(100.0 * plus_dm / tr));
  }

  TEST_CASE("CCI is 0 on a flat window and ±n/0.03 when one bar leaves it") {
    auto c = flat(20, 5000.0);
    CHECK(compute(from_closes(c))[Indicator::cci20][19] == 0.0);
    c.push_back(5100.0);
    CHECK(compute(from_closes(c))[Indicator::cci20][20] == doctest::Approx(20.0 / 0.03));
    c.back() = 4900.0;
    CHECK(compute(from_closes(c))[Indicator::cci20][20] == doctest::Approx(-20.0 / 0.03));
  }

  TEST_CASE("CCI divides the distance from the mean by 0.015 times the mean deviation") {
    std::vector<double> c(20);
    std::iota(c.begin(), c.end(), 1.0); // TP = C; mean 10.5; mean |dev| = 5
    CHECK(compute(from_closes(c))[Indicator::cci20][19] ==
          doctest::Approx((20.0 - 10.5) / (0.015 * 5.0)));
  }

  TEST_CASE("ROC is the 10-bar percentage change") {
    auto c = flat(10, 100.0);
    c.push_back(110.0);
    CHECK(compute(from_closes(c))[Indicator::roc10][10] == doctest::Approx(10.0));
  }

  TEST_CASE("a normalised suspended day is a zero-range bar at the previous close") {
    analysis::BarSeries s = from_closes(flat(15, 1000.0), 10.0, 10.0);
    s.push_back(0, 0, 0, 1000.0, 0); // raw KRX form
    s.push_back(1000.0, 1010.0, 990.0, 1000.0, 1000.0);
    CHECK(analysis::normalise_suspended_days(s) == 1);
    const auto out = compute(s);
    // ATR: 14 ranges of 20, then a TR of 0 on the suspended day, then 20 again.
    CHECK(out[Indicator::atr14][14] == 20.0);
    CHECK(out[Indicator::atr14][15] == doctest::Approx(20.0 * 13.0 / 14.0));
    CHECK(out[Indicator::obv][15] == out[Indicator::obv][14]);
    // Left raw, the zero low would have made the day's true range 1000.
    s.low[15] = 0.0;
    CHECK(compute(s)[Indicator::atr14][15] > 80.0);
  }

  TEST_CASE("reusing the buffers gives the same results as fresh ones") {
    analysis::IndicatorSeries reused;
    analysis::compute_indicators(from_closes(wavy(200), 7.0, 9.0).view(), reused);
    const auto short_bars = from_closes(wavy(40), 3.0, 2.0);
    analysis::compute_indicators(short_bars.view(), reused);
    const auto fresh = compute(short_bars);
    REQUIRE(reused.size() == 40);
    for (std::size_t i = 0; i < analysis::k_indicator_count; ++i) {
      const auto a = reused[static_cast<Indicator>(i)];
      const auto b = fresh[static_cast<Indicator>(i)];
      for (std::size_t t = 0; t < 40; ++t) {
        CHECK(((std::isnan(a[t]) && std::isnan(b[t])) || a[t] == b[t]));
      }
    }
  }
}
