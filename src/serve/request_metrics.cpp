#include "krxbatch/serve/request_metrics.hpp"

#include "krxbatch/ops/metrics.hpp"

#include <charconv>
#include <sstream>

namespace krxbatch::serve {
namespace {

std::string number(double v) {
  std::array<char, 64> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return ec == std::errc() ? std::string(buf.data(), end) : std::string("NaN");
}

} // namespace

void RequestMetrics::record(const std::string& route, int status, double seconds) {
  const std::lock_guard lock(m_mutex);
  ++m_counts[{route, status}];
  auto& l = m_latency[route];
  ++l.count;
  l.sum += seconds;
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    if (seconds <= k_buckets[i]) {
      ++l.buckets[i];
      break;
    }
  }
}

std::string RequestMetrics::render() const {
  const std::lock_guard lock(m_mutex);
  std::ostringstream out;
  out << "# HELP krxbatch_http_requests_total Requests the server answered, by route and status "
         "code.\n"
         "# TYPE krxbatch_http_requests_total counter\n";
  for (const auto& [key, n] : m_counts) {
    out << "krxbatch_http_requests_total{route=\"" << ops::escape_label_value(key.first)
        << "\",code=\"" << key.second << "\"} " << n << "\n";
  }
  out << "# HELP krxbatch_http_request_duration_seconds Time from a request's arrival to its "
         "answer, by route.\n"
         "# TYPE krxbatch_http_request_duration_seconds histogram\n";
  for (const auto& [route, l] : m_latency) {
    const auto label = ops::escape_label_value(route);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < k_buckets.size(); ++i) {
      cumulative += l.buckets[i];
      out << "krxbatch_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\""
          << number(k_buckets[i]) << "\"} " << cumulative << "\n";
    }
    out << "krxbatch_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"+Inf\"} "
        << l.count << "\n"
        << "krxbatch_http_request_duration_seconds_sum{route=\"" << label << "\"} " << number(l.sum)
        << "\n"
        << "krxbatch_http_request_duration_seconds_count{route=\"" << label << "\"} " << l.count
        << "\n";
  }
  return out.str();
}

} // namespace krxbatch::serve
