#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/backup.hpp"
#include "krxbatch/ops/restore.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/db_file.hpp"
#include "krxbatch/store/digest.hpp"
#include "krxbatch/store/ops_store.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace krxbatch;

namespace {

void fill(store::Database& db, int rows) {
  store::Database::Transaction txn(db);
  for (int i = 0; i < rows; ++i) {
    db.execute("INSERT INTO meta (key, value) VALUES ('k" + std::to_string(i) + "', '" +
               std::string(200, static_cast<char>('a' + i % 26)) + "')");
  }
  txn.commit();
}

// Overwrites `n` bytes at `offset` of `path` with garbage.
void damage(const std::filesystem::path& path, std::streamoff offset, int n) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  for (int i = 0; i < n; ++i) {
    f.put(static_cast<char>(0xA5 ^ i));
  }
}

} // namespace

TEST_SUITE("store.db_file") {
  TEST_CASE("a backup copy checks sound and carries the same digest") {
    test::TempDir dir;
    store::Database db((dir / "live.db").string());
    fill(db, 300);
    store::backup_database(db, dir / "copy.db");
    const auto check = store::check_database_file(dir / "copy.db");
    CHECK(check.ok);
    CHECK(check.schema_version == store::Database::latest_schema_version());
    // Self-contained: no WAL needed to read it.
    CHECK_FALSE(std::filesystem::exists(dir / "copy.db-wal"));
    store::Database copy((dir / "copy.db").string());
    CHECK(store::compute_digest(copy).sha256 == store::compute_digest(db).sha256);
  }

  TEST_CASE("a damaged file, a foreign SQLite file and a non-database fail the check") {
    test::TempDir dir;
    {
      store::Database db((dir / "live.db").string());
      fill(db, 300);
      store::backup_database(db, dir / "copy.db");
    }
    // Every page but the first two (the schema) is overwritten.
    const auto size = static_cast<std::streamoff>(std::filesystem::file_size(dir / "copy.db"));
    damage(dir / "copy.db", 8192, static_cast<int>(size - 8192));
    auto check = store::check_database_file(dir / "copy.db");
    CHECK_FALSE(check.ok);
    CHECK((check.problem.find("integrity_check") != std::string::npos ||
           check.problem.find("malformed") != std::string::npos));

    {
      store::OpenOptions plain;
      plain.migrate = false;
      store::Database other((dir / "other.db").string(), plain);
      other.execute("CREATE TABLE t (x)");
    }
    check = store::check_database_file(dir / "other.db");
    CHECK_FALSE(check.ok);
    CHECK(check.problem.find("not a krxbatch database") != std::string::npos);

    const auto text = dir.write("notes.db", std::string(5000, 'x'));
    CHECK_FALSE(store::check_database_file(text).ok);
    CHECK_FALSE(store::check_database_file(dir / "absent.db").ok);
  }

  TEST_CASE("restore_database replaces the live content and other connections see it") {
    test::TempDir dir;
    store::Database live((dir / "live.db").string());
    fill(live, 10);
    store::backup_database(live, dir / "before.db");
    const auto before = store::MetaStore(live).get("k3");
    store::MetaStore(live).set("k3", "changed");
    store::MetaStore(live).set("new", "row");
    store::Database reader((dir / "live.db").string());
    CHECK(store::MetaStore(reader).get("k3") == std::optional<std::string>("changed"));
    store::restore_database(live, dir / "before.db");
    CHECK(store::MetaStore(reader).get("k3") == before);
    CHECK_FALSE(store::MetaStore(reader).get("new"));
  }

  TEST_CASE("restore adapts a copy whose page size differs from the live database's") {
    test::TempDir dir;
    {
      store::OpenOptions plain;
      plain.migrate = false;
      store::Database odd((dir / "odd.db").string(), plain);
      odd.execute("PRAGMA journal_mode = DELETE; PRAGMA page_size = 8192; VACUUM");
    }
    {
      store::Database odd((dir / "odd.db").string()); // migrates: a krxbatch schema
      store::MetaStore(odd).set("from", "odd");
    }
    store::Database live((dir / "live.db").string());
    {
      store::Database odd((dir / "odd.db").string());
      store::backup_database(odd, dir / "staged.db");
    }
    store::restore_database(live, dir / "staged.db");
    CHECK(store::MetaStore(live).get("from") == std::optional<std::string>("odd"));
  }
}

TEST_SUITE("ops.backup") {
  TEST_CASE("a gzipped backup is verified and named with the time") {
    test::TempDir dir;
    store::Database db((dir / "live.db").string());
    fill(db, 50);
    const util::PathPolicy policy(dir / "live.db");
    const auto r =
        ops::make_backup(db, dir / "backups", test::kst(2026, 11, 21, 1), true, policy, "backup");
    CHECK(r.path.filename() == "krxbatch-20261121-010000.db.gz");
    CHECK(r.bytes == std::filesystem::file_size(r.path));
    // Only the final file is left: no temp files.
    CHECK(std::distance(std::filesystem::directory_iterator(dir / "backups"),
                        std::filesystem::directory_iterator{}) == 1);
    CHECK_THROWS_WITH_AS(
        ops::make_backup(db, dir / "backups", test::kst(2026, 11, 21, 1), true, policy, "backup"),
        doctest::Contains("already exists"), core::Error);
  }

  TEST_CASE("restore's space check adds up what goes to one file system and names it") {
    constexpr std::uintmax_t mib = 1U << 20U;
    // The safety copy (100 MiB) and the restored pages (60 MiB) on one disk with 150 MiB free.
    const std::vector<ops::SpaceNeed> one_disk = {
        {"the safety copy of data/krx.db", "data/backups", 100 * mib, 150 * mib, 7},
        {"the restored database", "data", 60 * mib, 150 * mib, 7}};
    const auto problem = ops::lacking_space(one_disk);
    REQUIRE(problem);
    CHECK(problem->starts_with("the safety copy of data/krx.db (104857600 bytes) and the restored "
                               "database (62914560 bytes) need "));
    CHECK(problem->find("which has 157286400") != std::string::npos);
    // On two disks each fits.
    auto two_disks = one_disk;
    two_disks[1].device = 8;
    CHECK_FALSE(ops::lacking_space(two_disks));
    // The margin counts: exactly the bytes needed is not enough.
    CHECK(ops::lacking_space(std::vector<ops::SpaceNeed>{{"x", "d", 10 * mib, 10 * mib, 1}}));
  }

  TEST_CASE("staging a damaged gzip reports it instead of throwing") {
    test::TempDir dir;
    const auto gz = dir.write("krxbatch-20261121-010000.db.gz",
                              std::string("\x1f\x8b", 2) + std::string(100, 'z'));
    const auto staged = ops::stage_for_restore(gz, dir.path());
    CHECK(staged.gzip);
    CHECK_FALSE(staged.check.ok);
    CHECK_FALSE(staged.check.problem.empty());
  }
}
