#include "krxbatch/fetch/background_http_client.hpp"

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace krxbatch::fetch {

struct BackgroundHttpClient::Impl {
  struct Request {
    std::string url;
    std::vector<HttpHeader> headers;
    std::promise<HttpResult> answer;
  };

  explicit Impl(std::unique_ptr<HttpClient> client) : inner(std::move(client)) {
    worker = std::thread([this] { work(); });
  }

  ~Impl() {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
      queue.clear(); // not started: their futures report a broken promise, and nobody waits
    }
    wake.notify_one();
    worker.join();
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  std::future<HttpResult> ask(const std::string& url, std::span<const HttpHeader> headers) {
    Request r{url, {headers.begin(), headers.end()}, {}};
    auto answer = r.answer.get_future();
    {
      const std::lock_guard lock(mutex);
      queue.push_back(std::move(r));
    }
    wake.notify_one();
    return answer;
  }

  void work() {
    for (;;) {
      Request r;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [this] { return stopping || !queue.empty(); });
        if (stopping) {
          return;
        }
        r = std::move(queue.front());
        queue.pop_front();
      }
      try {
        r.answer.set_value(inner->get(r.url, r.headers));
      } catch (...) {
        r.answer.set_exception(std::current_exception());
      }
    }
  }

  std::unique_ptr<HttpClient> inner;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Request> queue;
  bool stopping = false;
  // Prefetched answers by URL; touched by the caller's thread only.
  std::map<std::string, std::future<HttpResult>> prefetched;
  std::thread worker; // last: started once everything it uses exists
};

BackgroundHttpClient::BackgroundHttpClient(std::unique_ptr<HttpClient> inner)
    : m_impl(std::make_unique<Impl>(std::move(inner))) {}

BackgroundHttpClient::~BackgroundHttpClient() = default;

HttpResult BackgroundHttpClient::get(const std::string& url, std::span<const HttpHeader> headers) {
  if (const auto it = m_impl->prefetched.find(url); it != m_impl->prefetched.end()) {
    auto answer = std::move(it->second);
    m_impl->prefetched.erase(it);
    return answer.get();
  }
  return m_impl->ask(url, headers).get();
}

void BackgroundHttpClient::prefetch(const std::string& url, std::span<const HttpHeader> headers) {
  // A second prefetch of a URL already asked for adds nothing: get() takes the first answer.
  if (!m_impl->prefetched.contains(url)) {
    m_impl->prefetched.emplace(url, m_impl->ask(url, headers));
  }
}

std::size_t BackgroundHttpClient::pending() const {
  return m_impl->prefetched.size();
}

} // namespace krxbatch::fetch
