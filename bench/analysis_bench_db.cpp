// Benchmark helper (not a test): writes a synthetic market for hourly_analysis.
//
//   build/krxbatch_analysis_bench_db DB [tickers=2900] [sessions=300] [last=2024-07-01]
//
// Creates DB (which must not exist) with `tickers` issues × `sessions` KRX sessions ending at
// `last`, the KOSPI composite, every issue a target and daily_update's mark on `last`
// (tests/support/synthetic_market.hpp), inserting through the store API. bench/hourly-analysis
// times `krxbatch hourly_analysis` on a copy of it; see DEVELOPERS.md.
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/util/paths.hpp"

#include "support/synthetic_market.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace krxbatch;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DB [tickers=2900] [sessions=300] [last=2024-07-01]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const auto tickers = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2900UL;
  const auto sessions = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 300UL;
  const auto last = core::parse_iso_date(argc > 4 ? argv[4] : "2024-07-01");
  if (!last || tickers == 0 || sessions == 0 || std::filesystem::exists(path)) {
    std::fprintf(stderr, "%s: bad arguments, or %s exists already\n", argv[0], path.c_str());
    return 2;
  }
  try {
    const auto calendar = calendar::Calendar::load(util::find_holidays_dir(std::nullopt));
    const auto end = calendar.business_day_on_or_before(*last);
    test::SyntheticMarket market;
    market.tickers = tickers;
    market.sessions = calendar.business_days(
        calendar.business_day_back(end, static_cast<int>(sessions) - 1), end);
    // A few issues listed during the window (partial and short histories), a few suspensions.
    market.listed_from = [sessions](std::size_t i) -> std::size_t {
      return i % 97 == 5 ? sessions - 150 : (i % 131 == 7 ? sessions - 60 : 0);
    };
    market.suspended = [](std::size_t i, std::size_t s) { return i % 211 == 3 && s % 40 < 3; };
    const auto started = std::chrono::steady_clock::now();
    store::Database db(path);
    test::write_synthetic_market(db, market);
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    std::printf("%s: %lu issues x %lu sessions (%s..%s) in %lld ms\n", path.c_str(), tickers,
                sessions, core::to_iso(market.sessions.front()).c_str(),
                core::to_iso(market.sessions.back()).c_str(), static_cast<long long>(ms));
  } catch (const core::Error& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
