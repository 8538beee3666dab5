// What to do after a failed KRX call: retry after a wait, or give up (DESIGN §5.4), and what
// kind of failure one attempt's outcome is.
//
// Transient failures (5xx, timeout, reset, refused, malformed body) are retried 3 times after
// 30 s, 60 s and 120 s; a 429 twice after 60 s; everything else (401, 404, other 4xx, quota)
// is final at once. Every wait is multiplied by `retry_scale` (1 in production, tiny in tests).
// Pure: nothing here waits, reads the clock or does I/O; the caller sleeps. Thread-safe.
#pragma once

#include "krxbatch/fetch/http_client.hpp"
#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/market/parser.hpp"

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace krxbatch::fetch {

struct RetrySchedule {
  // Waits before the 1st, 2nd, 3rd retry of a transient failure.
  std::vector<std::chrono::milliseconds> transient{
      std::chrono::seconds(30), std::chrono::seconds(60), std::chrono::seconds(120)};
  // Waits before each retry of a rate-limited (429) call.
  std::vector<std::chrono::milliseconds> rate_limited{std::chrono::seconds(60),
                                                      std::chrono::seconds(60)};
};

class RetryPolicy {
public:
  // Throws std::invalid_argument unless `retry_scale` is finite and >= 0.
  explicit RetryPolicy(double retry_scale = 1.0, RetrySchedule schedule = {});

  // After `failed_attempts` (>= 1) failed attempts of one call, the last of kind `kind`: the
  // (scaled) wait before the next attempt, or nullopt when the call has failed for good.
  std::optional<std::chrono::milliseconds> next_wait(FailureKind kind, int failed_attempts) const;

  // The most attempts a call failing with `kind` every time gets (1 + its retries).
  int max_attempts(FailureKind kind) const;

  double retry_scale() const { return m_scale; }

private:
  const std::vector<std::chrono::milliseconds>* waits(FailureKind kind) const;

  double m_scale;
  RetrySchedule m_schedule;
};

// The failure an HTTP status stands for; nullopt for 2xx (the body has yet to be parsed).
// `body` tells KRX's two 401s apart: {"respMsg":"Unauthorized API Call"} (not_approved) and
// anything else (unauthorized). 404 is bad_endpoint, 3xx too (a redirect that was not
// followed), 429 rate_limited, 5xx server_error, other statuses client_error.
std::optional<FailureKind> classify_status(long status, std::string_view body);

// The failure a KRX error object inside a 2xx stands for, by its respCode like a status
// (respCode 401/404/429/5xx); an unknown code is a malformed_body (retried).
FailureKind classify_api_error(const market::ApiError& error);

// Transport failures: bad_url is bad_endpoint, partial_body is malformed_body (a truncated
// answer), all others are network failures.
FailureKind classify_transport(TransportError error);

} // namespace krxbatch::fetch
