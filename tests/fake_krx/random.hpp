// Counter-based randomness: every random number the fake market uses is a hash of
// (seed, purpose, keys...), never the state of a generator. So a value depends only on what it
// is about (an issue, a date), not on the order things were computed in, which is what makes
// the bodies deterministic whatever the request order and lets the same number be recomputed
// where it is needed instead of stored.
//
// Pure, constexpr where possible, thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace krxbatch::fake_krx {

// What a random number is for: keeps the streams of different purposes independent.
enum class Stream : std::uint64_t {
  issue_kind = 1,
  issue_code,
  issue_name,
  issue_section,
  issue_size,
  issue_dynamics,
  listing,
  delisting,
  market_factor,
  idiosyncratic,
  jump,
  no_trade,
  konex_quote,
  open_gap,
  intraday_range,
  volume,
  traded_value,
  code_offset,
  corporate_action, // new streams go last: the values of the others never change
};

// SplitMix64's finaliser: a bijective 64-bit mix with good avalanche.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31U);
}

// The hash of a seed, a purpose and any number of integer keys.
template <typename... Keys>
constexpr std::uint64_t hash_of(std::uint64_t seed, Stream stream, Keys... keys) {
  std::uint64_t h = mix64(seed ^ mix64(static_cast<std::uint64_t>(stream)));
  ((h = mix64(h ^ static_cast<std::uint64_t>(keys))), ...);
  return h;
}

// A double in [0, 1) from the top 53 bits of a hash.
constexpr double unit_interval(std::uint64_t h) {
  return static_cast<double>(h >> 11U) * 0x1.0p-53;
}

// A standard normal deviate from a hash (Box-Muller over two derived uniforms).
inline double standard_normal(std::uint64_t h) {
  const double u1 = unit_interval(h) + 0x1.0p-54; // never 0: log(0) is -inf
  const double u2 = unit_interval(mix64(h ^ 0x5bd1e995ULL));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// An integer in [0, n) from a hash. Precondition: n > 0.
constexpr std::uint64_t below(std::uint64_t h, std::uint64_t n) {
  return h % n;
}

} // namespace krxbatch::fake_krx
