// What the server counts about its own requests, for /metrics: requests by route and status
// code (a counter) and their latency by route (a histogram), in the Prometheus exposition
// format. A route is the pattern a request matched ("/api/v1/prices/{ticker}"), never the
// raw path, so that the series stay few whatever clients ask. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace krxbatch::serve {

class RequestMetrics {
public:
  // The histogram's upper bounds, in seconds.
  static constexpr std::array<double, 10> k_buckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,  0.1,    0.25,  1.0,  5.0};

  void record(const std::string& route, int status, double seconds);
  // krxbatch_http_requests_total and krxbatch_http_request_duration_seconds, with HELP and TYPE.
  std::string render() const;

private:
  struct Latency {
    std::array<std::uint64_t, k_buckets.size()> buckets{}; // not cumulative here
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex m_mutex;
  std::map<std::pair<std::string, int>, std::uint64_t> m_counts;
  std::map<std::string, Latency> m_latency;
};

} // namespace krxbatch::serve
