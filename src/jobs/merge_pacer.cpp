#include "krxbatch/jobs/merge_pacer.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace krxbatch::jobs {

PaceSample pace_now() {
  PaceSample s;
  s.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec cpu{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0) {
    s.cpu_s = static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) * 1e-9;
  } else {
    s.cpu_s = s.wall_s; // no thread clock: never idle, so never an early merge
  }
  return s;
}

void MergePacer::restart(PaceSample at) {
  m_since = at;
  m_last = at;
  m_sessions = 0;
  m_rows = 0;
}

void MergePacer::staged(PaceSample at, std::int64_t rows) {
  m_last = at;
  ++m_sessions;
  m_rows += rows;
}

void MergePacer::merged(PaceSample start, PaceSample end, std::int64_t rows) {
  if (rows > 0 && end.wall_s > start.wall_s) {
    m_s_per_row = (end.wall_s - start.wall_s) / static_cast<double>(rows);
  }
  restart(end);
}

double MergePacer::estimated_merge_s() const {
  return static_cast<double>(m_rows) * m_s_per_row;
}

int MergePacer::queue(int remaining) const {
  return std::clamp(remaining, 0, m_queue);
}

bool MergePacer::merge_now(int remaining) const {
  if (m_queue <= 0 || remaining <= 0 || m_sessions < 2) {
    return false;
  }
  const double wall = m_last.wall_s - m_since.wall_s;
  const double idle = wall - (m_last.cpu_s - m_since.cpu_s);
  const double merge = estimated_merge_s();
  // Not network-bound: the merge would add its time to the run wherever it happens, and
  // merging more than once costs more than once.
  if (idle < merge) {
    return false;
  }
  // The downloads queued before the merge cover it; after one more session they would not:
  // merging later would leave part of it after the last answer.
  const double per_session = wall / m_sessions;
  const double next_merge =
      merge + static_cast<double>(m_rows) / m_sessions * m_s_per_row; // one more session's rows
  return static_cast<double>(queue(remaining - 1)) * per_session < next_merge;
}

} // namespace krxbatch::jobs
