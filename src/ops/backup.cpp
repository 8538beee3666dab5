#include "krxbatch/ops/backup.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/gzip.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace krxbatch::ops {
namespace fs = std::filesystem;

namespace {

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
// it is not sound. The caller deletes `copy` on failure (it is a TempPath).
store::FileCheck verify_copy(const fs::path& copy, bool gzip, const fs::path& dir,
                             std::string_view what) {
  store::FileCheck check;
  if (gzip) {
    util::TempPath plain(util::make_temp_file(dir, "verify", ".db"));
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
                          bool gzip) {
  ensure_dir(dir);
  const auto name = backup_file_name(now, gzip);
  const auto final_path = dir / name;
  if (fs::exists(final_path)) {
    throw core::failure("backup: " + final_path.string() +
                        " already exists (a backup was taken this second); rerun in a second");
  }
  util::TempPath copy(util::make_temp_file(dir, name));
  store::backup_database(db, copy.path());
  util::TempPath result;
  if (gzip) {
    util::TempPath packed(util::make_temp_file(dir, name));
    util::gzip_file(copy.path(), packed.path());
    result = std::move(packed);
  } else {
    result = std::move(copy);
  }
  const auto check = verify_copy(result.path(), gzip, dir, "backup");
  util::rename_durably(result.path(), final_path);
  result.release();
  return {final_path, fs::file_size(final_path), check.schema_version, false};
}

ArchiveResult make_snapshot(store::Database& db, const fs::path& dir, const core::KstTime& now) {
  ensure_dir(dir);
  const auto name = snapshot_file_name(now.date());
  const auto final_path = dir / name;
  util::TempPath copy(util::make_temp_file(dir, name));
  // VACUUM INTO wants a file that does not exist yet.
  fs::remove(copy.path());
  store::vacuum_database(db, copy.path());
  const auto check = verify_copy(copy.path(), false, dir, "snapshot");
  const bool replaced = fs::exists(final_path);
  util::rename_durably(copy.path(), final_path);
  copy.release();
  return {final_path, fs::file_size(final_path), check.schema_version, replaced};
}

StagedFile stage_for_restore(const fs::path& file, const fs::path& work_dir) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw core::usage_error("restore: " + file.string() +
                            " is not a file; give the path of a "
                            "backup (krxbatch-YYYYMMDD-HHMMSS.db or .db.gz)");
  }
  StagedFile staged{util::TempPath(util::make_temp_file(work_dir, "restore", ".db")), {}, false};
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
  return staged;
}

CleanupResult clean_archives(const fs::path& dir, ArchiveKind kind, const core::Date& today,
                             int retention_days) {
  CleanupResult out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return out;
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) {
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
