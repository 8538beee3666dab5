#include "krxbatch/ops/restore.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/archive_name.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/db_file.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <limits>
#include <map>
#include <optional>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <vector>

namespace krxbatch::ops {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_restore_tag = "restore";
// Room kept free beyond what the restore writes: SQLite's journal and headers, the file
// system's own blocks.
constexpr std::uintmax_t k_space_margin = 4U << 20U;

fs::path with_suffix(const fs::path& p, const char* suffix) {
  return p.string() + suffix;
}

// A name for the safety copy that does not exist yet.
fs::path safety_path(const fs::path& dir, const core::KstTime& now) {
  auto t = now;
  for (;;) {
    auto p = dir / pre_restore_file_name(t);
    if (!fs::exists(fs::symlink_status(p))) {
      return p;
    }
    t += boost::posix_time::seconds(1);
  }
}

std::uintmax_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

// Copies `from` byte for byte to `to` through a temporary file in `to`'s directory, so that
// `to` is either absent or complete.
void copy_raw(const fs::path& from, const fs::path& to) {
  util::TempFile temp(to.parent_path(), k_restore_tag, ".db");
  std::error_code ec;
  fs::copy_file(from, temp.path(), fs::copy_options::overwrite_existing, ec);
  if (ec) {
    throw core::failure("restore: cannot keep a copy of " + from.string() + " at " + to.string() +
                        " (" + ec.message() + "); nothing was changed; free some disk space");
  }
  temp.commit(to);
}

// Whether `db` passes PRAGMA integrity_check (false when it cannot even be read).
bool is_sound(store::Database& db) {
  try {
    return store::integrity_check(db, 1) == std::vector<std::string>{"ok"};
  } catch (const core::Error&) {
    return false;
  }
}

void remove_if_exists(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) {
    throw core::failure("restore: cannot remove " + p.string() + " (" + ec.message() + ")");
  }
}

} // namespace

std::optional<std::string> lacking_space(std::span<const SpaceNeed> needs) {
  std::map<std::uintmax_t, std::pair<std::uintmax_t, std::string>> by_device;
  for (const auto& n : needs) {
    auto& [bytes, text] = by_device[n.device];
    bytes += n.bytes;
    text += (text.empty() ? "" : " and ") + n.what + " (" + std::to_string(n.bytes) + " bytes)";
  }
  for (const auto& n : needs) {
    const auto& [bytes, text] = by_device[n.device];
    if (bytes + k_space_margin > n.available) {
      return text + " need " + std::to_string(bytes + k_space_margin) + " bytes free in " +
             n.dir.string() + ", which has " + std::to_string(n.available);
    }
  }
  return std::nullopt;
}

RestoreResult restore_staged(const fs::path& db_path, util::TempFile staged,
                             const fs::path& safety_dir, const core::KstTime& now,
                             const util::PathPolicy& policy) {
  RestoreResult out;
  std::error_code ec;
  const auto db_dir = db_path.has_parent_path() ? db_path.parent_path() : fs::path(".");
  if (!fs::exists(db_path, ec)) {
    out.method = RestoreMethod::new_file;
    remove_if_exists(with_suffix(db_path, "-wal"));
    remove_if_exists(with_suffix(db_path, "-shm"));
    staged.commit(db_path);
  } else {
    policy.check_directory(safety_dir, "restore's safety copy", "restore");
    fs::create_directories(safety_dir, ec);
    if (ec) {
      throw core::failure("restore: cannot create " + safety_dir.string() +
                          " for the safety "
                          "copy (" +
                          ec.message() + "); nothing was changed");
    }
    const auto safety = safety_path(safety_dir, now);
    policy.check_file(safety, "restore's safety copy", "restore");
    // Before anything is written: room for the safety copy of the live file (and its WAL) and
    // for the restored pages, which the live database's WAL takes in first.
    const auto live_bytes = size_or_zero(db_path) + size_or_zero(with_suffix(db_path, "-wal"));
    const std::array needs = {
        space_need(safety_dir, "the safety copy of " + db_path.string(), live_bytes),
        space_need(db_dir, "the restored database", size_or_zero(staged.path()))};
    if (const auto problem = lacking_space(needs)) {
      throw core::failure("restore: not enough free space: " + *problem +
                          "; free some space and rerun (nothing was changed)");
    }
    std::optional<store::Database> live;
    try {
      store::OpenOptions options;
      options.migrate = false;
      live.emplace(db_path.string(), options);
      util::TempFile copy(safety_dir, k_restore_tag, ".db");
      store::backup_database(*live, copy.path());
      util::crash_point("restore:safety_copied");
      copy.commit(safety);
    } catch (const core::Error& e) {
      // A sound database is never replaced by a rename: its safety copy failed for another
      // reason (the disk), and the live file is left as it was.
      if (live && is_sound(*live)) {
        throw;
      }
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
      staged.commit(db_path);
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

SpaceNeed space_need(const fs::path& dir, std::string what, std::uintmax_t bytes) {
  SpaceNeed need{std::move(what), dir, bytes, 0, 0};
  struct statvfs vfs {};
  struct stat st {};
  if (::statvfs(dir.c_str(), &vfs) == 0 && ::stat(dir.c_str(), &st) == 0) {
    need.available = static_cast<std::uintmax_t>(vfs.f_bavail) * vfs.f_frsize;
    need.device = static_cast<std::uintmax_t>(st.st_dev);
  } else {
    need.available = std::numeric_limits<std::uintmax_t>::max(); // unknown: let the write tell
  }
  return need;
}

} // namespace krxbatch::ops
