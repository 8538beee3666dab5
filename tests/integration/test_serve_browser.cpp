// The dashboard of `krxbatch serve` in headless Chromium (tests/support/browser.hpp): the
// overview page and a stock page over a small synthetic market, each loaded once. The DOM must
// hold the job cards and the tables the script filled, each chart a canvas Chart.js drew on,
// the screenshot must not be blank, and the console must stay free of errors.
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/store/database.hpp"

#include "support/browser.hpp"
#include "support/process.hpp"
#include "support/synthetic_market.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <unistd.h>

using namespace krxbatch;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_now = "2024-07-02T09:00:00+09:00";

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

} // namespace

TEST_SUITE("serve") {
  TEST_CASE("the dashboard and a stock page render in Chromium: cards, charts, no console "
            "errors") {
    const auto dir =
        fs::temp_directory_path() / ("krxbatch-serve-browser-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto db = (dir / "krx.db").string();
    static const auto cal = calendar::Calendar::load(test::source_dir() / "holidays");
    const core::Date last(2024, 7, 1);
    test::SyntheticMarket m;
    m.tickers = 12;
    m.sessions = cal.business_days(cal.business_day_back(last, 129), last);
    {
      store::Database database(db);
      test::write_synthetic_market(database, m);
    }
    test::SpawnOptions o;
    o.env = {{"KRXBATCH_DB", db},
             {"KRXBATCH_NOW", k_now},
             {"KRXBATCH_HOLIDAYS", (test::source_dir() / "holidays").string()}};
    const auto analysis = test::run({test::krxbatch_binary().string(), "hourly_analysis"}, o);
    INFO(analysis.err);
    REQUIRE(analysis.exit_code == 0);

    o.stdout_pipe = true;
    auto server = test::Child::spawn({test::krxbatch_binary().string(), "serve", "--nice", "0",
                                      "--listen", "127.0.0.1:0", "--crontab",
                                      (test::source_dir() / "cron" / "krxbatch.crontab").string()},
                                     o);
    const auto line = server.read_line();
    REQUIRE(line);
    const auto base = "http://127.0.0.1:" + line->substr(line->rfind(':') + 1);

    {
      const auto page = test::open_in_chromium(base + "/", dir / "overview");
      CAPTURE(page.dom.substr(0, 4000));
      for (const auto& e : page.console_messages) {
        CAPTURE(e);
      }
      CHECK(page.console_messages.empty());
      // A card per job, with its next run from the crontab.
      CHECK(count_of(page.dom, "class=\"card ") >= 4); // three jobs and the analysis
      CHECK(page.dom.find("data-job=\"daily_update\"") != std::string::npos);
      CHECK(page.dom.find("2024-07-02T19:00:00+09:00") != std::string::npos);
      // Both charts drawn (Chart.js sets its own attributes on the canvas it renders).
      CHECK(count_of(page.dom, "<canvas") == 2);
      CHECK(count_of(page.dom, "style=\"display: block;") >= 2);
      // The top scores and the run history filled in.
      CHECK(page.dom.find("href=\"/stock/") != std::string::npos);
      CHECK(page.dom.find("hourly_analysis</td>") != std::string::npos);
      const auto png = test::png_stats(page.screenshot);
      CHECK(png.width == 1280);
      CHECK(png.distinct_colours > 20);
      CHECK(png.non_background_fraction > 0.05);
    }
    {
      // Phone-sized.
      const auto page = test::open_in_chromium(base + "/stock/000010", dir / "stock", 390, 844);
      CAPTURE(page.dom.substr(0, 4000));
      CHECK(page.console_messages.empty());
      CHECK(page.dom.find("000010") != std::string::npos);
      CHECK(count_of(page.dom, "<canvas") == 3);
      CHECK(count_of(page.dom, "style=\"display: block;") >= 3);
      const auto png = test::png_stats(page.screenshot);
      CHECK(png.width == 390);
      CHECK(png.non_background_fraction > 0.05);
    }
    server.kill(SIGTERM);
    CHECK(server.wait().exit_code == 0);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}
