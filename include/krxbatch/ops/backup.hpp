// Backups and snapshots of the live database, their verification and retention, and staging
// a backup file for restore.
//
// A copy is written under a temporary name in the target directory (util::TempFile, owner-only,
// tagged "backup" or "snapshot"), verified (store::check_database_file: integrity_check and a
// krxbatch schema; a gzipped copy is gunzipped to a temp file first) and only then renamed to
// its final name, so a file with our name is always a verified copy. A copy that fails
// verification is deleted and the command fails. The directory and the final name pass the
// path policy first (util::PathPolicy; writers "backup" and "snapshot"), and each run removes
// the leftovers of an interrupted one (util::remove_leftovers). Not thread-safe; the database
// may be in use by other processes (WAL).
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/ops/archive_name.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/db_file.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

// `backups/` or `snapshots/` (`sub`) next to the database file.
std::filesystem::path default_archive_dir(const std::filesystem::path& db_path,
                                          std::string_view sub);

struct ArchiveResult {
  std::filesystem::path path;
  std::uintmax_t bytes = 0;
  int schema_version = 0;
  bool replaced = false; // a snapshot of the same date was replaced
};

// A verified online backup of `db` into `dir` (created when absent), named for `now`
// (backup_file_name). `what` names where `dir` came from ("backup --dir"). Throws core::Error:
// exit 2 when the policy refuses `dir` (nothing was written); exit 1 when the copy fails or
// does not verify (the copy is then deleted), or when a backup of the same second exists (it
// is kept).
ArchiveResult make_backup(store::Database& db, const std::filesystem::path& dir,
                          const core::KstTime& now, bool gzip, const util::PathPolicy& policy,
                          std::string_view what);

// A verified compact copy (VACUUM INTO) of `db` into `dir`, named for `now`'s date; a snapshot
// of the same date is replaced by the new one once the new one has verified. Errors as
// make_backup's.
ArchiveResult make_snapshot(store::Database& db, const std::filesystem::path& dir,
                            const core::KstTime& now, const util::PathPolicy& policy,
                            std::string_view what);

// A database file ready to be restored: a private copy of a plain or gzipped `file` in
// `work_dir` (a util::TempFile tagged "restore", removed with the object), and its check.
struct StagedFile {
  util::TempFile path;
  store::FileCheck check;
  bool gzip = false;
};
// Removes the leftovers of an interrupted restore in `work_dir` first. Throws core::Error when
// `file` cannot be read or `work_dir` written; a file that is not a sound krxbatch database is
// reported in `check`, not thrown. A gzip file that does not decompress is reported in `check`
// too.
StagedFile stage_for_restore(const std::filesystem::path& file,
                             const std::filesystem::path& work_dir);

struct CleanupResult {
  std::vector<std::filesystem::path> deleted;   // oldest first
  std::size_t kept = 0;                         // files of the kind left in the directory
  std::vector<std::filesystem::path> leftovers; // temp files of interrupted runs, removed
};
// Deletes the regular files (never links) of `kind` in `dir` that expired_archives() selects,
// each passing policy.check_delete(), and the leftovers of interrupted runs of that kind. A
// missing directory is empty. Throws core::Error: exit 2 when the policy refuses `dir` or a
// file; exit 1 when a file cannot be deleted (those before it stay deleted).
CleanupResult clean_archives(const std::filesystem::path& dir, ArchiveKind kind,
                             const core::Date& today, int retention_days,
                             const util::PathPolicy& policy, std::string_view what);

} // namespace krxbatch::ops
