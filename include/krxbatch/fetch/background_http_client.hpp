// An HttpClient that does its requests on a thread of its own, so that a download can go on
// while the caller parses and writes the previous answer (DESIGN §8: downloads overlapped
// with parsing and writing).
//
// Every request, prefetched or not, runs on the one worker thread, in the order asked, through
// the wrapped client: that client is still used from one thread at a time and keeps its one
// kept-alive connection. get() of a URL that was prefetched waits for that request's answer;
// any other get() is queued behind what is already asked and waited for. Prefetched answers
// that nobody gets are dropped with the client; so are prefetches not started by then (the
// destructor waits only for the request in progress, which the wrapped client's timeouts
// bound). Used from one thread at a time, like any HttpClient.
#pragma once

#include "krxbatch/fetch/http_client.hpp"

#include <memory>

namespace krxbatch::fetch {

class BackgroundHttpClient final : public HttpClient {
public:
  explicit BackgroundHttpClient(std::unique_ptr<HttpClient> inner);
  ~BackgroundHttpClient() override;
  BackgroundHttpClient(const BackgroundHttpClient&) = delete;
  BackgroundHttpClient& operator=(const BackgroundHttpClient&) = delete;

  HttpResult get(const std::string& url, std::span<const HttpHeader> headers) override;
  void prefetch(const std::string& url, std::span<const HttpHeader> headers) override;

  // Prefetched answers not yet taken by get() (finished or not).
  std::size_t pending() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace krxbatch::fetch
