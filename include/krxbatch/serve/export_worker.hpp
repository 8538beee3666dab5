// The export jobs of `krxbatch serve` (docs/API.md): one thread that runs the queued jobs of
// table export_jobs one at a time, oldest first, with the `export` command's code
// (ops::export_range) into `<serve_export_dir>/<id>/`, recording each file written as the
// job's progress. A job RUNNING when the server stopped is run again from the start when it
// starts (export_range builds in a temporary directory and renames at the end, so a half-written
// export is never visible). At start and after each job, the jobs finished more than
// serve_export_days ago are deleted: their directory (through ops::remove_export, writer
// "serve") and their row.
//
// The worker has its own database connection, used by its thread only; it writes nothing but
// export_jobs.
#pragma once

#include "krxbatch/ops/config.hpp"
#include "krxbatch/util/clock.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

namespace krxbatch::serve {

struct ExportWorkerInputs {
  std::filesystem::path db_path;
  const ops::Settings& settings;
  const util::Clock& clock;
  const util::PathPolicy& policy;
};

class ExportWorker {
public:
  explicit ExportWorker(ExportWorkerInputs inputs);
  ~ExportWorker(); // stop()s
  ExportWorker(const ExportWorker&) = delete;
  ExportWorker& operator=(const ExportWorker&) = delete;

  // Starts the thread. Call once.
  void start();
  // A job was queued: look for it now.
  void wake();
  // Asks the thread to stop and joins it. A running export is abandoned after the file it is
  // writing (its job stays RUNNING, to run again at the next start). Idempotent.
  void stop();

  // The directory of job `id`.
  std::filesystem::path job_dir(std::int64_t id) const;

private:
  void loop();

  ExportWorkerInputs m_in;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_woken = false;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

} // namespace krxbatch::serve
