#include "krxbatch/fetch/open_api_source.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/raw_archive.hpp"
#include "krxbatch/util/log.hpp"

#include <spdlog/spdlog.h>

#include <cassert>
#include <thread>

namespace krxbatch::fetch {
namespace {

// What one attempt came to, when it failed.
struct AttemptFailure {
  FailureKind kind;
  std::string detail; // "HTTP 500 '...'", "timeout (...)": what happened, for the message
  bool final = false; // true when retrying cannot change the answer
  bool tls = false;   // the TLS handshake or the certificate check failed
};

std::string attempts_text(int n) {
  return std::to_string(n) + (n == 1 ? " attempt" : " attempts");
}

bool has_control_or_space(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      return true;
    }
  }
  return false;
}

std::string normalise_base_url(std::string base, const std::string& origin) {
  if (base.empty()) {
    base = k_default_base_url;
  }
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  const bool http = base.rfind("http://", 0) == 0 && base.size() > 7;
  const bool https = base.rfind("https://", 0) == 0 && base.size() > 8;
  if ((!http && !https) || has_control_or_space(base)) {
    // Never echoed: the value may hold credentials or a pasted key.
    throw core::usage_error(origin + ": not an http(s) URL; use e.g. " +
                            std::string(k_default_base_url) + " (the default) or unset it");
  }
  return base;
}

// "HTTP 401 'Unauthorized Key'": the status and what the body says, briefly.
std::string status_detail(const HttpResponse& response, std::string_view body) {
  std::string detail = "HTTP " + std::to_string(response.status);
  if (const auto error = market::parse_api_error(body)) {
    detail += " '" + (error->message.empty() ? error->code : error->message) + "'";
  } else if (!response.location.empty()) {
    detail += " redirecting to '" + market::excerpt(response.location, 100) + "'";
  } else if (const auto text = market::excerpt(body, 80); !text.empty()) {
    detail += " '" + text + "'";
  }
  return detail;
}

std::string content_type_note(const HttpResponse& response) {
  return response.content_type.empty()
             ? std::string()
             : " [content-type " + util::redact(market::excerpt(response.content_type, 60)) + "]";
}

} // namespace

void sleep_for_real(std::chrono::milliseconds wait) {
  std::this_thread::sleep_for(wait);
}

OpenApiSource::OpenApiSource(OpenApiSettings settings, std::unique_ptr<HttpClient> http,
                             CallBudget& budget, RetryPolicy retry, Sleeper sleeper)
    : m_base_url(normalise_base_url(std::move(settings.base_url), settings.base_url_origin)),
      m_base_url_origin(std::move(settings.base_url_origin)),
      m_auth_key_origin(std::move(settings.auth_key_origin)), m_http(std::move(http)),
      m_budget(budget), m_retry(std::move(retry)), m_sleep(std::move(sleeper)) {
  if (settings.auth_key.empty()) {
    throw core::usage_error("no KRX key: set KRX_AUTH_KEY in the environment, or krx_auth_key in "
                            "the config file (mode 0600), to the key issued at "
                            "openapi.krx.co.kr (or use --source replay:DIR)");
  }
  if (has_control_or_space(settings.auth_key)) {
    throw core::usage_error(m_auth_key_origin +
                            " holds spaces or control characters (a pasted line break?); set it "
                            "to the key alone");
  }
  util::register_secret(settings.auth_key);
  assert(m_http != nullptr);
  m_headers.push_back({"AUTH_KEY", std::move(settings.auth_key)});
  m_headers.push_back({"Accept", "application/json"});
}

std::string OpenApiSource::url(Endpoint endpoint, const core::Date& day) const {
  return m_base_url + "/svc/apis/" + std::string(api_path(endpoint)) +
         "?basDd=" + core::to_basdd(day);
}

std::optional<core::Date> OpenApiSource::first_day(Endpoint endpoint) const {
  return endpoint == Endpoint::konex_stocks ? core::Date(2013, 7, 1) : core::Date(2010, 1, 4);
}

std::string OpenApiSource::describe() const {
  return "KRX Open API at " + util::without_url_credentials(m_base_url);
}

void OpenApiSource::prefetch(const core::Date& day, std::span<const Endpoint> endpoints) {
  for (const auto endpoint : endpoints) {
    auto call_url = url(endpoint, day);
    if (m_prepaid.contains(call_url)) {
      continue;
    }
    if (!m_budget.try_consume()) {
      return;
    }
    spdlog::debug("GET {} (ahead)", call_url);
    m_http->prefetch(call_url, m_headers);
    m_prepaid.insert(std::move(call_url));
  }
}

FetchResult<std::vector<market::PriceRow>> OpenApiSource::stocks(Endpoint endpoint,
                                                                 const core::Date& day) {
  assert(is_stock_endpoint(endpoint));
  return fetch<market::PriceRow>(endpoint, day, &market::parse_price_rows);
}

FetchResult<std::vector<market::IndexRow>> OpenApiSource::indices(Endpoint endpoint,
                                                                  const core::Date& day) {
  assert(!is_stock_endpoint(endpoint));
  return fetch<market::IndexRow>(endpoint, day, &market::parse_index_rows);
}

template <typename Row>
FetchResult<std::vector<Row>>
OpenApiSource::fetch(Endpoint endpoint, const core::Date& day,
                     market::ParseResult<std::vector<Row>> (*parse)(std::string_view)) {
  using Failure = core::Failure<FailureKind>;
  const std::string call_url = url(endpoint, day);
  const std::string what = "KRX " + std::string(api_path(endpoint)) + " for " + core::to_iso(day);

  std::string last_failure; // the previous attempt's detail, for a quota refusal mid-retries
  // A prefetched call was counted when it was made.
  const bool prepaid = m_prepaid.erase(call_url) > 0;
  for (int attempt = 1;; ++attempt) {
    if (!(attempt == 1 && prepaid) && !m_budget.try_consume()) {
      std::string message = what +
                            (attempt == 1 ? std::string(": not called")
                                          : ": not retried after " + attempts_text(attempt - 1) +
                                                " (last: " + last_failure + ")") +
                            "; " + m_budget.exhausted_message();
      return Failure{FailureKind::quota_exhausted, util::redact(std::move(message))};
    }
    spdlog::debug("GET {} (attempt {})", call_url, attempt);

    // One attempt: rows, or what went wrong.
    std::optional<AttemptFailure> failed;
    auto response = m_http->get(call_url, m_headers);
    if (!response.ok()) {
      const auto& f = response.failure();
      failed = AttemptFailure{classify_transport(f.kind),
                              std::string(fetch::describe(f.kind)) + " (" + f.message + ")", false,
                              f.kind == TransportError::tls};
    } else {
      auto& r = response.value();
      // A server may echo the key (an error page quoting the request): take it out of the
      // answer before anything reads it, because an excerpt cut in the middle of the key would
      // no longer match it and would carry its first half into a log line or last_error.
      r.body = util::redact(std::move(r.body));
      r.content_type = util::redact(std::move(r.content_type));
      spdlog::trace("{}: HTTP {}, {} bytes{}", what, r.status, r.body.size(), content_type_note(r));
      // The archive shares the body (it compresses on its own thread) rather than copying it.
      const auto shared = std::make_shared<const std::string>(std::move(r.body));
      const std::string& body = *shared;
      if (m_sink != nullptr && r.status == 200) {
        m_sink->keep(endpoint, day, shared);
      }
      if (const auto kind = classify_status(r.status, body)) {
        failed = AttemptFailure{*kind, status_detail(r, body)};
      } else {
        auto rows = parse(body);
        if (rows.ok()) {
          spdlog::debug("{}: {} rows", what, rows.value().size());
          return std::move(rows).value();
        }
        const auto& problem = rows.failure();
        spdlog::trace("{}: the body starts with '{}'", what,
                      util::redact(market::excerpt(body, 200)));
        std::string detail =
            "HTTP " + std::to_string(r.status) + " with " + problem.message + content_type_note(r);
        if (problem.kind == market::BodyProblem::error_object) {
          const auto error = market::parse_api_error(body);
          failed = AttemptFailure{error ? classify_api_error(*error) : FailureKind::malformed_body,
                                  detail};
        } else {
          // A value KRX sent wrong stays wrong on a retry; a cut or foreign body may not.
          failed = AttemptFailure{FailureKind::malformed_body, detail,
                                  problem.kind == market::BodyProblem::bad_value};
        }
      }
    }

    const auto wait = failed->final ? std::nullopt : m_retry.next_wait(failed->kind, attempt);
    if (!wait) {
      return Failure{failed->kind,
                     util::redact(what + ": " + failed->detail + " (" + attempts_text(attempt) +
                                  "); " + advice(failed->kind, endpoint, failed->tls))};
    }
    last_failure = util::redact(std::move(failed->detail));
    spdlog::warn("{}: {} (attempt {} of {}); retrying in {:.3g} s", what, last_failure, attempt,
                 m_retry.max_attempts(failed->kind), static_cast<double>(wait->count()) / 1000.0);
    m_sleep(*wait);
  }
}

std::string OpenApiSource::advice(FailureKind kind, Endpoint endpoint, bool tls) const {
  if (tls) {
    return "the TLS connection to " + util::without_url_credentials(m_base_url) +
           " failed; the usual cause is a missing CA store: the package ca-certificates, which "
           "libcurl only recommends, is absent from minimal Debian images (install it: `apt-get "
           "install ca-certificates`; `krxbatch doctor` checks it), else a wrong system clock or "
           "a proxy that intercepts TLS; the next run retries the day";
  }
  switch (kind) {
  case FailureKind::unauthorized:
    return "KRX refused the key: check " + m_auth_key_origin +
           " (the key issued at openapi.krx.co.kr; a key expires a year after issue and is "
           "deleted after a year unused)";
  case FailureKind::not_approved:
    return "the key is not approved for " + std::string(api_id(endpoint)) +
           ": apply for this API (이용신청) at openapi.krx.co.kr and wait for the approval "
           "(about one business day)";
  case FailureKind::bad_endpoint:
    return "check " + m_base_url_origin + " (now " + util::without_url_credentials(m_base_url) +
           ", default " + std::string(k_default_base_url) + ")";
  case FailureKind::server_error:
    return "KRX is failing; the day stays pending and the next run retries it";
  case FailureKind::network:
    return "check this machine's network, DNS and CA certificates; the next run retries the "
           "day";
  case FailureKind::rate_limited:
    return "KRX is limiting this key's calls; the next run retries the day";
  case FailureKind::malformed_body:
    return "KRX did not send its JSON answer; the next run retries the day";
  case FailureKind::client_error:
    return "KRX refused the request; check " + m_base_url_origin + " (now " +
           util::without_url_credentials(m_base_url) + ")";
  case FailureKind::quota_exhausted:
  case FailureKind::missing_data:
    break;
  }
  return "the next run retries the day";
}

} // namespace krxbatch::fetch
