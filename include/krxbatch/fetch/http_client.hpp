// The HTTP edge: GET a URL, get back a status and a body, or a transport failure.
//
// HttpClient is the seam between the market sources and the network (as leveldb's Env is for
// files): OpenApiSource is tested against an in-memory fake, CurlHttpClient (curl_http_client.hpp)
// is the real one. Any HTTP status is an answer, not a failure; failures are transport-level
// only (the server could not be reached or the answer did not arrive whole). Request header
// values may be secrets: implementations never log them and never put them in messages.
// An HttpClient is used from one thread at a time (BackgroundHttpClient does its requests on a
// thread of its own, but it too is called from one thread at a time).
#pragma once

#include "krxbatch/core/result.hpp"

#include <span>
#include <string>
#include <string_view>

namespace krxbatch::fetch {

struct HttpHeader {
  std::string name;  // e.g. "AUTH_KEY"
  std::string value; // may be a secret
};

struct HttpResponse {
  long status = 0;
  std::string body;         // decoded (gzip/deflate already undone)
  std::string content_type; // empty when the server sent none
  std::string location;     // the Location of a 3xx that was not followed, else empty
};

enum class TransportError {
  timeout,            // no connection or no complete answer within the time limits
  connection_refused, // nothing listens there, or the host is unreachable
  connection_reset,   // the connection dropped before an answer (or sent nothing)
  partial_body,       // the connection closed before the announced Content-Length
  tls,                // the TLS handshake or the certificate check failed
  resolve,            // the host name does not resolve
  bad_url,            // the URL is malformed or its scheme is not http/https
  other,              // anything else (the message says what)
};

std::string_view to_string(TransportError error); // "timeout", "connection_refused", ...
// A plain-words description for operators ("truncated answer: the connection closed before
// the whole body arrived").
std::string_view describe(TransportError error);

using HttpResult = core::Result<HttpResponse, TransportError>;

class HttpClient {
public:
  virtual ~HttpClient() = default;
  // GETs `url` sending `headers`. Returns the response whatever its status, or a transport
  // failure whose message names the host and the cause (never a header value).
  virtual HttpResult get(const std::string& url, std::span<const HttpHeader> headers) = 0;
  // Asks for `url` ahead of the get() that will want it, where the client can work in the
  // background (BackgroundHttpClient); the next get() of that URL then returns that answer.
  // By default nothing happens ahead and that get() does the whole request.
  virtual void prefetch(const std::string& url, std::span<const HttpHeader> headers) {
    (void)url;
    (void)headers;
  }
};

} // namespace krxbatch::fetch
