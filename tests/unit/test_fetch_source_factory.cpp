#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/source_factory.hpp"

#include "support.hpp"
#include "support/fetch_fakes.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace krxbatch;

namespace {

fetch::SourceSettings with_key() {
  fetch::SourceSettings settings;
  settings.api.base_url = "http://127.0.0.1:9";
  settings.api.auth_key = "0000111122223333444455556666777788889999";
  return settings;
}

} // namespace

TEST_SUITE("fetch.source_factory") {
  TEST_CASE("krx gives the Open API source at the configured base URL") {
    test::CountingBudget budget;
    const auto source = fetch::make_market_source("krx", with_key(), budget);
    REQUIRE(source != nullptr);
    CHECK(source->describe() == "KRX Open API at http://127.0.0.1:9");
    CHECK(source->counts_calls());
  }

  TEST_CASE("krx without a key is refused, naming KRX_AUTH_KEY") {
    test::CountingBudget budget;
    CHECK_THROWS_WITH_AS(fetch::make_market_source("krx", {}, budget),
                         doctest::Contains("KRX_AUTH_KEY"), core::Error);
  }

  TEST_CASE("replay:DIR gives the replay source over DIR") {
    const test::TempDir dir;
    test::CountingBudget budget;
    const auto source = fetch::make_market_source("replay:" + dir.path().string(), {}, budget);
    REQUIRE(source != nullptr);
    CHECK_FALSE(source->counts_calls());
    CHECK(source->describe().find(dir.path().string()) != std::string::npos);
    CHECK(budget.used == 0);
  }

  TEST_CASE("any other spec is a usage error naming --source") {
    test::CountingBudget budget;
    for (const char* spec : {"", "KRX", "replay:", "replay", "file:/tmp", "krx "}) {
      CAPTURE(spec);
      try {
        (void)fetch::make_market_source(spec, with_key(), budget);
        FAIL("accepted");
      } catch (const core::Error& e) {
        CHECK(e.code() == core::ExitCode::usage);
        CHECK(std::string(e.what()).find("--source") != std::string::npos);
      }
    }
  }

  TEST_CASE("a negative or non-finite retry scale is a usage error") {
    test::CountingBudget budget;
    auto settings = with_key();
    settings.retry_scale = -1;
    CHECK_THROWS_AS(fetch::make_market_source("krx", settings, budget), core::Error);
    settings.retry_scale = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(fetch::make_market_source("krx", settings, budget), core::Error);
  }
}
