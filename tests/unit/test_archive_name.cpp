#include "krxbatch/ops/archive_name.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

using namespace krxbatch;
using core::Date;
using ops::ArchiveKind;

TEST_SUITE("ops.archive_name") {
  TEST_CASE("backup names carry the KST date and time and round-trip through the parser") {
    const auto t = test::kst(2026, 11, 21, 1, 2);
    CHECK(ops::backup_file_name(t, false) == "krxbatch-20261121-010200.db");
    CHECK(ops::backup_file_name(t, true) == "krxbatch-20261121-010200.db.gz");
    const auto parsed = ops::parse_archive_name("krxbatch-20261121-010200.db.gz");
    REQUIRE(parsed);
    CHECK(parsed->kind == ArchiveKind::backup);
    CHECK(parsed->gzip);
    CHECK(parsed->taken_at == t);
  }

  TEST_CASE("snapshot names carry the date and parse as snapshots") {
    CHECK(ops::snapshot_file_name(Date(2026, 11, 21)) == "krxbatch-snapshot-20261121.db");
    const auto parsed = ops::parse_archive_name("krxbatch-snapshot-20261121.db");
    REQUIRE(parsed);
    CHECK(parsed->kind == ArchiveKind::snapshot);
    CHECK(parsed->taken_at.date() == Date(2026, 11, 21));
  }

  TEST_CASE("names outside our patterns are not ours") {
    for (const char* name :
         {"krxbatch.db", "krxbatch-20261121-010200.db-wal", "krxbatch-20261121-010200.db.tmp",
          ".krxbatch-20261121-010200.db.abc123.tmp", "krxbatch-20261121-0102.db",
          "krxbatch-20261121_010200.db", "krxbatch-20261131-010200.db",
          "krxbatch-20261121-250000.db", "krxbatch-snapshot-20261121.db.gz",
          "krxbatch-pre-restore-20261121-010200.db", "notes-20261121-010200.db",
          "krxbatch-2026112a-010200.db", "krxbatch-snapshot-2026112.db"}) {
      CAPTURE(name);
      CHECK_FALSE(ops::parse_archive_name(name));
    }
    CHECK_FALSE(ops::parse_archive_name(ops::pre_restore_file_name(test::kst(2026, 1, 2, 3))));
  }

  TEST_CASE("retention deletes only our files of the kind older than N days, oldest first") {
    const std::vector<std::string> names = {
        "krxbatch-20261020-010000.db.gz", // 32 days before 11-21: old
        "krxbatch-20261021-010000.db",    // 31 days: old
        "krxbatch-20261022-010000.db",    // 30 days: kept (not more than 30)
        "krxbatch-20261121-010000.db",    // today
        "krxbatch-snapshot-20261001.db",  // a snapshot: another kind
        "krxbatch-pre-restore-20260101-000000.db",
        "random-20200101-000000.db",
        "README"};
    const auto expired = ops::expired_archives(names, ArchiveKind::backup, Date(2026, 11, 21), 30);
    CHECK(expired == std::vector<std::string>{"krxbatch-20261020-010000.db.gz",
                                              "krxbatch-20261021-010000.db"});
  }

  TEST_CASE("retention never deletes the newest file even when every file is old") {
    const std::vector<std::string> names = {"krxbatch-20250102-010000.db",
                                            "krxbatch-20250101-010000.db",
                                            "krxbatch-20250102-020000.db.gz"};
    const auto expired = ops::expired_archives(names, ArchiveKind::backup, Date(2026, 11, 21), 7);
    CHECK(expired ==
          std::vector<std::string>{"krxbatch-20250101-010000.db", "krxbatch-20250102-010000.db"});
    const std::vector<std::string> one = {"krxbatch-snapshot-20200101.db"};
    CHECK(ops::expired_archives(one, ArchiveKind::snapshot, Date(2026, 11, 21), 0).empty());
  }

  TEST_CASE("a retention reaching before any representable date keeps everything") {
    const std::vector<std::string> names = {"krxbatch-20250101-010000.db",
                                            "krxbatch-20250102-010000.db"};
    for (const int days : {2'000'000'000, 250'000}) {
      CAPTURE(days);
      CHECK(ops::expired_archives(names, ArchiveKind::backup, Date(2026, 11, 21), days).empty());
    }
  }

  TEST_CASE("retention of snapshots ignores backups") {
    const std::vector<std::string> names = {"krxbatch-snapshot-20261101.db",
                                            "krxbatch-snapshot-20261114.db",
                                            "krxbatch-20261001-010000.db"};
    CHECK(ops::expired_archives(names, ArchiveKind::snapshot, Date(2026, 11, 21), 7) ==
          std::vector<std::string>{"krxbatch-snapshot-20261101.db"});
  }
}
