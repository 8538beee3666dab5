// A tiny blocking HTTP/1.1 client over TCP, for tests that talk to the fake KRX server and its
// control API (or any loopback server) without libcurl.
//
// It sends what it is told plus Host and Content-Length, and reads one response by its
// Content-Length (or to the end of the connection when there is none). A response that ends
// badly (reset, closed early, timed out) is reported in the result, not thrown, because tests
// of faults need to see exactly that. Not thread-safe: one connection per object.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace krxbatch::test {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0; // 0 when no status line arrived
  HttpHeaders headers;
  std::string body;      // as much of it as arrived
  bool complete = false; // the whole response arrived
  // Why it is not complete: "connection reset", "connection closed before a response",
  // "connection closed after N of M body bytes", "timeout"; empty when complete.
  std::string error;

  // The first header of that name (case-insensitive); nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
};

class HttpConnection {
public:
  // Connects to host:port (a numeric IPv4 address or a name). Throws std::runtime_error when
  // it cannot. Every later read waits at most `timeout` for the next bytes.
  HttpConnection(const std::string& host, int port,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~HttpConnection();
  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&&) = delete;
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends a request and reads its response. After an incomplete response, or one with
  // `Connection: close`, the connection is closed and open() is false; a request on a closed
  // connection returns an incomplete response without trying.
  HttpResponse request(std::string_view method, std::string_view target,
                       const HttpHeaders& headers = {}, std::string_view body = {});
  HttpResponse get(std::string_view target, const HttpHeaders& headers = {});

  // The two halves of request(), for tests that keep several requests in flight.
  // send_request returns false when the connection is closed or the send fails.
  bool send_request(std::string_view method, std::string_view target,
                    const HttpHeaders& headers = {}, std::string_view body = {});
  HttpResponse read_response();

  bool open() const { return m_fd >= 0; }

private:
  bool fill();  // reads more bytes into m_buffer; false on EOF, error or timeout
  void close(); // closes the socket

  int m_fd = -1;
  std::string m_host_header;
  std::chrono::milliseconds m_timeout;
  std::string m_buffer;
  std::string m_read_error; // why the last fill() failed
};

// One request on a fresh connection to 127.0.0.1:port.
HttpResponse http_request(int port, std::string_view method, std::string_view target,
                          const HttpHeaders& headers = {}, std::string_view body = {});
HttpResponse http_get(int port, std::string_view target, const HttpHeaders& headers = {});

} // namespace krxbatch::test
