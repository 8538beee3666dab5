// Benchmark (not a test): the indicator step over a synthetic universe of KRX-like series.
//
//   build/krxbatch_indicators_bench [series=2900] [bars=300] [reps=7]
//
// Generates `series` × `bars` bars in memory (tick grid, ±30 % limit, a few flat stretches and
// suspended days), then times full passes of compute_indicators over every series with one
// reused IndicatorSeries: one warm-up pass, then `reps` timed ones; prints min and median ms.
// Then the same for the score's measures (measures.hpp) on the last bar of every series.
// Compare with TA-Lib's ~100 ms for 2,900 × 300 on one core (indicators.md §5). Build Release.
#include "krxbatch/analysis/bars.hpp"
#include "krxbatch/analysis/indicators.hpp"
#include "krxbatch/analysis/measures.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

using namespace krxbatch;

namespace {

double tick(double price) {
  if (price < 2000) {
    return 1;
  }
  if (price < 5000) {
    return 5;
  }
  if (price < 20000) {
    return 10;
  }
  if (price < 50000) {
    return 50;
  }
  if (price < 200000) {
    return 100;
  }
  if (price < 500000) {
    return 500;
  }
  return 1000;
}

double on_grid(double price) {
  const double t = tick(price);
  return std::max(t, std::round(price / t) * t);
}

analysis::BarSeries make_series(std::mt19937_64& rng, std::size_t bars) {
  std::lognormal_distribution<double> start_price(std::log(20000.0), 1.2);
  std::normal_distribution<double> ret(0.0003, 0.025);
  std::normal_distribution<double> wick(0.0, 0.012);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  analysis::BarSeries s;
  s.reserve(bars);
  double close = on_grid(start_price(rng));
  const double base_volume = 2e9 / close;
  std::size_t flat_left = 0;
  for (std::size_t t = 0; t < bars; ++t) {
    if (flat_left == 0 && unit(rng) < 0.004) {
      flat_left = 1 + static_cast<std::size_t>(unit(rng) * 20);
    }
    if (flat_left > 0) {
      --flat_left;
      const bool suspended = unit(rng) < 0.3;
      s.push_back(close, close, close, close, suspended ? 0.0 : std::floor(base_volume * 0.01));
      continue;
    }
    const double limit_up = close * 1.3;
    const double limit_down = close * 0.7;
    const double open = std::clamp(on_grid(close * std::exp(wick(rng))), limit_down, limit_up);
    const double next = std::clamp(on_grid(close * std::exp(ret(rng))), limit_down, limit_up);
    const double high =
        std::min(on_grid(std::max(open, next) * std::exp(std::fabs(wick(rng)))), limit_up);
    const double low =
        std::max(on_grid(std::min(open, next) * std::exp(-std::fabs(wick(rng)))), limit_down);
    s.push_back(open, std::max({high, open, next}), std::min({low, open, next}), next,
                std::floor(base_volume * std::exp(0.5 * wick(rng) / 0.012)));
    close = next;
  }
  return s;
}

} // namespace

int main(int argc, char** argv) {
  const auto series = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2900UL;
  const auto bars = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 300UL;
  const auto reps = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 7UL;

  std::mt19937_64 rng(20240628);
  std::vector<analysis::BarSeries> universe;
  universe.reserve(series);
  for (std::size_t i = 0; i < series; ++i) {
    universe.push_back(make_series(rng, bars));
  }

  analysis::IndicatorSeries out;
  double checksum = 0.0;
  auto pass = [&] {
    for (const auto& s : universe) {
      analysis::compute_indicators(s.view(), out);
      checksum += out[analysis::Indicator::adx14][bars - 1];
    }
  };
  auto timed = [reps](auto&& body) {
    body(); // warm-up: sizes buffers once
    std::vector<double> ms;
    for (std::size_t r = 0; r < reps; ++r) {
      const auto start = std::chrono::steady_clock::now();
      body();
      const auto stop = std::chrono::steady_clock::now();
      ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    }
    std::sort(ms.begin(), ms.end());
    return std::pair{ms.front(), ms[ms.size() / 2]};
  };
  const auto [min, median] = timed(pass);
  const auto bar_count = static_cast<double>(series * bars);
  std::printf("indicators: %lu series x %lu bars, %lu reps: min %.1f ms, median %.1f ms "
              "(%.1f us/series, %.2f ns/bar for all 25 outputs)  [checksum %g]\n",
              series, bars, reps, min, median, min * 1e3 / static_cast<double>(series),
              min * 1e6 / bar_count, checksum);

  // Measures need OBV and an index: the first series stands in for the index.
  const auto& index = universe.front().close;
  auto measures = [&] {
    for (const auto& s : universe) {
      analysis::compute_indicators(s.view(), out);
      const auto c = std::span<const double>(s.close);
      checksum += analysis::log_return_volatility(c) + analysis::max_drawdown(c) +
                  analysis::ulcer_index(c) + analysis::average_traded_value(s.view()) * 1e-12 +
                  analysis::amihud_illiquidity(s.view()) + analysis::max_daily_return(c) +
                  analysis::momentum_12_1(c) + analysis::momentum_12_7(c) +
                  analysis::nearness_to_high(c) + analysis::reversal(c) +
                  analysis::obv_flow(out[analysis::Indicator::obv], s.volume) +
                  analysis::beta(c, index) + analysis::relative_strength(c, index);
    }
  };
  const auto [m_min, m_median] = timed(measures);
  std::printf("indicators + measures: min %.1f ms, median %.1f ms  [checksum %g]\n", m_min,
              m_median, checksum);
  return 0;
}
