// A run's time budget, on a monotonic clock, measured from a given start (the process start
// for hourly_analysis' --budget-minutes).
//
// The clock is injectable so that tests can expire a budget after a known number of checks
// without sleeping. Thread-safe when the clock function is (steady_clock::now is).
#pragma once

#include <chrono>
#include <functional>
#include <optional>

namespace krxbatch::jobs {

class RunBudget {
public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Now = std::function<TimePoint()>;

  // `limit` nullopt: no limit. `now` defaults to std::chrono::steady_clock::now.
  RunBudget(TimePoint start, std::optional<std::chrono::milliseconds> limit, Now now = {});

  // Whether the time since `start` has reached the limit (a zero limit is exhausted at once).
  bool exhausted() const;
  std::chrono::milliseconds elapsed() const;
  std::optional<std::chrono::milliseconds> limit() const { return m_limit; }

private:
  TimePoint m_start;
  std::optional<std::chrono::milliseconds> m_limit;
  Now m_now;
};

} // namespace krxbatch::jobs
