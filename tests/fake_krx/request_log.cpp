#include "fake_krx/request_log.hpp"

#include <nlohmann/json.hpp>

namespace krxbatch::fake_krx {
namespace {

constexpr std::size_t k_max_entries = 200'000;

} // namespace

void RequestLog::append(LogEntry entry) {
  const std::lock_guard lock(m_mutex);
  entry.seq = m_next_seq++;
  m_entries.push_back(std::move(entry));
  if (m_entries.size() > k_max_entries) {
    m_entries.pop_front();
  }
}

std::string RequestLog::to_json(std::uint64_t after) const {
  const std::lock_guard lock(m_mutex);
  auto array = nlohmann::ordered_json::array();
  for (const auto& e : m_entries) {
    if (e.seq <= after) {
      continue;
    }
    nlohmann::ordered_json j;
    j["seq"] = e.seq;
    j["method"] = e.method;
    j["path"] = e.path;
    j["api"] = e.api;
    j["basDd"] = e.bas_dd;
    j["status"] = e.status;
    j["fault"] = e.fault;
    j["auth"] = e.auth;
    array.push_back(std::move(j));
  }
  // Paths are whatever clients sent: never fail on bytes that are not UTF-8.
  return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::size_t RequestLog::clear() {
  const std::lock_guard lock(m_mutex);
  const auto n = m_entries.size();
  m_entries.clear();
  return n;
}

} // namespace krxbatch::fake_krx
