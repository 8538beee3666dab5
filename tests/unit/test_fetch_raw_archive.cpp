#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/raw_archive.hpp"
#include "krxbatch/fetch/replay_source.hpp"
#include "krxbatch/util/gzip.hpp"
#include "krxbatch/util/safe_path.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>

using namespace krxbatch;
using fetch::Endpoint;

namespace {

const core::Date k_day(2024, 1, 5);
const std::string k_rows =
    R"({"OutBlock_1":[{"BAS_DD":"20240105","ISU_CD":"005930","ISU_NM":"삼성전자",)"
    R"("MKT_NM":"KOSPI","TDD_CLSPRC":"76600","ACC_TRDVOL":"11304316"}]})";

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode) & 0777U;
}

// What the source hands over: a shared copy of the body.
fetch::SharedBody body(std::string_view text) {
  return std::make_shared<const std::string>(text);
}

} // namespace

TEST_SUITE("fetch.raw_archive") {
  TEST_CASE("an answer is kept gzipped as archive/YYYY/{api_id}_{YYYYMMDD}.json.gz, owner-only, "
            "and a later answer for the same session replaces it") {
    const test::TempDir dir;
    const util::PathPolicy policy(dir / "k.db");
    const auto archive_dir = dir / "archive";
    {
      fetch::RawArchive archive(archive_dir, policy, "archive_dir (default)");
      archive.keep(Endpoint::kospi_stocks, k_day, body(R"({"OutBlock_1":[]})"));
      archive.flush();
      archive.keep(Endpoint::kospi_stocks, k_day, body(k_rows));
      archive.keep(Endpoint::kospi_index, core::Date(2023, 12, 28), body("{}"));
      archive.flush();
      CHECK(archive.written() == 3);
      CHECK(archive.failures() == 0);
    }
    const auto file = archive_dir / "2024" / "stk_bydd_trd_20240105.json.gz";
    CHECK(fetch::archive_path(archive_dir, Endpoint::kospi_stocks, k_day) == file);
    REQUIRE(util::is_gzip_file(file));
    CHECK(util::read_gzip_file(file) == k_rows);
    CHECK(mode_of(file) == 0600U);
    CHECK(mode_of(archive_dir) == 0700U);
    CHECK(mode_of(archive_dir / "2024") == 0700U);
    CHECK(std::filesystem::exists(archive_dir / "2023" / "kospi_dd_trd_20231228.json.gz"));
    // Nothing else: no temporary file left behind.
    CHECK(util::find_leftovers(archive_dir / "2024").empty());

    const auto usage = fetch::archive_usage(archive_dir);
    CHECK(usage.files == 2);
    CHECK(usage.sessions == 2);
    CHECK(usage.first == core::Date(2023, 12, 28));
    CHECK(usage.last == k_day);
    CHECK(usage.bytes > 0);
  }

  TEST_CASE("the archive is a replay directory: gzip in year folders is read as the answer") {
    const test::TempDir dir;
    const util::PathPolicy policy(dir / "k.db");
    {
      fetch::RawArchive archive(dir / "archive", policy, "archive_dir");
      archive.keep(Endpoint::kospi_stocks, k_day, body(k_rows));
    }
    fetch::ReplaySource replay(dir / "archive");
    const auto rows = replay.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE(rows.ok());
    REQUIRE(rows.value().size() == 1);
    CHECK(rows.value()[0].ticker == "005930");
    // Absent from the archive: not published.
    const auto other = replay.stocks(Endpoint::kosdaq_stocks, k_day);
    REQUIRE(other.ok());
    CHECK(other.value().empty());
  }

  TEST_CASE("a damaged archived answer is a replay failure naming the file") {
    const test::TempDir dir;
    const auto packed = util::gzip_bytes(k_rows, 6);
    dir.write("2024/stk_bydd_trd_20240105.json.gz", packed.substr(0, packed.size() / 2));
    fetch::ReplaySource replay(dir.path());
    const auto rows = replay.stocks(Endpoint::kospi_stocks, k_day);
    REQUIRE_FALSE(rows.ok());
    CHECK(rows.failure().kind == fetch::FailureKind::missing_data);
    CHECK(rows.failure().message.find("stk_bydd_trd_20240105.json.gz") != std::string::npos);
  }

  TEST_CASE("the path policy refuses an archive inside the backup directory") {
    const test::TempDir dir;
    util::PathPolicy policy(dir / "k.db");
    policy.protect_directory(dir / "backups", "the backup directory", {"backup", "restore"});
    CHECK_THROWS_AS(fetch::RawArchive(dir / "backups" / "raw", policy, "archive_dir"), core::Error);
    CHECK_FALSE(std::filesystem::exists(dir / "backups" / "raw"));
  }

  TEST_CASE("a write that fails is counted and named, and the others are still written") {
    const test::TempDir dir;
    const util::PathPolicy policy(dir / "k.db");
    const auto archive_dir = dir / "archive";
    fetch::RawArchive archive(archive_dir, policy, "archive_dir");
    // A file where the 2023 year folder should be.
    dir.write("archive/2023", "");
    archive.keep(Endpoint::kospi_stocks, core::Date(2023, 12, 28), body(k_rows));
    archive.keep(Endpoint::kospi_stocks, k_day, body(k_rows));
    archive.flush();
    CHECK(archive.written() == 1);
    CHECK(archive.failures() == 1);
    CHECK(archive.first_failure().find("stk_bydd_trd for 2023-12-28") != std::string::npos);
  }

  TEST_CASE("list_answers reads both layouts, by day then endpoint, ignoring other names") {
    const test::TempDir dir;
    dir.write("stk_bydd_trd_20240105.json", k_rows);
    dir.write("2024/stk_bydd_trd_20240105.json.gz", util::gzip_bytes(k_rows, 1));
    dir.write("2024/ksq_bydd_trd_20240104.json.gz", util::gzip_bytes(k_rows, 1));
    dir.write("2024/notes.txt", "x");
    dir.write("2024/xyz_bydd_trd_20240104.json", "x");
    const auto files = fetch::list_answers(dir.path());
    REQUIRE(files.size() == 3);
    CHECK(files[0].endpoint == Endpoint::kosdaq_stocks);
    CHECK(files[0].day == core::Date(2024, 1, 4));
    // The plain file first: the one ReplaySource reads.
    CHECK(files[1].path == dir / "stk_bydd_trd_20240105.json");
    CHECK(files[2].path == dir / "2024" / "stk_bydd_trd_20240105.json.gz");
  }

  TEST_CASE("archive_days deletes the answers of sessions older than N days by their name's "
            "date, and the leftovers of interrupted writes") {
    const test::TempDir dir;
    const util::PathPolicy policy(dir / "k.db");
    dir.write("archive/2026/stk_bydd_trd_20261021.json.gz", "x");
    dir.write("archive/2026/stk_bydd_trd_20261022.json.gz", "x");
    dir.write("archive/2026/.krxbatch-tmp-archive-abc123.json.gz", "x");
    const auto deleted =
        fetch::prune_archive(dir / "archive", policy, core::Date(2026, 11, 21), 30);
    CHECK(deleted.size() == 2);
    CHECK_FALSE(std::filesystem::exists(dir / "archive/2026/stk_bydd_trd_20261021.json.gz"));
    CHECK(std::filesystem::exists(dir / "archive/2026/stk_bydd_trd_20261022.json.gz"));
    CHECK_FALSE(std::filesystem::exists(dir / "archive/2026/.krxbatch-tmp-archive-abc123.json.gz"));
  }
}
