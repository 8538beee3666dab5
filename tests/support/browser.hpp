// A real browser for tests: headless Chromium (Debian's /usr/bin/chromium, installed by
// scripts/test) loads a page, runs its scripts, and hands back the DOM, what the page wrote on
// its console, and a screenshot.
//
// One Chromium start per call (a few seconds): load each page once and assert everything on
// the result. Chromium is started with a fresh profile under the caller's directory and with
// its background networking off (the test machines have no internet, and Chromium's own calls
// home would otherwise be refused many at a time).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace krxbatch::test {

struct BrowserPage {
  std::string dom; // the document's HTML after load, scripts and timers (virtual-time budget)
  // Every console message (log, warn, error) and every uncaught exception, one per entry.
  // Chromium's log does not tell the levels apart, so a page under test should write nothing on
  // its console and tests assert this list is empty.
  std::vector<std::string> console_messages;
  std::filesystem::path screenshot; // PNG of the viewport
};

// Loads `url` (http://127.0.0.1:PORT/... or file:///...) in a `width` x `height` viewport and
// returns the page once it is idle. Throws std::runtime_error when Chromium is missing, fails, or
// takes more than two minutes.
BrowserPage open_in_chromium(const std::string& url, const std::filesystem::path& work_dir,
                             int width = 1280, int height = 900);

struct PngStats {
  int width = 0;
  int height = 0;
  std::size_t distinct_colours = 0;
  double non_background_fraction = 0; // share of pixels not of the most common colour
};

// Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes). Throws
// std::runtime_error on anything else.
PngStats png_stats(const std::filesystem::path& png);

} // namespace krxbatch::test
