// `krxbatch serve`'s HTTP transport (cpp-httplib, Debian's libcpp-httplib-dev; its header is
// included in src/serve/http_server.cpp only): a listening socket, a pool of worker threads,
// limits on request size and time, one access-log line per request, and a graceful stop on
// SIGTERM or SIGINT (no new connection is taken, the requests in flight are answered, the
// export worker stops after the file it is writing).
#pragma once

#include "krxbatch/serve/api.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace krxbatch::serve {

struct Listen {
  std::string host = "127.0.0.1";
  int port = 8787; // 0: any free port
};

// Parses "HOST:PORT" (an IPv4 address, `localhost`, or `[v6]:PORT`); throws core::Error
// (exit 2) naming `what` on anything else.
Listen parse_listen(const std::string& text, std::string_view what);
// Whether `host` is a loopback address.
bool is_loopback(const std::string& host);

struct ServerOptions {
  Listen listen;
  unsigned threads = 8;
  std::size_t max_body_bytes = std::size_t{64} * 1024;
  int read_timeout_seconds = 10;
  int write_timeout_seconds = 30;
  // Called once the socket is bound, with the address and the port (the one the system chose
  // for port 0): the CLI prints it.
  std::function<void(const std::string& host, int port)> on_listening;
};

// Serves `api` until SIGTERM or SIGINT (then returns 0), and runs `on_stop` before it
// returns (the CLI stops the export worker there). Throws core::Error (exit 1) when the
// address cannot be bound, naming it.
int run_server(Api& api, const ServerOptions& options, const std::function<void()>& on_stop);

} // namespace krxbatch::serve
