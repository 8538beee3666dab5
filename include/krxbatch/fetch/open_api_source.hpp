// The KRX Open API as a MarketSource (krx-open-api.md §1; DESIGN §3, §5.4).
//
// One call is `GET {base}/svc/apis/{api_path}?basDd=YYYYMMDD` with the header `AUTH_KEY: <key>`.
// Before every HTTP attempt (retries included) the CallBudget is asked; a refusal ends the call
// with quota_exhausted. Failed attempts are retried per RetryPolicy, waiting through the
// injected Sleeper. Bodies go through market::parse_*_rows. A 200 with rows whose values are
// wrong (BodyProblem::bad_value) is not retried: KRX would send the same answer again.
// Known limit of the count: libcurl re-sends a request by itself, once, when a kept-alive
// connection turns out dead before any byte of the answer; that re-send is not asked of the
// budget, so a budget should keep a small margin below KRX's 10,000.
//
// The key is registered with util::register_secret() on construction and is never put in a
// message or a log line by this class (server-provided text is redacted too, in case a server
// echoes it). Failure messages name the endpoint, the day, the HTTP status or transport error,
// the number of attempts and what the operator should do.
//
// Every answer with HTTP 200 goes to the AnswerSink, when one is set (the raw archive,
// raw_archive.hpp), after the redaction and before the parser.
//
// Not thread-safe: one source per thread. `budget` and the sink must outlive the source.
#pragma once

#include "krxbatch/fetch/http_client.hpp"
#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/fetch/retry_policy.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

namespace krxbatch::fetch {

class AnswerSink;

inline constexpr std::string_view k_default_base_url = "https://data-dbg.krx.co.kr";

struct OpenApiSettings {
  std::string base_url{k_default_base_url}; // from KRX_API_BASE_URL; empty means the default
  std::string auth_key;                     // from KRX_AUTH_KEY
  // Where each came from, for the messages that tell the operator what to fix: the variable
  // ("KRX_AUTH_KEY") or the config line ("/etc/krxbatch.conf:3: krx_auth_key").
  std::string base_url_origin = "KRX_API_BASE_URL";
  std::string auth_key_origin = "KRX_AUTH_KEY";
};

// Waits for a duration. Production sleeps; tests record the waits and return at once.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
void sleep_for_real(std::chrono::milliseconds wait);

class OpenApiSource final : public MarketSource {
public:
  // Throws core::Error (usage, exit 2) when the key is empty or holds control characters, or
  // when the base URL is not an http(s) URL, naming where each came from.
  OpenApiSource(OpenApiSettings settings, std::unique_ptr<HttpClient> http, CallBudget& budget,
                RetryPolicy retry = RetryPolicy(), Sleeper sleeper = sleep_for_real);

  FetchResult<std::vector<market::PriceRow>> stocks(Endpoint endpoint,
                                                    const core::Date& day) override;
  FetchResult<std::vector<market::IndexRow>> indices(Endpoint endpoint,
                                                     const core::Date& day) override;
  std::string describe() const override;
  bool counts_calls() const override { return true; }
  // 2010-01-04, and 2013-07-01 for KONEX: the Open API serves no day before (krx-open-api.md).
  std::optional<core::Date> first_day(Endpoint endpoint) const override;
  void prefetch(const core::Date& day, std::span<const Endpoint> endpoints) override;

  // The URL of one call (it carries no secret).
  std::string url(Endpoint endpoint, const core::Date& day) const;

  // Where every HTTP 200 answer goes before it is parsed (nullptr: nowhere).
  void set_answer_sink(AnswerSink* sink) { m_sink = sink; }

private:
  template <typename Row>
  FetchResult<std::vector<Row>>
  fetch(Endpoint endpoint, const core::Date& day,
        market::ParseResult<std::vector<Row>> (*parse)(std::string_view));
  // What the operator should do about a final failure of `kind` (`tls`: the transport failure
  // was the TLS handshake or the certificate check).
  std::string advice(FailureKind kind, Endpoint endpoint, bool tls) const;

  std::string m_base_url; // without a trailing '/'
  std::string m_base_url_origin;
  std::string m_auth_key_origin;
  std::vector<HttpHeader> m_headers;
  std::unique_ptr<HttpClient> m_http;
  CallBudget& m_budget;
  RetryPolicy m_retry;
  Sleeper m_sleep;
  std::set<std::string> m_prepaid; // URLs prefetched and counted, not yet called for
  AnswerSink* m_sink = nullptr;
};

} // namespace krxbatch::fetch
