// The job locks the operations commands respect (DESIGN §5.3): `<db>.ingest.lock`, held by
// manual_setup and daily_update, and `<db>.analysis.lock`, held by hourly_analysis. Both are
// util::FileLock (flock), next to the database file. They are named after the database's
// resolved path (util::resolve_path), so that every spelling of one database (a symbolic link
// to it, `./`, `..`) takes the same lock, next to the real file.
#pragma once

#include "krxbatch/util/file_lock.hpp"

#include <filesystem>
#include <string_view>

namespace krxbatch::ops {

std::filesystem::path ingest_lock_path(const std::filesystem::path& db_path);
std::filesystem::path analysis_lock_path(const std::filesystem::path& db_path);

// Takes the lock at `path` for `command`, or throws core::Error with exit 75 ("skipped")
// naming `holders` (the jobs that take this lock), the holder's PID and what to do.
util::FileLock take_job_lock(const std::filesystem::path& path, std::string_view command,
                             std::string_view holders);

} // namespace krxbatch::ops
