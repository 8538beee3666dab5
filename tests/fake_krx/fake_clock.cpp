#include "fake_krx/fake_clock.hpp"

namespace krxbatch::fake_krx {

FakeClock::FakeClock(core::KstTime start)
    : m_base(start), m_set_at(std::chrono::steady_clock::now()) {}

core::KstTime FakeClock::now() const {
  const std::lock_guard lock(m_mutex);
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - m_set_at);
  return m_base + boost::posix_time::microseconds(elapsed.count());
}

void FakeClock::set(core::KstTime now) {
  const std::lock_guard lock(m_mutex);
  m_base = now;
  m_set_at = std::chrono::steady_clock::now();
}

} // namespace krxbatch::fake_krx
