#include "krxbatch/fetch/notify_client.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/curl_http_client.hpp"

#include "curl_global.hpp"

#include <curl/curl.h>

#include <memory>

namespace krxbatch::fetch {
namespace {

// Pings answer "OK": keep only a little of an answer.
constexpr std::size_t k_max_answer_bytes = std::size_t{64} * 1024;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (body->size() < k_max_answer_bytes) {
    body->append(data, std::min(n, k_max_answer_bytes - body->size()));
  }
  return n;
}

} // namespace

class CurlNotifyClient::Impl {
public:
  explicit Impl(NotifyOptions options) : m_options(options) { detail::ensure_curl_initialised(); }

  HttpResult send(const NotifyRequest& request) {
    std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
    if (!easy) {
      return core::Failure<TransportError>{TransportError::other, "out of memory"};
    }
    CURL* e = easy.get();
    HttpResponse response;
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    // curl_easy_setopt only fails here for options this libcurl lacks; the transfer then
    // fails with a clear code, so the return values are not checked one by one.
    (void)curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
    (void)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                           static_cast<long>(m_options.connect_timeout.count()));
    (void)curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                           static_cast<long>(m_options.total_timeout.count()));
    (void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    (void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    (void)curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    (void)curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    (void)curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent().data());
    (void)curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
    (void)curl_easy_setopt(e, CURLOPT_WRITEDATA, &response.body);
    char error[CURL_ERROR_SIZE] = {};
    (void)curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
    if (request.method == "POST") {
      (void)curl_easy_setopt(e, CURLOPT_POST, 1L);
      (void)curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
      (void)curl_easy_setopt(e, CURLOPT_POSTFIELDS, request.body.c_str());
      if (!request.content_type.empty()) {
        const auto line = "Content-Type: " + request.content_type;
        headers.reset(curl_slist_append(nullptr, line.c_str()));
        (void)curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
      }
    } else {
      (void)curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    const CURLcode code = curl_easy_perform(e);
    if (code != CURLE_OK) {
      // libcurl's error buffer names the host and port at most, never the path.
      std::string message = curl_easy_strerror(code);
      if (error[0] != '\0') {
        message += std::string(" (") + error + ")";
      }
      long os_errno = 0;
      (void)curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
      return core::Failure<TransportError>{detail::classify_curl_error(code, os_errno),
                                           std::move(message)};
    }
    (void)curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

private:
  NotifyOptions m_options;
};

CurlNotifyClient::CurlNotifyClient(NotifyOptions options)
    : m_impl(std::make_unique<Impl>(options)) {}

CurlNotifyClient::~CurlNotifyClient() = default;

HttpResult CurlNotifyClient::send(const NotifyRequest& request) {
  return m_impl->send(request);
}

std::string url_host(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return "(a malformed URL)";
  }
  char* host = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK || host == nullptr) {
    return "(a malformed URL)";
  }
  std::string out = host;
  curl_free(host);
  char* port = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_PORT, &port, 0) == CURLUE_OK && port != nullptr) {
    out += ":" + std::string(port);
    curl_free(port);
  }
  return out;
}

} // namespace krxbatch::fetch
