#include "krxbatch/market/validation.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace krxbatch;
using market::Market;
using market::PriceRow;
using market::Severity;

namespace {

const core::Date k_day(2024, 1, 5);

// A consistent, traded KOSPI row (Samsung on 2024-01-05).
PriceRow good_row(std::string ticker = "005930") {
  PriceRow r;
  r.trade_date = k_day;
  r.ticker = std::move(ticker);
  r.name = "삼성전자";
  r.market = Market::kospi;
  r.close = 76600;
  r.change = 0;
  r.change_rate = 0.0;
  r.open = 76700;
  r.high = 77100;
  r.low = 76400;
  r.volume = 11304316;
  r.value = 866836486100;
  r.listed_shares = 5969782550;
  r.market_cap = 457285343330000;
  return r;
}

// The findings of `rule` in a one-row validation of `row`.
std::vector<market::Finding> findings(const PriceRow& row, const std::string& rule) {
  const std::vector<PriceRow> rows{row};
  const auto report = market::validate_stocks(k_day, Market::kospi, rows, std::nullopt);
  std::vector<market::Finding> out;
  std::copy_if(report.findings.begin(), report.findings.end(), std::back_inserter(out),
               [&](const market::Finding& f) { return f.rule == rule; });
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<PriceRow> many_rows(std::size_t n) {
  std::vector<PriceRow> rows;
  for (std::size_t i = 0; i < n; ++i) {
    auto ticker = std::to_string(i);
    ticker.insert(0, 6 - ticker.size(), '0');
    rows.push_back(good_row(ticker));
  }
  return rows;
}

} // namespace

TEST_SUITE("market.validation") {
  TEST_CASE("a consistent traded row and a suspended row give no finding") {
    auto suspended = good_row("003560");
    suspended.open = suspended.high = suspended.low = 0;
    suspended.volume = suspended.value = 0;
    suspended.close = 10760;
    suspended.listed_shares = 5474569;
    suspended.market_cap = 58906362440;
    const std::vector<PriceRow> rows{good_row(), suspended};
    const auto report = market::validate_stocks(k_day, Market::kospi, rows, 2);
    CHECK(report.findings.empty());
    CHECK_FALSE(report.has_errors());
    CHECK(report.first_error().empty());
  }

  TEST_CASE("rejects a row whose BAS_DD is not the requested day") {
    auto r = good_row();
    r.trade_date = core::Date(2024, 1, 4);
    const auto f = findings(r, "bas_dd");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::error);
    CHECK(f[0].ticker == "005930");
    CHECK(contains(f[0].message, "2024-01-04"));
    CHECK(contains(f[0].message, "2024-01-05"));
    r.trade_date = core::Date();
    CHECK(contains(findings(r, "bas_dd").at(0).message, "absent"));
  }

  TEST_CASE("rejects tickers that are not 6 characters of 0-9A-Z and accepts 00104K, 0126Z0") {
    for (const std::string bad : {"", "5930", "0059300", "00104k", "00-930", "가나", "00593 "}) {
      CAPTURE(bad);
      const auto f = findings(good_row(bad), "ticker");
      REQUIRE(f.size() == 1);
      CHECK(f[0].severity == Severity::error);
      CHECK(contains(f[0].message, "'" + bad + "'"));
    }
    for (const std::string ok : {"00104K", "0126Z0", "005930", "37550L"}) {
      CAPTURE(ok);
      CHECK(findings(good_row(ok), "ticker").empty());
    }
  }

  TEST_CASE("rejects the same ticker twice") {
    const std::vector<PriceRow> rows{good_row(), good_row("000660"), good_row()};
    const auto report = market::validate_stocks(k_day, Market::kospi, rows, std::nullopt);
    REQUIRE(report.has_errors());
    CHECK(report.findings.size() == 1);
    CHECK(report.findings[0].rule == "duplicate");
    CHECK(report.findings[0].ticker == "005930");
  }

  TEST_CASE("rejects absent or negative mandatory fields, naming the field and value") {
    auto absent = good_row();
    absent.close.reset();
    auto f = findings(absent, "mandatory");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::error);
    CHECK(contains(f[0].message, "close"));
    CHECK(contains(f[0].message, "absent"));

    auto negative = good_row();
    negative.volume = -3;
    f = findings(negative, "mandatory");
    REQUIRE(f.size() == 1);
    CHECK(contains(f[0].message, "volume"));
    CHECK(contains(f[0].message, "-3"));

    auto unnamed = good_row();
    unnamed.name.clear();
    CHECK(findings(unnamed, "mandatory").size() == 1);

    auto several = good_row();
    several.value.reset();
    several.market_cap.reset();
    several.listed_shares = -1;
    CHECK(findings(several, "mandatory").size() == 3);

    auto optional_absent = good_row();
    optional_absent.change.reset();
    optional_absent.change_rate.reset();
    optional_absent.section.reset();
    optional_absent.market.reset();
    CHECK(findings(optional_absent, "mandatory").empty());
    CHECK(findings(optional_absent, "market").empty());
  }

  TEST_CASE("rejects a row of another market than the endpoint's") {
    auto r = good_row();
    r.market = Market::kosdaq;
    const auto f = findings(r, "market");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::error);
    CHECK(contains(f[0].message, "KOSDAQ"));
    CHECK(contains(f[0].message, "KOSPI"));
  }

  TEST_CASE("warns on inconsistent OHLC on a traded row, naming the values") {
    struct Case {
      std::int64_t o, h, l, c;
    };
    const Case bad[] = {
        {100, 90, 80, 85},    // high < open
        {100, 120, 110, 115}, // low > open
        {100, 120, 90, 130},  // close > high
        {100, 120, 90, 80},   // close < low
        {100, 120, 0, 110},   // low 0 on a traded row
        {-5, 120, -10, 110},  // low < 0
    };
    for (const auto& [o, h, l, c] : bad) {
      auto r = good_row();
      r.open = o;
      r.high = h;
      r.low = l;
      r.close = c;
      r.market_cap = c * *r.listed_shares;
      CAPTURE(o);
      CAPTURE(h);
      CAPTURE(l);
      CAPTURE(c);
      const auto f = findings(r, "ohlc");
      REQUIRE(f.size() == 1);
      CHECK(f[0].severity == Severity::warn);
      CHECK(f[0].ticker == "005930");
      CHECK(contains(f[0].message, "high " + std::to_string(h)));
      CHECK(contains(f[0].message, "low " + std::to_string(l)));
    }
    auto equal = good_row();
    equal.open = equal.high = equal.low = 76600; // one price all day is consistent
    CHECK(findings(equal, "ohlc").empty());
  }

  TEST_CASE("does not check OHLC on an untraded row") {
    auto r = good_row();
    r.volume = 0;
    r.open = r.high = r.low = 0;
    CHECK(findings(r, "ohlc").empty());
    r.open.reset();
    r.high.reset();
    r.low.reset();
    CHECK(findings(r, "ohlc_absent").empty());
  }

  TEST_CASE("warns when open/high/low are absent on a traded row") {
    auto r = good_row();
    r.high.reset();
    const auto f = findings(r, "ohlc_absent");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::warn);
    CHECK(contains(f[0].message, "76700/absent/76400"));
    CHECK(findings(r, "ohlc").empty());
  }

  TEST_CASE("warns when market cap is not close x listed shares") {
    auto r = good_row();
    r.market_cap = *r.market_cap + 1;
    auto f = findings(r, "market_cap");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::warn);
    CHECK(contains(f[0].message, "457285343330001"));
    CHECK(contains(f[0].message, "76600"));
    CHECK(contains(f[0].message, "5969782550"));

    r.close = INT64_MAX / 2;
    CHECK(contains(findings(r, "market_cap").at(0).message, "overflows"));
  }

  TEST_CASE("rejects a row count below half of the previous session's") {
    const auto rows = many_rows(49);
    auto report = market::validate_stocks(k_day, Market::kospi, rows, 100);
    REQUIRE(report.has_errors());
    CHECK(report.findings.at(0).rule == "row_count");
    CHECK(contains(report.first_error(), "49"));
    CHECK(contains(report.first_error(), "100"));
    report = market::validate_stocks(k_day, Market::kospi, many_rows(50), 100);
    CHECK_FALSE(report.has_errors());
  }

  TEST_CASE("warns when the row count moves more than 10% from the previous session's") {
    const auto check = [](std::size_t count, std::size_t previous, bool warns) {
      CAPTURE(count);
      CAPTURE(previous);
      const auto report = market::validate_stocks(k_day, Market::kospi, many_rows(count), previous);
      CHECK_FALSE(report.has_errors());
      CHECK(report.findings.size() == (warns ? 1U : 0U));
      if (warns) {
        CHECK(report.findings[0].rule == "row_count");
        CHECK(report.findings[0].severity == Severity::warn);
      }
    };
    check(100, 100, false);
    check(110, 100, false);
    check(111, 100, true);
    check(90, 100, false);
    check(89, 100, true);
    check(60, 100, true);
  }

  TEST_CASE("an answer with more rows than any KRX market has is refused, reference or not") {
    const auto rows = many_rows(market::k_max_rows_per_answer + 1);
    for (const auto reference : {std::optional<std::size_t>{}, std::optional<std::size_t>{953}}) {
      const auto report = market::validate_stocks(k_day, Market::kospi, rows, reference);
      REQUIRE(report.has_errors());
      CHECK(report.findings.back().rule == "row_count");
      CHECK(contains(report.first_error(), "more than the 10000 any KRX market has"));
    }
    CHECK_FALSE(market::validate_stocks(k_day, Market::kospi,
                                        many_rows(market::k_max_rows_per_answer), std::nullopt)
                    .has_errors());
  }

  TEST_CASE("an empty answer or an unknown previous count gives no row-count finding") {
    CHECK(market::validate_stocks(k_day, Market::kospi, {}, 953).findings.empty());
    CHECK(
        market::validate_stocks(k_day, Market::kospi, many_rows(3), std::nullopt).findings.empty());
  }

  TEST_CASE("the first error is the day's message, warnings are not errors") {
    auto warn_only = good_row();
    warn_only.market_cap = 1;
    auto error_row = good_row("000660");
    error_row.trade_date = core::Date(2024, 1, 4);
    const std::vector<PriceRow> rows{warn_only, error_row};
    const auto report = market::validate_stocks(k_day, Market::kospi, rows, std::nullopt);
    CHECK(report.has_errors());
    CHECK(contains(report.first_error(), "000660"));
    const std::vector<PriceRow> warn_rows{warn_only};
    CHECK_FALSE(
        market::validate_stocks(k_day, Market::kospi, warn_rows, std::nullopt).has_errors());
  }

  TEST_CASE("index rows: BAS_DD, names present, no duplicate (class, name)") {
    market::IndexRow kospi;
    kospi.trade_date = k_day;
    kospi.index_class = "KOSPI";
    kospi.index_name = "코스피";
    auto kospi200 = kospi;
    kospi200.index_name = "코스피 200";
    auto other_class = kospi;
    other_class.index_class = "KRX";
    std::vector<market::IndexRow> rows{kospi, kospi200, other_class};
    CHECK(market::validate_indices(k_day, rows).findings.empty());

    rows.push_back(kospi);
    auto report = market::validate_indices(k_day, rows);
    REQUIRE(report.findings.size() == 1);
    CHECK(report.findings[0].rule == "duplicate");

    auto late = kospi;
    late.trade_date = core::Date(2024, 1, 8);
    auto unnamed = kospi;
    unnamed.index_name.clear();
    const std::vector<market::IndexRow> bad{late, unnamed};
    report = market::validate_indices(k_day, bad);
    REQUIRE(report.findings.size() == 2);
    CHECK(report.findings[0].rule == "bas_dd");
    CHECK(contains(report.findings[0].message, "2024-01-08"));
    CHECK(report.findings[1].rule == "mandatory");
    CHECK(report.has_errors());
  }
}
