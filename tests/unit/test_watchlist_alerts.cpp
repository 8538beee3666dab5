// The watchlist digest's rule (jobs/watchlist_alerts.hpp): which stocks are news on a ranked
// session and how each reads (the digest itself runs against a real database in
// tests/integration/test_cli_report.cpp).
#include "krxbatch/jobs/watchlist_alerts.hpp"

#include <doctest/doctest.h>

using namespace krxbatch;
using core::Date;

namespace {

store::ScoredSession scored(Date d, double score, std::array<double, 5> pillars) {
  return {d, score, pillars};
}

store::WatchlistEvent event(const std::string& ticker) {
  store::WatchlistEvent e;
  e.ticker = ticker;
  e.name = "N" + ticker;
  e.on_session = e.on_previous_session = e.traded = e.traded_before = true;
  e.eligible = e.eligible_before = true;
  return e;
}

} // namespace

TEST_SUITE("jobs.watchlist_alerts") {
  TEST_CASE("a watchlist stock is news when its score moved by the threshold, with the two "
            "pillars that moved most") {
    auto moved = event("000010");
    moved.score = scored(Date(2024, 9, 19), 68.9, {70, 60, 50, 40, 30});
    moved.previous = scored(Date(2024, 9, 13), 61.2, {58, 54, 50, 41, 30});
    auto still = event("000020");
    still.score = scored(Date(2024, 9, 19), 50.0, {50, 50, 50, 50, 50});
    still.previous = scored(Date(2024, 9, 13), 45.1, {50, 50, 50, 50, 50});
    auto fell = event("000030");
    fell.score = scored(Date(2024, 9, 19), 40.0, {40, 40, 40, 40, 40});
    fell.previous = scored(Date(2024, 9, 13), 45.0, {40, 40, 40, 40, 40});
    const std::vector events = {moved, still, fell};
    const auto news = jobs::watchlist_news(events, 5.0);
    REQUIRE(news.size() == 2);
    CHECK(news[0] == "000010 N000010: score 61.2 -> 68.9 (+7.7 vs 2024-09-13; trend +12.0, "
                     "momentum +6.0)");
    CHECK(news[1].rfind("000030 N000030: score 45.0 -> 40.0 (-5.0 vs 2024-09-13", 0) == 0);
    CHECK(jobs::watchlist_news(events, 8.0).empty());
  }

  TEST_CASE("corporate actions, halts, delistings and lost eligibility are news") {
    auto action = event("000010");
    action.action_factor = 0.5;
    auto halted = event("000020");
    halted.traded = false;
    auto gone = event("000030");
    gone.on_session = gone.traded = false;
    auto ineligible = event("000040");
    ineligible.eligible = false;
    ineligible.flags = "illiquid";
    auto already_halted = event("000050");
    already_halted.traded = already_halted.traded_before = false;
    const std::vector events = {action, halted, gone, ineligible, already_halted};
    const auto news = jobs::watchlist_news(events, 5.0);
    REQUIRE(news.size() == 4);
    CHECK(news[0] == "000010 N000010: corporate action (factor 0.500000)");
    CHECK(news[1] == "000020 N000020: stopped trading (no trades on the session)");
    CHECK(news[2] == "000030 N000030: no longer on the market (no price row on the session)");
    CHECK(news[3] == "000040 N000040: became ineligible (illiquid)");
  }
}
