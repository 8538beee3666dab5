#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/export.hpp"
#include "krxbatch/store/table_export.hpp"

#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace krxbatch;
using core::Date;

TEST_SUITE("ops.export") {
  TEST_CASE("CSV fields are quoted only when RFC 4180 requires it, inner quotes doubled") {
    CHECK(ops::csv_field("005930") == "005930");
    CHECK(ops::csv_field("삼성전자") == "삼성전자");
    CHECK(ops::csv_field("a,b") == "\"a,b\"");
    CHECK(ops::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(ops::csv_field("two\nlines") == "\"two\nlines\"");
    CHECK(ops::csv_field("cr\r") == "\"cr\r\"");
    CHECK(ops::csv_field("") == "");
  }

  TEST_CASE("a CSV record leaves NULL cells empty") {
    const std::vector<std::optional<std::string>> cells = {"A", std::nullopt, "x,y", ""};
    CHECK(ops::csv_record(cells) == "A,,\"x,y\",");
  }

  TEST_CASE("the manifest lists version, database, range, tickers, time and files in order") {
    ops::ExportManifest m;
    m.krxbatch_version = "0.1.0";
    m.database = "/data/krxbatch.db";
    m.from = Date(2024, 1, 2);
    m.to = Date(2024, 6, 28);
    m.tickers = std::vector<std::string>{"000660", "005930"};
    m.created_at = test::kst(2024, 7, 1, 9, 30);
    m.files = {{"daily_prices.csv", 2, 120, std::string(64, 'a')}};
    const auto text = ops::manifest_json(m);
    const auto j = nlohmann::json::parse(text);
    CHECK(j["krxbatch_version"] == "0.1.0");
    CHECK(j["from"] == "2024-01-02");
    CHECK(j["to"] == "2024-06-28");
    CHECK(j["tickers"] == nlohmann::json::array({"000660", "005930"}));
    CHECK(j["created_at"] == "2024-07-01T09:30:00+09:00");
    CHECK(j["files"][0]["rows"] == 2);
    CHECK(j["files"][0]["bytes"] == 120);
    // Stable key order: the reader can diff two manifests.
    CHECK(text.find("krxbatch_version") < text.find("\"files\""));
    m.tickers.reset();
    CHECK(nlohmann::json::parse(ops::manifest_json(m))["tickers"].is_null());
  }

  TEST_CASE("tickers are checked, sorted and deduplicated") {
    CHECK(ops::parse_tickers("005930,00104K,005930") ==
          std::vector<std::string>{"00104K", "005930"});
    for (const char* bad : {"5930", "005930,", "abcdef", "005930,00066O0", ""}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(ops::parse_tickers(bad), core::Error);
    }
  }

  TEST_CASE("table rows are read with every column, NULL as nullopt and reals round-tripping") {
    store::Database db(":memory:");
    db.execute("INSERT INTO analysis_results (ticker, as_of_date, score, eligible, flags) VALUES "
               "('000660', '2024-01-03', 0.1, 1, NULL), ('005930', '2024-01-03', 71.25, 1, 'a,b'), "
               "('005930', '2024-01-02', 1e-7, 0, NULL), ('005930', '2024-01-09', 5, 0, NULL)");
    db.execute("ALTER TABLE analysis_results ADD COLUMN new_measure REAL");
    std::vector<std::string> header;
    std::vector<store::Cells> rows;
    store::read_table(
        db, store::ExportTable::analysis_results, Date(2024, 1, 2), Date(2024, 1, 5), {"005930"},
        [&](const std::vector<std::string>& h) { header = h; },
        [&](const store::Cells& c) { rows.push_back(c); });
    CHECK(header.front() == "ticker");
    CHECK(header.back() == "new_measure"); // a column added by a later migration
    REQUIRE(rows.size() == 2);
    CHECK(rows[0][1] == "2024-01-02");
    CHECK(rows[0][2] == "1e-07");
    CHECK(rows[1][2] == "71.25");
    CHECK(rows[1][9] == "a,b");
    CHECK_FALSE(rows[1].back().has_value());
  }
}
