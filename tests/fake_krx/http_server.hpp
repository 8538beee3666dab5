// A small HTTP/1.1 server on POSIX sockets: one thread per connection, persistent connections,
// and the misbehaviours a fault plan asks for (a delay, a reset, a truncated body).
//
// Requests: any method; a head of at most 64 KiB; a body only by Content-Length (at most
// 16 MiB; `Expect: 100-continue` is honoured; chunked request bodies get 501). Pipelined
// requests are answered in order. Responses always carry Content-Length. A connection stays
// open until the client closes it or sends `Connection: close` (HTTP/1.0: unless it sends
// `Connection: keep-alive`), a response asks to close it, it is idle for 60 s, or the server
// stops.
//
// Thread-safety: the handler is called concurrently from the connection threads. stop() is
// async-signal-safe and may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace krxbatch::fake_krx {

struct HttpRequest {
  std::string method;
  std::string target;                                       // as sent: path and query
  std::string path;                                         // percent-decoded, without the query
  std::string query;                                        // raw, after '?'
  std::string version;                                      // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers; // names as sent
  std::string body;

  // The first header of that name (case-insensitive); nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const;
  // The first query parameter of that name, percent-decoded ('+' stays '+', so an instant's
  // offset such as +09:00 may be sent raw); nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
};

// How a response leaves the server.
enum class Delivery {
  normal,
  reset,    // no answer: the connection is closed with a TCP reset
  truncate, // the head with the full Content-Length, half the body, then the connection closes
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::shared_ptr<const std::string> body; // never null
  Delivery delivery = Delivery::normal;
  std::chrono::milliseconds delay{0}; // wait this long before answering
  bool close = false;                 // close the connection after this response
  bool stop_server = false;           // stop the server once this response is sent
  bool release_delays = false;        // answer every delayed response now (POST /_fake/release)

  static HttpResponse text(int status, std::string_view content_type, std::string body);
  static HttpResponse shared(int status, std::string_view content_type,
                             std::shared_ptr<const std::string> body);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// The reason phrase of a status ("OK", "Unauthorized", ...; "Unknown" for others).
std::string_view reason_phrase(int status);

class HttpServer {
public:
  // Binds `address` (numeric IPv4/IPv6 or a host name) on `port` (0: any free port) and
  // listens. Throws std::runtime_error saying what failed.
  HttpServer(const std::string& address, std::uint16_t port, HttpHandler handler);
  // Stops (if run() has not) and closes the sockets.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  HttpServer(HttpServer&&) = delete;
  HttpServer& operator=(HttpServer&&) = delete;

  // "127.0.0.1:PORT" (an IPv6 address in brackets), with the port actually bound.
  std::string local_address() const;
  std::uint16_t port() const { return m_port; }

  // Accepts and serves connections until stop(); then closes every connection (a delayed
  // answer is abandoned) and returns once all connection threads have ended.
  void run();
  // Makes run() return. Async-signal-safe.
  void stop() noexcept;

private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  void serve(int fd);
  // Waits `delay`, or until a release newer than `generation` (release_generation() when the
  // request arrived), or until the server stops (false).
  bool wait_before_answer(std::chrono::milliseconds delay, std::uint64_t generation);
  std::uint64_t release_generation();
  void reap_finished_workers();
  void shut_down_connections();

  HttpHandler m_handler;
  int m_listen_fd = -1;
  int m_wake_read = -1;
  int m_wake_write = -1;
  std::uint16_t m_port = 0;
  std::string m_host;

  std::mutex m_mutex; // guards the four below
  std::set<int> m_open_fds;
  bool m_stopping = false;
  std::uint64_t m_release_generation = 0; // bumped by release_delays
  std::condition_variable m_stopping_cv;
  std::list<Worker> m_workers; // touched by run() only
};

} // namespace krxbatch::fake_krx
