#include "krxbatch/jobs/job_env.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

namespace krxbatch::jobs {

RunRecorder::RunRecorder(JobEnv env, std::string_view job, const std::string& args)
    : m_env(env), m_job(job), m_start(std::chrono::steady_clock::now()) {
  store::JobStore jobs(m_env.db);
  m_id = jobs.begin_run(job, m_env.clock.now_kst(), ::getpid(), args);
}

RunRecorder::~RunRecorder() {
  if (m_finished) {
    return;
  }
  try {
    store::RunSummary s;
    s.outcome = state::RunOutcome::failed;
    s.message = m_fail_reason;
    finish(std::move(s));
  } catch (const std::exception& e) {
    spdlog::error("{}: could not record the end of run {}: {}", m_job, m_id, e.what());
  }
}

long long RunRecorder::elapsed_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               m_start)
      .count();
}

void RunRecorder::finish(store::RunSummary summary) {
  summary.duration_ms = elapsed_ms();
  m_finished = true;
  store::JobStore(m_env.db).finish_run(m_id, summary, m_env.clock.now_kst());
}

} // namespace krxbatch::jobs
