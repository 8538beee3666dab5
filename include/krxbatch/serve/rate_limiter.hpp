// The server's per-client rate limit: a token bucket per client address that holds at most
// `per_minute` requests and refills at per_minute / 60 a second, so a client may burst up to
// a minute's allowance and then goes at the steady rate. Thread-safe. Buckets idle for more
// than a minute are forgotten (a full bucket is what a new client gets anyway), so memory
// stays bounded by the clients of the last minute.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace krxbatch::serve {

class RateLimiter {
public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(std::int64_t per_minute) : m_per_minute(per_minute) {}

  // Takes one request from `client`'s bucket at `now`; false when it is empty (answer 429).
  bool allow(const std::string& client, Clock::time_point now = Clock::now());
  // Seconds until `client` may make its next request (for Retry-After), at least 1.
  int retry_after_seconds() const;

private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
  };
  std::int64_t m_per_minute;
  std::mutex m_mutex;
  std::unordered_map<std::string, Bucket> m_buckets;
  Clock::time_point m_last_sweep{};
};

// Whether two strings are equal, in a time that depends only on their lengths, never on where
// they differ (for bearer tokens).
bool constant_time_equal(const std::string& a, const std::string& b);

} // namespace krxbatch::serve
