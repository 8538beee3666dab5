#include "krxbatch/jobs/merge_pacer.hpp"

#include <doctest/doctest.h>

using krxbatch::jobs::MergePacer;
using krxbatch::jobs::PaceSample;

namespace {

constexpr std::int64_t k_rows = 2700; // a full-market session's price rows

// Stages sessions into `pacer`, each taking `wall` seconds of which `cpu` on the thread, until
// merge_now(remaining) says yes (remaining counting down from `left`) or `most` are staged.
// Returns how many were staged when it said yes (0: never).
int staged_until_merge(MergePacer& pacer, PaceSample& t, double wall, double cpu, int left,
                       int most = 1000) {
  for (int n = 1; n <= most; ++n) {
    t.wall_s += wall;
    t.cpu_s += cpu;
    pacer.staged(t, k_rows);
    if (pacer.merge_now(left - n)) {
      return n;
    }
  }
  return 0;
}

} // namespace

TEST_SUITE("jobs.merge_pacer") {
  TEST_CASE("a network-bound run merges as late as the downloads it can queue still cover it") {
    MergePacer pacer(4);
    PaceSample t{100, 1};
    pacer.restart(t);
    const double wall = 0.05; // a session every 50 ms, 10 ms of it on the thread
    const int n = staged_until_merge(pacer, t, wall, 0.01, 300);
    REQUIRE(n > 0);
    const double per_session = static_cast<double>(k_rows) * MergePacer::k_default_merge_s_per_row;
    // Covered now by four sessions' downloads, and one more staged would not be.
    CHECK(pacer.queue(300 - n) == 4);
    CHECK(4 * wall >= pacer.estimated_merge_s());
    CHECK(4 * wall < pacer.estimated_merge_s() + per_session);
    CHECK(pacer.estimated_merge_s() == doctest::Approx(n * per_session));
  }

  TEST_CASE("a run that never waits merges at its end only") {
    MergePacer pacer(24);
    PaceSample t{0, 0};
    pacer.restart(t);
    // Every second of wall time is the thread's CPU: the merge cannot hide anywhere.
    CHECK(staged_until_merge(pacer, t, 0.01, 0.01, 500, 499) == 0);
  }

  TEST_CASE("near the end it merges while the last sessions download") {
    MergePacer pacer(24);
    PaceSample t{0, 0};
    pacer.restart(t);
    // A slow network (0.6 s a session) and 30 sessions: the queue would cover a long merge,
    // so the merge waits until the sessions left could no longer cover one more.
    const int n = staged_until_merge(pacer, t, 0.6, 0.01, 30);
    REQUIRE(n > 0);
    const int left = 30 - n;
    CHECK(left >= 1);
    CHECK(pacer.queue(left) == left);
    CHECK(left * 0.6 >= pacer.estimated_merge_s());
  }

  TEST_CASE("the speed of this run's last merge decides the next") {
    const auto first_merge_at = [](double merge_s) {
      MergePacer pacer(4);
      PaceSample t{0, 0};
      pacer.restart(t);
      // A merge of 100 sessions' rows that took merge_s.
      const PaceSample end{t.wall_s + merge_s, t.cpu_s + merge_s};
      pacer.merged(t, end, 100 * k_rows);
      t = end;
      return staged_until_merge(pacer, t, 0.05, 0.01, 300);
    };
    const int fast = first_merge_at(0.2);
    const int slow = first_merge_at(2.0);
    CHECK(slow > 0);
    CHECK(fast > slow); // a slower merge must start with fewer sessions to stay hidden
  }

  TEST_CASE("no early merge without a queue, of a single session, or with nothing left") {
    PaceSample t{0, 0};
    MergePacer none(0);
    none.restart(t);
    CHECK(staged_until_merge(none, t, 1.0, 0.0, 100, 99) == 0);

    MergePacer pacer(4);
    pacer.restart(t);
    t.wall_s += 100; // one session that took very long
    pacer.staged(t, k_rows);
    CHECK_FALSE(pacer.merge_now(1));
    t.wall_s += 100;
    pacer.staged(t, k_rows);
    CHECK(pacer.merge_now(1));
    CHECK_FALSE(pacer.merge_now(0)); // the run's own end merges it
  }

  TEST_CASE("a loop's restart forgets the waits before it and keeps the merge speed") {
    MergePacer pacer(4);
    PaceSample t{0, 0};
    pacer.restart(t);
    pacer.merged(t, {1.0, 1.0}, 1000); // 1 ms a row
    t = {1.0, 1.0};
    t.wall_s += 50;
    pacer.staged(t, k_rows);
    pacer.restart(t);
    CHECK(pacer.estimated_merge_s() == 0);
    t.wall_s += 0.01;
    pacer.staged(t, 10);
    CHECK(pacer.estimated_merge_s() == doctest::Approx(10 * 1e-3));
  }
}
