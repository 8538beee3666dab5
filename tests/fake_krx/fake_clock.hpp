// The fake's clock: set to an instant (from --now or POST /_fake/clock), then running at real
// speed. Its KST date and time decide which sessions are published and which day the quota
// counts.
//
// Thread-safe.
#pragma once

#include "krxbatch/core/date.hpp"

#include <chrono>
#include <mutex>

namespace krxbatch::fake_krx {

class FakeClock {
public:
  explicit FakeClock(core::KstTime start);

  core::KstTime now() const;
  // From now on, the clock reads `now` plus the real time elapsed since this call.
  void set(core::KstTime now);

private:
  mutable std::mutex m_mutex;
  core::KstTime m_base;
  std::chrono::steady_clock::time_point m_set_at;
};

} // namespace krxbatch::fake_krx
