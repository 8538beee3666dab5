// Test doubles for the fetch layer: a scripted HttpClient, a counting CallBudget, a recording
// sleeper and a recording NotifyClient (tests only).
#pragma once

#include "krxbatch/fetch/http_client.hpp"
#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/fetch/notify_client.hpp"

#include "log_capture.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::test {

// Answers GETs from a script, in order; the last answer repeats forever.
class ScriptedHttp final : public fetch::HttpClient {
public:
  explicit ScriptedHttp(std::vector<fetch::HttpResult> script)
      : m_script(script.begin(), script.end()) {}

  fetch::HttpResult get(const std::string& url,
                        std::span<const fetch::HttpHeader> headers) override {
    urls.push_back(url);
    sent_headers.emplace_back(headers.begin(), headers.end());
    auto answer = m_script.front();
    if (m_script.size() > 1) {
      m_script.pop_front();
    }
    return answer;
  }

  std::vector<std::string> urls;
  std::vector<std::vector<fetch::HttpHeader>> sent_headers;

private:
  std::deque<fetch::HttpResult> m_script;
};

inline fetch::HttpResult http(long status, std::string body,
                              std::string content_type = "application/json; charset=UTF-8") {
  return fetch::HttpResponse{status, std::move(body), std::move(content_type), {}};
}

inline fetch::HttpResult transport(fetch::TransportError error, std::string message = "test") {
  return core::Failure<fetch::TransportError>{error, std::move(message)};
}

// Allows `limit` calls, then refuses.
class CountingBudget final : public fetch::CallBudget {
public:
  explicit CountingBudget(int limit = 1'000'000) : m_limit(limit) {}
  bool try_consume() override {
    if (used >= m_limit) {
      ++refusals;
      return false;
    }
    ++used;
    return true;
  }
  std::string exhausted_message() const override {
    return "the daily limit of " + std::to_string(m_limit) +
           " KRX calls is reached; the next run after 00:00 KST continues";
  }
  int used = 0;
  int refusals = 0;

private:
  int m_limit;
};

// A Sleeper that records the waits and returns at once.
struct RecordingSleeper {
  std::shared_ptr<std::vector<std::chrono::milliseconds>> waits =
      std::make_shared<std::vector<std::chrono::milliseconds>>();
  void operator()(std::chrono::milliseconds wait) const { waits->push_back(wait); }
};

// Records pings and webhook messages; answers `status`, or fails with `failure` when set.
class FakeNotifyClient final : public fetch::NotifyClient {
public:
  fetch::HttpResult send(const fetch::NotifyRequest& request) override {
    requests.push_back(request);
    if (failure) {
      return core::Failure<fetch::TransportError>{*failure, "Could not connect to server"};
    }
    fetch::HttpResponse r;
    r.status = status;
    return r;
  }
  std::vector<fetch::NotifyRequest> requests;
  long status = 200;
  std::optional<fetch::TransportError> failure;
};

} // namespace krxbatch::test
