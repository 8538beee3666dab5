// When a day has data: the calendar, --start, and the publication rule (day T appears at the
// publication hour, KST, on the next business day), driven through the clock control.
#include "test_helpers.hpp"

using namespace krxbatch;
using namespace krxbatch::fake_krx_test;

namespace {

const std::string k_empty = R"({"OutBlock_1":[])";
const std::string k_empty_body = k_empty + "}";

// Whether `bas_dd` has rows for KOSPI now; fails unless the answer is a 200 either way.
bool has_rows(const test::FakeKrx& fake, const char* bas_dd) {
  const auto r = fake.api(k_stk, bas_dd);
  REQUIRE(r.status == 200);
  const auto rows = rows_of(r.body);
  for (const auto& row : rows) {
    CHECK(row["BAS_DD"] == bas_dd);
  }
  return !rows.empty();
}

} // namespace

TEST_SUITE("fake_krx.publication") {
  TEST_CASE("holidays, weekends, days before --start and malformed dates answer an empty list") {
    test::FakeKrx fake({"--now", k_late_now, "--start", "2023-06-01"});
    for (const char* api : {k_stk, k_ksq, k_knx, k_kospi, k_kosdaq}) {
      // New Year, Chuseok, a Saturday, a Sunday, a session before --start, not dates.
      for (const char* day : {"20240101", "20240916", "20240629", "20240630", "20230531",
                              "2024-06-27", "20240230", "x"}) {
        CAPTURE(api);
        CAPTURE(day);
        const auto r = fake.api(api, day);
        CHECK(r.status == 200);
        CHECK(r.body == k_empty_body);
      }
      const auto no_date = fake.request("GET", std::string("/svc/apis/") + api,
                                        {{"AUTH_KEY", std::string(test::k_test_auth_key)}});
      CHECK(no_date.status == 200);
      CHECK(no_date.body == k_empty_body);
      CHECK(rows_of(fake.api(api, "20230601").body).size() > 0); // the first session
    }
  }

  TEST_CASE("the clock decides: yesterday is out at 08:00, today is not") {
    // k_late_now is Tuesday 2025-03-04 12:00 KST; Monday 03-03 was a holiday.
    test::FakeKrx fake({"--now", k_late_now});
    CHECK(has_rows(fake, "20250228"));
    CHECK_FALSE(has_rows(fake, "20250304"));
    CHECK_FALSE(has_rows(fake, "20250305"));
    CHECK_FALSE(has_rows(fake, "20271230")); // the calendar's last session never is
  }

  TEST_CASE("a Friday appears at 08:00 KST on the Monday after, not before") {
    test::FakeKrx fake;
    fake.set_clock("2024-06-28T19:00:00+09:00");
    CHECK_FALSE(has_rows(fake, "20240628"));
    CHECK(has_rows(fake, "20240627"));
    fake.set_clock("2024-06-29T12:00:00+09:00");
    CHECK_FALSE(has_rows(fake, "20240628"));
    fake.set_clock("2024-07-01T07:50:00+09:00");
    CHECK_FALSE(has_rows(fake, "20240628"));
    fake.set_clock("2024-07-01T08:00:00+09:00");
    CHECK(has_rows(fake, "20240628"));
    // The same instant in UTC.
    fake.set_clock("2024-06-30T22:50:00Z");
    CHECK_FALSE(has_rows(fake, "20240628"));
    fake.set_clock("2024-06-30T23:00:00Z");
    CHECK(has_rows(fake, "20240628"));
  }

  TEST_CASE("the day before a holiday appears on the next business day") {
    test::FakeKrx fake;
    // Friday 2024-09-13, then Chuseok from Monday 16 to Wednesday 18.
    fake.set_clock("2024-09-18T12:00:00+09:00");
    CHECK_FALSE(has_rows(fake, "20240913"));
    fake.set_clock("2024-09-19T08:00:00+09:00");
    CHECK(has_rows(fake, "20240913"));
    // Monday 2024-09-30, then Tuesday 10-01 closed (Armed Forces Day).
    fake.set_clock("2024-10-01T12:00:00+09:00");
    CHECK_FALSE(has_rows(fake, "20240930"));
    fake.set_clock("2024-10-02T08:00:00+09:00");
    CHECK(has_rows(fake, "20240930"));
  }

  TEST_CASE("--publish-hour moves the publication time") {
    test::FakeKrx fake({"--publish-hour", "18", "--now", "2024-07-01T17:50:00+09:00"});
    CHECK_FALSE(has_rows(fake, "20240628"));
    fake.set_clock("2024-07-01T18:00:00+09:00");
    CHECK(has_rows(fake, "20240628"));
  }

  TEST_CASE("the clock can be read back and rejects what is not an instant") {
    test::FakeKrx fake;
    fake.set_clock("2024-07-01T08:00:00+09:00");
    const auto r = fake.request("GET", "/_fake/clock");
    CHECK(r.status == 200);
    const auto now = Json::parse(r.body)["now"].get<std::string>();
    CHECK(now.starts_with("2024-07-01T08:0"));
    CHECK(now.ends_with("+09:00"));
    // A raw '+' in the query is taken literally, and a JSON body works too.
    CHECK(fake.request("POST", "/_fake/clock?now=2024-07-02T09:00:00+09:00").status == 200);
    CHECK(
        Json::parse(fake.request("GET", "/_fake/clock").body)["now"].get<std::string>().starts_with(
            "2024-07-02T09:0"));
    CHECK(
        fake.request("POST", "/_fake/clock", {}, R"({"now":"2024-07-03T10:00:00+09:00"})").status ==
        200);
    CHECK(
        Json::parse(fake.request("GET", "/_fake/clock").body)["now"].get<std::string>().starts_with(
            "2024-07-03T10:0"));
    CHECK(fake.request("POST", "/_fake/clock?now=tomorrow").status == 400);
  }
}
