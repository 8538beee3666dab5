#include "krxbatch/core/error.hpp"
#include "krxbatch/util/durable_file.hpp"
#include "krxbatch/util/gzip.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace krxbatch;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_SUITE("util.gzip") {
  TEST_CASE("a file gzipped and gunzipped comes back byte for byte") {
    test::TempDir dir;
    std::string content;
    for (unsigned i = 0; i < 300000; ++i) {
      content += static_cast<char>((i * 7919U) % 251U);
    }
    const auto src = dir.write("a.bin", content);
    util::gzip_file(src, dir / "a.bin.gz");
    CHECK(util::is_gzip_file(dir / "a.bin.gz"));
    CHECK_FALSE(util::is_gzip_file(src));
    util::gunzip_file(dir / "a.bin.gz", dir / "b.bin");
    CHECK(slurp(dir / "b.bin") == content);
  }

  TEST_CASE("gunzip refuses a truncated or non-gzip file") {
    test::TempDir dir;
    const auto src = dir.write("a.txt", std::string(100000, 'x') + "tail");
    util::gzip_file(src, dir / "a.gz");
    const auto gz = slurp(dir / "a.gz");
    dir.write("cut.gz", gz.substr(0, gz.size() - 10));
    CHECK_THROWS_AS(util::gunzip_file(dir / "cut.gz", dir / "out"), core::Error);
    CHECK_THROWS_WITH_AS(util::gunzip_file(src, dir / "out"), doctest::Contains("not a gzip file"),
                         core::Error);
  }

  TEST_CASE("bytes gzipped in memory read back from the file byte for byte, a cut file is "
            "refused") {
    test::TempDir dir;
    std::string content;
    for (int i = 0; i < 20000; ++i) {
      content += R"({"ISU_CD":")" + std::to_string(i) + R"(","TDD_CLSPRC":"76600"},)";
    }
    const auto packed = util::gzip_bytes(content, 1);
    CHECK(packed.size() < content.size() / 4);
    // The compressor kept for level 1 on this thread is reused: the same bytes again.
    CHECK(util::gzip_bytes(content, 1) == packed);
    // Level 12, libdeflate's smallest, is smaller still and reads back the same.
    const auto smallest = util::gzip_bytes(content, 12);
    CHECK(smallest.size() < packed.size());
    dir.write("b.json.gz", smallest);
    CHECK(util::read_gzip_file(dir / "b.json.gz") == content);
    CHECK_THROWS_WITH_AS((void)util::gzip_bytes(content, 0), doctest::Contains("level 0"),
                         core::Error);
    CHECK_THROWS_AS((void)util::gzip_bytes(content, 13), core::Error);
    dir.write("a.json.gz", packed);
    CHECK(util::read_gzip_file(dir / "a.json.gz") == content);
    // What gunzip_file (and `gzip -d`) make of it is the same.
    util::gunzip_file(dir / "a.json.gz", dir / "a.json");
    CHECK(slurp(dir / "a.json") == content);
    dir.write("cut.json.gz", packed.substr(0, packed.size() - 10));
    CHECK_THROWS_AS((void)util::read_gzip_file(dir / "cut.json.gz"), core::Error);
    CHECK_THROWS_WITH_AS((void)util::read_gzip_file(dir / "a.json"),
                         doctest::Contains("not a gzip file"), core::Error);
  }

  TEST_CASE("rename_durably replaces the target atomically") {
    test::TempDir dir;
    dir.write("target", "old");
    const auto tmp = dir.write("tmp", "new");
    util::rename_durably(tmp, dir / "target");
    CHECK(slurp(dir / "target") == "new");
    CHECK_FALSE(std::filesystem::exists(tmp));
  }
}
