#include "http_client.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace krxbatch::test {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n..." (without the blank line).
bool parse_head(std::string_view head, HttpResponse& r) {
  const auto line_end = head.find("\r\n");
  const auto status_line = head.substr(0, line_end);
  const auto sp = status_line.find(' ');
  if (!status_line.starts_with("HTTP/1.") || sp == std::string_view::npos ||
      status_line.size() < sp + 4) {
    return false;
  }
  r.status = 0;
  for (std::size_t i = sp + 1; i < sp + 4; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') {
      return false;
    }
    r.status = r.status * 10 + (status_line[i] - '0');
  }
  r.headers.clear();
  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) {
      end = head.size();
    }
    const auto line = head.substr(pos, end - pos);
    pos = end + 2;
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      r.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(trim(line.substr(colon + 1))));
    }
  }
  return true;
}

} // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

HttpConnection::HttpConnection(const std::string& host, int port, std::chrono::milliseconds timeout)
    : m_host_header(host + ":" + std::to_string(port)), m_timeout(timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const auto service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0) {
    throw std::runtime_error("cannot resolve " + host);
  }
  for (addrinfo* ai = found; ai != nullptr && m_fd < 0; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      m_fd = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (m_fd < 0) {
    throw std::runtime_error("cannot connect to " + m_host_header + ": " + std::strerror(errno));
  }
  const int one = 1;
  ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

HttpConnection::~HttpConnection() {
  close();
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_host_header(std::move(other.m_host_header)),
      m_timeout(other.m_timeout), m_buffer(std::move(other.m_buffer)),
      m_read_error(std::move(other.m_read_error)) {}

void HttpConnection::close() {
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

bool HttpConnection::send_request(std::string_view method, std::string_view target,
                                  const HttpHeaders& headers, std::string_view body) {
  if (m_fd < 0) {
    return false;
  }
  std::string message = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  message += "Host: " + m_host_header + "\r\n";
  for (const auto& [name, value] : headers) {
    message += name + ": " + value + "\r\n";
  }
  if (!body.empty() || method == "POST") {
    message += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  message += "\r\n";
  message += body;
  std::size_t sent = 0;
  while (sent < message.size()) {
    const ssize_t n = ::send(m_fd, message.data() + sent, message.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      close();
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool HttpConnection::fill() {
  pollfd p{m_fd, POLLIN, 0};
  while (true) {
    const int ready = ::poll(&p, 1, static_cast<int>(m_timeout.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      m_read_error = "timeout";
      return false;
    }
    char chunk[64 * 1024];
    const ssize_t n = ready < 0 ? -1 : ::recv(m_fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      m_read_error = errno == ECONNRESET ? "connection reset" : std::strerror(errno);
      return false;
    }
    if (n == 0) {
      m_read_error = "eof";
      return false;
    }
    m_buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

HttpResponse HttpConnection::read_response() {
  HttpResponse r;
  if (m_fd < 0) {
    r.error = "connection closed before a response";
    return r;
  }
  while (true) {
    std::size_t head_end = std::string::npos;
    while ((head_end = m_buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) {
        r.error = m_read_error == "eof" ? "connection closed before a response" : m_read_error;
        close();
        return r;
      }
    }
    if (!parse_head(std::string_view(m_buffer).substr(0, head_end), r)) {
      r.error = "malformed response head";
      close();
      return r;
    }
    m_buffer.erase(0, head_end + 4);
    if (r.status != 100) {
      break; // an interim 100 Continue is followed by the real response
    }
  }
  const auto length = r.header("Content-Length");
  if (!length) {
    while (fill()) {
    }
    r.body = std::move(m_buffer);
    m_buffer.clear();
    r.complete = m_read_error == "eof";
    r.error = r.complete ? "" : m_read_error;
    close();
    return r;
  }
  const auto expected = static_cast<std::size_t>(std::stoull(*length));
  while (m_buffer.size() < expected) {
    if (!fill()) {
      r.body = std::move(m_buffer);
      m_buffer.clear();
      r.error = m_read_error == "eof" ? "connection closed after " + std::to_string(r.body.size()) +
                                            " of " + std::to_string(expected) + " body bytes"
                                      : m_read_error;
      close();
      return r;
    }
  }
  r.body = m_buffer.substr(0, expected);
  m_buffer.erase(0, expected);
  r.complete = true;
  if (const auto connection = r.header("Connection"); connection && iequals(*connection, "close")) {
    close();
  }
  return r;
}

HttpResponse HttpConnection::request(std::string_view method, std::string_view target,
                                     const HttpHeaders& headers, std::string_view body) {
  if (!send_request(method, target, headers, body)) {
    HttpResponse r;
    r.error = "connection closed before a response";
    return r;
  }
  return read_response();
}

HttpResponse HttpConnection::get(std::string_view target, const HttpHeaders& headers) {
  return request("GET", target, headers);
}

HttpResponse http_request(int port, std::string_view method, std::string_view target,
                          const HttpHeaders& headers, std::string_view body) {
  HttpConnection connection("127.0.0.1", port);
  return connection.request(method, target, headers, body);
}

HttpResponse http_get(int port, std::string_view target, const HttpHeaders& headers) {
  return http_request(port, "GET", target, headers);
}

} // namespace krxbatch::test
