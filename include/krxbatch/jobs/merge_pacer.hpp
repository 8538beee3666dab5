// When a run that stages its sessions (a backfill, a long catch-up: jobs/ingest_loop.hpp) merges
// them before its end, so that the merge runs while the next sessions download instead of after
// the last one (docs/PERFORMANCE.md, "Latency").
//
// A staged run merges once, at its end, because each merge writes every ticker's newest pages
// (the cheapest on a fast network, where the ingestion thread is never idle). Against a distant
// server the ingestion thread mostly waits for answers, and that one merge is the only work left
// after the last answer: on a 100-session full-market backfill about 1 s, 20 % of the download
// at four connections and 50 ms. The pacer moves it into the wait: when the thread has waited at
// least as long as merging the staged sessions takes, the run asks for the next sessions (up to
// IngestSettings::merge_overlap_sessions of them, the memory their answers hold) and merges while
// they download. It does so as late as the downloads it can queue still cover the merge, so the
// merge at the end holds only the last few sessions, and a long run merges as seldom as it can.
//
// Pure: the loop gives it the times (PaceSample) and the rows; it reads no clock. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>

namespace krxbatch::jobs {

// A moment of the ingestion thread: monotonic wall time and the thread's own CPU time, seconds.
// Wall time that is not CPU time is time the thread waited (for answers above all).
struct PaceSample {
  double wall_s = 0;
  double cpu_s = 0;
};

// The ingestion thread's clocks now (steady_clock, CLOCK_THREAD_CPUTIME_ID).
PaceSample pace_now();

// Where the loop reads its samples: pace_now unless a test gives its own.
using PaceClock = std::function<PaceSample()>;

class MergePacer {
public:
  // Merge time per price row until this run has measured one (a 100-session full-market
  // backfill's merge on the benchmark machine: 1.0 s for 272,000 rows; docs/PERFORMANCE.md).
  static constexpr double k_default_merge_s_per_row = 4e-6;

  // `queue_sessions`: the most sessions asked for ahead before a merge (0: never merges early).
  explicit MergePacer(int queue_sessions) : m_queue(queue_sessions) {}

  // A loop starts at `at`: what was measured before it (waits, staged sessions) no longer
  // counts; the merge speed measured so far does.
  void restart(PaceSample at);
  // A session was staged with `rows` price rows; `at` is right after its commit.
  void staged(PaceSample at, std::int64_t rows);
  // A merge of `rows` staged rows ran from `start` to `end` (any merge, early or not): the
  // next estimate uses its speed, and the counts restart from `end`.
  void merged(PaceSample start, PaceSample end, std::int64_t rows);

  // Whether to merge now, `remaining` sessions still to ingest after the one just staged:
  // the thread has waited at least as long as the merge will take, and one more session staged
  // would make the merge longer than the downloads that can be queued before it. At least two
  // sessions are staged.
  bool merge_now(int remaining) const;
  // How many sessions to ask for before that merge: the downloads that run during it.
  int queue(int remaining) const;

  // What the decision reads, for the log and the tests.
  double estimated_merge_s() const;

private:
  int m_queue;
  double m_s_per_row = k_default_merge_s_per_row;
  PaceSample m_since;      // the last merge's end, or the start
  PaceSample m_last;       // the last staged session's sample
  int m_sessions = 0;      // staged since m_since
  std::int64_t m_rows = 0; // their price rows
};

} // namespace krxbatch::jobs
