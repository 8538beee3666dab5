#include "krxbatch/fetch/curl_http_client.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/log.hpp"

#include "curl_global.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <optional>
#include <span>
#include <string>

namespace krxbatch::fetch {

// The one place that initialises libcurl globally: a function-local static, so the first
// client constructed (from any thread) does it exactly once and it is undone at exit.
void detail::ensure_curl_initialised() {
  struct Global {
    Global() : code(curl_global_init(CURL_GLOBAL_DEFAULT)) {}
    ~Global() {
      if (code == CURLE_OK) {
        curl_global_cleanup();
      }
    }
    Global(const Global&) = delete;
    Global& operator=(const Global&) = delete;
    CURLcode code;
  };
  static const Global global;
  if (global.code != CURLE_OK) {
    throw core::failure(std::string("libcurl initialisation failed: ") +
                        curl_easy_strerror(global.code));
  }
}

namespace {

constexpr int k_max_redirects = 3;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

// Where the body of the transfer in flight goes.
struct BodySink {
  std::string* body = nullptr;
  std::size_t limit = 0;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t n = size * count;
  if (sink->body->size() + n > sink->limit) {
    sink->too_large = true;
    return 0; // makes curl fail the transfer with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

// Logs libcurl's notes and the response headers at trace level. Request headers (which carry
// the key), request and response bodies and TLS data are deliberately never logged.
int on_debug(CURL* /*easy*/, curl_infotype type, char* data, std::size_t size, void* /*user*/) {
  if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_IN) {
    return 0;
  }
  std::string_view text(data, size);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (!text.empty()) {
    // Response headers come from the server: redact them here too, not only in the sinks.
    spdlog::trace("curl: {}{}", type == CURLINFO_HEADER_IN ? "< " : "",
                  util::redact(std::string(text)));
  }
  return 0;
}

template <typename T>
void set_option(CURL* easy, CURLoption option, T value) {
  const CURLcode rc = curl_easy_setopt(easy, option, value);
  if (rc != CURLE_OK) {
    throw core::failure(std::string("libcurl rejected an option: ") + curl_easy_strerror(rc) +
                        "; is libcurl older than 7.85?");
  }
}

struct UrlParts {
  std::string scheme;
  std::string host;
  std::string port;
};

std::optional<UrlParts> url_parts(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  UrlParts parts;
  const auto get = [&](CURLUPart part, std::string& out, unsigned flags) {
    char* value = nullptr;
    if (curl_url_get(handle.get(), part, &value, flags) != CURLUE_OK) {
      return false;
    }
    out = value;
    curl_free(value);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return true;
  };
  if (!get(CURLUPART_SCHEME, parts.scheme, 0) || !get(CURLUPART_HOST, parts.host, 0) ||
      !get(CURLUPART_PORT, parts.port, CURLU_DEFAULT_PORT)) {
    return std::nullopt;
  }
  return parts;
}

} // namespace

class CurlHttpClient::Impl {
public:
  explicit Impl(CurlOptions options) : m_options(options) {
    detail::ensure_curl_initialised();
    m_easy.reset(curl_easy_init());
    if (!m_easy) {
      throw core::failure("libcurl could not create a handle (out of memory?)");
    }
    CURL* e = m_easy.get();
    set_option(e, CURLOPT_NOSIGNAL, 1L);
    set_option(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    set_option(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
    set_option(e, CURLOPT_SSL_VERIFYPEER, 1L);
    set_option(e, CURLOPT_SSL_VERIFYHOST, 2L);
    set_option(e, CURLOPT_ACCEPT_ENCODING, ""); // every encoding libcurl can decode
    set_option(e, CURLOPT_USERAGENT, user_agent().data());
    set_option(e, CURLOPT_FOLLOWLOCATION, 0L); // see get(): same-server redirects only
    set_option(e, CURLOPT_PROTOCOLS_STR, "http,https");
    set_option(e, CURLOPT_TCP_KEEPALIVE, 1L);
    set_option(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_body_bytes));
    set_option(e, CURLOPT_WRITEFUNCTION, &on_body);
    set_option(e, CURLOPT_WRITEDATA, &m_sink);
    set_option(e, CURLOPT_DEBUGFUNCTION, &on_debug);
    set_option(e, CURLOPT_ERRORBUFFER, m_error);
  }

  HttpResult get(const std::string& url, std::span<const HttpHeader> headers) {
    Slist list;
    for (const auto& h : headers) {
      const std::string line = h.name + ": " + h.value;
      curl_slist* grown = curl_slist_append(list.get(), line.c_str());
      if (grown == nullptr) {
        return core::Failure<TransportError>{TransportError::other, "out of memory"};
      }
      (void)list.release();
      list.reset(grown);
    }
    CURL* e = m_easy.get();
    set_option(e, CURLOPT_HTTPHEADER, list.get());
    set_option(e, CURLOPT_VERBOSE, spdlog::should_log(spdlog::level::trace) ? 1L : 0L);
    auto result = follow(url);
    // The list dies with this call: the handle must not keep pointing at it.
    set_option(e, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    return result;
  }

  std::size_t connections_opened() const { return m_connections; }

private:
  HttpResult follow(const std::string& url) {
    std::string current = url;
    for (int hop = 0;; ++hop) {
      auto result = perform(current);
      if (!result.ok()) {
        return result;
      }
      const auto& response = result.value();
      if (response.status < 300 || response.status >= 400 || response.location.empty() ||
          hop == k_max_redirects || !is_same_server_redirect(current, response.location)) {
        return result;
      }
      spdlog::debug("HTTP {}: following the redirect to {}", response.status,
                    util::redact(response.location));
      current = response.location;
    }
  }

  HttpResult perform(const std::string& url) {
    CURL* e = m_easy.get();
    HttpResponse response;
    m_sink = BodySink{&response.body, m_options.max_body_bytes, false};
    m_error[0] = '\0';
    set_option(e, CURLOPT_URL, url.c_str());
    const CURLcode code = curl_easy_perform(e);

    long connects = 0;
    if (curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
      m_connections += static_cast<std::size_t>(connects);
    }
    if (code != CURLE_OK) {
      long os_errno = 0;
      (void)curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
      const bool too_large = m_sink.too_large || code == CURLE_FILESIZE_EXCEEDED;
      std::string message = too_large ? "the answer is larger than " +
                                            std::to_string(m_options.max_body_bytes) + " bytes"
                                      : std::string(curl_easy_strerror(code));
      if (!too_large && m_error[0] != '\0') {
        message += std::string(" (") + m_error + ")";
      }
      return core::Failure<TransportError>{too_large ? TransportError::other
                                                     : detail::classify_curl_error(code, os_errno),
                                           std::move(message)};
    }
    (void)curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &response.status);
    char* content_type = nullptr;
    if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK &&
        content_type != nullptr) {
      response.content_type = content_type;
    }
    char* location = nullptr;
    if (response.status >= 300 && response.status < 400 &&
        curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
      response.location = location;
    }
    return response;
  }

  CurlOptions m_options;
  EasyHandle m_easy;
  BodySink m_sink;
  char m_error[CURL_ERROR_SIZE] = {};
  std::size_t m_connections = 0;
};

CurlHttpClient::CurlHttpClient(CurlOptions options) : m_impl(std::make_unique<Impl>(options)) {}

CurlHttpClient::~CurlHttpClient() = default;

HttpResult CurlHttpClient::get(const std::string& url, std::span<const HttpHeader> headers) {
  return m_impl->get(url, headers);
}

std::size_t CurlHttpClient::connections_opened() const {
  return m_impl->connections_opened();
}

bool is_same_server_redirect(const std::string& from, const std::string& to) {
  const auto a = url_parts(from);
  const auto b = url_parts(to);
  if (!a || !b || a->host != b->host) {
    return false;
  }
  if (a->scheme == b->scheme) {
    return a->port == b->port;
  }
  return a->scheme == "http" && b->scheme == "https" && a->port == "80" && b->port == "443";
}

std::string_view user_agent() {
  return "krxbatch/" KRXBATCH_VERSION;
}

TransportError detail::classify_curl_error(CURLcode code, long os_errno) {
  switch (code) {
  case CURLE_OPERATION_TIMEDOUT:
    return TransportError::timeout;
  case CURLE_COULDNT_CONNECT:
    return os_errno == ETIMEDOUT ? TransportError::timeout : TransportError::connection_refused;
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return TransportError::connection_reset;
  case CURLE_PARTIAL_FILE:
    return TransportError::partial_body;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_USE_SSL_FAILED:
    return TransportError::tls;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return TransportError::resolve;
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
    return TransportError::bad_url;
  default:
    return TransportError::other;
  }
}

CaStore default_ca_store() {
  CaStore store;
  if (const auto* info = curl_version_info(CURLVERSION_NOW); info != nullptr) {
    // The fields exist from CURLVERSION_NINTH (libcurl 7.70) on.
    if (info->age >= CURLVERSION_NINTH) {
      store.file = info->cainfo != nullptr ? info->cainfo : "";
      store.dir = info->capath != nullptr ? info->capath : "";
    }
  }
  return store;
}

} // namespace krxbatch::fetch
