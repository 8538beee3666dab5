#include "fake_krx/http_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace krxbatch::fake_krx {
namespace {

constexpr std::size_t k_max_head = 64 * 1024;
constexpr std::size_t k_max_body = 16 * 1024 * 1024;
constexpr int k_idle_timeout_ms = 60'000;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
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

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Sends all of `iov` (MSG_NOSIGNAL: a client that went away must not kill the server).
bool send_all(int fd, std::vector<iovec> iov) {
  std::size_t index = 0;
  while (index < iov.size()) {
    msghdr msg{};
    msg.msg_iov = iov.data() + index;
    msg.msg_iovlen = iov.size() - index;
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    auto left = static_cast<std::size_t>(n);
    while (index < iov.size() && left >= iov[index].iov_len) {
      left -= iov[index].iov_len;
      ++index;
    }
    if (index < iov.size()) {
      iov[index].iov_base = static_cast<char*>(iov[index].iov_base) + left;
      iov[index].iov_len -= left;
    }
  }
  return true;
}

bool send_text(int fd, std::string_view text) {
  return send_all(fd, {iovec{const_cast<char*>(text.data()), text.size()}});
}

// Reads more bytes into `buffer`; false on EOF, error or idle timeout.
bool read_more(int fd, std::string& buffer) {
  pollfd p{fd, POLLIN, 0};
  while (true) {
    const int ready = ::poll(&p, 1, k_idle_timeout_ms);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      return false;
    }
    char chunk[16 * 1024];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

enum class ParseResult { ok, bad_request, unsupported };

ParseResult parse_head(std::string_view head, HttpRequest& request) {
  const auto line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) {
    return ParseResult::bad_request;
  }
  request.method = std::string(line.substr(0, sp1));
  request.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  request.version = std::string(line.substr(sp2 + 1));
  if (request.method.empty() || request.target.empty() || !request.version.starts_with("HTTP/1.")) {
    return ParseResult::bad_request;
  }
  const auto q = request.target.find('?');
  request.path = percent_decode(std::string_view(request.target).substr(0, q));
  request.query = q == std::string::npos ? "" : request.target.substr(q + 1);
  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) {
      end = head.size();
    }
    const auto header_line = head.substr(pos, end - pos);
    pos = end + 2;
    if (header_line.empty()) {
      continue;
    }
    const auto colon = header_line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return ParseResult::bad_request;
    }
    request.headers.emplace_back(std::string(header_line.substr(0, colon)),
                                 std::string(trim(header_line.substr(colon + 1))));
  }
  return request.header("Transfer-Encoding") ? ParseResult::unsupported : ParseResult::ok;
}

std::optional<std::size_t> content_length(const HttpRequest& request) {
  const auto v = request.header("Content-Length");
  if (!v) {
    return 0;
  }
  if (v->empty() || v->size() > 12) {
    return std::nullopt;
  }
  std::size_t n = 0;
  for (const char c : *v) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

bool wants_keep_alive(const HttpRequest& request) {
  const auto connection = request.header("Connection");
  if (request.version == "HTTP/1.0") {
    return connection && iequals(*connection, "keep-alive");
  }
  return !(connection && iequals(*connection, "close"));
}

std::string response_head(const HttpResponse& r, bool keep_alive) {
  std::string head =
      "HTTP/1.1 " + std::to_string(r.status) + " " + std::string(reason_phrase(r.status)) + "\r\n";
  if (!r.content_type.empty()) {
    head += "Content-Type: " + r.content_type + "\r\n";
  }
  head += "Content-Length: " + std::to_string(r.body->size()) + "\r\n";
  head += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  head += "\r\n";
  return head;
}

HttpResponse plain_error(int status, std::string_view message) {
  auto r = HttpResponse::text(status, "text/plain; charset=UTF-8", std::string(message) + "\n");
  r.close = true;
  return r;
}

} // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

HttpResponse HttpResponse::text(int status, std::string_view content_type, std::string body) {
  return shared(status, content_type, std::make_shared<const std::string>(std::move(body)));
}

HttpResponse HttpResponse::shared(int status, std::string_view content_type,
                                  std::shared_ptr<const std::string> body) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::string(content_type);
  r.body = std::move(body);
  return r;
}

std::string_view reason_phrase(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 204:
    return "No Content";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 413:
    return "Payload Too Large";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "Unknown";
  }
}

HttpServer::HttpServer(const std::string& address, std::uint16_t port, HttpHandler handler)
    : m_handler(std::move(handler)) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw std::runtime_error("cannot resolve bind address '" + address + "': " + gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      m_listen_fd = fd;
      break;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (m_listen_fd < 0) {
    throw std::runtime_error("cannot listen on " + address + ":" + service + ": " + last_error);
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&bound), &length);
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  ::getnameinfo(reinterpret_cast<sockaddr*>(&bound), length, host, sizeof host, serv, sizeof serv,
                NI_NUMERICHOST | NI_NUMERICSERV);
  m_host = host;
  if (bound.ss_family == AF_INET6) {
    // Appended piecewise: GCC 12 reports a false -Wrestrict on "[" + host + "]".
    m_host.insert(m_host.begin(), '[');
    m_host.push_back(']');
  }
  m_port = static_cast<std::uint16_t>(std::stoi(serv));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    ::close(m_listen_fd);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  m_wake_read = fds[0];
  m_wake_write = fds[1];
}

HttpServer::~HttpServer() {
  shut_down_connections();
  for (const int fd : {m_listen_fd, m_wake_read, m_wake_write}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

std::string HttpServer::local_address() const {
  return m_host + ":" + std::to_string(m_port);
}

void HttpServer::stop() noexcept {
  const char byte = 'x';
  // A full pipe already holds a wake-up; nothing else can go wrong here.
  [[maybe_unused]] const auto n = ::write(m_wake_write, &byte, 1);
}

void HttpServer::run() {
  pollfd fds[2] = {{m_listen_fd, POLLIN, 0}, {m_wake_read, POLLIN, 0}};
  while (true) {
    const int ready = ::poll(fds, 2, -1);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (fds[1].revents != 0) {
      break;
    }
    if ((fds[0].revents & POLLIN) == 0) {
      continue;
    }
    const int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    reap_finished_workers();
    {
      const std::lock_guard lock(m_mutex);
      m_open_fds.insert(fd);
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    m_workers.push_back(Worker{std::thread([this, fd, done] {
                                 serve(fd);
                                 done->store(true);
                               }),
                               done});
  }
  shut_down_connections();
}

void HttpServer::reap_finished_workers() {
  for (auto it = m_workers.begin(); it != m_workers.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = m_workers.erase(it);
    } else {
      ++it;
    }
  }
}

void HttpServer::shut_down_connections() {
  {
    const std::lock_guard lock(m_mutex);
    m_stopping = true;
    for (const int fd : m_open_fds) {
      ::shutdown(fd, SHUT_RDWR); // wakes a thread blocked in poll/recv on it
    }
  }
  m_stopping_cv.notify_all();
  for (auto& w : m_workers) {
    w.thread.join();
  }
  m_workers.clear();
}

std::uint64_t HttpServer::release_generation() {
  const std::lock_guard lock(m_mutex);
  return m_release_generation;
}

bool HttpServer::wait_before_answer(std::chrono::milliseconds delay, std::uint64_t generation) {
  std::unique_lock lock(m_mutex);
  m_stopping_cv.wait_for(lock, delay,
                         [&] { return m_stopping || m_release_generation != generation; });
  return !m_stopping;
}

void HttpServer::serve(int fd) {
  std::string buffer;
  bool keep_going = true;
  bool reset = false;
  while (keep_going) {
    std::size_t head_end = std::string::npos;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > k_max_head) {
        send_text(fd, response_head(plain_error(431, "request head too large"), false));
        keep_going = false;
        break;
      }
      if (!read_more(fd, buffer)) {
        keep_going = false;
        break;
      }
    }
    if (!keep_going) {
      break;
    }
    HttpRequest request;
    const auto parsed = parse_head(std::string_view(buffer).substr(0, head_end), request);
    const auto length = content_length(request);
    HttpResponse response;
    bool answered_early = false;
    std::uint64_t arrived_generation = 0;
    if (parsed != ParseResult::ok || !length || *length > k_max_body) {
      response = parsed == ParseResult::unsupported
                     ? plain_error(501, "chunked request bodies are not supported")
                 : parsed == ParseResult::bad_request || !length
                     ? plain_error(400, "bad request")
                     : plain_error(413, "request body too large");
      answered_early = true;
    } else {
      const std::size_t body_start = head_end + 4;
      if (*length > 0 && buffer.size() < body_start + *length) {
        if (const auto expect = request.header("Expect");
            expect && iequals(*expect, "100-continue")) {
          send_text(fd, "HTTP/1.1 100 Continue\r\n\r\n");
        }
      }
      while (buffer.size() < body_start + *length) {
        if (!read_more(fd, buffer)) {
          keep_going = false;
          break;
        }
      }
      if (!keep_going) {
        break;
      }
      request.body = buffer.substr(body_start, *length);
      buffer.erase(0, body_start + *length);
      // Taken before the handler logs the request: a release that follows the log entry
      // (a test that saw the request, then POSTs /_fake/release) ends this delay even if it
      // comes before the delay has begun.
      arrived_generation = release_generation();
      try {
        response = m_handler(request);
      } catch (const std::exception& e) {
        response = plain_error(500, std::string("internal error: ") + e.what());
      }
    }
    if (!response.body) {
      response.body = std::make_shared<const std::string>(); // a handler's oversight: send none
    }
    if (response.release_delays) {
      {
        const std::lock_guard lock(m_mutex);
        ++m_release_generation;
      }
      m_stopping_cv.notify_all();
    }
    if (response.delay.count() > 0 && !wait_before_answer(response.delay, arrived_generation)) {
      break; // the server is stopping: the delayed answer is abandoned
    }
    const bool keep_alive =
        !answered_early && !response.close && !response.stop_server && wants_keep_alive(request);
    const std::string head = response_head(response, keep_alive);
    auto& body = *response.body;
    if (response.delivery == Delivery::reset) {
      reset = true;
      break;
    }
    const std::size_t body_bytes =
        response.delivery == Delivery::truncate ? body.size() / 2 : body.size();
    const bool sent = send_all(fd, {iovec{const_cast<char*>(head.data()), head.size()},
                                    iovec{const_cast<char*>(body.data()), body_bytes}});
    if (response.stop_server) {
      stop();
    }
    if (!sent || !keep_alive || response.delivery == Delivery::truncate) {
      ::shutdown(fd, SHUT_WR);
      break;
    }
  }
  if (reset) {
    // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
    const linger hard{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  }
  {
    const std::lock_guard lock(m_mutex);
    m_open_fds.erase(fd);
  }
  ::close(fd);
}

} // namespace krxbatch::fake_krx
