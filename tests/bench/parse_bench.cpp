// Measures the wire-format parser on saved KRX answers: rows/s and MB/s, best of several rounds,
// for parse_price_rows() (the flat scanner, falling back to SAX) and for the SAX parser alone.
//
// Usage: krxbatch_parse_bench [FILE...]. Without files it reads the `*_bydd_trd_*.json` answers
// in $KRXBATCH_SHARED_DIR/krx-samples (default: ../shared/krx-samples next to the sources).
#include "krxbatch/market/flat_scanner.hpp"
#include "krxbatch/market/parser.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    files.emplace_back(argv[i]);
  }
  if (files.empty()) {
    const char* env = std::getenv("KRXBATCH_SHARED_DIR");
    const std::filesystem::path dir =
        std::filesystem::path(env != nullptr ? env : KRXBATCH_SHARED_DIR) / "krx-samples";
    if (!std::filesystem::is_directory(dir)) {
      std::fprintf(stderr, "no files given and %s is absent\n", dir.c_str());
      return 2;
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().filename().string().find("_bydd_trd_") != std::string::npos) {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
  }

  std::vector<std::string> bodies;
  std::size_t bytes = 0;
  for (const auto& f : files) {
    bodies.push_back(read_file(f));
    bytes += bodies.back().size();
  }

  std::size_t flat = 0;
  for (const auto& body : bodies) {
    flat += krxbatch::market::scan_flat_price_rows(body) ? 1U : 0U;
  }
  std::printf("%zu files, %.1f MB; the flat scanner reads %zu of them\n", bodies.size(),
              static_cast<double>(bytes) / 1e6, flat);

  using Parse =
      krxbatch::market::ParseResult<std::vector<krxbatch::market::PriceRow>> (*)(std::string_view);
  const std::pair<const char*, Parse> parsers[] = {
      {"parse_price_rows", &krxbatch::market::parse_price_rows},
      {"SAX only", &krxbatch::market::parse_price_rows_sax},
  };
  for (const auto& [label, parse] : parsers) {
    constexpr int k_rounds = 7;
    constexpr int k_passes = 20; // per round
    double best = 1e300;
    std::size_t rows_per_pass = 0;
    for (int round = 0; round < k_rounds; ++round) {
      const auto start = std::chrono::steady_clock::now();
      std::size_t rows = 0;
      for (int pass = 0; pass < k_passes; ++pass) {
        for (const auto& body : bodies) {
          const auto result = parse(body);
          if (!result.ok()) {
            std::fprintf(stderr, "parse failed: %s\n", result.failure().message.c_str());
            return 1;
          }
          rows += result.value().size();
        }
      }
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      best = std::min(best, took.count());
      rows_per_pass = rows / k_passes;
    }
    const double per_pass = best / k_passes;
    std::printf("%-17s %zu rows, best %.2f ms per pass: %.0f rows/s, %.0f MB/s\n", label,
                rows_per_pass, per_pass * 1e3, static_cast<double>(rows_per_pass) / per_pass,
                static_cast<double>(bytes) / 1e6 / per_pass);
  }
  return 0;
}
