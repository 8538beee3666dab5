// What every job needs from the outside, passed explicitly (no globals).
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/jobs/merge_pacer.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/job_store.hpp"
#include "krxbatch/util/clock.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::jobs {

// References only: the caller owns everything and keeps it alive during the job.
struct JobEnv {
  store::Database& db;
  const calendar::Calendar& calendar;
  const util::Clock& clock;
};

// How ingestion behaves (from options, environment and what manual_setup recorded).
struct IngestSettings {
  std::vector<market::Market> markets{market::Market::kospi, market::Market::kosdaq};
  std::int64_t daily_call_limit = 10000; // KRX_DAILY_LIMIT
  int connections = 1;                   // krx_connections: how many requests run at once
  // A run that stages its sessions merges them when it ends, or earlier once it has staged
  // this many sessions or this many bytes of packed rows, whichever comes first
  // (docs/PERFORMANCE.md, "The staging table"). A merge reads the staged sessions back through
  // a scratch file of their size, a window at a time, so the bounds are about disk, not
  // memory: set so that the Open API's whole history (~4,100 sessions, ~190 KB each) merges
  // once, because every merge after the first inserts into the middle of each ticker's rows.
  // Tests make them small.
  int merge_every_sessions = 5000;
  std::int64_t merge_staged_bytes = 1024LL * 1024 * 1024;
  // Against a slow network such a run also merges earlier, while the next sessions download
  // (MergePacer), asking for up to this many sessions ahead first: their answers (~0.9 MB a
  // full-market session) are what it holds in memory meanwhile. 0: never early.
  int merge_overlap_sessions = 24;
  // The ingestion thread's clocks for the MergePacer (empty: pace_now); tests script them.
  PaceClock pace_clock;
};

// The outcome of one job run: what the process exits with, its one-line summary, and the facts
// the run-level alert rules read (app::JobRunner owns those rules; a job states facts only).
struct JobResult {
  core::ExitCode exit_code = core::ExitCode::ok;
  std::string summary;
  store::RunSummary run;
  // The run failed and stored nothing (every session it tried failed): `run_failed`.
  bool stored_nothing = false;
  // KRX refused the key (401: a wrong key, or an API not approved for it), with the source's
  // message: `krx_auth`.
  std::optional<std::string> key_refused{};
  // Answers the raw archive could not keep (fetch::RawArchive), with the first reason:
  // `archive_failed`.
  std::optional<std::string> archive_failed{};
};

// Records a run in job_runs/job_status from construction to finish(); if it is destroyed
// without finish() (an exception escaped), the run is recorded as failed with the reason
// given to fail_reason() or "aborted". Measures the duration on a monotonic clock.
class RunRecorder {
public:
  RunRecorder(JobEnv env, std::string_view job, const std::string& args);
  ~RunRecorder();
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;

  std::int64_t id() const { return m_id; }
  long long elapsed_ms() const;
  void set_fail_reason(std::string reason) { m_fail_reason = std::move(reason); }
  // Records `summary` (its duration is filled in here).
  void finish(store::RunSummary summary);

private:
  JobEnv m_env;
  std::string m_job;
  std::int64_t m_id = 0;
  bool m_finished = false;
  std::string m_fail_reason = "aborted";
  std::chrono::steady_clock::time_point m_start;
};

} // namespace krxbatch::jobs
