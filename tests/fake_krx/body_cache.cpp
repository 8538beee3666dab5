#include "fake_krx/body_cache.hpp"

#include "fake_krx/wire_format.hpp"

namespace krxbatch::fake_krx {

BodyCache::BodyCache(const MarketModel& model, std::size_t max_bytes)
    : m_model(model), m_max_bytes(max_bytes) {}

std::shared_ptr<const std::string> BodyCache::get(Api api, std::size_t session) {
  const std::uint64_t key =
      static_cast<std::uint64_t>(session) * k_all_apis.size() + static_cast<std::uint64_t>(api);
  {
    const std::lock_guard lock(m_mutex);
    if (const auto it = m_entries.find(key); it != m_entries.end()) {
      m_recent.splice(m_recent.begin(), m_recent, it->second.recent);
      return it->second.body;
    }
  }
  auto body = std::make_shared<const std::string>(render_body(m_model, api, session));
  const std::lock_guard lock(m_mutex);
  if (const auto it = m_entries.find(key); it != m_entries.end()) {
    return it->second.body; // another thread rendered it meanwhile
  }
  if (body->size() > m_max_bytes) {
    return body; // larger than the whole budget: serve it uncached
  }
  m_recent.push_front(key);
  m_entries.emplace(key, Entry{body, m_recent.begin()});
  m_bytes += body->size();
  while (m_bytes > m_max_bytes && !m_recent.empty()) {
    const auto victim = m_entries.find(m_recent.back());
    m_bytes -= victim->second.body->size();
    m_entries.erase(victim);
    m_recent.pop_back();
  }
  return body;
}

std::size_t BodyCache::entries() const {
  const std::lock_guard lock(m_mutex);
  return m_entries.size();
}

std::size_t BodyCache::bytes() const {
  const std::lock_guard lock(m_mutex);
  return m_bytes;
}

} // namespace krxbatch::fake_krx
