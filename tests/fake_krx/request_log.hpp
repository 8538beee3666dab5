// The request log behind GET /_fake/requests: one entry per request the fake answered outside
// /_fake/, in arrival order, with what it decided. Never holds the AUTH_KEY value.
//
// Thread-safe. Holds at most the last 200,000 entries.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace krxbatch::fake_krx {

struct LogEntry {
  std::uint64_t seq = 0; // 1, 2, ...; keeps counting after clear()
  std::string method;
  std::string path;
  std::string api;    // "stk_bydd_trd", or "" when the path names no API
  std::string bas_dd; // as received, or "" when absent
  int status = 0;     // 0 when the connection was reset without an answer
  std::string fault;  // "none", a fault kind, or "quota"
  std::string auth;   // "valid", "missing" or "invalid"
};

class RequestLog {
public:
  // Stamps the entry with the next sequence number and appends it.
  void append(LogEntry entry);
  // The entries with seq > `after`, as a JSON array.
  std::string to_json(std::uint64_t after = 0) const;
  // Forgets every entry; returns how many there were.
  std::size_t clear();

private:
  mutable std::mutex m_mutex;
  std::deque<LogEntry> m_entries;
  std::uint64_t m_next_seq = 1;
};

} // namespace krxbatch::fake_krx
