// Each eligibility rule at its threshold.
#include "krxbatch/analysis/eligibility.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace krxbatch;
using analysis::Flag;

namespace {

// A stock that passes every rule.
analysis::EligibilityFacts healthy() {
  analysis::EligibilityFacts f;
  f.bars = 300;
  f.on_session = true;
  f.session_volume = 1000;
  f.average_value = 5e9;
  f.zero_volume_days = 0;
  f.index_on_session = true;
  return f;
}

} // namespace

TEST_SUITE("analysis.eligibility") {
  TEST_CASE("a stock with a full history that trades enough is eligible without flags") {
    const auto e = analysis::assess_eligibility(healthy());
    CHECK(e.eligible);
    CHECK(e.flags == 0);
    CHECK(analysis::flags_text(e.flags).empty());
  }

  TEST_CASE("fewer than 120 bars is a short history and not eligible") {
    auto f = healthy();
    f.bars = 119;
    auto e = analysis::assess_eligibility(f);
    CHECK_FALSE(e.eligible);
    CHECK(e.has(Flag::short_history));
    CHECK_FALSE(e.has(Flag::partial_history));
    f.bars = 120;
    e = analysis::assess_eligibility(f);
    CHECK(e.eligible);
    CHECK(e.has(Flag::partial_history));
    CHECK_FALSE(e.has(Flag::short_history));
  }

  TEST_CASE("from 253 bars the history is full, below it partial but eligible") {
    auto f = healthy();
    f.bars = 252;
    CHECK(analysis::assess_eligibility(f).has(Flag::partial_history));
    CHECK(analysis::assess_eligibility(f).eligible);
    f.bars = 253;
    CHECK(analysis::assess_eligibility(f).flags == 0);
  }

  TEST_CASE("no trade on the session means suspended and not eligible") {
    auto f = healthy();
    f.session_volume = 0;
    const auto e = analysis::assess_eligibility(f);
    CHECK_FALSE(e.eligible);
    CHECK(analysis::flags_text(e.flags) == "suspended");
  }

  TEST_CASE("an average traded value below 100 M KRW is too illiquid") {
    auto f = healthy();
    f.average_value = 99'999'999.0;
    auto e = analysis::assess_eligibility(f);
    CHECK_FALSE(e.eligible);
    CHECK(analysis::flags_text(e.flags) == "low_value");
    f.average_value = 100'000'000.0;
    CHECK(analysis::assess_eligibility(f).eligible);
  }

  TEST_CASE("five zero-volume days out of twenty exclude the stock, four do not") {
    auto f = healthy();
    f.zero_volume_days = 5;
    auto e = analysis::assess_eligibility(f);
    CHECK_FALSE(e.eligible);
    CHECK(analysis::flags_text(e.flags) == "zero_volume_days");
    f.zero_volume_days = 4;
    CHECK(analysis::assess_eligibility(f).eligible);
  }

  TEST_CASE("a stock without a bar on the session is judged on that alone") {
    auto f = healthy();
    f.on_session = false;
    f.session_volume = 0;
    f.bars = 10;
    const auto e = analysis::assess_eligibility(f);
    CHECK_FALSE(e.eligible);
    CHECK(analysis::flags_text(e.flags) == "not_on_session");
  }

  TEST_CASE("a missing KOSPI close is flagged but does not exclude the stock") {
    auto f = healthy();
    f.index_on_session = false;
    const auto e = analysis::assess_eligibility(f);
    CHECK(e.eligible);
    CHECK(analysis::flags_text(e.flags) == "no_index");
  }

  TEST_CASE("a short window without an average is not called illiquid") {
    auto f = healthy();
    f.bars = 10;
    f.average_value = std::numeric_limits<double>::quiet_NaN();
    const auto e = analysis::assess_eligibility(f);
    CHECK(analysis::flags_text(e.flags) == "short_history");
  }

  TEST_CASE("every flag that applies is named, in a fixed order") {
    auto f = healthy();
    f.bars = 200;
    f.session_volume = 0;
    f.average_value = 1.0;
    f.zero_volume_days = 20;
    f.index_on_session = false;
    CHECK(analysis::flags_text(analysis::assess_eligibility(f).flags) ==
          "partial_history,suspended,low_value,zero_volume_days,no_index");
  }
}
