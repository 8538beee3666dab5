// Every indicator against TA-Lib's own output: the shared seed1 reference and the fixtures of
// tests/data/indicators (scripts/talib-reference/README.md says how they were made).
#include "krxbatch/analysis/csv.hpp"
#include "krxbatch/analysis/indicators.hpp"

#include "support/talib_reference.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace krxbatch;
namespace fs = std::filesystem;

namespace {

// Computes the bars file the way `krxbatch indicators` does and compares every indicator
// column that `expected_path` has with it.
void check_against_talib(const fs::path& bars_path, const fs::path& expected_path) {
  CAPTURE(bars_path.string());
  const auto text = test::read_text(bars_path);
  auto parsed = analysis::parse_bars_csv(text);
  REQUIRE(parsed.ok());
  auto& input = parsed.value();
  analysis::normalise_suspended_days(input.bars);
  analysis::IndicatorSeries indicators;
  analysis::compute_indicators(input.bars.view(), indicators);
  std::string out;
  analysis::append_indicators_csv(out, input.lines, indicators, analysis::k_indicator_count);

  const auto actual = test::CsvTable::parse(out);
  const auto expected = test::CsvTable::read(expected_path);
  REQUIRE(actual.rows.size() == expected.rows.size());
  for (std::size_t r = 0; r < expected.rows.size(); ++r) {
    for (std::size_t c = 0; c < 6; ++c) {
      REQUIRE(actual.rows[r][c] == expected.rows[r][c]);
    }
  }
  std::size_t compared = 0;
  for (std::size_t c = 6; c < expected.header.size(); ++c) {
    const auto cmp = test::compare_column(actual, expected, expected.header[c]);
    MESSAGE(bars_path.filename().string()
            << " " << cmp.name << ": " << cmp.cells << " cells, max abs " << cmp.max_abs
            << ", max rel " << cmp.max_rel);
    CHECK_MESSAGE(cmp.failures == 0,
                  cmp.name << ": " << cmp.failures << " cells differ; first " << cmp.first_failure);
    ++compared;
  }
  CHECK(compared >= analysis::k_reference_indicator_count);
}

} // namespace

TEST_SUITE("analysis.indicator_conformance") {
  TEST_CASE("matches TA-Lib on the shared seed1 reference in every cell") {
    const fs::path dir = test::shared_dir() / "data" / "indicators";
    const auto bars = dir / "bars_seed1.csv";
    const auto expected = dir / "talib_expected_seed1.csv";
    if (!fs::exists(bars) || !fs::exists(expected)) {
      MESSAGE("not run: " << dir.string() << " has no bars_seed1.csv / talib_expected_seed1.csv");
      return;
    }
    check_against_talib(bars, expected);
  }

  TEST_CASE("matches TA-Lib on every generated fixture, extras included") {
    const fs::path dir = fs::path(KRXBATCH_TEST_DATA_DIR) / "indicators";
    std::size_t fixtures = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const auto name = entry.path().filename().string();
      if (name.rfind("bars_", 0) != 0) {
        continue;
      }
      const auto expected = dir / ("expected_" + name.substr(5));
      REQUIRE(fs::exists(expected));
      check_against_talib(entry.path(), expected);
      ++fixtures;
    }
    CHECK(fixtures >= 10);
  }
}
