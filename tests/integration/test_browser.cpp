// The browser harness (support/browser.hpp) itself: what the report and dashboard tests rely on
// to say "the charts rendered" must see a script's work, its console, and a non-blank screen.
#include "support/browser.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <stdexcept>
#include <unistd.h>

using namespace krxbatch;

namespace {

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "krxbatch-browser-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

} // namespace

TEST_SUITE("browser") {
  TEST_CASE("headless Chromium runs the page's scripts and timers, reports its console and "
            "paints what a canvas draws") {
    const ScratchDir scratch;
    const auto page_file = scratch.path / "page.html";
    {
      std::ofstream out(page_file);
      // The canvas covers the top half of a 400x300 viewport; the paragraph is added by a timer
      // that fires after the load event, which only a budget of virtual time waits for.
      out << "<!doctype html><html><body style='margin:0;background:#fff'>"
             "<canvas id='c' width='400' height='150'></canvas><script>"
             "const g = document.getElementById('c').getContext('2d');"
             "g.fillStyle = '#1f77b4'; g.fillRect(0, 0, 400, 150);"
             "console.error('harness-marker');"
             "setTimeout(() => document.body.insertAdjacentHTML('beforeend',"
             " '<p id=\"late\">late</p>'), 2000);"
             "</script></body></html>";
    }
    const auto page =
        test::open_in_chromium("file://" + page_file.string(), scratch.path / "chromium", 400, 300);

    CHECK(page.dom.find("id=\"late\"") != std::string::npos);
    REQUIRE(page.console_messages.size() == 1);
    CHECK(page.console_messages[0] == "harness-marker");

    const auto stats = test::png_stats(page.screenshot);
    CHECK(stats.width == 400);
    CHECK(stats.height == 300);
    CHECK(stats.distinct_colours >= 2);
    // Half the viewport is the canvas's colour, the other half the white page.
    CHECK(stats.non_background_fraction == doctest::Approx(0.5).epsilon(0.02));
  }
}
