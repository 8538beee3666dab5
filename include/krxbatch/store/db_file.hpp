// Whole-database copies for backups, snapshots and restore, and the checks a copy must pass
// before krxbatch keeps it or restores it.
//
// Copies are taken with SQLite's online backup API (one step, so the copy is the database as
// of one instant) or VACUUM INTO; both only read the live file, so they are safe while jobs
// read and write it (WAL). Every copy is left in rollback-journal mode (journal_mode DELETE):
// a backup is one self-contained file that opens without -wal/-shm companions.
//
// restore_database() writes a checked copy into the live database through the backup API, in
// one write transaction of the live file: other connections (a running `status`, an
// operator's sqlite3 shell) see the old database or the new one, never a mix, and a crash
// mid-restore rolls back to the old one. See README "Restore" for why this beats renaming a
// file over the live one.
//
// All functions throw core::Error (exit 1) naming the file on storage failures; SQLite stays
// behind this interface.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::store {

// Copies `source` into `dest` (created, or overwritten) with the online backup API.
void backup_database(Database& source, const std::filesystem::path& dest);

// A compact copy (VACUUM INTO): no free pages, indices rebuilt. `dest` must not exist.
void vacuum_database(Database& source, const std::filesystem::path& dest);

struct FileCheck {
  bool ok = false;
  int schema_version = 0; // PRAGMA user_version (0 when unreadable)
  std::string problem;    // why not ok, one line
  std::string integrity;  // PRAGMA integrity_check's first line ("ok" when sound)
};

// Checks the database file `file`: it opens as SQLite, PRAGMA integrity_check says "ok", and
// it holds a krxbatch schema (version >= 1 and the core tables of DESIGN §4). A schema newer
// than this krxbatch is reported with ok = true and its version: the caller decides.
// Precondition: `file` is a copy the caller owns and no other process uses: a copy in WAL
// mode is switched to journal_mode DELETE. Never throws for a bad file; only for I/O errors
// outside SQLite.
FileCheck check_database_file(const std::filesystem::path& file);

// Replaces the whole content of `live` with `source` (a file that passed
// check_database_file), in one write transaction, waiting up to `live`'s busy timeout for
// other writers. When the page sizes differ `source` is first rebuilt (VACUUM) with the live
// page size, which a WAL database cannot change. Precondition: `source` is the caller's own
// copy. Throws core::Error; on failure `live` is unchanged.
void restore_database(Database& live, const std::filesystem::path& source);

// What a database holds, for messages.
struct DatabaseSummary {
  int schema_version = 0;
  std::int64_t price_rows = 0;
  std::optional<core::Date> first_session;
  std::optional<core::Date> last_session;
  std::optional<core::Date> daily_mark; // daily_update's last_success_date
  std::int64_t active_targets = 0;
};
DatabaseSummary summarize(Database& db);
// The same for a database file that no other process uses (opened read-only).
DatabaseSummary summarize_file(const std::filesystem::path& file);

// Runs PRAGMA integrity_check on an open database; the lines it returned ({"ok"} when sound),
// at most `max_lines`.
std::vector<std::string> integrity_check(Database& db, int max_lines = 20);

// Runs PRAGMA foreign_key_check; one line per violation ("table rowid N references parent"),
// at most `max_lines`.
std::vector<std::string> foreign_key_check(Database& db, int max_lines = 20);

} // namespace krxbatch::store
