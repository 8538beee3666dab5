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
// When the live file cannot be opened and copied as SQLite and does not pass integrity_check
// (the usual reason to restore), step 1 copies its bytes (and its -wal) as they are, and step 2
// removes the stale -wal/-shm and renames the staged copy over it; when there is no live file, the
// staged copy is renamed into place. Before step 1 it checks that the file systems have room for
// the safety copy and the restored pages (lacking_space) and that the policy allows the safety copy
// (writer "restore"); every copy goes through a util::TempFile, so a failure leaves no partial file
// under a final name. Not thread-safe.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/db_file.hpp"
#include "krxbatch/store/digest.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

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
// ingest and analysis locks. Throws core::Error (exit 2 when the policy refuses the safety
// copy, exit 1 when there is not enough free space or a step fails); when it does, the live
// database is the one it was before, and a safety copy already made is kept.
RestoreResult restore_staged(const std::filesystem::path& db_path, util::TempFile staged,
                             const std::filesystem::path& safety_dir, const core::KstTime& now,
                             const util::PathPolicy& policy);

// Bytes a step is about to write in a directory, and what that directory's file system has.
struct SpaceNeed {
  std::string what; // "the safety copy of data/krxbatch.db"
  std::filesystem::path dir;
  std::uintmax_t bytes = 0;
  std::uintmax_t available = 0; // free for this user (statvfs f_bavail)
  std::uintmax_t device = 0;    // needs on one file system add up
};
// `bytes` to write in `dir`, with its file system's free space (unknown: unlimited).
SpaceNeed space_need(const std::filesystem::path& dir, std::string what, std::uintmax_t bytes);
// The needs that do not fit, added up per file system with a margin of a few MiB: what they
// are, how much they need and how much there is; nullopt when everything fits. Pure.
std::optional<std::string> lacking_space(std::span<const SpaceNeed> needs);

} // namespace krxbatch::ops
