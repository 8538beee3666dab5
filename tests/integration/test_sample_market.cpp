// The bundled sample market (data/sample) is exactly what scripts/make-sample-market writes.
#include "support/fake_krx.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <unistd.h>

using namespace krxbatch;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::set<std::string> names_in(const std::filesystem::path& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

} // namespace

TEST_SUITE("sample_market") {
  TEST_CASE("the committed sample market is what the script regenerates, byte for byte") {
    const auto committed = test::source_dir() / "data" / "sample";
    const auto fresh =
        std::filesystem::temp_directory_path() / ("krxbatch-sample-" + std::to_string(::getpid()));
    std::filesystem::remove_all(fresh);
    const auto r =
        test::run({"/bin/bash", (test::source_dir() / "scripts" / "make-sample-market").string(),
                   test::fake_krx_binary().string(), fresh.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto names = names_in(committed);
    CHECK(names.size() == 1224);
    CHECK(names_in(fresh) == names);
    int differing = 0;
    for (const auto& n : names) {
      differing += slurp(committed / n) == slurp(fresh / n) ? 0 : 1;
    }
    CHECK(differing == 0);
    std::filesystem::remove_all(fresh);
  }
}
