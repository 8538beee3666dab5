// BackgroundHttpClient: requests run on one worker thread, in the order asked; a prefetched
// URL's answer is what the next get() of it returns, without a second request.
#include "krxbatch/fetch/background_http_client.hpp"

#include "support/fetch_fakes.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace krxbatch;

namespace {

// Answers each URL with a body naming it and how many times it was asked; records the order
// of the requests and the threads they ran on.
class EchoHttp final : public fetch::HttpClient {
public:
  struct Log {
    std::mutex mutex;
    std::vector<std::string> urls;
    std::set<std::thread::id> threads;
    std::vector<std::string> header_values;
  };

  explicit EchoHttp(std::shared_ptr<Log> log) : m_log(std::move(log)) {}

  fetch::HttpResult get(const std::string& url,
                        std::span<const fetch::HttpHeader> headers) override {
    if (url.find("throw") != std::string::npos) {
      throw std::runtime_error("inner client failed on " + url);
    }
    if (url.find("refused") != std::string::npos) {
      return test::transport(fetch::TransportError::connection_refused, "refused " + url);
    }
    const std::lock_guard lock(m_log->mutex);
    m_log->urls.push_back(url);
    m_log->threads.insert(std::this_thread::get_id());
    for (const auto& h : headers) {
      m_log->header_values.push_back(h.name + "=" + h.value);
    }
    int n = 0;
    for (const auto& u : m_log->urls) {
      n += u == url ? 1 : 0;
    }
    return test::http(200, url + " #" + std::to_string(n));
  }

private:
  std::shared_ptr<Log> m_log;
};

const std::vector<fetch::HttpHeader> k_headers = {{"AUTH_KEY", "k"}};

std::string body(const fetch::HttpResult& r) {
  REQUIRE(r.ok());
  return r.value().body;
}

} // namespace

TEST_SUITE("fetch.background_http_client") {
  TEST_CASE("a prefetched URL's answer is the next get() of it, with no second request") {
    auto log = std::make_shared<EchoHttp::Log>();
    fetch::BackgroundHttpClient client(std::make_unique<EchoHttp>(log));
    client.prefetch("u/a", k_headers);
    client.prefetch("u/b", k_headers);
    client.prefetch("u/a", k_headers); // asked already: nothing more
    CHECK(client.pending() == 2);
    // Taken out of order: each get() waits for its own answer.
    CHECK(body(client.get("u/b", k_headers)) == "u/b #1");
    CHECK(body(client.get("u/a", k_headers)) == "u/a #1");
    CHECK(client.pending() == 0);
    // Not prefetched (any more): a request of its own, queued after the others.
    CHECK(body(client.get("u/a", k_headers)) == "u/a #2");
    CHECK(body(client.get("u/c", k_headers)) == "u/c #1");
    const std::lock_guard lock(log->mutex);
    CHECK(log->urls == std::vector<std::string>{"u/a", "u/b", "u/a", "u/c"});
    CHECK(log->header_values == std::vector<std::string>(4, "AUTH_KEY=k"));
    // One worker thread did every request, and it is not the caller's.
    REQUIRE(log->threads.size() == 1);
    CHECK(*log->threads.begin() != std::this_thread::get_id());
  }

  TEST_CASE("a transport failure or an exception of the wrapped client reaches the get()") {
    auto log = std::make_shared<EchoHttp::Log>();
    fetch::BackgroundHttpClient client(std::make_unique<EchoHttp>(log));
    client.prefetch("u/refused", k_headers);
    const auto refused = client.get("u/refused", k_headers);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.failure().kind == fetch::TransportError::connection_refused);
    CHECK(refused.failure().message == "refused u/refused");
    client.prefetch("u/throw", k_headers);
    CHECK_THROWS_WITH(client.get("u/throw", k_headers), "inner client failed on u/throw");
    CHECK_THROWS_WITH(client.get("u/throw/2", k_headers), "inner client failed on u/throw/2");
    // The worker is still there.
    CHECK(body(client.get("u/after", k_headers)) == "u/after #1");
  }

  TEST_CASE("answers nobody took are dropped with the client") {
    auto log = std::make_shared<EchoHttp::Log>();
    {
      fetch::BackgroundHttpClient client(std::make_unique<EchoHttp>(log));
      client.prefetch("u/x", k_headers);
      client.prefetch("u/y", k_headers);
      CHECK(body(client.get("u/y", k_headers)) == "u/y #1"); // u/x was done before it
      CHECK(client.pending() == 1);
    }
    const std::lock_guard lock(log->mutex);
    CHECK(log->urls == std::vector<std::string>{"u/x", "u/y"});
  }
}
