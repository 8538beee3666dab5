#include "krxbatch/fetch/background_http_client.hpp"

#include <algorithm>
#include <cassert>
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

  Impl(const ClientFactory& make, int connections) : allowed(connections) {
    assert(connections >= 1);
    for (int i = 0; i < connections; ++i) {
      clients.push_back(make());
    }
    for (std::size_t i = 0; i < clients.size(); ++i) {
      workers.emplace_back([this, i] { work(*clients[i]); });
    }
  }

  ~Impl() {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
      queue.clear(); // not started: their futures report a broken promise, and nobody waits
    }
    wake.notify_all();
    for (auto& w : workers) {
      w.join();
    }
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

  // The 429 rule (the header's contract), under the mutex.
  void count_answer(bool limited) {
    const int connections = static_cast<int>(clients.size());
    if (limited) {
      allowed = std::max(1, allowed / 2);
      calm = 0;
    } else if (allowed < connections && ++calm >= k_calm_answers) {
      ++allowed;
      calm = 0;
    }
  }

  void work(HttpClient& client) {
    for (;;) {
      Request r;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [this] { return stopping || (!queue.empty() && running < allowed); });
        if (stopping) {
          return;
        }
        r = std::move(queue.front());
        queue.pop_front();
        ++running;
      }
      bool limited = false;
      try {
        auto result = client.get(r.url, r.headers);
        limited = result.ok() && result.value().status == 429;
        finish(limited);
        r.answer.set_value(std::move(result));
      } catch (...) {
        finish(false);
        r.answer.set_exception(std::current_exception());
      }
    }
  }

  void finish(bool limited) {
    {
      const std::lock_guard lock(mutex);
      --running;
      count_answer(limited);
    }
    wake.notify_all();
  }

  std::vector<std::unique_ptr<HttpClient>> clients;
  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<Request> queue;
  bool stopping = false;
  int running = 0; // requests in progress
  int allowed;     // requests allowed at once
  int calm = 0;    // answers since the last 429 (or the last step up)
  // Prefetched answers by URL; touched by the caller's thread only.
  std::map<std::string, std::future<HttpResult>> prefetched;
  std::vector<std::thread> workers; // last: started once everything they use exists
};

BackgroundHttpClient::BackgroundHttpClient(std::unique_ptr<HttpClient> inner) {
  auto one = std::make_shared<std::unique_ptr<HttpClient>>(std::move(inner));
  m_impl = std::make_unique<Impl>([one] { return std::move(*one); }, 1);
}

BackgroundHttpClient::BackgroundHttpClient(const ClientFactory& make, int connections)
    : m_impl(std::make_unique<Impl>(make, connections)) {}

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

int BackgroundHttpClient::allowed() const {
  const std::lock_guard lock(m_impl->mutex);
  return m_impl->allowed;
}

} // namespace krxbatch::fetch
