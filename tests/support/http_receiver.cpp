#include "http_receiver.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace krxbatch::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

int listen_loopback(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error("socket failed");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    throw std::runtime_error("bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

} // namespace

std::string ReceivedRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (lower(k) == lower(name)) {
      return v;
    }
  }
  return {};
}

HttpReceiver::HttpReceiver(int status) : m_status(status) {
  m_listen_fd = listen_loopback(m_port);
  m_thread = std::thread([this] { serve(); });
}

HttpReceiver::~HttpReceiver() {
  ::shutdown(m_listen_fd, SHUT_RDWR);
  m_thread.join();
  ::close(m_listen_fd);
}

std::string HttpReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(m_port) + path;
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

std::vector<ReceivedRequest> HttpReceiver::requests_to(const std::string& path) const {
  std::vector<ReceivedRequest> out;
  for (auto& r : requests()) {
    if (r.target.rfind(path, 0) == 0) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

void HttpReceiver::serve() {
  for (;;) {
    const int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      return; // shut down
    }
    handle(fd);
    ::close(fd);
  }
}

void HttpReceiver::handle(int fd) {
  std::string data;
  char buf[4096];
  const auto read_more = [&] {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) {
      return false;
    }
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      return false;
    }
    data.append(buf, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t end = std::string::npos;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more()) {
      return;
    }
  }
  ReceivedRequest r;
  std::size_t pos = data.find("\r\n");
  const auto request_line = data.substr(0, pos);
  const auto sp1 = request_line.find(' ');
  const auto sp2 = request_line.find(' ', sp1 + 1);
  r.method = request_line.substr(0, sp1);
  r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::size_t content_length = 0;
  while (pos < end) {
    const auto next = data.find("\r\n", pos + 2);
    const auto line = data.substr(pos + 2, next - pos - 2);
    pos = next;
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers.emplace_back(line.substr(0, colon), value);
    if (lower(line.substr(0, colon)) == "content-length") {
      content_length = std::stoul(value);
    }
  }
  while (data.size() < end + 4 + content_length) {
    if (!read_more()) {
      break;
    }
  }
  r.body = data.substr(end + 4, content_length);
  {
    std::lock_guard lock(m_mutex);
    m_requests.push_back(std::move(r));
  }
  const std::string answer = "HTTP/1.1 " + std::to_string(m_status) +
                             " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK";
  [[maybe_unused]] const auto n = ::write(fd, answer.data(), answer.size());
}

int unused_port() {
  int port = 0;
  const int fd = listen_loopback(port);
  ::close(fd);
  return port;
}

} // namespace krxbatch::test
