#include "fake_krx.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

namespace krxbatch::test {

std::filesystem::path fake_krx_binary() {
  return KRXBATCH_FAKE_KRX_BINARY;
}

FakeKrx::FakeKrx(const std::vector<std::string>& args) {
  // Its stderr goes to a file, so a line per request can never block it.
  std::vector<std::string> argv = {fake_krx_binary().string(), "--port", "0", "--log-requests"};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions options;
  options.stdout_pipe = true;
  m_child.emplace(Child::spawn(argv, options));
  const auto line = m_child->read_line();
  const std::string prefix = "listening 127.0.0.1:";
  if (!line || !line->starts_with(prefix)) {
    const auto result = m_child->wait();
    m_child.reset();
    throw std::runtime_error("fake_krx did not start (exit " + std::to_string(result.exit_code) +
                             "): " + result.err);
  }
  m_first_line = *line;
  m_port = std::stoi(line->substr(prefix.size()));
}

FakeKrx::~FakeKrx() {
  if (m_child) {
    m_child->kill(SIGTERM);
    m_child->wait();
  }
}

std::string FakeKrx::base_url() const {
  return "http://127.0.0.1:" + std::to_string(m_port);
}

HttpResponse FakeKrx::api(std::string_view api_path, std::string_view bas_dd,
                          std::string_view key) const {
  HttpHeaders headers;
  if (!key.empty()) {
    headers.emplace_back("AUTH_KEY", std::string(key));
  }
  return request("GET", "/svc/apis/" + std::string(api_path) + "?basDd=" + std::string(bas_dd),
                 headers);
}

HttpResponse FakeKrx::request(std::string_view method, std::string_view target,
                              const HttpHeaders& headers, std::string_view body) const {
  return http_request(m_port, method, target, headers, body);
}

std::string FakeKrx::control(std::string_view method, std::string_view target,
                             std::string_view body) const {
  const auto r = request(method, target, {}, body);
  if (!r.complete || r.status != 200) {
    throw std::runtime_error(std::string(method) + " " + std::string(target) + " answered " +
                             std::to_string(r.status) + " " + r.body + r.error);
  }
  return r.body;
}

void FakeKrx::set_clock(std::string_view iso_instant) const {
  std::string encoded;
  for (const char c : iso_instant) {
    encoded += c == '+' ? std::string("%2B") : std::string(1, c);
  }
  control("POST", "/_fake/clock?now=" + encoded);
}

void FakeKrx::add_faults(std::string_view rules_json) const {
  control("POST", "/_fake/faults", rules_json);
}

void FakeKrx::clear_faults() const {
  control("DELETE", "/_fake/faults");
}

std::string FakeKrx::requests() const {
  return control("GET", "/_fake/requests");
}

void FakeKrx::clear_requests() const {
  control("DELETE", "/_fake/requests");
}

void FakeKrx::set_quota(std::string_view query) const {
  control("POST", "/_fake/quota?" + std::string(query));
}

std::string FakeKrx::stats() const {
  return control("GET", "/_fake/stats");
}

void FakeKrx::release_delays() const {
  control("POST", "/_fake/release");
}

void FakeKrx::wait_for_request(std::string_view api, std::string_view bas_dd, int count,
                               std::chrono::milliseconds timeout) const {
  // Polls the log for an observable condition (the request arrived); the pause between polls
  // only keeps the poll from spinning.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int seen = 0;
    for (const auto& entry : nlohmann::json::parse(requests())) {
      if (entry.value("api", "") == api && entry.value("basDd", "") == bas_dd && ++seen >= count) {
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("fake_krx: not " + std::to_string(count) + " request(s) for " +
                           std::string(api) + " basDd=" + std::string(bas_dd) + " in time");
}

ProcessResult FakeKrx::stop() {
  m_child->kill(SIGTERM);
  return wait();
}

ProcessResult FakeKrx::wait() {
  auto result = m_child->wait();
  result.out = m_first_line + "\n" + result.out;
  m_child.reset();
  return result;
}

std::string FakeKrx::log() const {
  return m_child ? m_child->err_so_far() : std::string();
}

} // namespace krxbatch::test
