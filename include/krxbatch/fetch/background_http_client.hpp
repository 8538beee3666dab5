// An HttpClient that does its requests on threads of its own, so that downloads go on while
// the caller parses and writes the previous answers (DESIGN §8: downloads overlapped with
// parsing and writing), over one or several connections to the server (krx_connections).
//
// Each of the `connections` worker threads has a wrapped client of its own (its own
// kept-alive connection); a wrapped client is used from one thread at a time. Requests start
// in the order asked, on whichever worker is free. get() of a URL that was prefetched waits
// for that request's answer; any other get() is queued behind what is already asked and waited
// for. A 429 (the server is limiting this key) slows every connection down: the number of
// requests allowed at once halves (down to one) and grows back by one after every
// k_calm_answers answers without another 429. Prefetched answers that nobody gets are dropped
// with the client; so are prefetches not started by then (the destructor waits only for the
// requests in progress, which the wrapped clients' timeouts bound). Used from one thread at a
// time, like any HttpClient.
#pragma once

#include "krxbatch/fetch/http_client.hpp"

#include <functional>
#include <memory>

namespace krxbatch::fetch {

class BackgroundHttpClient final : public HttpClient {
public:
  // Answers without a 429 after which one more request may run at once again.
  static constexpr int k_calm_answers = 20;

  using ClientFactory = std::function<std::unique_ptr<HttpClient>()>;
  // One connection.
  explicit BackgroundHttpClient(std::unique_ptr<HttpClient> inner);
  // `connections` (>= 1) workers, each with a client made by `make`.
  BackgroundHttpClient(const ClientFactory& make, int connections);
  ~BackgroundHttpClient() override;
  BackgroundHttpClient(const BackgroundHttpClient&) = delete;
  BackgroundHttpClient& operator=(const BackgroundHttpClient&) = delete;

  HttpResult get(const std::string& url, std::span<const HttpHeader> headers) override;
  void prefetch(const std::string& url, std::span<const HttpHeader> headers) override;

  // Prefetched answers not yet taken by get() (finished or not).
  std::size_t pending() const;
  // How many requests may run at once now: the connections, fewer after a 429.
  int allowed() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace krxbatch::fetch
