// Dump mode: the bodies the server would serve (publication time aside), as replay files.
#pragma once

#include "fake_krx/market_model.hpp"
#include "fake_krx/options.hpp"

#include <cstddef>

namespace krxbatch::fake_krx {

// Writes `dir`/{api_id}_{YYYYMMDD}.json for every session in [from, to] and every endpoint
// (creating `dir`); returns the number of files. Throws core::Error: exit 2 when `from` is
// before the model's first session or the range leaves the calendar, exit 1 when a file
// cannot be written.
std::size_t write_dump(const MarketModel& model, const DumpOptions& options);

} // namespace krxbatch::fake_krx
