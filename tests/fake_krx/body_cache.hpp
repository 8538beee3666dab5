// Rendered response bodies by (api, session): rendered on first use, then served as they are,
// so a full-market body costs its rendering once. The cache holds at most a byte budget; past
// it, the least recently used bodies are dropped (and rendered again if asked for).
//
// Thread-safe. Rendering happens outside the lock: two threads asking for the same missing
// body at once may both render it (the bodies are identical; one is kept).
#pragma once

#include "fake_krx/api.hpp"
#include "fake_krx/market_model.hpp"

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace krxbatch::fake_krx {

class BodyCache {
public:
  // `model` must outlive the cache.
  BodyCache(const MarketModel& model, std::size_t max_bytes);

  // The body of `api` on session index `session`. Never null.
  std::shared_ptr<const std::string> get(Api api, std::size_t session);

  std::size_t entries() const;
  std::size_t bytes() const;

private:
  struct Entry {
    std::shared_ptr<const std::string> body;
    std::list<std::uint64_t>::iterator recent; // position in m_recent
  };

  const MarketModel& m_model;
  std::size_t m_max_bytes;
  mutable std::mutex m_mutex;
  std::unordered_map<std::uint64_t, Entry> m_entries;
  std::list<std::uint64_t> m_recent; // most recently used first
  std::size_t m_bytes = 0;
};

} // namespace krxbatch::fake_krx
