#include "krxbatch/serve/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace krxbatch::serve {

bool RateLimiter::allow(const std::string& client, Clock::time_point now) {
  const double capacity = static_cast<double>(m_per_minute);
  const double per_second = capacity / 60.0;
  const std::lock_guard lock(m_mutex);
  if (now - m_last_sweep > std::chrono::minutes(1)) {
    std::erase_if(m_buckets, [&](const auto& entry) {
      return now - entry.second.last > std::chrono::minutes(1);
    });
    m_last_sweep = now;
  }
  auto [it, fresh] = m_buckets.try_emplace(client, Bucket{capacity, now});
  auto& bucket = it->second;
  if (!fresh) {
    const std::chrono::duration<double> elapsed = now - bucket.last;
    bucket.tokens = std::min(capacity, bucket.tokens + elapsed.count() * per_second);
    bucket.last = now;
  }
  if (bucket.tokens < 1.0) {
    return false;
  }
  bucket.tokens -= 1.0;
  return true;
}

int RateLimiter::retry_after_seconds() const {
  return std::max(1, static_cast<int>(std::ceil(60.0 / static_cast<double>(m_per_minute))));
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  // Compare over the longer length so that a prefix of the token takes as long as a wrong one.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0U : 1U;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0U;
}

} // namespace krxbatch::serve
