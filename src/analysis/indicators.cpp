// Each indicator mirrors the loop of its TA-Lib function (ta_<NAME>.c, 0.6.x): the same seed,
// the same order of additions and the same expression forms, so that most columns come out
// bit-identical (indicators.md §2.5). Where two indicators share work (ATR and NATR, ADX and
// ±DI, STOCH and WILLR) they share one pass; BBANDS reuses SMA20 as its middle band.
#include "krxbatch/analysis/indicators.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace krxbatch::analysis {
namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// TA_IS_ZERO of ta_utility.h.
constexpr double k_epsilon = 1e-14;
bool is_zero(double v) {
  return -k_epsilon < v && v < k_epsilon;
}

// PER_TO_K of ta_utility.h.
double ema_factor(std::size_t period) {
  return 2.0 / static_cast<double>(period + 1);
}

// TRANGE for bar t >= 1: the greatest of H−L, |H−C_{t−1}|, |L−C_{t−1}|.
double true_range(const double* high, const double* low, const double* close, std::size_t t) {
  double greatest = high[t] - low[t];
  const double to_high = std::fabs(close[t - 1] - high[t]);
  if (to_high > greatest) {
    greatest = to_high;
  }
  const double to_low = std::fabs(close[t - 1] - low[t]);
  if (to_low > greatest) {
    greatest = to_low;
  }
  return greatest;
}

// Directional movement of bar t >= 1 as ADX and ±DI define it: −DM = L_{t−1} − L_t when that
// is positive and larger than the up move, +DM = H_t − H_{t−1} when that is positive and
// larger than the down move; otherwise (equal moves included) both are 0.
struct DirectionalMove {
  double plus = 0.0;
  double minus = 0.0;
};
DirectionalMove directional_move(const double* high, const double* low, std::size_t t) {
  const double up = high[t] - high[t - 1];
  const double down = low[t - 1] - low[t];
  if (down > 0 && up < down) {
    return {0.0, down};
  }
  if (up > 0 && up > down) {
    return {up, 0.0};
  }
  return {};
}

// Typical price as MFI and CCI compute it.
double typical_price(const double* high, const double* low, const double* close, std::size_t t) {
  return (high[t] + low[t] + close[t]) / 3.0;
}

// TA_SMA: a running sum; read the total, then drop the trailing value.
void sma(const double* x, std::size_t n, std::size_t period, double* out) {
  if (n < period) {
    return;
  }
  const auto divisor = static_cast<double>(period);
  double total = 0.0;
  for (std::size_t t = 0; t + 1 < period; ++t) {
    total += x[t];
  }
  for (std::size_t t = period - 1; t < n; ++t) {
    total += x[t];
    out[t] = total / divisor;
    total -= x[t + 1 - period];
  }
}

// TA_BBANDS(20, 2, 2, SMA) around `middle`, the TA_SMA(20) of x: the population standard
// deviation from INT_stddev_using_precalc_ma's running sum of squares.
void bbands(const double* x, std::size_t n, const double* middle, double* upper, double* lower) {
  constexpr std::size_t k_period = 20;
  constexpr double k_width = 2.0;
  if (n < k_period) {
    return;
  }
  const auto divisor = static_cast<double>(k_period);
  double total2 = 0.0;
  for (std::size_t t = 0; t + 1 < k_period; ++t) {
    total2 += x[t] * x[t];
  }
  for (std::size_t t = k_period - 1; t < n; ++t) {
    total2 += x[t] * x[t];
    double variance = total2 / divisor;
    const double trailing = x[t + 1 - k_period];
    total2 -= trailing * trailing;
    variance -= middle[t] * middle[t];
    // TA_IS_ZERO_OR_NEG: a variance below epsilon (rounding on a flat window) is 0.
    const double sd = variance < k_epsilon ? 0.0 : std::sqrt(variance);
    upper[t] = middle[t] + sd * k_width;
    lower[t] = middle[t] - sd * k_width;
  }
}

// TA_EMA with its default-compatibility seed: the SMA of the first `period` values is the
// value at row period−1, then e = (x − e)·k + e.
void ema(const double* x, std::size_t n, std::size_t period, double* out) {
  if (n < period) {
    return;
  }
  const double k = ema_factor(period);
  double total = 0.0;
  for (std::size_t t = 0; t < period; ++t) {
    total += x[t];
  }
  double e = total / static_cast<double>(period);
  out[period - 1] = e;
  for (std::size_t t = period; t < n; ++t) {
    e = ((x[t] - e) * k) + e;
    out[t] = e;
  }
}

// TA_MACD(12, 26, 9): both EMAs start at row 25 (the slow lookback), so the fast one is
// seeded with the SMA of closes 14..25, not 0..11; the signal is INT_EMA(9) of the line from
// row 25. All three outputs start at row 33.
void macd(const double* close, std::size_t n, double* line, double* signal, double* hist) {
  constexpr std::size_t k_fast = 12;
  constexpr std::size_t k_slow = 26;
  constexpr std::size_t k_signal = 9;
  constexpr std::size_t k_first = k_slow - 1;
  if (n < k_first + k_signal) {
    return;
  }
  const double k_f = ema_factor(k_fast);
  const double k_s = ema_factor(k_slow);
  double slow_total = 0.0;
  for (std::size_t t = 0; t < k_slow; ++t) {
    slow_total += close[t];
  }
  double fast_total = 0.0;
  for (std::size_t t = k_slow - k_fast; t < k_slow; ++t) {
    fast_total += close[t];
  }
  double slow = slow_total / static_cast<double>(k_slow);
  double fast = fast_total / static_cast<double>(k_fast);
  // The signal's seed needs the first 9 values of the line; keep them in `line` meanwhile.
  line[k_first] = fast - slow;
  for (std::size_t t = k_first + 1; t < n; ++t) {
    slow = ((close[t] - slow) * k_s) + slow;
    fast = ((close[t] - fast) * k_f) + fast;
    line[t] = fast - slow;
  }
  const std::size_t start = k_first + k_signal - 1;
  double signal_total = 0.0;
  for (std::size_t t = k_first; t <= start; ++t) {
    signal_total += line[t];
  }
  double s = signal_total / static_cast<double>(k_signal);
  const double k_g = ema_factor(k_signal);
  signal[start] = s;
  hist[start] = line[start] - s;
  for (std::size_t t = start + 1; t < n; ++t) {
    s = ((line[t] - s) * k_g) + s;
    signal[t] = s;
    hist[t] = line[t] - s;
  }
  std::fill(line + k_first, line + start, k_nan);
}

// TA_RSI(14): simple averages of the first 14 gains and losses, then Wilder's smoothing in
// the form p *= n−1; p += x; p /= n.
void rsi(const double* close, std::size_t n, double* out) {
  constexpr std::size_t k_period = 14;
  if (n <= k_period) {
    return;
  }
  const auto divisor = static_cast<double>(k_period);
  const auto keep = static_cast<double>(k_period - 1);
  double gain = 0.0;
  double loss = 0.0;
  for (std::size_t t = 1; t <= k_period; ++t) {
    const double d = close[t] - close[t - 1];
    if (d < 0) {
      loss -= d;
    } else {
      gain += d;
    }
  }
  loss /= divisor;
  gain /= divisor;
  auto value = [&] {
    const double sum = gain + loss;
    return is_zero(sum) ? 0.0 : 100.0 * (gain / sum);
  };
  out[k_period] = value();
  for (std::size_t t = k_period + 1; t < n; ++t) {
    const double d = close[t] - close[t - 1];
    loss *= keep;
    gain *= keep;
    if (d < 0) {
      loss -= d;
    } else {
      gain += d;
    }
    loss /= divisor;
    gain /= divisor;
    out[t] = value();
  }
}

// TA_ATR(14) and TA_NATR(14): the mean of TR 1..14 at row 14, then Wilder's smoothing.
void atr_and_natr(const double* high, const double* low, const double* close, std::size_t n,
                  double* atr, double* natr) {
  constexpr std::size_t k_period = 14;
  if (n <= k_period) {
    return;
  }
  const auto divisor = static_cast<double>(k_period);
  const auto keep = static_cast<double>(k_period - 1);
  double total = 0.0;
  for (std::size_t t = 1; t <= k_period; ++t) {
    total += true_range(high, low, close, t);
  }
  double a = total / divisor;
  auto emit = [&](std::size_t t) {
    atr[t] = a;
    natr[t] = is_zero(close[t]) ? 0.0 : (a / close[t]) * 100.0;
  };
  emit(k_period);
  for (std::size_t t = k_period + 1; t < n; ++t) {
    a *= keep;
    a += true_range(high, low, close, t);
    a /= divisor;
    emit(t);
  }
}

// TA_ADX(14), TA_PLUS_DI(14) and TA_MINUS_DI(14), which share their smoothed sums: plain sums
// of DM and TR over rows 1..13, then s = s − s/14 + x from row 14; DX from row 14; ADX seeded
// with the sum of DX over rows 14..27 divided by 14, then Wilder's smoothing. A bar whose TR
// sum or DI sum is zero has no DX: it adds nothing to the seed and leaves ADX unchanged.
void adx_and_di(const double* high, const double* low, const double* close, std::size_t n,
                double* adx, double* plus_di, double* minus_di) {
  constexpr std::size_t k_period = 14;
  if (n <= k_period) {
    return;
  }
  const auto divisor = static_cast<double>(k_period);
  const auto keep = static_cast<double>(k_period - 1);
  // TA-Lib adds a DM only on the bars that have one; adding 0 instead is exact.
  double plus_dm = 0.0;
  double minus_dm = 0.0;
  double tr = 0.0;
  for (std::size_t t = 1; t < k_period; ++t) {
    const auto dm = directional_move(high, low, t);
    plus_dm += dm.plus;
    minus_dm += dm.minus;
    tr += true_range(high, low, close, t);
  }
  double sum_dx = 0.0;
  double a = 0.0;
  const std::size_t adx_start = 2 * k_period - 1;
  for (std::size_t t = k_period; t < n; ++t) {
    const auto dm = directional_move(high, low, t);
    minus_dm -= minus_dm / divisor;
    plus_dm -= plus_dm / divisor;
    minus_dm += dm.minus;
    plus_dm += dm.plus;
    tr = tr - (tr / divisor) + true_range(high, low, close, t);
    double dx = 0.0; // stays 0 (and is skipped) when TR or the DI sum is zero
    bool has_dx = false;
    if (is_zero(tr)) {
      plus_di[t] = 0.0;
      minus_di[t] = 0.0;
    } else {
      const double m = 100.0 * (minus_dm / tr);
      const double p = 100.0 * (plus_dm / tr);
      plus_di[t] = p;
      minus_di[t] = m;
      const double sum = m + p;
      if (!is_zero(sum)) {
        dx = 100.0 * (std::fabs(m - p) / sum);
        has_dx = true;
      }
    }
    if (t < adx_start) {
      sum_dx += dx;
      continue;
    }
    if (t == adx_start) {
      sum_dx += dx;
      a = sum_dx / divisor;
    } else if (has_dx) {
      a = ((a * keep) + dx) / divisor;
    }
    adx[t] = a;
  }
}

// TA_STOCH(14, 3, SMA, 3, SMA) and TA_WILLR(14), which share the highest high and lowest
// low of the last 14 bars. As in TA-Lib, an extreme is rescanned only when it leaves the
// window. Slow %K and %D are TA_SMA(3) running sums over fast %K from row 13.
void stoch_and_willr(const double* high, const double* low, const double* close, std::size_t n,
                     double* slow_k, double* slow_d, double* willr) {
  constexpr std::size_t k_period = 14;
  constexpr std::size_t k_smooth = 3;
  if (n < k_period) {
    return;
  }
  const auto smooth_divisor = static_cast<double>(k_smooth);
  std::size_t highest_idx = 0;
  std::size_t lowest_idx = 0;
  double highest = high[0];
  double lowest = low[0];
  bool scanned = false;
  double k_total = 0.0;
  double d_total = 0.0;
  // The last two values of fast and slow %K: what each SMA(3) drops next.
  std::array<double, k_smooth - 1> fast_k_back{};
  std::array<double, k_smooth - 1> slow_k_back{};
  for (std::size_t t = k_period - 1; t < n; ++t) {
    const std::size_t trailing = t + 1 - k_period;
    if (!scanned || lowest_idx < trailing) {
      lowest_idx = trailing;
      lowest = low[trailing];
      for (std::size_t i = trailing + 1; i <= t; ++i) {
        if (low[i] < lowest) {
          lowest_idx = i;
          lowest = low[i];
        }
      }
    } else if (low[t] <= lowest) {
      lowest_idx = t;
      lowest = low[t];
    }
    if (!scanned || highest_idx < trailing) {
      highest_idx = trailing;
      highest = high[trailing];
      for (std::size_t i = trailing + 1; i <= t; ++i) {
        if (high[i] > highest) {
          highest_idx = i;
          highest = high[i];
        }
      }
    } else if (high[t] >= highest) {
      highest_idx = t;
      highest = high[t];
    }
    scanned = true;

    const double range = highest - lowest;
    const double w_diff = range / (-100.0);
    willr[t] = w_diff != 0.0 ? (highest - close[t]) / w_diff : 0.0;
    const double k_diff = range / 100.0;
    const double fast_k = k_diff != 0.0 ? (close[t] - lowest) / k_diff : 0.0;

    // fast %K exists from row 13, slow %K from row 15, slow %D from row 17.
    k_total += fast_k;
    if (t >= k_period - 1 + k_smooth - 1) {
      const double sk = k_total / smooth_divisor;
      k_total -= fast_k_back[1];
      d_total += sk;
      if (t >= k_period - 1 + 2 * (k_smooth - 1)) {
        slow_k[t] = sk;
        slow_d[t] = d_total / smooth_divisor;
        d_total -= slow_k_back[1];
      }
      slow_k_back = {sk, slow_k_back[0]};
    }
    fast_k_back = {fast_k, fast_k_back[0]};
  }
}

// TA_OBV: starts at the first bar's volume.
void obv(const double* close, const double* volume, std::size_t n, double* out) {
  if (n == 0) {
    return;
  }
  double level = volume[0];
  out[0] = level;
  for (std::size_t t = 1; t < n; ++t) {
    if (close[t] > close[t - 1]) {
      level += volume[t];
    } else if (close[t] < close[t - 1]) {
      level -= volume[t];
    }
    out[t] = level;
  }
}

// TA_MFI(14): running sums of positive and negative money flow over a ring of 14 bars; each
// step first removes the oldest entry (zero or not), as TA-Lib does.
void mfi(const double* high, const double* low, const double* close, const double* volume,
         std::size_t n, double* out) {
  constexpr std::size_t k_period = 14;
  if (n <= k_period) {
    return;
  }
  std::array<double, k_period> pos_ring{};
  std::array<double, k_period> neg_ring{};
  double pos = 0.0;
  double neg = 0.0;
  double prev_tp = typical_price(high, low, close, 0);
  std::size_t slot = 0; // (t − 1) mod 14
  for (std::size_t t = 1; t < n; ++t, slot = slot + 1 == k_period ? 0 : slot + 1) {
    if (t > k_period) {
      pos -= pos_ring[slot];
      neg -= neg_ring[slot];
    }
    const double tp = typical_price(high, low, close, t);
    const double change = tp - prev_tp;
    prev_tp = tp;
    const double flow = tp * volume[t];
    pos_ring[slot] = 0.0;
    neg_ring[slot] = 0.0;
    if (change < 0) {
      neg_ring[slot] = flow;
      neg += flow;
    } else if (change > 0) {
      pos_ring[slot] = flow;
      pos += flow;
    }
    if (t >= k_period) {
      const double total = pos + neg;
      out[t] = total < 1.0 ? 0.0 : 100.0 * (pos / total);
    }
  }
}

// TA_CCI(20): the mean and the mean absolute deviation are recomputed over the window for
// every bar, summing in circular-buffer order (slot = row mod 20) as TA-Lib does. Those sums
// are chains of 20 dependent additions, the slowest part of the whole set; to overlap them
// without changing their order, bars go in blocks of k_lanes, each bar's window being one
// lane of `lanes` (lanes[slot][k] is slot `slot` of the window of bar t+k).
void cci(const double* high, const double* low, const double* close, std::size_t n, double* out) {
  constexpr std::size_t k_period = 20;
  constexpr std::size_t k_lanes = 4;
  if (n < k_period) {
    return;
  }
  const auto divisor = static_cast<double>(k_period);
  std::array<double, k_period> ring{};
  for (std::size_t t = 0; t + 1 < k_period; ++t) {
    ring[t] = typical_price(high, low, close, t);
  }
  std::array<std::array<double, k_lanes>, k_period> lanes{};
  for (std::size_t t = k_period - 1; t < n; t += k_lanes) {
    const std::size_t m = std::min(k_lanes, n - t); // bars in this block
    std::array<double, k_lanes> last{};
    for (std::size_t k = 0; k < m; ++k) {
      last[k] = typical_price(high, low, close, t + k);
      ring[(t + k) % k_period] = last[k];
    }
    // Lane k sees the newest values of bars up to t+k only: the slots of later bars in the
    // block still hold the values of 20 rows back. Lanes from m on are unused.
    for (std::size_t slot = 0; slot < k_period; ++slot) {
      lanes[slot].fill(ring[slot]);
    }
    for (std::size_t later = 1; later < m; ++later) {
      const double older = typical_price(high, low, close, t + later - k_period);
      for (std::size_t k = 0; k < later; ++k) {
        lanes[(t + later) % k_period][k] = older;
      }
    }
    std::array<double, k_lanes> average{};
    for (const auto& slot : lanes) {
      for (std::size_t k = 0; k < k_lanes; ++k) {
        average[k] += slot[k];
      }
    }
    for (auto& a : average) {
      a /= divisor;
    }
    std::array<double, k_lanes> deviation{};
    for (const auto& slot : lanes) {
      for (std::size_t k = 0; k < k_lanes; ++k) {
        deviation[k] += std::fabs(slot[k] - average[k]);
      }
    }
    for (std::size_t k = 0; k < m; ++k) {
      const double distance = last[k] - average[k];
      out[t + k] = (distance != 0.0 && deviation[k] != 0.0)
                       ? distance / (0.015 * (deviation[k] / divisor))
                       : 0.0;
    }
  }
}

// TA_ROC(10).
void roc(const double* close, std::size_t n, double* out) {
  constexpr std::size_t k_period = 10;
  for (std::size_t t = k_period; t < n; ++t) {
    const double base = close[t - k_period];
    out[t] = base != 0.0 ? ((close[t] / base) - 1.0) * 100.0 : 0.0;
  }
}

} // namespace

void IndicatorSeries::resize(std::size_t rows) {
  m_rows = rows;
  // assign() reuses the capacity: no allocation once the longest series has been seen.
  m_data.assign(rows * k_indicator_count, k_nan);
}

void compute_indicators(const BarsView& bars, IndicatorSeries& out) {
  assert(bars.valid());
  const std::size_t n = bars.size();
  out.resize(n);
  const double* high = bars.high.data();
  const double* low = bars.low.data();
  const double* close = bars.close.data();
  const double* volume = bars.volume.data();
  auto col = [&out](Indicator i) { return out.column(i).data(); };

  sma(close, n, 5, col(Indicator::sma5));
  sma(close, n, 20, col(Indicator::sma20));
  bbands(close, n, col(Indicator::sma20), col(Indicator::bb_upper), col(Indicator::bb_lower));
  std::copy_n(col(Indicator::sma20), n, col(Indicator::bb_middle));
  sma(close, n, 60, col(Indicator::sma60));
  sma(close, n, 120, col(Indicator::sma120));
  ema(close, n, 12, col(Indicator::ema12));
  ema(close, n, 26, col(Indicator::ema26));
  rsi(close, n, col(Indicator::rsi14));
  macd(close, n, col(Indicator::macd), col(Indicator::macd_signal), col(Indicator::macd_hist));
  atr_and_natr(high, low, close, n, col(Indicator::atr14), col(Indicator::natr14));
  stoch_and_willr(high, low, close, n, col(Indicator::stoch_slowk), col(Indicator::stoch_slowd),
                  col(Indicator::willr14));
  obv(close, volume, n, col(Indicator::obv));
  mfi(high, low, close, volume, n, col(Indicator::mfi14));
  adx_and_di(high, low, close, n, col(Indicator::adx14), col(Indicator::plus_di14),
             col(Indicator::minus_di14));
  cci(high, low, close, n, col(Indicator::cci20));
  roc(close, n, col(Indicator::roc10));
}

} // namespace krxbatch::analysis
