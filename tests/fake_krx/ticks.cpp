#include "fake_krx/ticks.hpp"

#include <algorithm>
#include <cmath>

namespace krxbatch::fake_krx {

std::int64_t tick_size(std::int64_t price) {
  if (price < 2'000) {
    return 1;
  }
  if (price < 5'000) {
    return 5;
  }
  if (price < 20'000) {
    return 10;
  }
  if (price < 50'000) {
    return 50;
  }
  if (price < 200'000) {
    return 100;
  }
  if (price < 500'000) {
    return 500;
  }
  return 1'000;
}

bool on_tick_grid(std::int64_t price) {
  return price > 0 && price % tick_size(price) == 0;
}

// In the three roundings below the tick is taken at a price inside the band the result lands
// in (or at its upper boundary, which is a multiple of every smaller tick), so the result is
// always on the grid.
std::int64_t round_to_tick(double price) {
  const auto tick = static_cast<double>(tick_size(static_cast<std::int64_t>(std::floor(price))));
  return std::max<std::int64_t>(1, std::llround(price / tick) * static_cast<std::int64_t>(tick));
}

std::int64_t floor_to_tick(double price) {
  const auto tick = tick_size(static_cast<std::int64_t>(std::floor(price)));
  const auto steps = static_cast<std::int64_t>(std::floor(price / static_cast<double>(tick)));
  return std::max<std::int64_t>(1, steps * tick);
}

std::int64_t ceil_to_tick(double price) {
  const auto tick = tick_size(static_cast<std::int64_t>(std::ceil(price)));
  const auto steps = static_cast<std::int64_t>(std::ceil(price / static_cast<double>(tick)));
  return std::max<std::int64_t>(1, steps * tick);
}

std::int64_t upper_limit(std::int64_t base) {
  const std::int64_t tick = tick_size(base);
  const std::int64_t width = base * 3 / 10 / tick * tick;
  return floor_to_tick(static_cast<double>(base + width));
}

std::int64_t lower_limit(std::int64_t base) {
  const std::int64_t tick = tick_size(base);
  const std::int64_t width = base * 3 / 10 / tick * tick;
  return ceil_to_tick(static_cast<double>(std::max<std::int64_t>(1, base - width)));
}

} // namespace krxbatch::fake_krx
