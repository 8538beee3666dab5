#include "krxbatch/fetch/smtp_client.hpp"

#include "krxbatch/fetch/notify_client.hpp"

#include "curl_global.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <arpa/inet.h>
#include <memory>

namespace krxbatch::fetch {
namespace {

using Failure = core::Failure<MailFailure>;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

struct Upload {
  const std::string* data = nullptr;
  std::size_t pos = 0;
};

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, up->data->size() - up->pos);
  std::copy_n(up->data->data() + up->pos, n, buffer);
  up->pos += n;
  return n;
}

std::string url_part(const std::string& url, CURLUPart what) {
  std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return {};
  }
  char* part = nullptr;
  if (curl_url_get(handle.get(), what, &part, 0) != CURLUE_OK || part == nullptr) {
    return {};
  }
  std::string out = part;
  curl_free(part);
  return out;
}

} // namespace

bool is_loopback_url(const std::string& url) {
  auto host = url_part(url, CURLUPART_HOST);
  if (host == "localhost") {
    return true;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24U) == 127U;
  }
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

CurlMailSender::CurlMailSender(MailOptions options) : m_options(options) {
  detail::ensure_curl_initialised();
}

core::Result<MailSent, MailFailure> CurlMailSender::send(const MailEnvelope& envelope,
                                                         const std::string& message) {
  const auto scheme = url_part(envelope.url, CURLUPART_SCHEME);
  const MailSent sent{url_host(envelope.url)};
  if (scheme != "smtp" && scheme != "smtps") {
    return Failure{MailFailure::refused_url, "smtp_url is not an smtps:// or smtp:// URL"};
  }
  const bool loopback = is_loopback_url(envelope.url);
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) {
    return Failure{MailFailure::transport, "out of memory"};
  }
  CURL* e = easy.get();
  std::unique_ptr<curl_slist, SlistDeleter> recipients;
  for (const auto& to : envelope.to) {
    recipients.reset(curl_slist_append(recipients.release(), to.c_str()));
  }
  const std::string from = "<" + envelope.from + ">";
  Upload upload{&message, 0};
  (void)curl_easy_setopt(e, CURLOPT_URL, envelope.url.c_str());
  (void)curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  (void)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  (void)curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(m_options.connect_timeout.count()));
  (void)curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(m_options.total_timeout.count()));
  (void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  (void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  // smtps:// is TLS from the start; smtp:// must STARTTLS unless the relay is on loopback.
  (void)curl_easy_setopt(e, CURLOPT_USE_SSL,
                         scheme == "smtp" && loopback ? static_cast<long>(CURLUSESSL_NONE)
                                                      : static_cast<long>(CURLUSESSL_ALL));
  if (!envelope.user.empty()) {
    (void)curl_easy_setopt(e, CURLOPT_USERNAME, envelope.user.c_str());
    (void)curl_easy_setopt(e, CURLOPT_PASSWORD, envelope.password.c_str());
  }
  (void)curl_easy_setopt(e, CURLOPT_MAIL_FROM, from.c_str());
  (void)curl_easy_setopt(e, CURLOPT_MAIL_RCPT, recipients.get());
  (void)curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  (void)curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  (void)curl_easy_setopt(e, CURLOPT_READFUNCTION, &on_read);
  (void)curl_easy_setopt(e, CURLOPT_READDATA, &upload);
  char error[CURL_ERROR_SIZE] = {};
  (void)curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  const CURLcode code = curl_easy_perform(e);
  if (code != CURLE_OK) {
    // libcurl's error buffer names the host, the port and the server's reply at most; never
    // the credentials.
    std::string why = curl_easy_strerror(code);
    if (error[0] != '\0') {
      why += std::string(" (") + error + ")";
    }
    long reply = 0;
    (void)curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &reply);
    if (reply != 0) {
      why += "; the relay's last reply: " + std::to_string(reply);
    }
    return Failure{MailFailure::transport, "mail relay " + sent.relay + ": " + why};
  }
  return sent;
}

} // namespace krxbatch::fetch
