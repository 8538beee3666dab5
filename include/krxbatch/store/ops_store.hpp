// Small operational tables: KRX call counts per KST day (api_calls), alerts, and the meta
// key/value table. Lifetime: the Database must outlive the stores. Writes outside a caller's
// transaction are single statements (atomic across processes).
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::store {

class ApiCallStore {
public:
  explicit ApiCallStore(Database& db) : m_db(db) {}
  // Counts one call on `kst_date` when fewer than `limit` were counted; returns whether it
  // did. Atomic: concurrent processes never pass the limit together.
  bool try_count(const core::Date& kst_date, std::int64_t limit);
  std::int64_t calls_on(const core::Date& kst_date) const;

private:
  Database& m_db;
};

enum class AlertSeverity { info, warn, critical };
std::string_view to_string(AlertSeverity severity); // "INFO", "WARN", "CRITICAL"

struct Alert {
  std::int64_t id = 0;
  std::string created_at;
  AlertSeverity severity = AlertSeverity::info;
  std::string job;
  std::string rule;
  std::string message;
  bool acknowledged = false;
  std::optional<std::string> acknowledged_at;
  std::optional<std::string> dedupe_key;
  // Closed because its condition cleared (AlertStore::resolve), not by an operator.
  bool resolved() const;
};

class AlertStore {
public:
  explicit AlertStore(Database& db) : m_db(db) {}
  // Raises an alert. When `dedupe_key` is set and an open alert has the same key, that alert
  // is refreshed (severity, message, time) instead of adding a new row. Returns the alert's
  // id and whether a new row was added.
  std::pair<std::int64_t, bool> raise(AlertSeverity severity, std::string_view job,
                                      std::string_view rule, const std::string& message,
                                      const std::optional<std::string>& dedupe_key,
                                      const core::KstTime& now);
  // Closes the open alert with this key (its condition cleared). Returns whether one was open.
  bool resolve(const std::string& dedupe_key, const core::KstTime& now);
  // Acknowledges alert `id`; false when there is no such open alert.
  bool acknowledge(std::int64_t id, const core::KstTime& now);
  std::vector<Alert> list(bool include_acknowledged, int limit) const;
  // Alert `id`, open or not; nullopt when there is none.
  std::optional<Alert> find(std::int64_t id) const;
  // The highest alert id so far (0 when there is none): alerts raised later have higher ids.
  std::int64_t last_id() const;
  // Alerts with an id above `id`, oldest first (the rows a run added; a refreshed alert keeps
  // its id and is not among them).
  std::vector<Alert> added_after(std::int64_t id) const;
  // Open (unacknowledged) alerts per severity.
  struct OpenCounts {
    int info = 0;
    int warn = 0;
    int critical = 0;
    int total() const { return info + warn + critical; }
  };
  OpenCounts open_counts() const;

private:
  Database& m_db;
};

// The meta key holding the first session of the stored history (set by manual_setup or
// `daily_update --from`).
inline constexpr std::string_view k_meta_history_start = "history_start";
// The meta key holding the stored markets, e.g. "KOSPI,KOSDAQ".
inline constexpr std::string_view k_meta_markets = "markets";

class MetaStore {
public:
  explicit MetaStore(Database& db) : m_db(db) {}
  std::optional<std::string> get(std::string_view key) const;
  void set(std::string_view key, const std::string& value);
  // The first session of the stored history (k_meta_history_start), when one was recorded.
  std::optional<core::Date> history_start() const;
  // The stored markets (k_meta_markets, recorded by manual_setup); KOSPI and KOSDAQ when none.
  std::vector<market::Market> markets() const;

private:
  Database& m_db;
};

} // namespace krxbatch::store
