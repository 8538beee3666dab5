// The KRX price grid and daily price limits (indicators.md §4).
//
// Tick sizes are the unified KOSPI/KOSDAQ table in force since 2023-01-25 (the fake uses it for
// every date and for KONEX too): 1 won below 2,000, 5 below 5,000, 10 below 20,000, 50 below
// 50,000, 100 below 200,000, 500 below 500,000, 1,000 above. Every band boundary is a multiple of
// the ticks below it, so "p is on the grid" simply means p % tick_size(p) == 0.
//
// The daily limit is ±30% of the base (previous close): width = base × 0.3 truncated to the
// base's tick; the upper limit is base + width truncated to the tick at that price, the lower
// limit base − width raised to the tick at that price.
//
// Pure and thread-safe. Prices are positive won.
#pragma once

#include <cstdint>

namespace krxbatch::fake_krx {

std::int64_t tick_size(std::int64_t price);
bool on_tick_grid(std::int64_t price);
// The nearest grid price to `price` (at least 1).
std::int64_t round_to_tick(double price);
// The highest grid price <= `price` / the lowest grid price >= `price` (both at least 1).
std::int64_t floor_to_tick(double price);
std::int64_t ceil_to_tick(double price);

std::int64_t upper_limit(std::int64_t base);
std::int64_t lower_limit(std::int64_t base);

} // namespace krxbatch::fake_krx
