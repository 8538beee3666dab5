// The synthetic market as a whole: determinism, dump mode, market sizes, listings and
// delistings over time.
#include "test_helpers.hpp"

#include <fstream>
#include <set>
#include <sstream>

using namespace krxbatch;
using namespace krxbatch::fake_krx_test;

namespace {

std::filesystem::path temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("fake-krx-test-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(p);
  return p;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

test::ProcessResult run_fake(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {test::fake_krx_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(argv);
}

std::set<std::string> codes_of(const std::vector<Json>& rows) {
  std::set<std::string> out;
  for (const auto& row : rows) {
    out.insert(row["ISU_CD"].get<std::string>());
  }
  return out;
}

} // namespace

TEST_SUITE("fake_krx.market") {
  TEST_CASE("the same seed gives the same bytes, another seed other bytes") {
    test::FakeKrx a({"--now", k_late_now, "--seed", "7"});
    test::FakeKrx b({"--now", k_late_now, "--seed", "7"});
    test::FakeKrx c({"--now", k_late_now, "--seed", "8"});
    for (const char* api : {k_stk, k_ksq, k_knx, k_kospi, k_kosdaq}) {
      for (const char* day : {"20230102", "20240105", "20241230"}) {
        CAPTURE(api);
        CAPTURE(day);
        // Ask b for the days in another order first: bodies must not depend on history.
        const auto later = b.api(api, "20241230").body;
        const auto body = a.api(api, day).body;
        CHECK(rows_of(body).size() > 3);
        CHECK(b.api(api, day).body == body);
        CHECK(c.api(api, day).body != body);
        CHECK(!later.empty());
      }
    }
  }

  TEST_CASE("dump writes the bodies the server serves, named like the KRX samples") {
    const auto dir = temp_dir("dump");
    const auto again = temp_dir("dump-again");
    auto r = run_fake({"--dump", dir.string(), "--from", "2024-09-09", "--to", "2024-09-30"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.empty());
    r = run_fake({"--dump", again.string(), "--from", "2024-09-09", "--to", "2024-09-30"});
    REQUIRE(r.exit_code == 0);

    // Every session of the range, computed from the calendar (Chuseok 16-18 is skipped).
    std::set<std::string> expected;
    std::vector<std::string> sessions;
    for (const auto& d :
         source_calendar().business_days(core::Date(2024, 9, 9), core::Date(2024, 9, 30))) {
      sessions.push_back(core::to_basdd(d));
      for (const char* api :
           {"stk_bydd_trd", "ksq_bydd_trd", "knx_bydd_trd", "kospi_dd_trd", "kosdaq_dd_trd"}) {
        expected.insert(std::string(api) + "_" + core::to_basdd(d) + ".json");
      }
    }
    CHECK(sessions.size() == 13);
    std::set<std::string> written;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      written.insert(entry.path().filename().string());
    }
    CHECK(written == expected);

    test::FakeKrx fake({"--now", k_late_now});
    for (const auto& name : expected) {
      CAPTURE(name);
      const auto body = read_file(dir / name);
      CHECK(body == read_file(again / name)); // deterministic across runs
      const auto cut = name.rfind('_');
      const std::string api = name.substr(0, cut);
      const std::string day = name.substr(cut + 1, 8);
      const std::string path = (api.find("_dd_") != std::string::npos ? "idx/" : "sto/") + api;
      CHECK(fake.api(path.c_str(), day).body == body);
    }
    std::filesystem::remove_all(dir);
    std::filesystem::remove_all(again);
  }

  TEST_CASE("dump --endpoints limits the APIs, and a range without data is refused") {
    const auto dir = temp_dir("dump-endpoints");
    auto r = run_fake({"--dump", dir.string(), "--from", "2024-06-28", "--to", "2024-07-01",
                       "--endpoints", "stk,kospi_dd_trd"});
    REQUIRE(r.exit_code == 0);
    std::set<std::string> written;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      written.insert(entry.path().filename().string());
    }
    CHECK(written ==
          std::set<std::string>{"stk_bydd_trd_20240628.json", "stk_bydd_trd_20240701.json",
                                "kospi_dd_trd_20240628.json", "kospi_dd_trd_20240701.json"});
    r = run_fake({"--dump", dir.string(), "--from", "2022-12-01", "--to", "2023-01-31"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--start") != std::string::npos);
    r = run_fake({"--dump", dir.string(), "--from", "2027-12-01", "--to", "2028-01-31"});
    CHECK(r.exit_code == 2);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("the first session lists exactly the issues asked for") {
    test::FakeKrx fake({"--now", k_late_now, "--kospi", "7", "--kosdaq", "9", "--konex", "0"});
    CHECK(fetch_rows(fake, k_stk, "20230102").size() == 7);
    CHECK(fetch_rows(fake, k_ksq, "20230102").size() == 9);
    CHECK(fetch_rows(fake, k_knx, "20230102").empty());
  }

  TEST_CASE("the full-size market starts and answers") {
    test::FakeKrx fake(
        {"--now", k_late_now, "--kospi", "950", "--kosdaq", "1750", "--konex", "130"});
    CHECK(fetch_rows(fake, k_stk, "20230102").size() == 950);
    CHECK(fetch_rows(fake, k_ksq, "20230102").size() == 1750);
    CHECK(fetch_rows(fake, k_knx, "20230102").size() == 130);
    const auto later = fetch_rows(fake, k_ksq, "20240627").size();
    CHECK(later > 1600);
    CHECK(later < 2100);
  }

  TEST_CASE("listings and delistings change the issue set over time") {
    test::FakeKrx fake({"--now", k_late_now});
    const auto days =
        source_calendar().business_days(core::Date(2023, 1, 2), core::Date(2023, 4, 28));
    for (const char* api : {k_stk, k_ksq, k_knx}) {
      CAPTURE(api);
      const auto first = codes_of(fetch_rows(fake, api, core::to_basdd(days.front())));
      std::set<std::string> gone;
      std::set<std::string> listed;
      std::set<std::string> previous = first;
      for (const auto& day : days) {
        const auto today = codes_of(fetch_rows(fake, api, core::to_basdd(day)));
        for (const auto& code : previous) {
          if (!today.contains(code)) {
            gone.insert(code);
          }
        }
        for (const auto& code : today) {
          CHECK_FALSE(gone.contains(code)); // a delisted code never comes back
          if (!first.contains(code)) {
            listed.insert(code);
          }
        }
        previous = today;
      }
      CHECK(!gone.empty());
      CHECK(!listed.empty());
    }
  }

  TEST_CASE("KONEX has no rows before it opened on 2013-07-01") {
    test::FakeKrx fake({"--now", k_late_now, "--start", "2013-06-03"});
    CHECK(fetch_rows(fake, k_knx, "20130628").empty());
    CHECK(fetch_rows(fake, k_knx, "20130701").size() > 5);
    CHECK(fetch_rows(fake, k_stk, "20130628").size() > 5);
  }
}
