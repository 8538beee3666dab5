#include "support/browser.hpp"

#include "support/process.hpp"

#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <zlib.h>

namespace krxbatch::test {
namespace fs = std::filesystem;

namespace {

constexpr const char* k_chromium = "/usr/bin/chromium";

// Chromium writes a page's console as
//   [pid:tid:date/time.us:INFO:CONSOLE:LINE] "TEXT", source: URL (LINE)
std::vector<std::string> console_lines(const std::string& log) {
  std::vector<std::string> messages;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    const auto tag = line.find(":CONSOLE");
    if (tag == std::string::npos) {
      continue;
    }
    const auto open = line.find("] \"", tag);
    const auto close = line.rfind("\", source: ");
    if (open == std::string::npos || close == std::string::npos || close < open + 3) {
      messages.push_back(line.substr(tag));
      continue;
    }
    messages.push_back(line.substr(open + 3, close - open - 3));
  }
  return messages;
}

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t{static_cast<unsigned char>(s[at])} << 24U) |
         (std::uint32_t{static_cast<unsigned char>(s[at + 1])} << 16U) |
         (std::uint32_t{static_cast<unsigned char>(s[at + 2])} << 8U) |
         std::uint32_t{static_cast<unsigned char>(s[at + 3])};
}

int paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = p > a ? p - a : a - p;
  const int pb = p > b ? p - b : b - p;
  const int pc = p > c ? p - c : c - p;
  if (pa <= pb && pa <= pc) {
    return a;
  }
  return pb <= pc ? b : c;
}

} // namespace

BrowserPage open_in_chromium(const std::string& url, const fs::path& work_dir, int width,
                             int height) {
  if (!fs::exists(k_chromium)) {
    throw std::runtime_error("chromium is not installed (scripts/test installs it)");
  }
  fs::create_directories(work_dir);
  BrowserPage page;
  page.screenshot = work_dir / "screenshot.png";
  fs::remove(page.screenshot);
  const std::vector<std::string> argv = {
      "/usr/bin/timeout", "120", k_chromium, "--headless", "--no-sandbox", "--disable-gpu",
      "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--hide-scrollbars",
      "--user-data-dir=" + (work_dir / "profile").string(), "--enable-logging=stderr", "--v=0",
      // Lets timers and fetches finish before the DOM is dumped, without waiting in real time.
      "--virtual-time-budget=10000",
      "--window-size=" + std::to_string(width) + "," + std::to_string(height), "--dump-dom",
      "--screenshot=" + page.screenshot.string(), url};
  const auto result = run(argv);
  if (result.exit_code != 0 || !fs::exists(page.screenshot)) {
    throw std::runtime_error("chromium failed on " + url + " (exit " +
                             std::to_string(result.exit_code) + "): " + result.err);
  }
  page.dom = result.out;
  page.console_messages = console_lines(result.err);
  return page;
}

PngStats png_stats(const fs::path& png) {
  std::ifstream in(png, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < 33 || file.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    throw std::runtime_error(png.string() + " is not a PNG file");
  }
  PngStats stats;
  int channels = 0;
  std::string compressed;
  for (std::size_t at = 8; at + 12 <= file.size();) {
    const std::size_t length = be32(file, at);
    const std::string type = file.substr(at + 4, 4);
    if (at + 12 + length > file.size()) {
      throw std::runtime_error(png.string() + ": truncated chunk " + type);
    }
    if (type == "IHDR") {
      stats.width = static_cast<int>(be32(file, at + 8));
      stats.height = static_cast<int>(be32(file, at + 12));
      const int depth = static_cast<unsigned char>(file[at + 16]);
      const int colour = static_cast<unsigned char>(file[at + 17]);
      const int interlace = static_cast<unsigned char>(file[at + 20]);
      channels = colour == 2 ? 3 : colour == 6 ? 4 : 0;
      if (depth != 8 || channels == 0 || interlace != 0) {
        throw std::runtime_error(png.string() + ": only 8-bit RGB(A) non-interlaced PNGs");
      }
    } else if (type == "IDAT") {
      compressed.append(file, at + 8, length);
    }
    at += 12 + length;
  }
  if (channels == 0 || stats.width <= 0 || stats.height <= 0) {
    throw std::runtime_error(png.string() + ": no image header");
  }
  const auto stride = static_cast<std::size_t>(stats.width) * static_cast<std::size_t>(channels);
  std::string raw((stride + 1) * static_cast<std::size_t>(stats.height), '\0');
  auto raw_size = static_cast<uLongf>(raw.size());
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                 reinterpret_cast<const Bytef*>(compressed.data()),
                 static_cast<uLong>(compressed.size())) != Z_OK ||
      raw_size != raw.size()) {
    throw std::runtime_error(png.string() + ": image data does not inflate to its size");
  }
  // Undo the per-row filters (PNG spec §9) in place, then count colours.
  std::vector<unsigned char> previous(stride, 0);
  std::vector<unsigned char> row(stride);
  std::map<std::uint32_t, std::size_t> counts;
  const auto bpp = static_cast<std::size_t>(channels);
  for (std::size_t y = 0; y < static_cast<std::size_t>(stats.height); ++y) {
    const auto* line = reinterpret_cast<const unsigned char*>(raw.data()) + y * (stride + 1);
    const int filter = line[0];
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= bpp ? row[x - bpp] : 0;
      const int b = previous[x];
      const int c = x >= bpp ? previous[x - bpp] : 0;
      int predictor = 0;
      switch (filter) {
      case 0:
        break;
      case 1:
        predictor = a;
        break;
      case 2:
        predictor = b;
        break;
      case 3:
        predictor = (a + b) / 2;
        break;
      case 4:
        predictor = paeth(a, b, c);
        break;
      default:
        throw std::runtime_error(png.string() + ": bad row filter");
      }
      row[x] = static_cast<unsigned char>(line[1 + x] + predictor);
    }
    for (std::size_t x = 0; x < stride; x += bpp) {
      const std::uint32_t colour = (std::uint32_t{row[x]} << 16U) |
                                   (std::uint32_t{row[x + 1]} << 8U) | std::uint32_t{row[x + 2]};
      ++counts[colour];
    }
    previous.swap(row);
  }
  std::size_t most = 0;
  for (const auto& entry : counts) {
    most = std::max(most, entry.second);
  }
  const auto pixels = static_cast<double>(stats.width) * stats.height;
  stats.distinct_colours = counts.size();
  stats.non_background_fraction = (pixels - static_cast<double>(most)) / pixels;
  return stats;
}

} // namespace krxbatch::test
