// Numbers as people read them in reports and alerts (pure, header-only): fixed decimals, an
// explicit sign for a change.
#pragma once

#include <cstdio>
#include <string>

namespace krxbatch::core {

// 61.234 -> "61.2" (decimals = 1).
inline std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

// A change: 7.7 -> "+7.7", -5 -> "-5.0", 0 -> "+0.0".
inline std::string signed_fixed(double value, int decimals) {
  return (value >= 0 ? "+" : "") + fixed(value, decimals);
}

} // namespace krxbatch::core
