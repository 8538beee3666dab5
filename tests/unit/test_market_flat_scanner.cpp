// The flat scanner against the SAX parser it stands in for: over the same inputs, either the
// scanner declines (nullopt) or it returns exactly the SAX parser's rows; and parse_*_rows()
// (scanner first, SAX otherwise) always answers exactly what the SAX parser alone answers.
#include "krxbatch/market/flat_scanner.hpp"
#include "krxbatch/market/parser.hpp"

#include "support.hpp"
#include "support/parsed_rows.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace krxbatch;
using market::IndexRow;
using market::PriceRow;
using test::same_result;
using test::same_rows;

namespace {

struct Outcome {
  bool scanned = false; // the flat scanner read the body (did not decline)
  bool agrees = false;  // everything matched the SAX parser
};

// Both parsers (and the combined entry point) over one price body.
Outcome compare_prices(std::string_view body) {
  const auto sax = market::parse_price_rows_sax(body);
  const auto flat = market::scan_flat_price_rows(body);
  const auto combined = market::parse_price_rows(body);
  Outcome out;
  out.scanned = flat.has_value();
  out.agrees = same_result(combined, sax) && (!flat || (sax.ok() && same_rows(*flat, sax.value())));
  return out;
}

Outcome compare_indices(std::string_view body) {
  const auto sax = market::parse_index_rows_sax(body);
  const auto flat = market::scan_flat_index_rows(body);
  const auto combined = market::parse_index_rows(body);
  Outcome out;
  out.scanned = flat.has_value();
  out.agrees = same_result(combined, sax) && (!flat || (sax.ok() && same_rows(*flat, sax.value())));
  return out;
}

std::optional<std::string> sample(const std::string& name) {
  const auto path = test::shared_dir() / "krx-samples" / name;
  if (!std::filesystem::exists(path)) {
    MESSAGE("not run: " << path.string()
                        << " is absent (real KRX answers, outside the repository)");
    return std::nullopt;
  }
  return test::read_file(path);
}

const std::string k_row_a =
    R"({"BAS_DD":"20240105","ISU_CD":"005930","ISU_NM":"삼성전자","MKT_NM":"KOSPI",)"
    R"("SECT_TP_NM":"-","TDD_CLSPRC":"76,600","CMPPREVDD_PRC":"-1,200","FLUC_RT":"-0.35",)"
    R"("TDD_OPNPRC":"76700","TDD_HGPRC":"77100","TDD_LWPRC":"76400","ACC_TRDVOL":"11304316",)"
    R"("ACC_TRDVAL":"866836486100","MKTCAP":"457285343330000","LIST_SHRS":"5969782550"})";
const std::string k_row_b =
    R"x({"BAS_DD":"20240105","ISU_CD":"00104K","ISU_NM":"CJ우 (Pref.) ☃ 𝄞","MKT_NM":"KOSDAQ",)x"
    R"("SECT_TP_NM":"우량기업부","TDD_CLSPRC":"0","CMPPREVDD_PRC":"+5","FLUC_RT":"",)"
    R"("TDD_OPNPRC":"0","TDD_HGPRC":"-","TDD_LWPRC":" 7 ","ACC_TRDVOL":"0",)"
    R"("ACC_TRDVAL":"9223372036854775807","MKTCAP":"-9223372036854775808","LIST_SHRS":"1"})";

std::string price_body(const std::vector<std::string>& rows) {
  std::string body = R"({"OutBlock_1":[)";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    body += (i > 0 ? "," : "") + rows[i];
  }
  return body + "]}";
}

const std::string k_index_row =
    R"x({"BAS_DD":"20240105","IDX_CLSS":"KOSPI","IDX_NM":"코스피 (외국주포함)",)x"
    R"("CLSPRC_IDX":"2,578.08","CMPPREVDD_IDX":"-8.94","FLUC_RT":"-","OPNPRC_IDX":"2586.89",)"
    R"("HGPRC_IDX":"2592.29","LWPRC_IDX":"1e3","ACC_TRDVOL":"522,289,892",)"
    R"("ACC_TRDVAL":"-","MKTCAP":"2075148802709824"})";

} // namespace

TEST_SUITE("market.flat_scanner") {
  TEST_CASE("reads KRX's usual answers itself, with exactly the SAX parser's rows") {
    const std::vector<std::string> bodies = {
        price_body({k_row_a, k_row_b}),
        price_body({k_row_b, k_row_a, k_row_a}), // the same ticker twice: validation's business
        " \r\n\t{ \"OutBlock_1\" :\n [\n  " + k_row_a + " ,\n  " + k_row_b + "\n ]\n}\n\n",
        R"({"OutBlock_1":[]})",
        "{\"OutBlock_1\": [ ] }\n",
        R"({"OutBlock_1":[{}]})",
        // Keys in another order, unknown keys, a duplicate key (the last one wins in both).
        R"({"OutBlock_1":[{"ISU_CD":"000660","X":"y","TDD_CLSPRC":"1","TDD_CLSPRC":"2"},)"
        R"({"TDD_CLSPRC":"3","ISU_CD":"000661"}]})",
        // Strings that are valid JSON without escapes: DEL, 4-byte UTF-8, '/'.
        "{\"OutBlock_1\":[{\"ISU_CD\":\"a/b\x7F\",\"ISU_NM\":\"\xF0\x9F\x98\x80\"}]}",
    };
    for (const auto& body : bodies) {
      CAPTURE(body);
      const auto out = compare_prices(body);
      CHECK(out.scanned);
      CHECK(out.agrees);
    }
    const auto rows = market::scan_flat_price_rows(price_body({k_row_a, k_row_b}));
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].close == 76600);
    CHECK((*rows)[0].change == -1200);
    CHECK_FALSE((*rows)[0].section.has_value());
    CHECK((*rows)[1].name == "CJ우 (Pref.) ☃ 𝄞");
    CHECK_FALSE((*rows)[1].change_rate.has_value());
    CHECK((*rows)[1].low == 7);

    const auto index_body = R"({"OutBlock_1":[)" + k_index_row + "," + k_index_row + "]}";
    const auto out = compare_indices(index_body);
    CHECK(out.scanned);
    CHECK(out.agrees);
  }

  TEST_CASE("declines what it does not read, and the SAX parser answers as before") {
    const std::vector<std::string> bodies = {
        // Escapes: the SAX parser decodes them.
        R"({"OutBlock_1":[{"ISU_CD":"005930","ISU_NM":"\uc0bc\uc131 \"A\" \\ \/"}]})",
        // Numbers, null, booleans, nested values where strings are expected.
        R"({"OutBlock_1":[{"ISU_CD":"005930","TDD_CLSPRC":76600,"ACC_TRDVOL":null}]})",
        R"({"OutBlock_1":[{"ISU_CD":"005930","TDD_CLSPRC":true}]})",
        R"({"OutBlock_1":[{"ISU_CD":"005930","X":{"a":[1]}}]})",
        // Other top-level keys, before or after OutBlock_1; an error answer.
        R"({"CURRENT_DATETIME":"x","OutBlock_1":[]})",
        R"({"OutBlock_1":[],"respMsg":"ok"})",
        R"({"respMsg":"Unauthorized Key","respCode":"401"})",
        // A byte-order mark; an empty body; HTML.
        "\xEF\xBB\xBF{\"OutBlock_1\":[]}",
        "",
        "  \n",
        "<html><title>Down</title></html>",
        // Values a field cannot hold: the SAX parser names field, row and value.
        R"({"OutBlock_1":[{"ISU_CD":"005930","TDD_CLSPRC":"12a00"}]})",
        R"({"OutBlock_1":[{"ISU_CD":"005930","MKT_NM":"NYSE"}]})",
        R"({"OutBlock_1":[{"ISU_CD":"005930","BAS_DD":"2024-01-05"}]})",
        R"({"OutBlock_1":[{"ISU_CD":"005930","MKTCAP":"9223372036854775808"}]})",
        R"({"OutBlock_1":[{"ISU_CD":"005930","FLUC_RT":"1e999"}]})",
        // Broken JSON: invalid UTF-8, a raw control character, trailing data, bad punctuation.
        "{\"OutBlock_1\":[{\"ISU_NM\":\"\xC3\x28\"}]}",
        "{\"OutBlock_1\":[{\"ISU_NM\":\"\xE0\x80\xAF\"}]}",
        "{\"OutBlock_1\":[{\"ISU_NM\":\"\xED\xA0\x80\"}]}",
        "{\"OutBlock_1\":[{\"ISU_NM\":\"\xF4\x90\x80\x80\"}]}",
        "{\"OutBlock_1\":[{\"ISU_NM\":\"a\tb\"}]}",
        R"({"OutBlock_1":[]}x)",
        R"({"OutBlock_1":[]}{})",
        R"({"OutBlock_1":[{"ISU_CD":"1",}]})",
        R"({"OutBlock_1":[{"ISU_CD":"1"},]})",
        R"({"OutBlock_1":[{"ISU_CD" "1"}]})",
        R"({"OutBlock_1":[[]]})",
        R"({"OutBlock_1":["x"]})",
        R"({"OutBlock_1":{}})",
        R"([{"OutBlock_1":[]}])",
    };
    for (const auto& body : bodies) {
      CAPTURE(body);
      const auto out = compare_prices(body);
      CHECK_FALSE(out.scanned);
      CHECK(out.agrees);
      CHECK(compare_indices(body).agrees);
    }
  }

  TEST_CASE("every cut of a body agrees with the SAX parser (truncated answers)") {
    const auto body = price_body({k_row_a, k_row_b});
    for (std::size_t n = 0; n < body.size(); ++n) {
      CAPTURE(n);
      const auto out = compare_prices(body.substr(0, n));
      CHECK_FALSE(out.scanned);
      CHECK(out.agrees);
    }
    const auto index_body = R"({"OutBlock_1":[)" + k_index_row + "]}";
    for (std::size_t n = 0; n < index_body.size(); ++n) {
      CAPTURE(n);
      CHECK(compare_indices(index_body.substr(0, n)).agrees);
    }
  }

  TEST_CASE("agrees with the SAX parser on thousands of mutated bodies") {
    // Deterministic: each mutant replaces, inserts or deletes one byte of a valid body with a
    // byte that matters to JSON or to the value readers.
    const std::string interesting = "\"\\{}[],: -+.0123456789eE,\x01\x7F\x80\xC3\xE0\xED\xF0\xFF\t";
    const std::vector<std::string> seeds = {price_body({k_row_a, k_row_b}),
                                            R"({"OutBlock_1":[)" + k_index_row + "]}"};
    std::mt19937 rng(20240105); // NOLINT(cert-msc51-cpp): reproducible on purpose
    int scanned = 0;
    int disagreements = 0;
    for (int i = 0; i < 6000; ++i) {
      const bool index = (i % 3) == 2;
      auto body = seeds[index ? 1 : 0];
      const auto pos = std::uniform_int_distribution<std::size_t>(0, body.size() - 1)(rng);
      const char c =
          interesting[std::uniform_int_distribution<std::size_t>(0, interesting.size() - 1)(rng)];
      switch (i % 4) {
      case 0:
      case 1:
        body[pos] = c;
        break;
      case 2:
        body.insert(body.begin() + static_cast<std::ptrdiff_t>(pos), c);
        break;
      default:
        body.erase(pos, 1);
        break;
      }
      const auto out = index ? compare_indices(body) : compare_prices(body);
      scanned += out.scanned ? 1 : 0;
      if (!out.agrees) {
        ++disagreements;
        if (disagreements <= 5) {
          MESSAGE("disagreement on: " << body);
        }
      }
    }
    CHECK(disagreements == 0);
    CHECK(scanned > 1000); // many mutants stay flat: the comparison covers the fast path
  }

  TEST_CASE("reads the real answers of 2024-01-04 and 2024-01-05 exactly as the SAX parser") {
    for (const char* day : {"20240104", "20240105"}) {
      for (const char* api : {"stk_bydd_trd", "ksq_bydd_trd", "knx_bydd_trd"}) {
        const std::string name = std::string(api) + "_" + day + ".json";
        CAPTURE(name);
        const auto body = sample(name);
        if (!body) {
          return;
        }
        const auto out = compare_prices(*body);
        CHECK(out.scanned);
        CHECK(out.agrees);
      }
      for (const char* api : {"kospi_dd_trd", "kosdaq_dd_trd", "krx_dd_trd"}) {
        const std::string name = std::string(api) + "_" + day + ".json";
        CAPTURE(name);
        const auto body = sample(name);
        if (!body) {
          return;
        }
        const auto out = compare_indices(*body);
        CHECK(out.scanned);
        CHECK(out.agrees);
      }
    }
  }
}
