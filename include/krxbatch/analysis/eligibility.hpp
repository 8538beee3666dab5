// Which stocks take part in a session's ranking, with named flags (docs/SCORING.md
// "Eligibility"; indicators.md §6.3 step 1).
//
// A stock is *eligible* when it has enough history for the score's shorter windows, traded on
// the session, and trades enough to be a real candidate. Only eligible stocks enter the
// ranking's denominators; the others keep their indicator values and raw factors (for the
// operator) but get no score. Some flags are informational and do not exclude the stock
// (partial_history, no_index). Pure: no I/O; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace krxbatch::analysis {

// One bit per flag. The order is the order of flags_text().
enum class Flag : std::uint32_t {
  short_history = 1U << 0,    // fewer than min_bars bars: not eligible
  partial_history = 1U << 1,  // fewer than full_history_bars: eligible, the long factors missing
  not_on_session = 1U << 2,   // no bar on the session (delisted, not listed yet, or missing)
  suspended = 1U << 3,        // no trade on the session (volume 0): not eligible
  low_value = 1U << 4,        // average traded value below the floor: not eligible
  zero_volume_days = 1U << 5, // too many days without trades lately: not eligible
  no_index =
      1U << 6, // no close of its market's composite on the session (always for KONEX): the factors
               // that need it (market-adjusted momentum, beta, relative strength) missing
};

inline constexpr std::size_t k_flag_count = 7;
inline constexpr std::array<std::string_view, k_flag_count> k_flag_names = {
    "short_history", "partial_history",  "not_on_session", "suspended",
    "low_value",     "zero_volume_days", "no_index"};

// The thresholds. Defaults are those of docs/SCORING.md.
struct EligibilityRules {
  // Below this many bars the trend and risk windows (SMA120, Ulcer 120) are undefined and the
  // TA-Lib seeds still dominate the recursive indicators (indicators.md §4).
  std::size_t min_bars = 120;
  // From this many bars every factor is defined (12-1 momentum needs C_{t−252}).
  std::size_t full_history_bars = 253;
  // Floor on the mean traded value of the last `liquidity_window` bars (KRW).
  double min_average_value = 100'000'000.0;
  std::size_t liquidity_window = 20;
  // At most this many zero-volume days among the last `liquidity_window` bars.
  std::size_t max_zero_volume_days = 4;
};

// What the rules look at, measured on the stock's bars up to the session.
struct EligibilityFacts {
  std::size_t bars = 0;             // bars in the analysis window
  bool on_session = false;          // the last bar is the session's
  double session_volume = 0.0;      // volume of the last bar
  double average_value = 0.0;       // mean traded value of the last liquidity_window bars (NaN
                                    // when fewer)
  std::size_t zero_volume_days = 0; // among the last liquidity_window bars
  bool index_on_session = false;    // its market's composite has a close on the session
};

struct Eligibility {
  std::uint32_t flags = 0;
  bool eligible = false;

  bool has(Flag flag) const { return (flags & static_cast<std::uint32_t>(flag)) != 0; }
};

// Applies every rule; all that apply are flagged (a suspended stock with a short history has
// both flags). A stock not on the session is judged on that alone: its other facts are stale.
Eligibility assess_eligibility(const EligibilityFacts& facts, const EligibilityRules& rules = {});

// "partial_history,no_index": the names of the set flags in k_flag_names order; "" for none.
std::string flags_text(std::uint32_t flags);

} // namespace krxbatch::analysis
