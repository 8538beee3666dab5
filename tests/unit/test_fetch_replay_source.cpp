#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/replay_source.hpp"
#include "krxbatch/market/validation.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

using namespace krxbatch;
using fetch::Endpoint;

namespace {

const core::Date k_day(2024, 1, 5);

template <typename T>
std::string kind_of(const fetch::FetchResult<T>& result) {
  return result.ok() ? std::string("ok") : std::string(to_string(result.failure().kind));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("fetch.replay_source") {
  TEST_CASE("reads DIR/{api_id}_{YYYYMMDD}.json through the wire-format parser") {
    const test::TempDir dir;
    dir.write("ksq_bydd_trd_20240105.json",
              R"({"OutBlock_1":[{"BAS_DD":"20240105","ISU_CD":"060310","ISU_NM":"3S",)"
              R"("MKT_NM":"KOSDAQ","TDD_CLSPRC":"3,300"}]})");
    dir.write("kospi_dd_trd_20240105.json",
              R"({"OutBlock_1":[{"BAS_DD":"20240105","IDX_CLSS":"KOSPI","IDX_NM":"코스피",)"
              R"("CLSPRC_IDX":"2578.08"}]})");
    fetch::ReplaySource source(dir.path());
    const auto rows = source.stocks(Endpoint::kosdaq_stocks, k_day);
    REQUIRE(rows.ok());
    REQUIRE(rows.value().size() == 1);
    CHECK(rows.value()[0].ticker == "060310");
    CHECK(rows.value()[0].close == 3300);
    const auto index = source.indices(Endpoint::kospi_index, k_day);
    REQUIRE(index.ok());
    CHECK(index.value().at(0).close == doctest::Approx(2578.08));
    CHECK(source.file_for(Endpoint::kospi_stocks, k_day) ==
          dir.path() / "stk_bydd_trd_20240105.json");
    CHECK_FALSE(source.counts_calls());
    CHECK(contains(source.describe(), dir.path().string()));
  }

  TEST_CASE("a missing file means not published: empty rows") {
    const test::TempDir dir;
    fetch::ReplaySource source(dir.path());
    const auto rows = source.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE(rows.ok());
    CHECK(rows.value().empty());
    CHECK(source.indices(Endpoint::kosdaq_index, k_day).ok());
  }

  TEST_CASE("a malformed file is a malformed_body failure naming the file") {
    const test::TempDir dir;
    const auto path = dir.write("stk_bydd_trd_20240105.json", R"({"OutBlock_1":[{"ISU_CD":)");
    fetch::ReplaySource source(dir.path());
    const auto rows = source.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE(kind_of(rows) == "malformed_body");
    CHECK(contains(rows.failure().message, path.string()));
    CHECK(contains(rows.failure().message, "truncated"));

    dir.write("stk_bydd_trd_20240108.json", R"({"respMsg":"Unauthorized Key","respCode":"401"})");
    const auto saved_error = source.stocks(Endpoint::kospi_stocks, core::Date(2024, 1, 8));
    REQUIRE(kind_of(saved_error) == "malformed_body");
    CHECK(contains(saved_error.failure().message, "Unauthorized Key"));
  }

  TEST_CASE("an unreadable file is a missing_data failure naming the file") {
    const test::TempDir dir;
    std::filesystem::create_directory(dir / "stk_bydd_trd_20240105.json");
    fetch::ReplaySource source(dir.path());
    const auto rows = source.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE(kind_of(rows) == "missing_data");
    CHECK(contains(rows.failure().message, (dir / "stk_bydd_trd_20240105.json").string()));
    CHECK_FALSE(fetch::stops_run(rows.failure().kind));
  }

  TEST_CASE("refuses a folder that does not exist, naming --source") {
    const test::TempDir dir;
    CHECK_THROWS_WITH_AS(fetch::ReplaySource(dir / "nope"), doctest::Contains("--source"),
                         core::Error);
    const auto file = dir.write("file.json", "{}");
    CHECK_THROWS_WITH_AS(fetch::ReplaySource{file}, doctest::Contains("not a directory"),
                         core::Error);
  }

  TEST_CASE("replays every day of the bundled sample market with no validation error") {
    const auto dir = std::filesystem::path(KRXBATCH_SOURCE_DIR) / "data" / "sample";
    REQUIRE(std::filesystem::is_directory(dir));
    std::vector<core::Date> days;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const auto name = entry.path().filename().string(); // stk_bydd_trd_YYYYMMDD.json
      if (name.rfind("stk_bydd_trd_", 0) == 0) {
        days.push_back(*core::parse_basdd(name.substr(13, 8)));
      }
    }
    std::sort(days.begin(), days.end());
    REQUIRE(days.size() > 100);
    fetch::ReplaySource source(dir);
    std::size_t rows_seen = 0;
    for (const auto m : {market::Market::kospi, market::Market::kosdaq}) {
      std::optional<std::size_t> previous;
      for (const auto& day : days) {
        CAPTURE(core::to_iso(day));
        const auto rows = source.stocks(fetch::stock_endpoint(m), day);
        REQUIRE(rows.ok());
        REQUIRE_FALSE(rows.value().empty());
        const auto report = market::validate_stocks(day, m, rows.value(), previous);
        REQUIRE_MESSAGE(!report.has_errors(), report.first_error());
        previous = rows.value().size();
        rows_seen += rows.value().size();
      }
    }
    for (const auto& day : days) {
      const auto index = source.indices(Endpoint::kospi_index, day);
      REQUIRE(index.ok());
      REQUIRE_FALSE(market::validate_indices(day, index.value()).has_errors());
    }
    CHECK(rows_seen > days.size() * 2);
  }

  TEST_CASE("replays the real captured answers of 2024-01-05") {
    const auto samples = test::shared_dir() / "krx-samples";
    if (!std::filesystem::is_directory(samples)) {
      MESSAGE("not run: " << samples.string()
                          << " is absent (real KRX answers, outside the repository)");
      return;
    }
    fetch::ReplaySource source(samples);
    const auto kospi = source.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE(kospi.ok());
    CHECK(kospi.value().size() == 953);
    const auto kosdaq = source.stocks(Endpoint::kosdaq_stocks, k_day);
    REQUIRE(kosdaq.ok());
    CHECK(kosdaq.value().size() == 1703);
    const auto index = source.indices(Endpoint::kospi_index, k_day);
    REQUIRE(index.ok());
    CHECK(index.value().size() == 47);
    const auto holiday = source.stocks(Endpoint::kospi_stocks, core::Date(2024, 1, 6));
    REQUIRE(holiday.ok());
    CHECK(holiday.value().empty());
  }
}
