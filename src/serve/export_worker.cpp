#include "krxbatch/serve/export_worker.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/export.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/export_job_store.hpp"
#include "krxbatch/util/log.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <utility>

namespace krxbatch::serve {
namespace {

// Thrown from the progress callback to abandon an export when the server stops.
struct Abandoned {};

// How long the worker waits for a write lock a job holds: it runs in the background, so
// waiting costs nobody.
constexpr std::chrono::milliseconds k_busy_timeout{60000};

// How often the worker looks for old exports to delete while idle.
constexpr std::chrono::hours k_sweep_interval{1};

} // namespace

ExportWorker::ExportWorker(ExportWorkerInputs inputs) : m_in(std::move(inputs)) {}

ExportWorker::~ExportWorker() {
  stop();
}

void ExportWorker::start() {
  m_thread = std::thread([this] { loop(); });
}

void ExportWorker::wake() {
  {
    const std::lock_guard lock(m_mutex);
    m_woken = true;
  }
  m_wake.notify_one();
}

void ExportWorker::stop() {
  m_stop = true;
  wake();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

std::filesystem::path ExportWorker::job_dir(std::int64_t id) const {
  return m_in.settings.serve_export_dir / std::to_string(id);
}

void ExportWorker::loop() {
  std::optional<store::Database> db;
  const auto sweep = [&] {
    const auto cutoff =
        m_in.clock.now_kst() - boost::posix_time::hours(24 * m_in.settings.serve_export_days);
    store::ExportJobStore jobs(*db);
    for (const auto& job : jobs.finished_before(core::to_iso(cutoff))) {
      ops::remove_export(job_dir(job.id), m_in.policy, "serve");
      jobs.remove(job.id);
      spdlog::info("serve: export job {} finished {} deleted (serve_export_days = {})", job.id,
                   job.finished_at.value_or("?"), m_in.settings.serve_export_days);
    }
  };
  while (!m_stop) {
    try {
      if (!db) {
        store::OpenOptions options;
        options.busy_timeout = k_busy_timeout;
        options.migrate = false;
        db.emplace(m_in.db_path.string(), options);
        sweep();
      }
      store::ExportJobStore jobs(*db);
      const auto job = jobs.next();
      if (!job) {
        std::unique_lock lock(m_mutex);
        if (!m_wake.wait_for(lock, k_sweep_interval, [&] { return m_woken || m_stop.load(); })) {
          lock.unlock();
          sweep();
        }
        m_woken = false;
        continue;
      }
      const auto id = job->id;
      jobs.start(id, m_in.clock.now_kst());
      spdlog::info("serve: export job {} started: {} to {}, {} ticker(s){}", id,
                   core::to_iso(job->from), core::to_iso(job->to),
                   job->tickers.empty() ? std::string("all") : std::to_string(job->tickers.size()),
                   job->adjusted ? ", adjusted" : "");
      ops::ExportOptions options;
      options.out_dir = job_dir(id);
      options.from = job->from;
      options.to = job->to;
      options.tickers = job->tickers;
      options.force = true; // a run interrupted after its rename left a complete export there
      options.adjusted = job->adjusted;
      options.database_label = m_in.db_path.filename().string();
      options.created_at = m_in.clock.now_kst();
      options.progress = [&](std::size_t done, std::size_t total) {
        jobs.progress(id, static_cast<std::int64_t>(done), static_cast<std::int64_t>(total));
        if (m_stop) {
          throw Abandoned{};
        }
      };
      try {
        const auto manifest = ops::export_range(*db, options, m_in.policy);
        jobs.succeed(id, m_in.clock.now_kst());
        spdlog::info("serve: export job {} succeeded: {} file(s) in {}", id, manifest.files.size(),
                     options.out_dir.string());
      } catch (const core::Error& e) {
        const auto reason = util::redact(e.what());
        jobs.fail(id, reason, m_in.clock.now_kst());
        spdlog::warn("serve: export job {} failed: {}", id, reason);
      }
      sweep();
    } catch (const Abandoned&) {
      spdlog::info("serve: stopping; the running export job runs again at the next start");
    } catch (const std::exception& e) {
      // The database is busy or gone: try again a little later, with a fresh connection.
      spdlog::warn("serve: export worker: {}; trying again in 10 s", util::redact(e.what()));
      db.reset();
      std::unique_lock lock(m_mutex);
      m_wake.wait_for(lock, std::chrono::seconds(10), [&] { return m_stop.load(); });
    }
  }
}

} // namespace krxbatch::serve
