#include "krxbatch/ops/job_locks.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/safe_path.hpp"

namespace krxbatch::ops {

std::filesystem::path ingest_lock_path(const std::filesystem::path& db_path) {
  return util::resolve_path(db_path).string() + ".ingest.lock";
}

std::filesystem::path analysis_lock_path(const std::filesystem::path& db_path) {
  return util::resolve_path(db_path).string() + ".analysis.lock";
}

util::FileLock take_job_lock(const std::filesystem::path& path, std::string_view command,
                             std::string_view holders) {
  auto lock = util::FileLock::try_acquire(path);
  if (!lock) {
    const auto pid = util::FileLock::holder_pid(path);
    throw core::Error(core::ExitCode::locked,
                      std::string(command) + ": " + std::string(holders) + " is running (" +
                          path.string() + " is held" +
                          (pid ? " by pid " + std::to_string(*pid) : std::string()) +
                          "); nothing was changed, rerun when it has finished");
  }
  return std::move(*lock);
}

} // namespace krxbatch::ops
