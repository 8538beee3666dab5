// BackgroundHttpClient: requests run on worker threads, in the order asked; a prefetched URL's
// answer is what the next get() of it returns, without a second request; several connections
// run requests at once, and a 429 cuts how many.
#include "krxbatch/fetch/background_http_client.hpp"

#include "support/fetch_fakes.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
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

// Requests that wait at a gate the test opens; counts how many are inside at once. URLs with
// "limited" answer 429.
struct Gate {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = true;
  int inside = 0;
  int most_inside = 0;
  int done = 0;

  // Waits (bounded, as a failure guard, not as synchronisation) until `pred` holds.
  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(20), pred);
  }
};

class GatedHttp final : public fetch::HttpClient {
public:
  explicit GatedHttp(std::shared_ptr<Gate> gate) : m_gate(std::move(gate)) {}
  fetch::HttpResult get(const std::string& url, std::span<const fetch::HttpHeader>) override {
    std::unique_lock lock(m_gate->mutex);
    ++m_gate->inside;
    m_gate->most_inside = std::max(m_gate->most_inside, m_gate->inside);
    m_gate->changed.notify_all();
    m_gate->changed.wait(lock, [this] { return m_gate->open; });
    --m_gate->inside;
    ++m_gate->done;
    m_gate->changed.notify_all();
    return test::http(url.find("limited") != std::string::npos ? 429 : 200, url);
  }

private:
  std::shared_ptr<Gate> m_gate;
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

  TEST_CASE("four connections run four requests at once, a 429 cuts them all to one") {
    auto gate = std::make_shared<Gate>();
    fetch::BackgroundHttpClient client([gate] { return std::make_unique<GatedHttp>(gate); }, 4);
    CHECK(client.allowed() == 4);
    {
      const std::lock_guard lock(gate->mutex);
      gate->open = false;
    }
    for (const auto* url : {"u/1", "u/2", "u/3", "u/4"}) {
      client.prefetch(url, k_headers);
    }
    // All four are inside the wrapped clients together (one connection could hold only one).
    REQUIRE(gate->wait([&] { return gate->inside == 4; }));
    {
      const std::lock_guard lock(gate->mutex);
      gate->open = true;
    }
    gate->changed.notify_all();
    for (const auto* url : {"u/1", "u/2", "u/3", "u/4"}) {
      CHECK(body(client.get(url, k_headers)) == url);
    }
    // Two 429s: 4 -> 2 -> 1 request at a time, for every connection.
    CHECK(client.get("u/limited/1", k_headers).value().status == 429);
    CHECK(client.allowed() == 2);
    CHECK(client.get("u/limited/2", k_headers).value().status == 429);
    CHECK(client.allowed() == 1);
    {
      const std::lock_guard lock(gate->mutex);
      gate->open = false;
      gate->most_inside = 0;
      gate->done = 0;
    }
    for (const auto* url : {"u/5", "u/6", "u/7"}) {
      client.prefetch(url, k_headers);
    }
    REQUIRE(gate->wait([&] { return gate->inside == 1; }));
    {
      const std::lock_guard lock(gate->mutex);
      gate->open = true;
    }
    gate->changed.notify_all();
    REQUIRE(gate->wait([&] { return gate->done == 3; }));
    CHECK(gate->most_inside == 1);
    for (const auto* url : {"u/5", "u/6", "u/7"}) {
      CHECK(body(client.get(url, k_headers)) == url);
    }
    // Calm answers bring the connections back one by one.
    for (int i = 0; i < fetch::BackgroundHttpClient::k_calm_answers - 3; ++i) {
      (void)client.get("u/calm/" + std::to_string(i), k_headers);
    }
    CHECK(client.allowed() == 2);
  }
}
