#include "krxbatch/ops/backup.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/gzip.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace krxbatch::ops {
namespace fs = std::filesystem;

namespace {

// The tags of the temporary files (util::TempFile) of each command.
constexpr std::string_view k_backup_tag = "backup";
constexpr std::string_view k_snapshot_tag = "snapshot";
constexpr std::string_view k_restore_tag = "restore";

void ensure_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw core::failure(dir.string() + ": cannot create the directory (" +
                        (ec ? ec.message() : std::string("not a directory")) +
                        "); choose another with --dir");
  }
}

// Verifies the copy at `copy` (gunzipping it to a temp file first when `gzip`); throws when
// it is not sound. The caller deletes `copy` on failure (it is a TempFile).
store::FileCheck verify_copy(const fs::path& copy, bool gzip, const fs::path& dir,
                             std::string_view what) {
  // `what` is also the tag of the temp file a gzipped copy is checked through.
  store::FileCheck check;
  if (gzip) {
    util::TempFile plain(dir, what, ".db");
    util::gunzip_file(copy, plain.path());
    check = store::check_database_file(plain.path());
  } else {
    check = store::check_database_file(copy);
  }
  if (!check.ok) {
    throw core::failure(std::string(what) + ": the copy failed verification (" + check.problem +
                        ") and was deleted; the live database may be damaged: run `krxbatch "
                        "verify`");
  }
  return check;
}

} // namespace

fs::path default_archive_dir(const fs::path& db_path, std::string_view sub) {
  const auto parent = db_path.parent_path();
  return (parent.empty() ? fs::path(".") : parent) / sub;
}

ArchiveResult make_backup(store::Database& db, const fs::path& dir, const core::KstTime& now,
                          bool gzip, const util::PathPolicy& policy, std::string_view what) {
  policy.check_directory(dir, what, "backup");
  const auto name = backup_file_name(now, gzip);
  const auto final_path = dir / name;
  policy.check_file(final_path, what, "backup");
  ensure_dir(dir);
  util::remove_leftovers(dir, k_backup_tag);
  if (fs::exists(fs::symlink_status(final_path))) {
    throw core::failure("backup: " + final_path.string() +
                        " already exists (a backup was taken this second); rerun in a second");
  }
  util::TempFile copy(dir, k_backup_tag, ".db");
  store::backup_database(db, copy.path());
  util::crash_point("backup:copied");
  util::TempFile result;
  if (gzip) {
    util::TempFile packed(dir, k_backup_tag, ".db.gz");
    util::gzip_file(copy.path(), packed.path());
    result = std::move(packed);
  } else {
    result = std::move(copy);
  }
  const auto check = verify_copy(result.path(), gzip, dir, k_backup_tag);
  result.commit(final_path);
  return {final_path, fs::file_size(final_path), check.schema_version, false};
}

ArchiveResult make_snapshot(store::Database& db, const fs::path& dir, const core::KstTime& now,
                            const util::PathPolicy& policy, std::string_view what) {
  policy.check_directory(dir, what, "snapshot");
  const auto name = snapshot_file_name(now.date());
  const auto final_path = dir / name;
  policy.check_file(final_path, what, "snapshot");
  ensure_dir(dir);
  util::remove_leftovers(dir, k_snapshot_tag);
  // VACUUM INTO writes into an empty file (ours, owner-only).
  util::TempFile copy(dir, k_snapshot_tag, ".db");
  store::vacuum_database(db, copy.path());
  util::crash_point("snapshot:copied");
  const auto check = verify_copy(copy.path(), false, dir, k_snapshot_tag);
  const bool replaced = fs::exists(fs::symlink_status(final_path));
  copy.commit(final_path);
  return {final_path, fs::file_size(final_path), check.schema_version, replaced};
}

StagedFile stage_for_restore(const fs::path& file, const fs::path& work_dir) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw core::usage_error("restore: " + file.string() +
                            " is not a file; give the path of a "
                            "backup (krxbatch-YYYYMMDD-HHMMSS.db or .db.gz)");
  }
  util::remove_leftovers(work_dir, k_restore_tag);
  StagedFile staged{util::TempFile(work_dir, k_restore_tag, ".db"), {}, false};
  staged.gzip = util::is_gzip_file(file);
  if (staged.gzip) {
    try {
      util::gunzip_file(file, staged.path.path());
    } catch (const core::Error& e) {
      staged.check.problem = e.what();
      return staged;
    }
  } else {
    fs::copy_file(file, staged.path.path(), fs::copy_options::overwrite_existing, ec);
    if (ec) {
      throw core::failure("restore: cannot copy " + file.string() + " to " +
                          staged.path.path().string() + " (" + ec.message() +
                          "); check free disk space next to the database");
    }
  }
  staged.check = store::check_database_file(staged.path.path());
  util::crash_point("restore:staged");
  return staged;
}

CleanupResult clean_archives(const fs::path& dir, ArchiveKind kind, const core::Date& today,
                             int retention_days, const util::PathPolicy& policy,
                             std::string_view what) {
  const std::string_view writer = kind == ArchiveKind::backup ? "backup" : "snapshot";
  policy.check_directory(dir, what, writer);
  CleanupResult out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return out;
  }
  out.leftovers =
      util::remove_leftovers(dir, kind == ArchiveKind::backup ? k_backup_tag : k_snapshot_tag);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    // Our own regular files only: a link with our name is not a backup.
    if (entry.is_regular_file() && !entry.is_symlink()) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::size_t ours = 0;
  for (const auto& n : names) {
    if (const auto p = parse_archive_name(n); p && p->kind == kind) {
      ++ours;
    }
  }
  for (const auto& n : expired_archives(names, kind, today, retention_days)) {
    const auto p = dir / n;
    policy.check_delete(p, writer);
    if (!fs::remove(p, ec) && ec) {
      throw core::failure(p.string() + ": cannot delete (" + ec.message() + ")");
    }
    spdlog::debug("deleted {}", p.string());
    out.deleted.push_back(p);
  }
  out.kept = ours - out.deleted.size();
  return out;
}

} // namespace krxbatch::ops
