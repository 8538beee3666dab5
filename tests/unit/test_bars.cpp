#include "krxbatch/analysis/bars.hpp"
#include "krxbatch/analysis/csv.hpp"
#include "krxbatch/analysis/indicators.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

using namespace krxbatch;

namespace {

std::string failure_of(const std::string& text) {
  const auto r = analysis::parse_bars_csv(text);
  REQUIRE_FALSE(r.ok());
  return r.failure().message;
}

const std::string k_header = "date,open,high,low,close,volume\n";

} // namespace

TEST_SUITE("analysis.bars") {
  TEST_CASE("normalises a raw suspended day to O=H=L=C with zero volume") {
    analysis::BarSeries s;
    s.push_back(100, 110, 90, 105, 1000);
    s.push_back(0, 0, 0, 105, 0);
    s.push_back(0, 0, 0, 0, 0); // close missing too: the previous close
    CHECK(analysis::normalise_suspended_days(s) == 2);
    CHECK(s.open[1] == 105.0);
    CHECK(s.high[1] == 105.0);
    CHECK(s.low[1] == 105.0);
    CHECK(s.close[2] == 105.0);
    CHECK(s.low[2] == 105.0);
    CHECK(s.volume[2] == 0.0);
  }

  TEST_CASE("leaves traded bars and already normalised suspended days alone") {
    analysis::BarSeries s;
    s.push_back(100, 110, 90, 105, 1000);
    s.push_back(105, 105, 105, 105, 0); // already normalised
    s.push_back(0, 0, 0, 105, 10);      // O=H=L=0 but traded: not a suspension, kept as is
    CHECK(analysis::normalise_suspended_days(s) == 0);
    CHECK(s.low[2] == 0.0);
  }

  TEST_CASE("a view's first n bars are the series as it stood on bar n-1") {
    analysis::BarSeries s;
    for (int i = 0; i < 5; ++i) {
      s.push_back(i, i, i, i, i);
    }
    const auto v = s.view().first(3);
    CHECK(v.size() == 3);
    CHECK(v.valid());
    CHECK(v.close.back() == 2.0);
    CHECK_FALSE(v.has_value());
  }
}

TEST_SUITE("analysis.csv") {
  TEST_CASE("parses integer and decimal bars, CRLF lines and a missing final newline") {
    const std::string text = "date,open,high,low,close,volume\r\n"
                             "2024-01-02,27400,29550,27200,28850,30914\r\n"
                             "2024-01-03,31388.67,31510.93,28929.13,29522.19,0";
    const auto r = analysis::parse_bars_csv(text);
    REQUIRE(r.ok());
    const auto& csv = r.value();
    REQUIRE(csv.bars.size() == 2);
    CHECK(csv.bars.close[0] == 28850.0);
    CHECK(csv.bars.open[1] == 31388.67);
    CHECK(csv.dates[1] == core::Date(2024, 1, 3));
    CHECK(csv.lines[0] == "2024-01-02,27400,29550,27200,28850,30914");
  }

  TEST_CASE("ignores a UTF-8 byte-order mark before the header") {
    const auto r = analysis::parse_bars_csv("\xEF\xBB\xBF" + k_header + "2024-01-02,1,2,1,2,3\n");
    REQUIRE(r.ok());
    CHECK(r.value().bars.size() == 1);
  }

  TEST_CASE("reports the line and the reason for bad input") {
    const std::string good = "2024-01-02,1,2,1,2,3\n";
    CHECK(failure_of("date,open,high,low,close,vol\n") ==
          "line 1: the header must be 'date,open,high,low,close,volume', not "
          "'date,open,high,low,close,vol'");
    CHECK(failure_of("") == "line 1: no header: the input is empty");
    CHECK(failure_of(k_header + good + "2024-01-03,1,2,1,x,3\n") ==
          "line 3: close is not a non-negative decimal number: 'x'");
    CHECK(failure_of(k_header + "2024-01-03,1,2,1,2\n") == "line 2: expected 6 fields, found 5");
    CHECK(failure_of(k_header + "2024-01-03,1,2,1,2,3,4\n") ==
          "line 2: expected 6 fields, found 7");
    CHECK(failure_of(k_header + good + good).find("line 3: date 2024-01-02 does not follow") == 0);
    CHECK(failure_of(k_header + "2024-02-30,1,2,1,2,3\n").find("line 2: date is not") == 0);
    CHECK(failure_of(k_header + good + "\n").find("line 3: empty line") == 0);
  }

  TEST_CASE("accepts only plain non-negative decimals as numbers") {
    for (const char* bad :
         {"-1", "+1", "1e3", "inf", "nan", "1.", ".5", "1.2.3", "", " 1", "0x10"}) {
      CAPTURE(bad);
      CHECK(failure_of(k_header + "2024-01-02,1,2,1,2," + bad + "\n").find("line 2: volume") == 0);
    }
  }

  TEST_CASE("a day without trades may leave open, high and low empty, and is normalised") {
    // Named: the parsed lines are views into the text, which must outlive them.
    const std::string text = k_header + "2024-01-02,10,12,9,11,5\n" + "2024-01-03,,,,11.5,0\n";
    const auto r = analysis::parse_bars_csv(text);
    REQUIRE(r.ok());
    auto bars = r.value().bars;
    CHECK(bars.open[1] == 0.0);
    CHECK(r.value().lines[1] == "2024-01-03,,,,11.5,0");
    CHECK(analysis::normalise_suspended_days(bars) == 1);
    CHECK(bars.open[1] == 11.5);
    CHECK(bars.low[1] == 11.5);
  }

  TEST_CASE("open, high and low may be empty only together and only without trades") {
    CHECK(failure_of(k_header + "2024-01-03,,,,11,7\n") ==
          "line 2: open, high and low are empty but the volume is 7 (they may be empty only on a "
          "day without trades)");
    CHECK(failure_of(k_header + "2024-01-03,,12,,11,0\n") ==
          "line 2: open is not a non-negative decimal number: '' (open, high and low may be "
          "empty only together)");
    CHECK(failure_of(k_header + "2024-01-03,1,2,1,,0\n") ==
          "line 2: close is not a non-negative decimal number: ''");
  }

  TEST_CASE("writes lookback cells empty and numbers as %.17g") {
    const std::string text = k_header + "2024-01-02,1,2,1,2,3\n";
    auto parsed = analysis::parse_bars_csv(text);
    REQUIRE(parsed.ok());
    analysis::IndicatorSeries ind;
    analysis::compute_indicators(parsed.value().bars.view(), ind);
    std::string out;
    analysis::append_indicators_csv(out, parsed.value().lines, ind);
    const auto second_line = out.substr(out.find('\n') + 1);
    // Only OBV (the 17th indicator) has a value on the first bar.
    CHECK(second_line == "2024-01-02,1,2,1,2,3,,,,,,,,,,,,,,,,,3,,,,,\n");
    CHECK(out.rfind("date,open,high,low,close,volume,sma5,", 0) == 0);
  }
}
