#include "krxbatch/analysis/measures.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <limits>

namespace krxbatch::analysis {
namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// The last `count` values, or an empty span when there are fewer.
std::span<const double> tail(std::span<const double> x, std::size_t count) {
  return x.size() < count ? std::span<const double>{} : x.last(count);
}

// Simple return from close a to close b, NaN when a is missing or not positive.
double simple_return(double a, double b) {
  return a > 0.0 ? b / a - 1.0 : k_nan;
}

// Calls f with each close's distance below the highest close so far, (C_i − P_i)/P_i <= 0.
template <typename F>
void for_each_drawdown(std::span<const double> close, F f) {
  double peak = close.front();
  for (const double v : close) {
    peak = std::max(peak, v);
    f(peak > 0.0 ? (v - peak) / peak : 0.0);
  }
}

} // namespace

double log_return_volatility(std::span<const double> close, std::size_t window) {
  if (window < 2 || close.size() < window + 1) {
    return k_nan;
  }
  const auto c = close.last(window + 1);
  // Two passes (mean, then squared deviations): returns are small numbers of similar size,
  // where the one-pass formula would cancel.
  double sum = 0.0;
  for (std::size_t i = 1; i <= window; ++i) {
    if (!(c[i - 1] > 0.0 && c[i] > 0.0)) {
      return k_nan;
    }
    sum += std::log(c[i] / c[i - 1]);
  }
  const double mean = sum / static_cast<double>(window);
  double squares = 0.0;
  for (std::size_t i = 1; i <= window; ++i) {
    const double d = std::log(c[i] / c[i - 1]) - mean;
    squares += d * d;
  }
  return std::sqrt(squares / static_cast<double>(window - 1));
}

double max_drawdown(std::span<const double> close, std::size_t window) {
  const auto c = tail(close, window);
  if (window == 0 || c.empty()) {
    return k_nan;
  }
  double deepest = 0.0;
  for_each_drawdown(c, [&deepest](double drawdown) { deepest = std::max(deepest, -drawdown); });
  return deepest;
}

double ulcer_index(std::span<const double> close, std::size_t window) {
  const auto c = tail(close, window);
  if (window == 0 || c.empty()) {
    return k_nan;
  }
  double squares = 0.0;
  for_each_drawdown(c, [&squares](double drawdown) {
    const double percent = 100.0 * drawdown;
    squares += percent * percent;
  });
  return std::sqrt(squares / static_cast<double>(window));
}

double traded_value(const BarsView& bars, std::size_t t) {
  return bars.has_value() ? bars.value[t] : bars.close[t] * bars.volume[t];
}

double average_traded_value(const BarsView& bars, std::size_t window) {
  const std::size_t n = bars.size();
  if (window == 0 || n < window) {
    return k_nan;
  }
  double sum = 0.0;
  for (std::size_t t = n - window; t < n; ++t) {
    sum += traded_value(bars, t);
  }
  return sum / static_cast<double>(window);
}

double amihud_illiquidity(const BarsView& bars, std::size_t window) {
  const std::size_t n = bars.size();
  if (window == 0 || n < window + 1) {
    return k_nan;
  }
  double sum = 0.0;
  std::size_t days = 0;
  for (std::size_t t = n - window; t < n; ++t) {
    const double value = traded_value(bars, t);
    const double r = simple_return(bars.close[t - 1], bars.close[t]);
    // A day without trades has no price impact to measure (Amihud's ratio is 0/0).
    if (bars.volume[t] > 0.0 && value > 0.0 && !std::isnan(r)) {
      sum += std::fabs(r) / value;
      ++days;
    }
  }
  return days == 0 ? k_nan : sum / static_cast<double>(days);
}

double max_daily_return(std::span<const double> close, std::size_t window, std::size_t top) {
  if (top == 0 || top > window || close.size() < window + 1) {
    return k_nan;
  }
  const auto c = close.last(window + 1);
  std::vector<double> returns(window);
  for (std::size_t i = 1; i <= window; ++i) {
    returns[i - 1] = simple_return(c[i - 1], c[i]);
    if (std::isnan(returns[i - 1])) {
      return k_nan;
    }
  }
  const auto nth = returns.begin() + static_cast<std::ptrdiff_t>(top);
  std::partial_sort(returns.begin(), nth, returns.end(), std::greater<>());
  double sum = 0.0;
  for (auto it = returns.begin(); it != nth; ++it) {
    sum += *it;
  }
  return sum / static_cast<double>(top);
}

double period_return(std::span<const double> close, std::size_t from_lag, std::size_t to_lag) {
  assert(from_lag > to_lag);
  const std::size_t n = close.size();
  if (n <= from_lag) {
    return k_nan;
  }
  return simple_return(close[n - 1 - from_lag], close[n - 1 - to_lag]);
}

double momentum_12_1(std::span<const double> close) {
  return period_return(close, 252, 21);
}

double momentum_12_7(std::span<const double> close) {
  return period_return(close, 252, 126);
}

double nearness_to_high(std::span<const double> close, std::size_t window) {
  const auto c = tail(close, window);
  if (window == 0 || c.empty()) {
    return k_nan;
  }
  const double high = *std::max_element(c.begin(), c.end());
  return high > 0.0 ? c.back() / high : k_nan;
}

double reversal(std::span<const double> close, std::size_t days) {
  return -period_return(close, days, 0);
}

double obv_flow(std::span<const double> obv, std::span<const double> volume, std::size_t window) {
  const std::size_t n = obv.size();
  if (window == 0 || volume.size() != n || n < window + 1) {
    return k_nan;
  }
  double traded = 0.0;
  for (std::size_t t = n - window; t < n; ++t) {
    traded += volume[t];
  }
  return traded > 0.0 ? (obv[n - 1] - obv[n - 1 - window]) / traded : 0.0;
}

void align_to_dates(std::span<const core::Date> dates, std::span<const core::Date> index_dates,
                    std::span<const double> index_close, std::span<double> out) {
  assert(index_dates.size() == index_close.size() && out.size() == dates.size());
  std::size_t j = 0;
  for (std::size_t i = 0; i < dates.size(); ++i) {
    while (j < index_dates.size() && index_dates[j] < dates[i]) {
      ++j;
    }
    out[i] = j < index_dates.size() && index_dates[j] == dates[i] ? index_close[j] : k_nan;
  }
}

std::vector<double> align_to_dates(std::span<const core::Date> dates,
                                   std::span<const core::Date> index_dates,
                                   std::span<const double> index_close) {
  std::vector<double> out(dates.size());
  align_to_dates(dates, index_dates, index_close, out);
  return out;
}

double beta(std::span<const double> close, std::span<const double> index_close,
            std::size_t window) {
  const std::size_t n = close.size();
  if (window == 0 || index_close.size() != n || n < window + 1) {
    return k_nan;
  }
  std::vector<double> rs;
  std::vector<double> rm;
  rs.reserve(window);
  rm.reserve(window);
  for (std::size_t t = n - window; t < n; ++t) {
    const double s = simple_return(close[t - 1], close[t]);
    const double m = simple_return(index_close[t - 1], index_close[t]);
    if (!std::isnan(s) && !std::isnan(m)) {
      rs.push_back(s);
      rm.push_back(m);
    }
  }
  const std::size_t pairs = rs.size();
  if (pairs < 2 || 2 * pairs < window) {
    return k_nan;
  }
  double mean_s = 0.0;
  double mean_m = 0.0;
  for (std::size_t i = 0; i < pairs; ++i) {
    mean_s += rs[i];
    mean_m += rm[i];
  }
  mean_s /= static_cast<double>(pairs);
  mean_m /= static_cast<double>(pairs);
  double covariance = 0.0;
  double variance = 0.0;
  for (std::size_t i = 0; i < pairs; ++i) {
    covariance += (rs[i] - mean_s) * (rm[i] - mean_m);
    variance += (rm[i] - mean_m) * (rm[i] - mean_m);
  }
  return variance > 0.0 ? covariance / variance : k_nan;
}

double relative_strength(std::span<const double> close, std::span<const double> index_close,
                         std::size_t window) {
  if (window == 0 || index_close.size() != close.size()) {
    return k_nan;
  }
  // NaN propagates from a missing end of either series.
  return period_return(close, window, 0) - period_return(index_close, window, 0);
}

} // namespace krxbatch::analysis
