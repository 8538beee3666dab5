// The export jobs of `krxbatch serve` (table export_jobs, schema version 7): the one table the
// server writes. States: PENDING (queued) -> RUNNING (files_done of files_total written) ->
// SUCCEEDED | FAILED (with the reason). Each change is its own short transaction.
// Thread-compatible, like the Database it uses.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::store {

struct ExportJob {
  std::int64_t id = 0;
  std::string state; // PENDING | RUNNING | SUCCEEDED | FAILED
  core::Date from;
  core::Date to;
  std::vector<std::string> tickers; // empty: every ticker
  bool adjusted = false;
  std::int64_t files_done = 0;
  std::optional<std::int64_t> files_total;
  std::optional<std::string> reason;
  std::string created_at; // ISO KST
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
};

class ExportJobStore {
public:
  explicit ExportJobStore(Database& db) : m_db(db) {}

  // Queues a job (PENDING) and returns its id.
  std::int64_t create(const core::Date& from, const core::Date& to,
                      const std::vector<std::string>& tickers, bool adjusted,
                      const core::KstTime& now);
  std::optional<ExportJob> find(std::int64_t id) const;
  // Newest first, at most `limit`.
  std::vector<ExportJob> list(int limit) const;
  // The oldest job to run: a RUNNING one (interrupted by a stop of the server) before the
  // oldest PENDING one; nullopt when there is none.
  std::optional<ExportJob> next() const;
  // PENDING/RUNNING -> RUNNING with no progress yet.
  void start(std::int64_t id, const core::KstTime& now);
  void progress(std::int64_t id, std::int64_t files_done, std::int64_t files_total);
  void succeed(std::int64_t id, const core::KstTime& now);
  void fail(std::int64_t id, const std::string& reason, const core::KstTime& now);
  // Finished jobs (SUCCEEDED or FAILED) that finished before `before` (ISO KST text compare).
  std::vector<ExportJob> finished_before(const std::string& before) const;
  void remove(std::int64_t id);

private:
  Database& m_db;
};

} // namespace krxbatch::store
