#include "krxbatch/ops/universe.hpp"
#include "krxbatch/ops/verify.hpp"
#include "krxbatch/store/price_store.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

using namespace krxbatch;
using core::Date;
using ops::Level;
using store::SessionMarketCount;

namespace {

const std::vector<market::Market> k_markets = {market::Market::kospi, market::Market::kosdaq};

bool has(const std::vector<ops::Finding>& findings, Level level, const std::string& check,
         const std::string& text) {
  for (const auto& f : findings) {
    if (f.level == level && f.check == check && f.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

market::PriceRow row(const Date& d, const std::string& ticker, market::Market m,
                     std::int64_t close) {
  market::PriceRow r;
  r.trade_date = d;
  r.ticker = ticker;
  r.name = "n" + ticker;
  r.market = m;
  r.close = close;
  r.open = close;
  r.high = close + 10;
  r.low = close - 10;
  r.volume = 100;
  r.value = close * 100;
  r.listed_shares = 1000;
  r.market_cap = close * 1000;
  return r;
}

} // namespace

TEST_SUITE("ops.verify") {
  TEST_CASE("a session missing one market, or its index rows, is an error") {
    const std::vector<SessionMarketCount> counts = {{Date(2024, 1, 2), "KOSDAQ", 10},
                                                    {Date(2024, 1, 2), "KOSPI", 10},
                                                    {Date(2024, 1, 3), "KOSPI", 10},
                                                    {Date(2024, 1, 4), "KOSDAQ", 10},
                                                    {Date(2024, 1, 4), "KOSPI", 10}};
    const std::vector<Date> index = {Date(2024, 1, 2), Date(2024, 1, 3), Date(2024, 1, 5)};
    const auto f = ops::check_markets(counts, index, k_markets);
    CHECK(has(f, Level::error, "missing_market",
              "2024-01-03: price rows for KOSPI but none for "
              "KOSDAQ"));
    CHECK(has(f, Level::error, "missing_market", "2024-01-04: price rows but no index rows"));
    CHECK(has(f, Level::warn, "missing_market", "2024-01-05: index rows but no price rows"));
    CHECK(f.size() == 3);
  }

  TEST_CASE("a row count far from both neighbours is flagged, a lasting step is not") {
    std::vector<SessionMarketCount> counts;
    const std::vector<std::int64_t> kospi = {1000, 1010, 880, 1005, 1100, 1110, 1120, 400, 1125};
    for (std::size_t i = 0; i < kospi.size(); ++i) {
      counts.push_back(
          {Date(2024, 1, 2) + boost::gregorian::days(static_cast<long>(i)), "KOSPI", kospi[i]});
    }
    const auto f = ops::check_row_counts(counts);
    CHECK(has(f, Level::warn, "row_count", "2024-01-04: 880 KOSPI rows against 1010 and 1005"));
    CHECK(has(f, Level::error, "row_count", "2024-01-09: 400 KOSPI rows"));
    CHECK(f.size() == 2); // 1005 -> 1100 is a step (next sessions agree), not an outlier
  }

  TEST_CASE("sessions inside the mark without rows are gaps, a closed day with rows is flagged") {
    const auto& cal = test::real_calendar();
    // 2024-01-02 .. 2024-01-10 are sessions (none closed); drop 01-04 and 01-05.
    const std::vector<Date> stored = {Date(2024, 1, 2), Date(2024, 1, 3), Date(2024, 1, 8),
                                      Date(2024, 1, 9), Date(2024, 1, 10)};
    auto f = ops::check_sessions(cal, stored, std::nullopt, Date(2024, 1, 10));
    CHECK(has(f, Level::error, "mark_gap", "2024-01-04, 2024-01-05"));
    // Sessions after the mark are not gaps yet.
    f = ops::check_sessions(cal, stored, std::nullopt, Date(2024, 1, 3));
    CHECK(f.empty());
    // History recorded as starting earlier than the first stored session: that part is a gap.
    f = ops::check_sessions(cal, stored, Date(2023, 12, 28), Date(2024, 1, 3));
    CHECK(has(f, Level::error, "mark_gap", "2023-12-28"));
    const std::vector<Date> holiday = {Date(2024, 1, 1), Date(2024, 1, 2)};
    f = ops::check_sessions(cal, holiday, std::nullopt, std::nullopt);
    CHECK(has(f, Level::warn, "not_a_session", "2024-01-01"));
  }

  TEST_CASE("a succeeded day without rows is an error") {
    std::vector<store::DayRecord> days(3);
    days[0].date = Date(2024, 1, 2);
    days[0].state = state::DayState::succeeded;
    days[1].date = Date(2024, 1, 3);
    days[1].state = state::DayState::succeeded;
    days[2].date = Date(2024, 1, 4);
    days[2].state = state::DayState::failed;
    const auto f = ops::check_job_days(days, {Date(2024, 1, 2)}, Date(2024, 1, 4));
    CHECK(has(f, Level::error, "job_state", "2024-01-03"));
    CHECK(has(f, Level::warn, "job_state", "2024-01-04"));
  }

  TEST_CASE("an OHLC or market-cap break is an error unless it was flagged when stored") {
    store::Database db(":memory:");
    store::PriceStore prices(db);
    const Date d(2024, 1, 2);
    const auto now = test::kst(2024, 1, 2, 20);
    std::vector<market::PriceRow> rows = {row(d, "000001", market::Market::kospi, 100),
                                          row(d, "000002", market::Market::kospi, 200),
                                          row(d, "100001", market::Market::kosdaq, 300)};
    rows[1].high = 150; // close 200 > high: flagged at ingestion
    const std::vector<std::pair<market::Market, market::Finding>> warnings = {
        {market::Market::kospi, {market::Severity::warn, "ohlc", "000002", "close > high"}}};
    {
      store::Database::Transaction txn(db);
      prices.replace_day(d, rows, {}, warnings, now);
      txn.commit();
    }
    auto scan = store::price_violations(db, 20);
    CHECK(scan.unknown == 0);
    CHECK(scan.known == 1);
    auto f = ops::check_prices(scan);
    CHECK(has(f, Level::warn, "ohlc", "1 price row violation(s) as KRX sent them"));

    db.execute("UPDATE daily_prices SET low = 0 WHERE ticker = '000001'");
    db.execute("UPDATE daily_prices SET market_cap = market_cap + 1 WHERE ticker = '100001'");
    scan = store::price_violations(db, 20);
    CHECK(scan.unknown == 2);
    f = ops::check_prices(scan);
    CHECK(has(f, Level::error, "ohlc", "2024-01-02 000001: open=100 high=110 low=0"));
    CHECK(has(f, Level::error, "market_cap", "2024-01-02 100001: market_cap=300001"));
    // A suspended row (no trade, NULL O/H/L) breaks nothing.
    db.execute("UPDATE daily_prices SET open = NULL, high = NULL, low = NULL, volume = 0, low = "
               "NULL WHERE ticker = '000001'");
    CHECK(store::price_violations(db, 20).unknown == 1);
  }

  TEST_CASE("a staged session counts its rows as a stored one does") {
    store::Database db(":memory:");
    const Date d1(2024, 6, 27);
    const Date d2(2024, 6, 28);
    for (const auto& [day, table] : {std::pair(d1, store::PriceTable::daily_prices),
                                     std::pair(d2, store::PriceTable::staging)}) {
      std::vector<market::PriceRow> rows;
      for (int i = 0; i < 30; ++i) {
        rows.push_back(row(day, "00" + std::to_string(1000 + i), market::Market::kospi, 100 + i));
      }
      for (int i = 0; i < 20; ++i) {
        rows.push_back(row(day, "00" + std::to_string(2000 + i), market::Market::kosdaq, 100 + i));
      }
      store::Database::Transaction txn(db);
      store::PriceStore(db).replace_day(day, rows, {}, {}, core::KstTime(day, {}), table);
      txn.commit();
    }
    const auto counts = store::price_counts(db);
    REQUIRE(counts.size() == 4);
    for (const auto& c : counts) {
      CAPTURE(core::to_iso(c.session));
      CHECK(c.rows == (c.market == "KOSPI" ? 30 : 20));
    }
    CHECK_FALSE(has(ops::check_row_counts(counts), Level::error, "row_count", ""));
  }

  TEST_CASE("a stored event must be a re-base the rows show, and every re-base must be stored") {
    const auto stored = [](std::string ticker, Date ex, std::int64_t prev, std::int64_t base,
                           double cum) {
      store::StoredAdjustment a;
      a.ticker = std::move(ticker);
      a.ex_date = ex;
      a.prev_close = prev;
      a.base_price = base;
      a.factor = static_cast<double>(base) / static_cast<double>(prev);
      a.cum_factor = cum;
      return a;
    };
    const auto found = [](std::string ticker, Date ex, std::int64_t prev, std::int64_t base) {
      return store::DatedRebase{ex, {std::move(ticker), prev, base, 0, 0}};
    };
    const Date d1(2024, 6, 10);
    const Date d2(2024, 6, 20);
    // Two events of one issue: the earlier one's cum_factor is the product of both.
    const std::vector<store::StoredAdjustment> good = {stored("000010", d1, 1000, 500, 0.5 * 0.8),
                                                       stored("000010", d2, 500, 400, 0.8)};
    const std::vector<store::DatedRebase> rows = {found("000010", d1, 1000, 500),
                                                  found("000010", d2, 500, 400)};
    CHECK(ops::check_adjustments(good, rows).empty());

    auto wrong_cum = good;
    wrong_cum[0].cum_factor = 0.5;
    auto wrong_base = good;
    wrong_base[1].base_price = 401;
    for (const auto* events : {&wrong_cum, &wrong_base}) {
      const auto f = ops::check_adjustments(*events, rows);
      REQUIRE(f.size() == 1);
      CHECK(f[0].level == Level::error);
      CHECK(f[0].check == "adjustments");
      CHECK(f[0].message.find("krxbatch daily_update --from") != std::string::npos);
    }
    // A re-base the rows show that is not stored, and a stored one they do not show.
    const auto missing = ops::check_adjustments(std::span(good).first(1), rows);
    REQUIRE(missing.size() == 2); // and the first one's cum_factor is now wrong too
    CHECK(missing[1].message.find("2024-06-20 000010: the rows show a re-base") == 0);
    const auto extra = ops::check_adjustments(good, std::span(rows).first(1));
    REQUIRE(extra.size() == 1);
    CHECK(extra[0].message.find("that the rows do not show") != std::string::npos);
  }

  TEST_CASE("a clean in-memory database verifies with no error and a summary") {
    store::Database db(":memory:");
    const auto report = ops::verify_database(db, test::real_calendar());
    CHECK(report.errors == 0);
    CHECK(report.findings.back().check == "summary");
  }
}

TEST_SUITE("ops.universe") {
  TEST_CASE("the universe diff names added, reactivated, deactivated and kept issues") {
    std::vector<store::TargetTicker> current(4);
    current[0].ticker = "000001"; // stays
    current[1].ticker = "000002"; // falls below
    current[2].ticker = "000003"; // inactive, comes back
    current[2].active = false;
    current[3].ticker = "000004"; // inactive, stays out
    current[3].active = false;
    std::vector<store::UniverseCandidate> candidates = {
        {"000005", "new", market::Market::kosdaq, 9},
        {"000001", "a", market::Market::kospi, 8},
        {"000003", "c", market::Market::kospi, 7}};
    const auto d = ops::diff_universe(current, candidates);
    REQUIRE(d.added.size() == 1);
    CHECK(d.added[0].ticker == "000005");
    CHECK(d.added[0].market == "KOSDAQ");
    REQUIRE(d.reactivated.size() == 1);
    CHECK(d.reactivated[0].ticker == "000003");
    REQUIRE(d.deactivated.size() == 1);
    CHECK(d.deactivated[0].ticker == "000002");
    REQUIRE(d.kept.size() == 1);
    CHECK(d.kept[0].ticker == "000001");
  }
}
