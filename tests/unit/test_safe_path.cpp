#include "krxbatch/core/error.hpp"
#include "krxbatch/util/safe_path.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace krxbatch;
namespace fs = std::filesystem;

namespace {

// The message of the core::Error `f` throws, checking its exit code.
std::string refusal_of(const std::function<void()>& f,
                       core::ExitCode code = core::ExitCode::usage) {
  try {
    f();
  } catch (const core::Error& e) {
    CHECK(e.code() == code);
    return e.what();
  }
  FAIL("no error");
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A policy as the CLI builds it: data/krxbatch.db with backups/ (backup, restore) and
// snapshots/ (snapshot) next to it, and a holidays directory nobody writes.
struct Layout {
  Layout() {
    fs::create_directories(dir / "data" / "backups");
    fs::create_directories(dir / "data" / "snapshots");
    fs::create_directories(dir / "holidays");
    dir.write("data/krxbatch.db", "live");
    policy.protect_directory(dir / "data" / "backups", "the backup directory",
                             {"backup", "restore"});
    policy.protect_directory(dir / "data" / "snapshots", "the snapshot directory", {"snapshot"});
    policy.protect_directory(dir / "holidays", "the holidays directory");
    policy.protect_file(dir.write("krxbatch.conf", ""), "the config file");
  }
  fs::path db() const { return dir / "data" / "krxbatch.db"; }
  test::TempDir dir;
  util::PathPolicy policy{dir.path() / "data" / "krxbatch.db"};
};

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_SUITE("util.safe_path") {
  TEST_CASE("a path resolves the same through a link, ./, .. and a trailing separator") {
    test::TempDir dir;
    fs::create_directories(dir / "real" / "sub");
    fs::create_directory_symlink(dir / "real", dir / "link");
    const auto real = util::resolve_path(dir / "real" / "krx.db");
    CHECK(util::resolve_path(dir / "link" / "krx.db") == real);
    CHECK(util::resolve_path(dir / "real" / "." / "sub" / ".." / "krx.db") == real);
    CHECK(util::resolve_path(dir.path().string() + "/real/") == util::resolve_path(dir / "real"));
    CHECK(util::resolve_path("relative.db").is_absolute());
    CHECK(util::is_within(real, util::resolve_path(dir / "link")));
    CHECK_FALSE(
        util::is_within(util::resolve_path(dir / "realm"), util::resolve_path(dir / "real")));
  }

  TEST_CASE("no file is written over the database, a companion or another name of it") {
    Layout l;
    for (const char* name :
         {"krxbatch.db", "krxbatch.db-wal", "krxbatch.db-shm", "krxbatch.db-journal",
          "krxbatch.db.ingest.lock", "krxbatch.db.analysis.lock"}) {
      CAPTURE(name);
      const auto message =
          refusal_of([&] { l.policy.check_file(l.dir / "data" / name, "metrics_textfile"); });
      CHECK(contains(message, "metrics_textfile: " + (l.dir / "data" / name).string()));
      CHECK(contains(message, "choose another path for metrics_textfile"));
    }
    // Through a link to its directory, and a hard link.
    fs::create_directory_symlink(l.dir / "data", l.dir / "alias");
    CHECK(contains(
        refusal_of([&] { l.policy.check_file(l.dir / "alias" / "krxbatch.db", "metrics_log"); }),
        "is the database"));
    fs::create_hard_link(l.db(), l.dir / "other-name.db");
    CHECK(contains(refusal_of([&] { l.policy.check_file(l.dir / "other-name.db", "metrics_log"); }),
                   "hard link"));
    CHECK(contains(refusal_of([&] { l.policy.check_file(l.dir / "data", "metrics_log"); }),
                   "is a directory"));
    CHECK_NOTHROW(l.policy.check_file(l.dir / "data" / "krxbatch.prom", "metrics_textfile"));
  }

  TEST_CASE("protected directories are written only by their owners, the config file by nobody") {
    Layout l;
    const auto backup = l.dir / "data" / "backups" / "krxbatch-20261121-010000.db";
    CHECK_NOTHROW(l.policy.check_file(backup, "backup --dir", "backup"));
    CHECK_NOTHROW(l.policy.check_file(backup, "restore's safety copy", "restore"));
    const auto message = refusal_of([&] { l.policy.check_file(backup, "metrics_textfile"); });
    CHECK(contains(message, "is inside the backup directory " +
                                util::resolve_path(l.dir / "data" / "backups").string() +
                                ", which only `krxbatch backup` and `krxbatch restore` write"));
    CHECK(contains(refusal_of([&] {
                     l.policy.check_directory(l.dir / "data" / "snapshots", "backup --dir",
                                              "backup");
                   }),
                   "is the snapshot directory"));
    CHECK(contains(refusal_of([&] {
                     l.policy.check_directory(l.dir / "holidays", "log_dir (k.conf:2)", "log");
                   }),
                   "which krxbatch never writes"));
    CHECK(contains(refusal_of([&] { l.policy.check_file(l.dir / "krxbatch.conf", "metrics_log"); }),
                   "is the config file"));
    CHECK(contains(refusal_of([&] { l.policy.check_directory(l.db(), "backup --dir", "backup"); }),
                   "is the database"));
    CHECK_NOTHROW(l.policy.check_directory(l.dir / "elsewhere", "backup --dir", "backup"));
  }

  TEST_CASE("a replaced directory is never the database's, an ancestor, or protected") {
    Layout l;
    const auto refused = [&](const fs::path& dir) {
      return refusal_of([&] { l.policy.check_replaceable_directory(dir, "export --out"); });
    };
    const auto db = util::resolve_path(l.db()).string();
    CHECK(contains(refused(l.dir / "data"), "holds the database " + db));
    CHECK(contains(refused(l.dir.path()), "holds the database " + db));
    CHECK(contains(refused("/"), "holds the database " + db));
    CHECK(contains(refused(l.dir / "data" / "."), "holds the database"));
    CHECK(contains(refused(l.dir / "data" / "backups"), "is the backup directory"));
    CHECK(contains(refused(l.dir / "data" / "backups" / "old"), "is inside the backup directory"));
    CHECK(contains(refused(l.dir / "holidays"), "is the holidays directory"));
    CHECK(contains(refused(l.db()), "is the database"));
    CHECK_NOTHROW(l.policy.check_replaceable_directory(l.dir / "exports" / "june", "export --out"));
  }

  TEST_CASE("retention may delete its own files, never the database or a companion") {
    Layout l;
    CHECK_NOTHROW(l.policy.check_delete(l.dir / "data" / "backups" / "krxbatch-20200101-000000.db",
                                        "backup"));
    CHECK(
        contains(refusal_of([&] { l.policy.check_delete(l.db(), "backup"); }), "is the database"));
    CHECK(contains(
        refusal_of([&] { l.policy.check_delete(l.dir / "data" / "krxbatch.db-wal", "backup"); }),
        "companion"));
    CHECK(contains(refusal_of([&] {
                     l.policy.check_delete(
                         l.dir / "data" / "snapshots" / "krxbatch-snapshot-20200101.db", "backup");
                   }),
                   "snapshot directory"));
  }

  TEST_CASE("a file written in place is never reached through a link, a FIFO or a hard link") {
    test::TempDir dir;
    const auto victim = dir.write("victim", "precious");
    fs::create_symlink(victim, dir / "planted");
    CHECK(contains(refusal_of([&] {
                     util::open_own_file(dir / "planted", O_WRONLY | O_APPEND, 0600,
                                         "the lock file");
                   }),
                   "is a symbolic link"));
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    CHECK(contains(
        refusal_of([&] { util::open_own_file(dir / "fifo", O_WRONLY, 0600, "metrics_log"); }),
        "is a FIFO"));
    CHECK(contains(
        refusal_of([&] { util::open_own_file(dir / "fifo", O_RDWR, 0600, "the lock file"); }),
        "is not a regular file"));
    fs::create_hard_link(victim, dir / "second-name");
    CHECK(contains(refusal_of([&] {
                     util::open_own_file(dir / "second-name", O_RDWR, 0600, "the lock file");
                   }),
                   "has 2 hard links"));
    CHECK(test::read_file(victim) == "precious");
    // A new file is created with the mode asked.
    const auto fd = util::open_own_file(dir / "new.lock", O_RDWR, 0600, "the lock file");
    CHECK(fd);
    struct stat st {};
    REQUIRE(::stat((dir / "new.lock").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }

  TEST_CASE("another user's file is refused, even to root when it is not its directory owner's") {
    if (::geteuid() != 0) {
      MESSAGE("not run: making a file another user's needs root");
      return;
    }
    const passwd* nobody = ::getpwnam("nobody");
    REQUIRE(nobody != nullptr);
    test::TempDir dir;
    const auto theirs = dir.write("theirs.lock", "42\n");
    REQUIRE(::chown(theirs.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
    CHECK(contains(refusal_of([&] { util::open_own_file(theirs, O_RDWR, 0600, "the lock file"); }),
                   "belongs to uid " + std::to_string(nobody->pw_uid)));
    CHECK(test::read_file(theirs) == "42\n");
    // In a directory that user owns, it is the service user's own file: root may use it, and
    // what root creates there is given to that user.
    fs::create_directories(dir / "service");
    REQUIRE(::chown((dir / "service").c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
    const auto service_file = dir.write("service/job.lock", "");
    REQUIRE(::chown(service_file.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
    CHECK(util::open_own_file(service_file, O_RDWR, 0600, "the lock file"));
    CHECK(util::open_own_file(dir / "service" / "new.lock", O_RDWR, 0600, "the lock file"));
    struct stat st {};
    REQUIRE(::stat((dir / "service" / "new.lock").c_str(), &st) == 0);
    CHECK(st.st_uid == nobody->pw_uid);
  }

  TEST_CASE("a temporary file carries the prefix, is owner-only and is removed unless committed") {
    test::TempDir dir;
    const auto umask_before = ::umask(0); // whatever the umask, owner-only
    fs::path gone;
    {
      util::TempFile temp(dir.path(), "backup", ".db");
      gone = temp.path();
      CHECK(gone.filename().string().starts_with(".krxbatch-tmp-backup-"));
      CHECK(gone.filename().string().ends_with(".db"));
      struct stat st {};
      REQUIRE(::stat(gone.c_str(), &st) == 0);
      CHECK((st.st_mode & 0777) == 0600);
    }
    ::umask(umask_before);
    CHECK_FALSE(fs::exists(gone));
    util::TempFile kept(dir.path(), "backup");
    REQUIRE(::write(kept.fd(), "data", 4) == 4);
    kept.commit(dir / "final.db");
    CHECK(test::read_file(dir / "final.db") == "data");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"final.db"});
  }

  TEST_CASE("a leftover is a temporary entry nobody holds: removed by tag, links not followed") {
    test::TempDir dir;
    const auto victim = dir.write("victim.txt", "keep me");
    util::TempFile live(dir.path(), "backup", ".db");
    dir.write(live.path().filename().string() + "-journal", "its journal");
    // Left by killed runs: a file, a directory with content, SQLite's journal of a dead temp
    // database, and a link with our prefix.
    const auto dead = dir.write(".krxbatch-tmp-backup-AAAAAA.db", "half a copy");
    dir.write(".krxbatch-tmp-backup-AAAAAA.db-journal", "j");
    dir.write(".krxbatch-tmp-export-BBBBBB/daily_prices.csv", "rows");
    fs::create_symlink(victim, dir / ".krxbatch-tmp-backup-CCCCCC");
    dir.write(".krxbatch-tmp-snapshot-DDDDDD.db", "other command");
    dir.write("krxbatch-20261121-010000.db", "a backup");

    const auto all = util::find_leftovers(dir.path());
    CHECK(all.size() == 5);
    const auto removed = util::remove_leftovers(dir.path(), "backup");
    CHECK(removed.size() == 3);
    std::vector<std::string> expected = {
        ".krxbatch-tmp-export-BBBBBB",   ".krxbatch-tmp-snapshot-DDDDDD.db",
        live.path().filename().string(), live.path().filename().string() + "-journal",
        "krxbatch-20261121-010000.db",   "victim.txt"};
    std::sort(expected.begin(), expected.end());
    CHECK(names_in(dir.path()) == expected);
    CHECK(test::read_file(victim) == "keep me");
    CHECK_FALSE(fs::exists(dead));
    CHECK(util::remove_leftovers(dir.path(), "export").size() == 1);
    CHECK_FALSE(fs::exists(dir / ".krxbatch-tmp-export-BBBBBB"));
  }

  TEST_CASE("a temporary directory is held while it lives and removed with its content") {
    test::TempDir dir;
    fs::path path;
    {
      util::TempDir temp(dir.path(), "export");
      path = temp.path();
      std::ofstream(path / "a.csv") << "x";
      CHECK(util::find_leftovers(dir.path()).empty());
    }
    CHECK_FALSE(fs::exists(path));
  }
}
