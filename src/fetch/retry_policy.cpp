#include "krxbatch/fetch/retry_policy.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace krxbatch::fetch {
namespace {

// KRX answers 401 with respMsg "Unauthorized Key" (the key) or "Unauthorized API Call" (the key
// is fine but this API was not applied for).
FailureKind kind_of_401(std::string_view resp_msg) {
  return resp_msg.find("API Call") != std::string_view::npos ? FailureKind::not_approved
                                                             : FailureKind::unauthorized;
}

} // namespace

RetryPolicy::RetryPolicy(double retry_scale, RetrySchedule schedule)
    : m_scale(retry_scale), m_schedule(std::move(schedule)) {
  if (!std::isfinite(retry_scale) || retry_scale < 0) {
    throw std::invalid_argument("retry scale must be a finite number >= 0");
  }
}

const std::vector<std::chrono::milliseconds>* RetryPolicy::waits(FailureKind kind) const {
  switch (kind) {
  case FailureKind::server_error:
  case FailureKind::network:
  case FailureKind::malformed_body:
    return &m_schedule.transient;
  case FailureKind::rate_limited:
    return &m_schedule.rate_limited;
  default:
    return nullptr;
  }
}

std::optional<std::chrono::milliseconds> RetryPolicy::next_wait(FailureKind kind,
                                                                int failed_attempts) const {
  const auto* list = waits(kind);
  if (list == nullptr || failed_attempts < 1 ||
      static_cast<std::size_t>(failed_attempts) > list->size()) {
    return std::nullopt;
  }
  const auto base = (*list)[static_cast<std::size_t>(failed_attempts - 1)];
  return std::chrono::milliseconds(std::llround(static_cast<double>(base.count()) * m_scale));
}

int RetryPolicy::max_attempts(FailureKind kind) const {
  const auto* list = waits(kind);
  return 1 + (list == nullptr ? 0 : static_cast<int>(list->size()));
}

std::optional<FailureKind> classify_status(long status, std::string_view body) {
  if (status >= 200 && status < 300) {
    return std::nullopt;
  }
  if (status == 401) {
    const auto error = market::parse_api_error(body);
    return error ? kind_of_401(error->message) : FailureKind::unauthorized;
  }
  if (status == 404 || (status >= 300 && status < 400)) {
    return FailureKind::bad_endpoint;
  }
  if (status == 429) {
    return FailureKind::rate_limited;
  }
  if (status >= 500 && status < 600) {
    return FailureKind::server_error;
  }
  return FailureKind::client_error;
}

FailureKind classify_api_error(const market::ApiError& error) {
  long code = 0;
  const char* first = error.code.data();
  const char* last = first + error.code.size();
  const auto [ptr, ec] = std::from_chars(first, last, code);
  const bool numeric = !error.code.empty() && ec == std::errc() && ptr == last;
  if (code == 401 || (!numeric && error.message.find("Unauthorized") != std::string::npos)) {
    return kind_of_401(error.message);
  }
  if (numeric && code >= 300 && code < 600) {
    return classify_status(code, {}).value_or(FailureKind::malformed_body);
  }
  return FailureKind::malformed_body;
}

FailureKind classify_transport(TransportError error) {
  switch (error) {
  case TransportError::bad_url:
    return FailureKind::bad_endpoint;
  case TransportError::partial_body:
    return FailureKind::malformed_body;
  default:
    return FailureKind::network;
  }
}

} // namespace krxbatch::fetch
