#include "krxbatch/serve/http_server.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/log.hpp"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <fstream>
#include <httplib.h>
#include <memory>
#include <pthread.h>
#include <sys/socket.h>
#include <thread>

namespace krxbatch::serve {
namespace {

constexpr int k_listen_backlog = 512;

// What the handler knew of the request it answered, for the access log line that httplib's
// logger writes after the response is sent, on the same thread.
struct Answered {
  bool set = false;
  std::string route;
  std::chrono::steady_clock::time_point start;
  std::size_t bytes = 0;
};
thread_local Answered t_answered;

// One access-log line, in the manner of the job logs' summary lines: method, target, status,
// bytes, milliseconds, client. Never a header (the token travels in one).
void access_log(const httplib::Request& req, const httplib::Response& res, Api& api) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds =
      t_answered.set ? std::chrono::duration<double>(now - t_answered.start).count() : 0.0;
  const auto route = t_answered.set ? t_answered.route : std::string("other");
  const auto bytes = t_answered.set && t_answered.bytes != 0 ? t_answered.bytes : res.body.size();
  api.record(route, res.status, seconds);
  spdlog::info("serve: {} {} {} {}B {:.1f}ms client={}", req.method, req.target.substr(0, 300),
               res.status, bytes, seconds * 1000.0, req.remote_addr);
  t_answered = {};
}

void answer(Api& api, const httplib::Request& req, httplib::Response& res) {
  t_answered = {true, "other", std::chrono::steady_clock::now(), 0};
  Request request;
  request.method = req.method;
  request.path = req.path;
  request.query = req.params;
  request.body = req.body;
  if (req.has_header("Authorization")) {
    request.authorization = req.get_header_value("Authorization");
  }
  request.client = req.remote_addr;
  auto out = api.handle(request);
  t_answered.route = out.route;
  res.status = out.status;
  for (const auto& [k, v] : out.headers) {
    res.set_header(k, v);
  }
  if (!out.file.empty()) {
    auto in = std::make_shared<std::ifstream>(out.file, std::ios::binary);
    std::error_code ec;
    const auto size = std::filesystem::file_size(out.file, ec);
    if (!*in || ec) {
      res.status = 404;
      res.set_content("{\"error\": {\"status\": 404, \"message\": \"the file is gone\"}}\n",
                      "application/json");
      return;
    }
    t_answered.bytes = static_cast<std::size_t>(size);
    res.set_content_provider(static_cast<std::size_t>(size), out.content_type,
                             [in](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                               std::array<char, std::size_t{64} * 1024> buf{};
                               in->seekg(static_cast<std::streamoff>(offset));
                               const auto n = std::min(length, buf.size());
                               in->read(buf.data(), static_cast<std::streamsize>(n));
                               const auto got = static_cast<std::size_t>(in->gcount());
                               return got > 0 && sink.write(buf.data(), got);
                             });
    return;
  }
  if (out.content_type.empty()) {
    return;
  }
  res.set_content(out.body, out.content_type);
}

} // namespace

Listen parse_listen(const std::string& text, std::string_view what) {
  const auto bad = [&] {
    return core::usage_error(std::string(what) + ": '" + text +
                             "' is not HOST:PORT (e.g. 127.0.0.1:8787, [::1]:8787)");
  };
  Listen l;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string::npos) {
      throw bad();
    }
    l.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      throw bad();
    }
    l.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    throw bad();
  }
  l.port = std::stoi(port);
  if (l.host != "localhost") {
    in6_addr v6{};
    in_addr v4{};
    if (::inet_pton(AF_INET, l.host.c_str(), &v4) != 1 &&
        ::inet_pton(AF_INET6, l.host.c_str(), &v6) != 1) {
      throw bad();
    }
  }
  return l;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int run_server(Api& api, const ServerOptions& options, const std::function<void()>& on_stop) {
  httplib::Server server;
  const auto threads = options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options.max_body_bytes);
  server.set_read_timeout(options.read_timeout_seconds, 0);
  server.set_write_timeout(options.write_timeout_seconds, 0);
  // httplib gives a connection one thread for as long as it is kept alive, so a kept-alive
  // connection must give its thread back soon: after 2 s idle or 10 requests (then the client
  // connects again and queues behind the others). With 100 requests, 200 clients on 8 threads
  // waited up to 10 s for their turn (bench/serve-load).
  server.set_keep_alive_timeout(2);
  server.set_keep_alive_max_count(10);
  server.set_tcp_nodelay(true);
  if (options.listen.host.find(':') != std::string::npos) {
    server.set_address_family(AF_INET6);
  }
  // SO_REUSEADDR (a restart binds over the old server's TIME_WAIT connections), not httplib's
  // default SO_REUSEPORT, which lets a second server bind the same port and take half of the
  // connections instead of failing.
  int listening = -1;
  server.set_socket_options([&listening](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listening = sock;
  });
  const auto handler = [&api](const httplib::Request& req, httplib::Response& res) {
    answer(api, req, res);
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Delete(".*", handler);
  server.Patch(".*", handler);
  server.Options(".*", handler);
  server.set_logger([&api](const httplib::Request& req, const httplib::Response& res) {
    access_log(req, res, api);
  });

  const int port =
      options.listen.port == 0
          ? server.bind_to_any_port(options.listen.host)
          : (server.bind_to_port(options.listen.host, options.listen.port) ? options.listen.port
                                                                           : -1);
  if (port <= 0) {
    throw core::failure("serve: cannot listen on " + options.listen.host + ":" +
                        std::to_string(options.listen.port) +
                        " (in use, or not an address of this host); choose another --listen");
  }
  // httplib listens with a backlog of 5, compiled into Debian's library: a burst of new
  // connections while the accept thread waits for the CPU (200 clients, a busy machine) then
  // overflows it, and each dropped SYN costs its client a 1 s, 3 s, 7 s retry. Listening again
  // on the socket only raises the backlog.
  if (listening >= 0) {
    ::listen(listening, k_listen_backlog);
  }

  // SIGTERM and SIGINT are taken by one thread, which stops the server; every other thread
  // (httplib's pool, started by listen_after_bind, and the export worker, started by
  // on_listening) inherits the blocked mask. SIGUSR1 only wakes that thread when the server
  // stopped for another reason.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGUSR1) {
      spdlog::info("serve: {} received: answering the requests in flight, then stopping",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
      server.stop();
    }
  });
  if (options.on_listening) {
    options.on_listening(options.listen.host, port);
  }
  spdlog::info("serve: listening on {}:{} ({} threads)", options.listen.host, port,
               options.threads);
  const bool ok = server.listen_after_bind();
  if (server.is_running() || !ok) {
    server.stop();
  }
  // The waiter may still wait (the server stopped for another reason): wake it.
  pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  if (on_stop) {
    on_stop();
  }
  spdlog::info("serve: stopped");
  return 0;
}

} // namespace krxbatch::serve
