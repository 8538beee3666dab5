// Restoring a backup over the live database (DESIGN §5.6: a bad file never costs data).
//
// The caller has staged the backup (ops::stage_for_restore: a private, checked copy next to
// the database) and holds both job locks. restore_staged() then:
//   1. keeps a safety copy of the current database in `safety_dir`
//      (krxbatch-pre-restore-YYYYMMDD-HHMMSS.db), taken with the online backup API;
//   2. writes the staged copy into the live database through the backup API: one write
//      transaction of the live file, so every other connection sees the old database or the
//      new one, a crash rolls back to the old one, and the file, its -wal and -shm stay
//      SQLite's to manage (no rename under an open connection, no stale WAL);
//   3. reopens it normally (applying migrations when the backup is older) and fingerprints it.
// When the live file cannot be opened as SQLite at all (the usual reason to restore), step 1
// copies its bytes (and its -wal) as they are, and step 2 removes the stale -wal/-shm and
// renames the staged copy over it; when there is no live file, the staged copy is renamed
// into place. Not thread-safe.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/db_file.hpp"
#include "krxbatch/store/digest.hpp"
#include "krxbatch/util/durable_file.hpp"

#include <filesystem>

namespace krxbatch::ops {

enum class RestoreMethod {
  backup_api,   // the live database was readable: written through the backup API
  replace_file, // the live file was unreadable: replaced by rename
  new_file,     // there was no database: the copy was put in place
};

struct RestoreResult {
  RestoreMethod method = RestoreMethod::backup_api;
  std::filesystem::path safety_copy; // empty for new_file
  bool safety_copy_sound = false;    // the safety copy passed check_database_file
  std::string safety_copy_problem;   // why not
  store::DatabaseSummary summary;    // of the restored database
  store::DatabaseDigest digest;      // of the restored database
};

// Preconditions: `staged` passed store::check_database_file with a schema this krxbatch
// knows, lives in the database's directory and is the caller's own; the caller holds the
// ingest and analysis locks. Throws core::Error; when it does, the live database is the one
// it was before, and a safety copy already made is kept.
RestoreResult restore_staged(const std::filesystem::path& db_path, util::TempPath staged,
                             const std::filesystem::path& safety_dir, const core::KstTime& now);

} // namespace krxbatch::ops
