// Runs the fake KRX Open API server (tests/fake_krx; its README.md documents the options and
// the control API) as a child process of a test, on a free loopback port.
//
// The constructor returns once the server has printed its "listening" line, so requests can
// be sent at once; the destructor stops it with SIGTERM. The control helpers throw
// std::runtime_error when the server does not answer 200, so a test fails loudly on a typo in
// a fault rule. Not thread-safe.
#pragma once

#include "http_client.hpp"
#include "process.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::test {

// The AUTH_KEY the helpers send by default (any non-empty key is valid unless the fake was
// started with --auth-key).
inline constexpr std::string_view k_test_auth_key = "test-key";

class FakeKrx {
public:
  // Starts `fake_krx --port 0 --log-requests <args>` and waits for its "listening" line. Throws
  // std::runtime_error with the server's stderr when it exits instead.
  explicit FakeKrx(const std::vector<std::string>& args = {});
  ~FakeKrx();
  FakeKrx(const FakeKrx&) = delete;
  FakeKrx& operator=(const FakeKrx&) = delete;
  FakeKrx(FakeKrx&&) = delete;
  FakeKrx& operator=(FakeKrx&&) = delete;

  int port() const { return m_port; }
  std::string base_url() const; // "http://127.0.0.1:PORT"

  // GET /svc/apis/{api_path}?basDd={bas_dd} (api_path like "sto/stk_bydd_trd") with header
  // AUTH_KEY: key (no header when key is empty), on a fresh connection.
  HttpResponse api(std::string_view api_path, std::string_view bas_dd,
                   std::string_view key = k_test_auth_key) const;
  // Any request on a fresh connection.
  HttpResponse request(std::string_view method, std::string_view target,
                       const HttpHeaders& headers = {}, std::string_view body = {}) const;

  // POST /_fake/clock?now=...
  void set_clock(std::string_view iso_instant) const;
  // POST /_fake/faults with a rule object or an array of rules.
  void add_faults(std::string_view rules_json) const;
  void clear_faults() const;
  // GET /_fake/requests: the log as a JSON array.
  std::string requests() const;
  void clear_requests() const;
  // POST /_fake/quota?<query>, e.g. "limit=2&mode=429".
  void set_quota(std::string_view query) const;
  // GET /_fake/stats.
  std::string stats() const;
  // POST /_fake/release: every answer waiting in a `delay` fault is sent now.
  void release_delays() const;
  // Blocks until the request log holds `count` requests for `api` (e.g. "stk_bydd_trd") on
  // `bas_dd`, polling the log; throws std::runtime_error after `timeout`. (Requests are logged
  // when they arrive, before any delay fault.)
  void wait_for_request(std::string_view api, std::string_view bas_dd, int count = 1,
                        std::chrono::milliseconds timeout = std::chrono::seconds(120)) const;

  // Sends `sig` to the server.
  void kill(int sig) { m_child->kill(sig); }
  // Sends SIGTERM and waits: the exit status and the output (stdout holds the listening line).
  ProcessResult stop();
  // Waits for the server to exit by itself (e.g. after POST /_fake/shutdown).
  ProcessResult wait();
  // The server's stderr so far (its log).
  std::string log() const;

private:
  std::string control(std::string_view method, std::string_view target,
                      std::string_view body = {}) const;

  std::optional<Child> m_child;
  int m_port = 0;
  std::string m_first_line;
};

// The fake_krx executable of this build.
std::filesystem::path fake_krx_binary();

} // namespace krxbatch::test
