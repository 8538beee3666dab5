// The nightly score, per stock: the raw factors of its five pillars, the key indicator values
// and its eligibility, computed from its own bars (and its market's composite index) as of the
// session. The cross-sectional part (percentile ranks, pillar and composite scores) is ranking.hpp.
// docs/SCORING.md explains every factor, its window, direction and source.
//
// Pure: no I/O, no clock. `StockAnalyser` keeps reusable buffers and is not synchronised: use
// one per thread. The tables below are constants, safe everywhere.
#pragma once

#include "krxbatch/analysis/bars.hpp"
#include "krxbatch/analysis/eligibility.hpp"
#include "krxbatch/analysis/indicators.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace krxbatch::analysis {

enum class Pillar : std::size_t { trend, momentum, short_term, risk, liquidity };
// Sessions of history each stock is analysed over (the window ends on the analysed session).
inline constexpr std::size_t k_window_sessions = 300;

inline constexpr std::size_t k_pillar_count = 5;
inline constexpr std::array<std::string_view, k_pillar_count> k_pillar_names = {
    "trend", "momentum", "short_term", "risk", "liquidity"};
// The composite's weights by pillar (indicators.md §6.3); they sum to 1.
inline constexpr std::array<double, k_pillar_count> k_pillar_weights = {0.25, 0.30, 0.10, 0.25,
                                                                        0.10};

enum class Direction { higher_is_better, lower_is_better };

// Every raw factor, grouped by pillar, then the diagnostics (stored, never ranked).
enum class Factor : std::size_t {
  // trend
  close_vs_sma120, // C/SMA120 − 1
  close_vs_sma60,  // C/SMA60 − 1
  sma20_vs_sma60,  // SMA20/SMA60 − 1
  adx_signed,      // ADX14 · sign(+DI14 − −DI14)
  macd_hist_rel,   // MACD histogram / C
  // momentum
  mom_12_7,      // C_{t−126}/C_{t−252} − 1 (Novy-Marx; robust on KRX)
  mom_idio_12_1, // 12-1 return minus beta × the composite's 12-1 return (market-adjusted)
  near_high_252, // C / max(C over 252 bars) (George & Hwang)
  // short term
  reversal_5,   // −(C_t/C_{t−5} − 1)
  rsi_distance, // −|RSI14 − 55|
  obv_flow_20,  // (OBV_t − OBV_{t−20}) / ΣV over 20 bars
  // risk
  volatility_60,    // sample sd of 60 daily log returns
  natr14,           // TA_NATR(14), percent
  ulcer_120,        // Ulcer index over 120 closes, percent
  max_drawdown_250, // deepest fall from a running peak within 250 closes
  max_return_5,     // MAX(5): mean of the 5 largest daily returns of the last 21
  // liquidity
  avg_value_20, // mean traded value of 20 bars, KRW
  amihud_21,    // Amihud illiquidity over 21 bars, per KRW
  // diagnostics
  mom_12_1,         // C_{t−21}/C_{t−252} − 1
  beta_120,         // beta of daily returns on the composite's over 120 returns
  rel_strength_120, // 120-bar return minus the composite's
  zero_volume_days_20,
};
inline constexpr std::size_t k_factor_count = 22;
static_assert(static_cast<std::size_t>(Factor::zero_volume_days_20) + 1 == k_factor_count);

struct FactorInfo {
  std::string_view name;
  std::optional<Pillar> pillar; // nullopt: a diagnostic, not ranked
  Direction direction;
  std::size_t min_bars; // the fewest bars for which it is defined
};

inline constexpr std::array<FactorInfo, k_factor_count> k_factors = {{
    {"close_vs_sma120", Pillar::trend, Direction::higher_is_better, 120},
    {"close_vs_sma60", Pillar::trend, Direction::higher_is_better, 60},
    {"sma20_vs_sma60", Pillar::trend, Direction::higher_is_better, 60},
    {"adx_signed", Pillar::trend, Direction::higher_is_better, 28},
    {"macd_hist_rel", Pillar::trend, Direction::higher_is_better, 34},
    {"mom_12_7", Pillar::momentum, Direction::higher_is_better, 253},
    {"mom_idio_12_1", Pillar::momentum, Direction::higher_is_better, 253},
    {"near_high_252", Pillar::momentum, Direction::higher_is_better, 252},
    {"reversal_5", Pillar::short_term, Direction::higher_is_better, 6},
    {"rsi_distance", Pillar::short_term, Direction::higher_is_better, 15},
    {"obv_flow_20", Pillar::short_term, Direction::higher_is_better, 21},
    {"volatility_60", Pillar::risk, Direction::lower_is_better, 61},
    {"natr14", Pillar::risk, Direction::lower_is_better, 15},
    {"ulcer_120", Pillar::risk, Direction::lower_is_better, 120},
    {"max_drawdown_250", Pillar::risk, Direction::lower_is_better, 250},
    {"max_return_5", Pillar::risk, Direction::lower_is_better, 22},
    {"avg_value_20", Pillar::liquidity, Direction::higher_is_better, 20},
    {"amihud_21", Pillar::liquidity, Direction::lower_is_better, 22},
    {"mom_12_1", std::nullopt, Direction::higher_is_better, 253},
    {"beta_120", std::nullopt, Direction::lower_is_better, 121},
    {"rel_strength_120", std::nullopt, Direction::higher_is_better, 121},
    {"zero_volume_days_20", std::nullopt, Direction::lower_is_better, 20},
}};

constexpr std::size_t index_of(Factor factor) {
  return static_cast<std::size_t>(factor);
}
constexpr std::size_t index_of(Pillar pillar) {
  return static_cast<std::size_t>(pillar);
}
constexpr const FactorInfo& info_of(Factor factor) {
  return k_factors[index_of(factor)];
}

// The indicators whose session values are kept with the result: all of indicators.hpp but
// OBV, whose level depends on where the window starts (indicators.md §3.8; its 20-bar flow
// is a factor instead).
inline constexpr std::array<Indicator, k_indicator_count - 1> k_stored_indicators = {
    Indicator::sma5,        Indicator::sma20,     Indicator::sma60,       Indicator::sma120,
    Indicator::ema12,       Indicator::ema26,     Indicator::rsi14,       Indicator::macd,
    Indicator::macd_signal, Indicator::macd_hist, Indicator::bb_upper,    Indicator::bb_middle,
    Indicator::bb_lower,    Indicator::atr14,     Indicator::stoch_slowk, Indicator::stoch_slowd,
    Indicator::mfi14,       Indicator::adx14,     Indicator::cci20,       Indicator::willr14,
    Indicator::roc10,       Indicator::plus_di14, Indicator::minus_di14,  Indicator::natr14};

// One stock as of the session. NaN marks an undefined value (too few bars, no index, ...).
struct StockAnalysis {
  std::size_t bars = 0;
  double close = 0.0; // the last bar's close
  // The last bar's value of every indicator, indexed by Indicator (NaN before its lookback).
  std::array<double, k_indicator_count> indicators{};
  std::array<double, k_factor_count> factors{};
  Eligibility eligibility;
};

class StockAnalyser {
public:
  explicit StockAnalyser(EligibilityRules rules = {}) : m_rules(rules) {}

  // Analyses `bars` (normalised, oldest first, the last bar being the newest at or before
  // the session). `index_close` is the composite of the stock's market aligned bar by bar (NaN
  // where it has no close), or empty when there is none. `on_session`: whether the last bar is the
  // session's. Preconditions: bars.valid(), bars.size() >= 1, bars.has_value(), index_close empty
  // or of bars.size(), every close positive.
  void analyse(const BarsView& bars, std::span<const double> index_close, bool on_session,
               StockAnalysis& out);

private:
  EligibilityRules m_rules;
  IndicatorSeries m_indicators;
};

} // namespace krxbatch::analysis
