// `krxbatch indicators` from the command line: TA-Lib's numbers through the real binary, and
// bad input refused with the line at fault and nothing on stdout.
#include "support/process.hpp"
#include "support/talib_reference.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace krxbatch;
namespace fs = std::filesystem;

namespace {

test::ProcessResult indicators(const std::string& input, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {test::krxbatch_binary().string(), "indicators"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  test::SpawnOptions options;
  options.stdin_data = input;
  return test::run(argv, options);
}

// Pipes the bars through the binary and compares its table with TA-Lib's: the same header
// (the reference's first 28 columns), the input echoed as given, every indicator in tolerance
// and empty exactly where TA-Lib's is.
void check_pipe(const fs::path& bars, const fs::path& expected_path) {
  CAPTURE(bars.string());
  const auto r = indicators(test::read_text(bars));
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  const auto actual = test::CsvTable::parse(r.out);
  const auto expected = test::CsvTable::read(expected_path);
  REQUIRE(expected.header.size() >= 28);
  CHECK(actual.header ==
        std::vector<std::string>(expected.header.begin(), expected.header.begin() + 28));
  REQUIRE(actual.rows.size() == expected.rows.size());
  for (std::size_t row = 0; row < actual.rows.size(); ++row) {
    REQUIRE(actual.rows[row].size() == 28);
    for (std::size_t c = 0; c < 6; ++c) {
      REQUIRE(actual.rows[row][c] == expected.rows[row][c]);
    }
  }
  for (std::size_t c = 6; c < 28; ++c) {
    const auto cmp = test::compare_column(actual, expected, expected.header[c]);
    CHECK_MESSAGE(cmp.failures == 0,
                  cmp.name << ": " << cmp.failures << " cells differ; first " << cmp.first_failure);
  }
}

const std::string k_header = "date,open,high,low,close,volume\n";

// Runs `input`, expects the usage exit code, `expected` in the message and nothing on stdout.
void check_refused(const std::string& input, const std::string& expected) {
  CAPTURE(input);
  const auto r = indicators(input);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_MESSAGE(r.err.find(expected) != std::string::npos, r.err);
}

} // namespace

TEST_SUITE("cli.indicators") {
  TEST_CASE("indicators reproduces TA-Lib's seed1 reference table") {
    const auto dir = test::shared_dir() / "data" / "indicators";
    if (!fs::exists(dir / "bars_seed1.csv") || !fs::exists(dir / "talib_expected_seed1.csv")) {
      MESSAGE("not run: " << dir.string() << " has no seed1 reference");
      return;
    }
    check_pipe(dir / "bars_seed1.csv", dir / "talib_expected_seed1.csv");
  }

  TEST_CASE("indicators reproduces TA-Lib on every generated fixture") {
    const fs::path dir = test::source_dir() / "tests" / "data" / "indicators";
    std::size_t fixtures = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const auto name = entry.path().filename().string();
      if (name.rfind("bars_", 0) == 0) {
        check_pipe(entry.path(), dir / ("expected_" + name.substr(5)));
        ++fixtures;
      }
    }
    CHECK(fixtures >= 10);
  }

  TEST_CASE("indicators prints only the header for a header-only input") {
    const auto r = indicators(k_header);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.rfind("date,open,high,low,close,volume,sma5,", 0) == 0);
    CHECK(r.out.find("roc10\n") == r.out.size() - 6);
  }

  TEST_CASE("indicators refuses bad input with the line at fault and no partial output") {
    const std::string good = "2024-01-02,100,110,90,105,1000\n";
    check_refused("date,open,high,low,close\n" + good, "line 1: the header must be");
    check_refused("", "line 1: no header");
    check_refused(k_header + good + "2024-01-03,100,110,90,abc,1000\n",
                  "line 3: close is not a non-negative decimal number: 'abc'");
    check_refused(k_header + good + "2024-01-03,100,110,90,105\n",
                  "line 3: expected 6 fields, found 5");
    check_refused(k_header + good + "2024-01-03,100,110,90,105,1000,7\n",
                  "line 3: expected 6 fields, found 7");
    check_refused(k_header + good + "2024-01-03,100,110,90,105,1000\n" + good,
                  "line 4: date 2024-01-02 does not follow 2024-01-03");
    check_refused(k_header + "2024-13-02,100,110,90,105,1000\n", "line 2: date is not an ISO");
    check_refused(k_header + good + "\n" + good, "line 3: empty line");
  }

  TEST_CASE("indicators --help describes the input and output") {
    const auto r = indicators("", {"--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("date,open,high,low,close,volume") != std::string::npos);
    CHECK(r.out.find("TA-Lib") != std::string::npos);
  }

  TEST_CASE("indicators names itself, not its help text, when an option is unknown") {
    const auto r = indicators("", {"--bogus"});
    CHECK(r.exit_code == 2);
    CHECK(r.err == "krxbatch: error: krxbatch indicators: unrecognised option '--bogus'; see "
                   "`krxbatch indicators --help`\n");
  }
}
