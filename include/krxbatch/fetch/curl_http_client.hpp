// HttpClient over libcurl.
//
// One easy handle per client, reused for every request so that the connection to KRX is kept
// alive across calls. TLS certificates and host names are always verified (there is no option
// to turn that off). gzip/deflate answers are accepted and decoded. No signals are used
// (CURLOPT_NOSIGNAL), so timeouts are safe in any thread. Redirects are followed only to the
// same scheme-or-upgrade, host and port (at most 3 hops): request headers carry the KRX key and
// must never be sent to another host; a redirect elsewhere comes back as the 3xx response with
// its Location. At trace log level libcurl's connection notes and the response headers are
// logged; request headers never are. Note that libcurl re-sends a request once, on a new
// connection, when a reused connection dies before any byte of the answer: one get() can then
// be two requests on the wire.
//
// libcurl is initialised globally, once per process, by the first client constructed (the
// only place that does it). A client is used from one thread at a time; distinct clients may
// be used from distinct threads.
#pragma once

#include "krxbatch/fetch/http_client.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace krxbatch::fetch {

// Where libcurl looks for the CA certificates it verifies TLS with by default: its built-in
// CURLOPT_CAINFO file and CURLOPT_CAPATH directory (either may be empty). On Debian both come
// from the package ca-certificates (/etc/ssl/certs/ca-certificates.crt, /etc/ssl/certs).
struct CaStore {
  std::string file;
  std::string dir;
};
CaStore default_ca_store();

struct CurlOptions {
  std::chrono::milliseconds connect_timeout{10'000}; // to establish TCP (+TLS)
  std::chrono::milliseconds total_timeout{60'000};   // for a whole request, body included
  std::size_t max_body_bytes = 64U << 20U;           // a larger answer is a failure (`other`)
};

class CurlHttpClient final : public HttpClient {
public:
  explicit CurlHttpClient(CurlOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  HttpResult get(const std::string& url, std::span<const HttpHeader> headers) override;

  // How many TCP connections the client has opened so far (1 after many calls to one server
  // that keeps connections alive).
  std::size_t connections_opened() const;

private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

// Whether CurlHttpClient follows a redirect from `from` to `to`: same host and port, and the
// same scheme or an http -> https upgrade between the default ports. False when either URL
// does not parse.
bool is_same_server_redirect(const std::string& from, const std::string& to);

// "krxbatch/<version>", the User-Agent sent with every request.
std::string_view user_agent();

} // namespace krxbatch::fetch
