#include "krxbatch/ops/restore.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/archive_name.hpp"
#include "krxbatch/store/database.hpp"

#include <spdlog/spdlog.h>

#include <optional>

namespace krxbatch::ops {
namespace fs = std::filesystem;

namespace {

fs::path with_suffix(const fs::path& p, const char* suffix) {
  return p.string() + suffix;
}

// A name for the safety copy that does not exist yet.
fs::path safety_path(const fs::path& dir, const core::KstTime& now) {
  auto t = now;
  for (;;) {
    auto p = dir / pre_restore_file_name(t);
    if (!fs::exists(p)) {
      return p;
    }
    t += boost::posix_time::seconds(1);
  }
}

void copy_raw(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    throw core::failure("restore: cannot keep a copy of " + from.string() + " at " + to.string() +
                        " (" + ec.message() + "); nothing was changed; free some disk space");
  }
  util::sync_path(to);
}

void remove_if_exists(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) {
    throw core::failure("restore: cannot remove " + p.string() + " (" + ec.message() + ")");
  }
}

} // namespace

RestoreResult restore_staged(const fs::path& db_path, util::TempPath staged,
                             const fs::path& safety_dir, const core::KstTime& now) {
  RestoreResult out;
  std::error_code ec;
  if (!fs::exists(db_path, ec)) {
    out.method = RestoreMethod::new_file;
    remove_if_exists(with_suffix(db_path, "-wal"));
    remove_if_exists(with_suffix(db_path, "-shm"));
    util::rename_durably(staged.path(), db_path);
    staged.release();
  } else {
    fs::create_directories(safety_dir, ec);
    if (ec) {
      throw core::failure("restore: cannot create " + safety_dir.string() +
                          " for the safety "
                          "copy (" +
                          ec.message() + "); nothing was changed");
    }
    const auto safety = safety_path(safety_dir, now);
    std::optional<store::Database> live;
    try {
      store::OpenOptions options;
      options.migrate = false;
      live.emplace(db_path.string(), options);
      util::TempPath copy(util::make_temp_file(safety_dir, safety.filename().string()));
      store::backup_database(*live, copy.path());
      util::rename_durably(copy.path(), safety);
      copy.release();
    } catch (const core::Error& e) {
      spdlog::warn("restore: {} cannot be read as a database ({}); keeping its bytes as they "
                   "are and replacing the file",
                   db_path.string(), e.what());
      live.reset();
    }
    if (live) {
      out.method = RestoreMethod::backup_api;
      out.safety_copy = safety;
      store::restore_database(*live, staged.path());
      live.reset();
    } else {
      out.method = RestoreMethod::replace_file;
      out.safety_copy = safety;
      copy_raw(db_path, safety);
      if (fs::exists(with_suffix(db_path, "-wal"))) {
        copy_raw(with_suffix(db_path, "-wal"), with_suffix(safety, "-wal"));
      }
      // A stale WAL left beside the new file would be replayed into it: remove it first.
      remove_if_exists(with_suffix(db_path, "-wal"));
      remove_if_exists(with_suffix(db_path, "-shm"));
      util::rename_durably(staged.path(), db_path);
      staged.release();
    }
    const auto check = store::check_database_file(out.safety_copy);
    out.safety_copy_sound = check.ok;
    out.safety_copy_problem = check.problem;
  }
  store::Database restored(db_path.string());
  out.summary = store::summarize(restored);
  out.digest = store::compute_digest(restored);
  return out;
}

} // namespace krxbatch::ops
