// A loopback HTTP receiver for tests of outgoing notifications (webhooks, pings): it accepts
// connections on 127.0.0.1, records each request (method, target, headers, body) and answers
// every one with a fixed status. Requests are recorded before the answer is sent, so once the
// sender has its answer (e.g. the child process has exited) the request is in requests().
// Thread-safe; the destructor stops the accepting thread.
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace krxbatch::test {

struct ReceivedRequest {
  std::string method;
  std::string target; // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header of that name (case-insensitive), or "".
  std::string header(const std::string& name) const;
};

class HttpReceiver {
public:
  // Listens on a free loopback port; every request is answered `status`.
  explicit HttpReceiver(int status = 200);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  int port() const { return m_port; }
  // "http://127.0.0.1:PORT" + path.
  std::string url(const std::string& path) const;
  std::vector<ReceivedRequest> requests() const;
  // The requests whose target starts with `path`.
  std::vector<ReceivedRequest> requests_to(const std::string& path) const;

private:
  void serve();
  void handle(int fd);

  int m_status;
  int m_listen_fd = -1;
  int m_port = 0;
  mutable std::mutex m_mutex;
  std::vector<ReceivedRequest> m_requests; // guarded by m_mutex
  std::thread m_thread;
};

// A loopback port on which nothing listens (bound, then closed): connecting is refused.
int unused_port();

} // namespace krxbatch::test
