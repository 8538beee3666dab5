// A synthetic KRX market written straight into a database through the store API (tests and
// the hourly_analysis benchmark; no fake server, no fetching): daily prices of `tickers`
// issues over `sessions` (every third one on KOSDAQ), the KOSPI and KOSDAQ composites (each
// the cap-weighted move of its market's issues), target_tickers holding every issue, and
// daily_update's mark on the last session. Deterministic for a seed. Header-only so that the
// unit tests, the integration tests and the benchmark can all use it.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/job_store.hpp"
#include "krxbatch/store/price_store.hpp"
#include "krxbatch/store/target_store.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace krxbatch::test {

struct SyntheticMarket {
  std::size_t tickers = 20;
  std::vector<core::Date> sessions; // ascending
  std::uint64_t seed = 1;
  bool with_index = true;
  // Issue i is listed from session listed_from(i) on (0: the whole window).
  std::function<std::size_t(std::size_t)> listed_from;
  // Whether issue i did not trade on session s (volume 0, O/H/L stored NULL).
  std::function<bool(std::size_t, std::size_t)> suspended;
};

// "000010", "000020", ...: distinct 6-digit codes in ticker order.
inline std::string synthetic_ticker(std::size_t i) {
  auto digits = std::to_string((i + 1) * 10);
  return std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') + digits;
}

// A counter-based hash to [0, 1): the same (seed, a, b) always gives the same number.
inline double synthetic_unit(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  std::uint64_t x =
      seed * 0x9E3779B97F4A7C15ULL + a * 0xBF58476D1CE4E5B9ULL + b * 0x94D049BB133111EBULL;
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) / 9007199254740992.0;
}

inline double synthetic_tick(double price) {
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

inline std::int64_t synthetic_on_grid(double price) {
  const double t = synthetic_tick(price);
  return static_cast<std::int64_t>(std::max(t, std::round(price / t) * t));
}

// Writes the market (one transaction per session) and returns the last session.
inline core::Date write_synthetic_market(store::Database& db, const SyntheticMarket& m) {
  const core::KstTime now(m.sessions.back(), boost::posix_time::hours(20));
  store::PriceStore prices(db);
  const std::size_t n = m.tickers;
  std::vector<double> close(n);
  std::vector<std::int64_t> shares(n);
  for (std::size_t i = 0; i < n; ++i) {
    close[i] = 2000.0 * std::exp(4.0 * synthetic_unit(m.seed, i, 0));
    shares[i] = 2'000'000 + static_cast<std::int64_t>(50'000'000 * synthetic_unit(m.seed, i, 1));
  }
  // Per market (0 KOSPI, 1 KOSDAQ): the composite, and the caps before and after a session.
  std::array<double, 2> index = {2500.0, 800.0};
  std::vector<market::PriceRow> rows;
  for (std::size_t s = 0; s < m.sessions.size(); ++s) {
    const auto day = m.sessions[s];
    const double factor = 0.012 * (synthetic_unit(m.seed, 999'999, s) - 0.5) * 2.0;
    rows.clear();
    std::array<double, 2> cap_before = {0.0, 0.0};
    std::array<double, 2> cap_after = {0.0, 0.0};
    for (std::size_t i = 0; i < n; ++i) {
      if (m.listed_from && s < m.listed_from(i)) {
        continue;
      }
      const bool halted = m.suspended && m.suspended(i, s);
      const double beta = 0.5 + synthetic_unit(m.seed, i, 2);
      const double noise = 0.04 * (synthetic_unit(m.seed, i, 10 + s) - 0.5);
      const double previous = close[i];
      const auto c = halted ? static_cast<std::int64_t>(previous)
                            : synthetic_on_grid(previous * (1.0 + beta * factor + noise));
      close[i] = static_cast<double>(c);
      const std::size_t k = i % 3 == 2 ? 1 : 0;
      cap_before[k] += previous * static_cast<double>(shares[i]);
      cap_after[k] += close[i] * static_cast<double>(shares[i]);
      market::PriceRow r;
      r.trade_date = day;
      r.ticker = synthetic_ticker(i);
      r.name = "종목" + r.ticker;
      r.market = k == 1 ? market::Market::kosdaq : market::Market::kospi;
      r.close = c;
      r.change = c - static_cast<std::int64_t>(previous);
      if (halted) {
        r.open = r.high = r.low = 0;
        r.volume = 0;
        r.value = 0;
      } else {
        const auto o = synthetic_on_grid(
            previous * (1.0 + 0.01 * (synthetic_unit(m.seed, i, 5000 + s) - 0.5)));
        r.open = o;
        r.high = std::max(o, c) + static_cast<std::int64_t>(synthetic_tick(close[i]));
        r.low = std::max<std::int64_t>(1, std::min(o, c) -
                                              static_cast<std::int64_t>(synthetic_tick(close[i])));
        r.volume =
            100'000 + static_cast<std::int64_t>(200'000 * synthetic_unit(m.seed, i, 9000 + s));
        r.value = *r.volume * c;
      }
      r.listed_shares = shares[i];
      r.market_cap = c * shares[i];
      rows.push_back(std::move(r));
    }
    std::vector<market::IndexRow> indices;
    for (std::size_t k = 0; m.with_index && k < 2; ++k) {
      index[k] = cap_before[k] > 0.0 ? index[k] * cap_after[k] / cap_before[k] : index[k];
      const auto composite =
          *market::composite_of(k == 0 ? market::Market::kospi : market::Market::kosdaq);
      market::IndexRow x;
      x.trade_date = day;
      x.index_class = std::string(composite.index_class);
      x.index_name = std::string(composite.index_name);
      x.close = std::round(index[k] * 100.0) / 100.0;
      x.open = x.high = x.low = x.close;
      indices.push_back(std::move(x));
    }
    store::Database::Transaction txn(db);
    prices.replace_day(day, rows, indices, {}, now);
    txn.commit();
  }
  // The universe: every issue listed on the last session.
  store::TargetStore targets(db);
  store::Database::Transaction txn(db);
  const std::vector<market::Market> markets = {market::Market::kospi, market::Market::kosdaq};
  const auto candidates = targets.candidates(m.sessions.back(), 0, markets);
  targets.apply_universe(m.sessions.back(), candidates);
  store::JobStore(db).set_mark(store::k_job_daily_update, m.sessions.back(), now);
  txn.commit();
  return m.sessions.back();
}

} // namespace krxbatch::test
