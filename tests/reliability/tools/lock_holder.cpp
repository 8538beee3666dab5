// krxbatch_lock_holder DB MODE: "another program" holding a SQLite lock on DB, for the
// storage-fault suite. MODE `write` takes the write lock (BEGIN EXCLUSIVE: in WAL mode readers
// go on, writers wait); MODE `exclusive` also sets locking_mode=EXCLUSIVE, which keeps every
// other connection out, readers included. Prints "locked" on stdout once it holds the lock,
// then holds it until it is killed (the kernel releases it).
#include <cstdio>
#include <cstring>
#include <sqlite3.h>
#include <unistd.h>

namespace {

int fail(sqlite3* db, const char* what) {
  std::fprintf(stderr, "lock_holder: %s: %s\n", what, db != nullptr ? sqlite3_errmsg(db) : "");
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[2], "write") != 0 && std::strcmp(argv[2], "exclusive") != 0)) {
    std::fprintf(stderr, "usage: krxbatch_lock_holder DB write|exclusive\n");
    return 2;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    return fail(db, "open");
  }
  sqlite3_busy_timeout(db, 60000);
  if (std::strcmp(argv[2], "exclusive") == 0) {
    if (sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE", nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return fail(db, "locking_mode");
    }
  }
  // A write inside the transaction makes the lock real in both modes (in exclusive mode the
  // connection keeps it after the first write).
  if (sqlite3_exec(db, "BEGIN EXCLUSIVE; UPDATE meta SET value = value WHERE key = 'lock_holder'",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(db, "BEGIN EXCLUSIVE");
  }
  std::printf("locked\n");
  std::fflush(stdout);
  while (true) {
    ::pause();
  }
}
