// The per-stock half of the score: one pass of the indicators over the whole window (so the
// recursive ones are TA-Lib's full-series values, indicators.md §2.2), then the measures of
// measures.hpp on the same bars.
#include "krxbatch/analysis/score.hpp"

#include "krxbatch/analysis/measures.hpp"

#include <cmath>
#include <limits>

namespace krxbatch::analysis {
namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// The momentum windows: a year of sessions and a month skipped (Jegadeesh & Titman).
constexpr std::size_t k_year = 252;
constexpr std::size_t k_month = 21;
constexpr std::size_t k_half_year = 126;

double ratio_minus_one(double a, double b) {
  return b > 0.0 ? a / b - 1.0 : k_nan; // NaN in, NaN out
}

double sign_of(double x) {
  return static_cast<double>((x > 0.0) - (x < 0.0));
}

// The 12-1 return of the stock minus beta times its composite's, with the beta of the stock's daily
// returns on the index's over the same 231 returns: the part of the year's move (skipping the
// last month) that the market does not explain (residual momentum, after Sim et al. 2022).
double market_adjusted_momentum(std::span<const double> close, std::span<const double> index) {
  const std::size_t n = close.size();
  if (index.size() != n || n < k_year + 1) {
    return k_nan;
  }
  const double stock = period_return(close, k_year, k_month);
  const double market = period_return(index, k_year, k_month);
  const double b = beta(close.first(n - k_month), index.first(n - k_month), k_year - k_month);
  return stock - b * market;
}

} // namespace

void StockAnalyser::analyse(const BarsView& bars, std::span<const double> index_close,
                            bool on_session, StockAnalysis& out) {
  const std::size_t n = bars.size();
  out.bars = n;
  out.close = k_nan;
  out.indicators.fill(k_nan);
  out.factors.fill(k_nan);

  EligibilityFacts facts;
  facts.bars = n;
  facts.on_session = on_session && n > 0;
  if (!facts.on_session) {
    // Values as of an older bar would be filed under the session: leave them undefined.
    out.eligibility = assess_eligibility(facts, m_rules);
    return;
  }

  compute_indicators(bars, m_indicators);
  const std::size_t t = n - 1;
  for (std::size_t i = 0; i < k_indicator_count; ++i) {
    out.indicators[i] = m_indicators[static_cast<Indicator>(i)][t];
  }
  const auto at = [&out](Indicator i) { return out.indicators[index_of(i)]; };
  const auto close = bars.close;
  const double c = close[t];
  out.close = c;
  const bool with_index = index_close.size() == n;
  const std::span<const double> index = with_index ? index_close : std::span<const double>{};

  auto& f = out.factors;
  const auto set = [&f](Factor factor, double v) { f[index_of(factor)] = v; };
  // Trend.
  set(Factor::close_vs_sma120, ratio_minus_one(c, at(Indicator::sma120)));
  set(Factor::close_vs_sma60, ratio_minus_one(c, at(Indicator::sma60)));
  set(Factor::sma20_vs_sma60, ratio_minus_one(at(Indicator::sma20), at(Indicator::sma60)));
  set(Factor::adx_signed,
      at(Indicator::adx14) * sign_of(at(Indicator::plus_di14) - at(Indicator::minus_di14)));
  set(Factor::macd_hist_rel, at(Indicator::macd_hist) / c);
  // Momentum.
  set(Factor::mom_12_7, period_return(close, k_year, k_half_year));
  set(Factor::mom_idio_12_1, market_adjusted_momentum(close, index));
  set(Factor::near_high_252, nearness_to_high(close, k_year));
  // Short term.
  set(Factor::reversal_5, reversal(close, 5));
  set(Factor::rsi_distance, -std::fabs(at(Indicator::rsi14) - 55.0));
  set(Factor::obv_flow_20, obv_flow(m_indicators[Indicator::obv], bars.volume, 20));
  // Risk.
  set(Factor::volatility_60, log_return_volatility(close, 60));
  set(Factor::natr14, at(Indicator::natr14));
  set(Factor::ulcer_120, ulcer_index(close, 120));
  set(Factor::max_drawdown_250, max_drawdown(close, 250));
  set(Factor::max_return_5, max_daily_return(close, k_month, 5));
  // Liquidity.
  const std::size_t window = m_rules.liquidity_window;
  const double average_value = average_traded_value(bars, window);
  set(Factor::avg_value_20, average_value);
  set(Factor::amihud_21, amihud_illiquidity(bars, k_month));
  // Diagnostics.
  set(Factor::mom_12_1, momentum_12_1(close));
  set(Factor::beta_120, with_index ? beta(close, index, 120) : k_nan);
  set(Factor::rel_strength_120, with_index ? relative_strength(close, index, 120) : k_nan);

  std::size_t zero_days = 0;
  for (std::size_t i = n > window ? n - window : 0; i < n; ++i) {
    if (!(bars.volume[i] > 0.0)) {
      ++zero_days;
    }
  }
  if (n >= window) {
    set(Factor::zero_volume_days_20, static_cast<double>(zero_days));
  }

  facts.session_volume = bars.volume[t];
  facts.average_value = average_value;
  facts.zero_volume_days = zero_days;
  facts.index_on_session = with_index && !std::isnan(index[t]);
  out.eligibility = assess_eligibility(facts, m_rules);
}

} // namespace krxbatch::analysis
