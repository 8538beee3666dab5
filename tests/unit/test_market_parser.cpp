#include "krxbatch/market/parser.hpp"
#include "krxbatch/market/validation.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

using namespace krxbatch;
using market::BodyProblem;
using market::IndexRow;
using market::PriceRow;

namespace {

std::filesystem::path samples_dir() {
  return test::shared_dir() / "krx-samples";
}

// The saved real answer `name`, or nullopt (with a MESSAGE saying the test did not run) when
// the reference samples are not next to the source tree.
std::optional<std::string> sample(const std::string& name) {
  const auto path = samples_dir() / name;
  if (!std::filesystem::exists(path)) {
    MESSAGE("not run: " << path.string()
                        << " is absent (real KRX answers, outside the repository)");
    return std::nullopt;
  }
  return test::read_file(path);
}

template <typename T>
std::string problem_of(const market::ParseResult<T>& result) {
  return result.ok() ? std::string("ok") : std::string(to_string(result.failure().kind));
}

template <typename T>
std::string message_of(const market::ParseResult<T>& result) {
  return result.ok() ? std::string() : result.failure().message;
}

const PriceRow* find_ticker(const std::vector<PriceRow>& rows, std::string_view ticker) {
  const auto it =
      std::find_if(rows.begin(), rows.end(), [&](const PriceRow& r) { return r.ticker == ticker; });
  return it == rows.end() ? nullptr : &*it;
}

// A one-row body whose row has `fields` (a JSON fragment without braces).
std::string one_row(const std::string& fields) {
  return R"({"OutBlock_1":[{)" + fields + "}]}";
}

const std::string k_samsung =
    R"("ACC_TRDVAL":"866836486100","ACC_TRDVOL":"11304316","BAS_DD":"20240105",)"
    R"("CMPPREVDD_PRC":"0","FLUC_RT":"0.00","ISU_CD":"005930","ISU_NM":"삼성전자",)"
    R"("LIST_SHRS":"5969782550","MKTCAP":"457285343330000","MKT_NM":"KOSPI","SECT_TP_NM":"-",)"
    R"("TDD_CLSPRC":"76600","TDD_HGPRC":"77100","TDD_LWPRC":"76400","TDD_OPNPRC":"76700")";

} // namespace

TEST_SUITE("market.parser") {
  TEST_CASE("parses every row of the real answers of 2024-01-05 (953/1703/129 rows)") {
    const std::pair<const char*, std::size_t> files[] = {{"stk_bydd_trd_20240105.json", 953},
                                                         {"ksq_bydd_trd_20240105.json", 1703},
                                                         {"knx_bydd_trd_20240105.json", 129}};
    for (const auto& [name, count] : files) {
      CAPTURE(name);
      const auto body = sample(name);
      if (!body) {
        return;
      }
      const auto rows = market::parse_price_rows(*body);
      REQUIRE_MESSAGE(rows.ok(), message_of(rows));
      CHECK(rows.value().size() == count);
      for (const auto& r : rows.value()) {
        CHECK(r.trade_date == core::Date(2024, 1, 5));
      }
    }
  }

  TEST_CASE("real answers of both days pass validation with no error, cap = close x shares") {
    const std::pair<const char*, market::Market> kinds[] = {{"stk", market::Market::kospi},
                                                            {"ksq", market::Market::kosdaq},
                                                            {"knx", market::Market::konex}};
    for (const auto& [prefix, mkt] : kinds) {
      for (const auto& [day, date] : {std::pair{"20240104", core::Date(2024, 1, 4)},
                                      std::pair{"20240105", core::Date(2024, 1, 5)}}) {
        const std::string name = std::string(prefix) + "_bydd_trd_" + day + ".json";
        CAPTURE(name);
        const auto body = sample(name);
        if (!body) {
          return;
        }
        const auto rows = market::parse_price_rows(*body);
        REQUIRE_MESSAGE(rows.ok(), message_of(rows));
        REQUIRE(!rows.value().empty());
        std::size_t checked = 0;
        for (const auto& r : rows.value()) {
          REQUIRE(r.close.has_value());
          REQUIRE(r.listed_shares.has_value());
          CHECK(r.market_cap == *r.close * *r.listed_shares);
          CHECK(r.market == mkt);
          ++checked;
        }
        CHECK(checked == rows.value().size());
        const auto report = market::validate_stocks(date, mkt, rows.value(), std::nullopt);
        CHECK_MESSAGE(!report.has_errors(), report.first_error());
      }
    }
  }

  TEST_CASE("keeps the alphanumeric ticker 00104K as text with all its values") {
    const auto body = sample("stk_bydd_trd_20240105.json");
    if (!body) {
      return;
    }
    const auto rows = market::parse_price_rows(*body);
    REQUIRE(rows.ok());
    const auto* r = find_ticker(rows.value(), "00104K");
    REQUIRE(r != nullptr);
    CHECK(r->name == "CJ4우(전환)");
    CHECK(r->market == market::Market::kospi);
    CHECK_FALSE(r->section.has_value()); // KOSPI's SECT_TP_NM is "-"
    CHECK(r->close == 73100);
    CHECK(r->change == 2100);
    CHECK(r->change_rate == doctest::Approx(2.96));
    CHECK(r->open == 70400);
    CHECK(r->high == 73200);
    CHECK(r->low == 70000);
    CHECK(r->volume == 12777);
    CHECK(r->value == 919659900);
    CHECK(r->market_cap == 308958027200);
    CHECK(r->listed_shares == 4226512);
    const auto* samsung = find_ticker(rows.value(), "005930");
    REQUIRE(samsung != nullptr);
    CHECK(samsung->market_cap == 457285343330000); // beyond 32 bits
  }

  TEST_CASE("a suspended row keeps open/high/low 0 and its close") {
    const auto body = sample("stk_bydd_trd_20240105.json");
    if (!body) {
      return;
    }
    const auto rows = market::parse_price_rows(*body);
    REQUIRE(rows.ok());
    const auto* r = find_ticker(rows.value(), "003560");
    REQUIRE(r != nullptr);
    CHECK(r->open == 0);
    CHECK(r->high == 0);
    CHECK(r->low == 0);
    CHECK(r->close == 10760);
    CHECK(r->volume == 0);
    CHECK(r->market_cap == 58906362440);
  }

  TEST_CASE("a KONEX no-trade row keeps its non-zero negative change") {
    const auto body = sample("knx_bydd_trd_20240105.json");
    if (!body) {
      return;
    }
    const auto rows = market::parse_price_rows(*body);
    REQUIRE(rows.ok());
    const auto* r = find_ticker(rows.value(), "296520");
    REQUIRE(r != nullptr);
    CHECK(r->volume == 0);
    CHECK(r->change == -75);
    CHECK(r->change_rate == doctest::Approx(-2.29));
    CHECK(r->section == std::optional<std::string>("일반기업부"));
  }

  TEST_CASE("real index answers parse with '-' values as absent") {
    const char* names[] = {"kospi_dd_trd_20240105.json", "kosdaq_dd_trd_20240105.json",
                           "krx_dd_trd_20240105.json", "kospi_dd_trd_20240104.json"};
    for (const auto* name : names) {
      CAPTURE(name);
      const auto body = sample(name);
      if (!body) {
        return;
      }
      const auto rows = market::parse_index_rows(*body);
      REQUIRE_MESSAGE(rows.ok(), message_of(rows));
      CHECK(!rows.value().empty());
    }
    const auto rows = market::parse_index_rows(*sample("kospi_dd_trd_20240105.json"));
    REQUIRE(rows.ok());
    CHECK(rows.value().size() == 47);
    const auto find = [&](std::string_view name) -> const IndexRow* {
      for (const auto& r : rows.value()) {
        if (r.index_name == name) {
          return &r;
        }
      }
      return nullptr;
    };
    const auto* foreign = find("코스피 (외국주포함)");
    REQUIRE(foreign != nullptr);
    CHECK_FALSE(foreign->close.has_value());
    CHECK_FALSE(foreign->open.has_value());
    CHECK_FALSE(foreign->change_rate.has_value());
    CHECK(foreign->volume == 522289892);
    CHECK(foreign->market_cap == 2075148802709824);
    const auto* kospi = find(market::k_kospi_composite_name);
    REQUIRE(kospi != nullptr);
    CHECK(kospi->index_class == market::k_kospi_composite_class);
    CHECK(kospi->trade_date == core::Date(2024, 1, 5));
    CHECK(kospi->close == doctest::Approx(2578.08));
    CHECK(kospi->change == doctest::Approx(-8.94));
    CHECK(kospi->change_rate == doctest::Approx(-0.35));
    CHECK(kospi->open == doctest::Approx(2586.89));
    CHECK(kospi->high == doctest::Approx(2592.29));
    CHECK(kospi->low == doctest::Approx(2572.60));
    const auto report = market::validate_indices(core::Date(2024, 1, 5), rows.value());
    CHECK_MESSAGE(!report.has_errors(), report.first_error());
  }

  TEST_CASE("reads keys in any order and ignores unknown keys at every level") {
    const auto body =
        R"({"extra":{"a":[1,{"OutBlock_1":[]}]},"OutBlock_1":[{"TDD_OPNPRC":"100",)"
        R"("NEW_FIELD":{"x":[{"ISU_CD":"999999"}]},"ISU_CD":"0126Z0","MKTCAP":"1000",)"
        R"("LIST":[],"BAS_DD":"20240105","ISU_NM":"삼성에피스홀딩스","TDD_CLSPRC":"10",)"
        R"("LIST_SHRS":"100","MKT_NM":"KOSDAQ","SECT_TP_NM":"우량기업부","nul":null}],)"
        R"("respMsg":"ignored when rows are present","CURRENT_DATETIME":"2024.01.05 PM 06:00"})";
    const auto rows = market::parse_price_rows(body);
    REQUIRE_MESSAGE(rows.ok(), message_of(rows));
    REQUIRE(rows.value().size() == 1);
    const auto& r = rows.value()[0];
    CHECK(r.ticker == "0126Z0");
    CHECK(r.name == "삼성에피스홀딩스");
    CHECK(r.market == market::Market::kosdaq);
    CHECK(r.section == std::optional<std::string>("우량기업부"));
    CHECK(r.open == 100);
    CHECK(r.close == 10);
    CHECK(r.market_cap == 1000);
    CHECK(r.listed_shares == 100);
    CHECK_FALSE(r.high.has_value()); // never sent
    CHECK_FALSE(r.volume.has_value());
  }

  TEST_CASE("strips commas, keeps signs, reads 64-bit values and treats '-' and '' as absent") {
    const auto rows = market::parse_price_rows(one_row(
        R"("ISU_CD":"005930","TDD_CLSPRC":"1,234,567","CMPPREVDD_PRC":"-1,200",)"
        R"("FLUC_RT":"-0.06","TDD_OPNPRC":"-","TDD_HGPRC":"","TDD_LWPRC":" 7 ",)"
        R"("ACC_TRDVOL":"+5","ACC_TRDVAL":"9223372036854775807","MKTCAP":"-9223372036854775808",)"
        R"("LIST_SHRS":"0","SECT_TP_NM":"","MKT_NM":"-","BAS_DD":"-")"));
    REQUIRE_MESSAGE(rows.ok(), message_of(rows));
    const auto& r = rows.value().at(0);
    CHECK(r.close == 1234567);
    CHECK(r.change == -1200);
    CHECK(r.change_rate == doctest::Approx(-0.06));
    CHECK_FALSE(r.open.has_value());
    CHECK_FALSE(r.high.has_value());
    CHECK(r.low == 7);
    CHECK(r.volume == 5);
    CHECK(r.value == INT64_MAX);
    CHECK(r.market_cap == INT64_MIN);
    CHECK(r.listed_shares == 0);
    CHECK_FALSE(r.section.has_value());
    CHECK_FALSE(r.market.has_value());
    CHECK(r.trade_date.is_special()); // absent BAS_DD; validation rejects it
  }

  TEST_CASE("accepts JSON numbers and null where strings are expected") {
    const auto rows = market::parse_price_rows(
        one_row(R"("ISU_CD":"005930","TDD_CLSPRC":76600,"FLUC_RT":-0.5,"ACC_TRDVOL":null,)"
                R"("MKTCAP":18446744073709551615,"LIST_SHRS":12)"));
    // 2^64-1 does not fit a signed 64-bit integer.
    REQUIRE(problem_of(rows) == "bad_value");
    CHECK(message_of(rows).find("MKTCAP") != std::string::npos);

    const auto ok = market::parse_price_rows(one_row(
        R"("ISU_CD":"005930","TDD_CLSPRC":76600,"FLUC_RT":-0.5,"ACC_TRDVOL":null,"LIST_SHRS":12)"));
    REQUIRE_MESSAGE(ok.ok(), message_of(ok));
    CHECK(ok.value()[0].close == 76600);
    CHECK(ok.value()[0].change_rate == doctest::Approx(-0.5));
    CHECK_FALSE(ok.value()[0].volume.has_value());
    CHECK(ok.value()[0].listed_shares == 12);
  }

  TEST_CASE("an empty OutBlock_1 is an empty answer, not an error") {
    for (const std::string body :
         {R"({"OutBlock_1":[]})", "\xEF\xBB\xBF\n {\n  \"OutBlock_1\": []\n}\n"}) {
      const auto rows = market::parse_price_rows(body);
      REQUIRE_MESSAGE(rows.ok(), message_of(rows));
      CHECK(rows.value().empty());
      CHECK(market::parse_index_rows(body).ok());
    }
  }

  TEST_CASE("a non-number where a number is expected names the field, ticker and value") {
    // Keys arrive alphabetically, so the bad value comes before the ticker is known.
    const auto rows = market::parse_price_rows(
        R"({"OutBlock_1":[)" + std::string("{") + k_samsung + "}," +
        R"({"ACC_TRDVAL":"1","BAS_DD":"20240105","ISU_CD":"000660","TDD_CLSPRC":"12a00"}]})");
    REQUIRE(problem_of(rows) == "bad_value");
    const auto msg = message_of(rows);
    CHECK(msg.find("row 2") != std::string::npos);
    CHECK(msg.find("000660") != std::string::npos);
    CHECK(msg.find("TDD_CLSPRC") != std::string::npos);
    CHECK(msg.find("'12a00'") != std::string::npos);
  }

  TEST_CASE("rejects values a field cannot hold") {
    const std::pair<const char*, const char*> cases[] = {
        {R"("FLUC_RT":"nan")", "FLUC_RT"},
        {R"("FLUC_RT":"inf")", "FLUC_RT"},
        {R"("FLUC_RT":"1.2.3")", "FLUC_RT"},
        {R"("TDD_CLSPRC":"1.5")", "TDD_CLSPRC"},
        {R"("TDD_CLSPRC":",")", "TDD_CLSPRC"},
        {R"("TDD_CLSPRC":"--1")", "TDD_CLSPRC"},
        {R"("ACC_TRDVAL":"99999999999999999999")", "ACC_TRDVAL"},
        {R"("ACC_TRDVAL":"9223372036854775808")", "ACC_TRDVAL"},
        {R"("ACC_TRDVAL":"+")", "ACC_TRDVAL"},
        {R"("ACC_TRDVAL":"-,")", "ACC_TRDVAL"},
        {R"("ACC_TRDVAL":"1 2")", "ACC_TRDVAL"},
        {R"("ACC_TRDVOL":true)", "ACC_TRDVOL"},
        {R"("ACC_TRDVOL":{"v":"1"})", "ACC_TRDVOL"},
        {R"("ACC_TRDVOL":["1"])", "ACC_TRDVOL"},
        {R"("BAS_DD":"2024-01-05")", "BAS_DD"},
        {R"("BAS_DD":"20240230")", "BAS_DD"},
        {R"("MKT_NM":"NASDAQ")", "MKT_NM"},
    };
    for (const auto& [field, name] : cases) {
      CAPTURE(field);
      const auto rows =
          market::parse_price_rows(one_row(R"("ISU_CD":"005930",)" + std::string(field)));
      REQUIRE(problem_of(rows) == "bad_value");
      CHECK(message_of(rows).find(name) != std::string::npos);
      CHECK(message_of(rows).find("005930") != std::string::npos);
    }
    const auto index =
        market::parse_index_rows(R"({"OutBlock_1":[{"IDX_NM":"코스피","CLSPRC_IDX":"2,578.x"}]})");
    REQUIRE(problem_of(index) == "bad_value");
    CHECK(message_of(index).find("CLSPRC_IDX") != std::string::npos);
    CHECK(message_of(index).find("코스피") != std::string::npos);
  }

  TEST_CASE("classifies an empty body") {
    for (const std::string body : {"", "  \r\n\t"}) {
      CHECK(problem_of(market::parse_price_rows(body)) == "empty");
    }
  }

  TEST_CASE("classifies HTML and names its title") {
    const auto page =
        "\n<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<TITLE>에러페이지 - "
        "한국거래소</TITLE></head><body>자동화 수단을 통한 비정상 대량 조회가 "
        "감지되어</body></html>";
    const auto rows = market::parse_price_rows(page);
    REQUIRE(problem_of(rows) == "html");
    CHECK(message_of(rows).find("에러페이지 - 한국거래소") != std::string::npos);

    const auto untitled = market::parse_index_rows("<html><body><span>서비스 제공 불가능</span>");
    REQUIRE(problem_of(untitled) == "html");
    CHECK(message_of(untitled).find("<html><body><span>") != std::string::npos);
  }

  TEST_CASE("classifies every cut of a body as truncated") {
    const std::string body = one_row(k_samsung);
    REQUIRE(market::parse_price_rows(body).ok());
    for (std::size_t n = 1; n < body.size(); ++n) {
      CAPTURE(n);
      const auto rows = market::parse_price_rows(std::string_view(body).substr(0, n));
      REQUIRE(problem_of(rows) == "truncated");
    }
    const auto rows = market::parse_price_rows(std::string_view(body).substr(0, 60));
    CHECK(message_of(rows).find("truncated after 60 bytes") != std::string::npos);
  }

  TEST_CASE("classifies a cut real answer as truncated") {
    const auto body = sample("ksq_bydd_trd_20240105.json");
    if (!body) {
      return;
    }
    for (const std::size_t n : {std::size_t{1000}, body->size() / 2, body->size() - 3}) {
      CAPTURE(n);
      CHECK(problem_of(market::parse_price_rows(std::string_view(*body).substr(0, n))) ==
            "truncated");
    }
  }

  TEST_CASE("classifies broken JSON as invalid and shows where") {
    const std::string cases[] = {
        "LOGOUT",
        R"({"OutBlock_1":[}])",
        R"({"OutBlock_1":[]} trailing)",
        R"({"OutBlock_1":[{"ISU_CD":'005930'}]})",
        "{\"OutBlock_1\":[{\"ISU_NM\":\"a\x01"
        "b\"}]}",
    };
    for (const auto& body : cases) {
      CAPTURE(body);
      const auto rows = market::parse_price_rows(body);
      REQUIRE(problem_of(rows) == "invalid_json");
      CHECK(message_of(rows).find("column") != std::string::npos);
    }
    CHECK(message_of(market::parse_price_rows("LOGOUT")).find("'LOGOUT'") != std::string::npos);
  }

  TEST_CASE("classifies JSON without an OutBlock_1 array of rows") {
    const std::pair<std::string, const char*> cases[] = {
        {"{}", "without OutBlock_1"},
        {R"({"output":[{"ISU_CD":"005930"}]})", "without OutBlock_1"},
        {"[]", "array"},
        {R"("OutBlock_1")", "single JSON value"},
        {R"({"OutBlock_1":{}})", "OutBlock_1 is an object"},
        {R"({"OutBlock_1":null})", "OutBlock_1 is null"},
        {R"({"OutBlock_1":"x"})", "OutBlock_1 is a scalar"},
        {R"({"OutBlock_1":[{"ISU_CD":"005930"},1]})", "element 2"},
        {R"({"OutBlock_1":[[]]})", "element 1"},
    };
    for (const auto& [body, what] : cases) {
      CAPTURE(body);
      const auto rows = market::parse_price_rows(body);
      REQUIRE(problem_of(rows) == "no_out_block");
      CHECK(message_of(rows).find(what) != std::string::npos);
    }
  }

  TEST_CASE("classifies a KRX error object inside a 200 and quotes it") {
    const auto rows =
        market::parse_price_rows(R"({"respMsg":"Unauthorized API Call","respCode":"401"})");
    REQUIRE(problem_of(rows) == "error_object");
    CHECK(message_of(rows).find("'401'") != std::string::npos);
    CHECK(message_of(rows).find("Unauthorized API Call") != std::string::npos);
    CHECK(problem_of(market::parse_index_rows(
              R"({"respMsg":"API referenced by the path does not exist."})")) == "error_object");
  }

  TEST_CASE("reads respCode and respMsg of an error answer") {
    const auto e = market::parse_api_error(R"({"respMsg":"Unauthorized Key","respCode":"401"})");
    REQUIRE(e.has_value());
    CHECK(e->code == "401");
    CHECK(e->message == "Unauthorized Key");
    const auto numeric = market::parse_api_error(R"({"respCode":404})");
    REQUIRE(numeric.has_value());
    CHECK(numeric->code == "404");
    CHECK(numeric->message.empty());
    CHECK_FALSE(market::parse_api_error(R"({"OutBlock_1":[]})").has_value());
    CHECK_FALSE(market::parse_api_error("<html>401</html>").has_value());
    CHECK_FALSE(market::parse_api_error("").has_value());
  }
}

TEST_SUITE("market.excerpt") {
  TEST_CASE("folds control characters and whitespace into single spaces") {
    CHECK(market::excerpt("  a\r\n\tb\x1b[31m  c  ") == "a b [31m c");
  }

  TEST_CASE("cuts long text on a UTF-8 boundary and marks the cut") {
    const std::string text = "가나다라"; // 3 bytes per character
    CHECK(market::excerpt(text, 7) == "가나...");
    CHECK(market::excerpt(text, 12) == text);
    CHECK(market::excerpt(std::string(100, 'x'), 10) == "xxxxxxxxxx...");
  }

  TEST_CASE("replaces invalid UTF-8 bytes") {
    CHECK(market::excerpt("a\xff\xc3(b\xe2\x82") == "a?"
                                                    "?(b?"
                                                    "?");
    CHECK(market::excerpt("\xed\xa0\x80") == "???"); // a UTF-16 surrogate is not UTF-8
  }
}
