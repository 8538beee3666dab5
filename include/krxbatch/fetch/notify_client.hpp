// Outgoing notifications: dead-man's-switch pings and chat webhooks.
//
// NotifyClient is the seam (tests use a fake); CurlNotifyClient sends over libcurl with short
// timeouts, one request per call, no redirects followed (a ping or webhook URL that redirects
// is misconfigured, and its token must not travel to another host). Any HTTP status is an
// answer; the caller decides what counts as delivered. URLs may embed tokens: implementations
// never log a URL and never put one in a message (use url_host() for messages).
// A client is used from one thread at a time.
#pragma once

#include "krxbatch/fetch/http_client.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace krxbatch::fetch {

struct NotifyRequest {
  std::string method = "GET"; // GET or POST
  std::string url;
  std::string content_type; // POST only, e.g. "application/json"
  std::string body;         // POST only
};

class NotifyClient {
public:
  virtual ~NotifyClient() = default;
  // Sends the request; the response (whatever its status) or a transport failure.
  virtual HttpResult send(const NotifyRequest& request) = 0;
};

struct NotifyOptions {
  std::chrono::milliseconds connect_timeout{3'000};
  std::chrono::milliseconds total_timeout{10'000};
};

class CurlNotifyClient final : public NotifyClient {
public:
  explicit CurlNotifyClient(NotifyOptions options = {});
  ~CurlNotifyClient() override;
  CurlNotifyClient(const CurlNotifyClient&) = delete;
  CurlNotifyClient& operator=(const CurlNotifyClient&) = delete;

  HttpResult send(const NotifyRequest& request) override;

private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

// The host (and port, when not the scheme's default) of `url`, for log lines that must not
// show the path or query where tokens live: "hooks.slack.com", "127.0.0.1:8080". "(a
// malformed URL)" when it does not parse.
std::string url_host(const std::string& url);

} // namespace krxbatch::fetch
