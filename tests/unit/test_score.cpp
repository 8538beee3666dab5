// The per-stock half of the score: every factor is the measure or indicator it names, taken on
// the last bar, and the eligibility facts come from the same bars.
#include "krxbatch/analysis/indicators.hpp"
#include "krxbatch/analysis/measures.hpp"
#include "krxbatch/analysis/score.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

using namespace krxbatch;
using analysis::Factor;
using analysis::Indicator;
using doctest::Approx;
using V = std::vector<double>;

namespace {

// A wavy, trending series of `n` bars with traded value, deterministic.
analysis::BarSeries make_bars(std::size_t n, double drift = 0.001) {
  analysis::BarSeries s;
  double c = 10000;
  for (std::size_t t = 0; t < n; ++t) {
    const double x = static_cast<double>(t);
    c = std::round(c * (1.0 + drift + 0.02 * std::sin(x * 0.7) + 0.01 * std::cos(x * 1.3)));
    const double o = std::round(c * (1.0 + 0.003 * std::sin(x)));
    const double h = std::max(o, c) + 50;
    const double l = std::min(o, c) - 50;
    const double v = 20000 + 5000 * std::sin(x * 0.3);
    s.push_back(o, h, l, c, v);
    s.value.push_back(c * v);
  }
  return s;
}

// An index whose daily returns are the stock's divided by 2 plus a wiggle: beta near 2.
V index_for(const analysis::BarSeries& s) {
  V idx = {2500.0};
  for (std::size_t t = 1; t < s.size(); ++t) {
    const double r = s.close[t] / s.close[t - 1] - 1.0;
    idx.push_back(idx.back() * (1.0 + r / 2.0 + 0.001 * std::sin(static_cast<double>(t) * 2.1)));
  }
  return idx;
}

double factor(const analysis::StockAnalysis& a, Factor f) {
  return a.factors[analysis::index_of(f)];
}

} // namespace

TEST_SUITE("analysis.score") {
  TEST_CASE("every factor is the measure or indicator it names, on the last bar") {
    const auto bars = make_bars(300);
    const auto idx = index_for(bars);
    analysis::StockAnalysis a;
    analysis::StockAnalyser analyser;
    analyser.analyse(bars.view(), idx, true, a);

    analysis::IndicatorSeries ind;
    analysis::compute_indicators(bars.view(), ind);
    const auto last = [&ind](Indicator i) { return ind[i].back(); };
    const auto& c = bars.close;
    const double close = c.back();
    const std::span<const double> cs(c);

    CHECK(a.bars == 300);
    CHECK(a.close == close);
    for (std::size_t i = 0; i < analysis::k_indicator_count; ++i) {
      CHECK(a.indicators[i] == ind[static_cast<Indicator>(i)].back());
    }
    CHECK(factor(a, Factor::close_vs_sma120) == close / last(Indicator::sma120) - 1.0);
    CHECK(factor(a, Factor::close_vs_sma60) == close / last(Indicator::sma60) - 1.0);
    CHECK(factor(a, Factor::sma20_vs_sma60) ==
          last(Indicator::sma20) / last(Indicator::sma60) - 1.0);
    const double sign = last(Indicator::plus_di14) > last(Indicator::minus_di14) ? 1.0 : -1.0;
    CHECK(factor(a, Factor::adx_signed) == sign * last(Indicator::adx14));
    CHECK(factor(a, Factor::macd_hist_rel) == last(Indicator::macd_hist) / close);
    CHECK(factor(a, Factor::mom_12_7) == c[299 - 126] / c[299 - 252] - 1.0);
    CHECK(factor(a, Factor::near_high_252) == analysis::nearness_to_high(cs, 252));
    CHECK(factor(a, Factor::reversal_5) == -(close / c[294] - 1.0));
    CHECK(factor(a, Factor::rsi_distance) == -std::fabs(last(Indicator::rsi14) - 55.0));
    CHECK(factor(a, Factor::obv_flow_20) ==
          analysis::obv_flow(ind[Indicator::obv], bars.volume, 20));
    CHECK(factor(a, Factor::volatility_60) == analysis::log_return_volatility(cs, 60));
    CHECK(factor(a, Factor::natr14) == last(Indicator::natr14));
    CHECK(factor(a, Factor::ulcer_120) == analysis::ulcer_index(cs, 120));
    CHECK(factor(a, Factor::max_drawdown_250) == analysis::max_drawdown(cs, 250));
    CHECK(factor(a, Factor::max_return_5) == analysis::max_daily_return(cs, 21, 5));
    CHECK(factor(a, Factor::avg_value_20) == analysis::average_traded_value(bars.view(), 20));
    CHECK(factor(a, Factor::amihud_21) == analysis::amihud_illiquidity(bars.view(), 21));
    CHECK(factor(a, Factor::mom_12_1) == c[299 - 21] / c[299 - 252] - 1.0);
    CHECK(factor(a, Factor::beta_120) == analysis::beta(cs, idx, 120));
    CHECK(factor(a, Factor::rel_strength_120) == analysis::relative_strength(cs, idx, 120));
    CHECK(factor(a, Factor::zero_volume_days_20) == 0.0);
    // Every factor is defined on a full history with an index.
    for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
      CAPTURE(analysis::k_factors[f].name);
      CHECK(std::isfinite(a.factors[f]));
    }
    CHECK(a.eligibility.eligible);
    CHECK(a.eligibility.flags == 0);
  }

  TEST_CASE("market-adjusted momentum takes beta times KOSPI's 12-1 return off the stock's") {
    const auto bars = make_bars(300);
    const auto idx = index_for(bars);
    analysis::StockAnalysis a;
    analysis::StockAnalyser().analyse(bars.view(), idx, true, a);
    const std::span<const double> cs(bars.close);
    const std::span<const double> is(idx);
    // The beta of the 231 daily returns of the 12-1 window.
    const double b = analysis::beta(cs.first(279), is.first(279), 231);
    CHECK(b == Approx(2.0).epsilon(0.05));
    const double stock = cs[278] / cs[47] - 1.0;
    const double market = is[278] / is[47] - 1.0;
    CHECK(factor(a, Factor::mom_idio_12_1) == Approx(stock - b * market).epsilon(1e-12));

    // A stock that is the index itself has no momentum of its own.
    analysis::BarSeries same;
    for (const double x : idx) {
      same.push_back(x, x, x, x, 1000);
      same.value.push_back(x * 1000);
    }
    analysis::StockAnalyser().analyse(same.view(), idx, true, a);
    CHECK(factor(a, Factor::mom_idio_12_1) == Approx(0.0).scale(1.0));
  }

  TEST_CASE("without the index the market factors are missing and the stock says so") {
    const auto bars = make_bars(300);
    analysis::StockAnalysis a;
    analysis::StockAnalyser().analyse(bars.view(), {}, true, a);
    CHECK(std::isnan(factor(a, Factor::mom_idio_12_1)));
    CHECK(std::isnan(factor(a, Factor::beta_120)));
    CHECK(std::isnan(factor(a, Factor::rel_strength_120)));
    CHECK(std::isfinite(factor(a, Factor::mom_12_7)));
    CHECK(a.eligibility.eligible);
    CHECK(a.eligibility.has(analysis::Flag::no_index));

    // So does an index that has no close on the session.
    auto idx = index_for(bars);
    idx.back() = std::nan("");
    analysis::StockAnalyser().analyse(bars.view(), idx, true, a);
    CHECK(a.eligibility.has(analysis::Flag::no_index));
  }

  TEST_CASE("a partial history leaves exactly the long-window factors missing") {
    const auto bars = make_bars(150);
    const auto idx = index_for(bars);
    analysis::StockAnalysis a;
    analysis::StockAnalyser().analyse(bars.view(), idx, true, a);
    std::set<std::string> missing;
    for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
      if (std::isnan(a.factors[f])) {
        missing.insert(std::string(analysis::k_factors[f].name));
      }
      // The table's min_bars says the same.
      CHECK(std::isnan(a.factors[f]) == (analysis::k_factors[f].min_bars > 150));
    }
    CHECK(missing == std::set<std::string>{"mom_12_7", "mom_idio_12_1", "near_high_252",
                                           "max_drawdown_250", "mom_12_1"});
    CHECK(a.eligibility.eligible);
    CHECK(analysis::flags_text(a.eligibility.flags) == "partial_history");
  }

  TEST_CASE("the factor table's min_bars is the first length at which each factor exists") {
    const auto bars = make_bars(300);
    const auto idx = index_for(bars);
    analysis::StockAnalyser analyser;
    analysis::StockAnalysis a;
    for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
      const auto& info = analysis::k_factors[f];
      CAPTURE(info.name);
      const auto n = info.min_bars;
      analyser.analyse(bars.view().first(n), std::span<const double>(idx).first(n), true, a);
      CHECK(std::isfinite(a.factors[f]));
      analyser.analyse(bars.view().first(n - 1), std::span<const double>(idx).first(n - 1), true,
                       a);
      CHECK(std::isnan(a.factors[f]));
    }
  }

  TEST_CASE("zero-volume days and a suspended session come from the bars") {
    auto bars = make_bars(300);
    for (std::size_t t = 280; t < 300; t += 4) {
      bars.volume[t] = 0; // 280, 284, 288, 292, 296: five in the last twenty
      bars.value[t] = 0;
    }
    analysis::StockAnalysis a;
    analysis::StockAnalyser().analyse(bars.view(), index_for(bars), true, a);
    CHECK(factor(a, Factor::zero_volume_days_20) == 5.0);
    CHECK(analysis::flags_text(a.eligibility.flags) == "zero_volume_days");

    bars.volume.back() = 0;
    bars.value.back() = 0;
    analysis::StockAnalyser().analyse(bars.view(), index_for(bars), true, a);
    CHECK(factor(a, Factor::zero_volume_days_20) == 6.0);
    CHECK(a.eligibility.has(analysis::Flag::suspended));
  }

  TEST_CASE("the traded value floor reads the value column") {
    auto bars = make_bars(300);
    for (auto& v : bars.value) {
      v = 99'000'000;
    }
    analysis::StockAnalysis a;
    analysis::StockAnalyser().analyse(bars.view(), index_for(bars), true, a);
    CHECK(factor(a, Factor::avg_value_20) == 99'000'000.0);
    CHECK(analysis::flags_text(a.eligibility.flags) == "low_value");
  }

  TEST_CASE("a stock with no bar on the session gets its flag and no values") {
    const auto bars = make_bars(300);
    analysis::StockAnalysis a;
    analysis::StockAnalyser().analyse(bars.view(), index_for(bars), false, a);
    CHECK(a.bars == 300);
    CHECK(std::isnan(a.close));
    for (const double f : a.factors) {
      CHECK(std::isnan(f));
    }
    for (const double v : a.indicators) {
      CHECK(std::isnan(v));
    }
    CHECK(analysis::flags_text(a.eligibility.flags) == "not_on_session");
  }

  TEST_CASE("reusing an analyser gives the same result as a fresh one") {
    const auto long_bars = make_bars(300, 0.002);
    const auto short_bars = make_bars(130, -0.001);
    analysis::StockAnalyser reused;
    analysis::StockAnalysis first;
    analysis::StockAnalysis again;
    reused.analyse(long_bars.view(), index_for(long_bars), true, first);
    reused.analyse(short_bars.view(), index_for(short_bars), true, again);
    analysis::StockAnalysis fresh;
    analysis::StockAnalyser().analyse(short_bars.view(), index_for(short_bars), true, fresh);
    for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
      CHECK((again.factors[f] == fresh.factors[f] ||
             (std::isnan(again.factors[f]) && std::isnan(fresh.factors[f]))));
    }
  }

  TEST_CASE("every factor belongs to a pillar or is a diagnostic, and names are unique") {
    std::set<std::string> names;
    std::size_t ranked = 0;
    for (const auto& f : analysis::k_factors) {
      names.insert(std::string(f.name));
      ranked += f.pillar ? 1U : 0U;
    }
    CHECK(names.size() == analysis::k_factor_count);
    CHECK(ranked == 18);
  }
}
