#include "krxbatch/store/ops_store.hpp"

#include "sqlite_access.hpp"

namespace krxbatch::store {

bool ApiCallStore::try_count(const core::Date& kst_date, std::int64_t limit) {
  return guarded(m_db, "counting a KRX call", [&] {
    auto& db = m_db.impl().db;
    SQLite::Statement st(db, "INSERT INTO api_calls (kst_date, calls) SELECT ?1, 1 WHERE ?2 > 0 "
                             "ON CONFLICT (kst_date) DO UPDATE SET calls = calls + 1 "
                             "WHERE calls < ?2");
    st.bind(1, core::to_iso(kst_date));
    st.bind(2, limit);
    return st.exec() == 1;
  });
}

std::int64_t ApiCallStore::calls_on(const core::Date& kst_date) const {
  return guarded(m_db, "reading KRX call counts", [&]() -> std::int64_t {
    SQLite::Statement st(m_db.impl().db, "SELECT calls FROM api_calls WHERE kst_date = ?");
    st.bind(1, core::to_iso(kst_date));
    return st.executeStep() ? st.getColumn(0).getInt64() : 0;
  });
}

std::string_view to_string(AlertSeverity severity) {
  switch (severity) {
  case AlertSeverity::info:
    return "INFO";
  case AlertSeverity::warn:
    return "WARN";
  case AlertSeverity::critical:
    return "CRITICAL";
  }
  return "?";
}

namespace {

// resolve() writes the time with this suffix into acknowledged_at.
constexpr std::string_view k_resolved_suffix = " (resolved)";

AlertSeverity parse_severity(const std::string& s) {
  if (s == "CRITICAL") {
    return AlertSeverity::critical;
  }
  return s == "WARN" ? AlertSeverity::warn : AlertSeverity::info;
}

} // namespace

std::pair<std::int64_t, bool> AlertStore::raise(AlertSeverity severity, std::string_view job,
                                                std::string_view rule, const std::string& message,
                                                const std::optional<std::string>& dedupe_key,
                                                const core::KstTime& now) {
  return guarded(m_db, "raising an alert", [&]() -> std::pair<std::int64_t, bool> {
    auto& db = m_db.impl().db;
    if (dedupe_key) {
      SQLite::Statement up(db, "UPDATE alerts SET severity = ?, message = ?, created_at = ? "
                               "WHERE dedupe_key = ? AND acknowledged = 0 RETURNING id");
      up.bind(1, std::string(to_string(severity)));
      up.bind(2, message);
      up.bind(3, core::to_iso(now));
      up.bind(4, *dedupe_key);
      if (up.executeStep()) {
        return {up.getColumn(0).getInt64(), false};
      }
    }
    SQLite::Statement ins(db, "INSERT INTO alerts (created_at, severity, job_name, rule, message, "
                              "dedupe_key) VALUES (?, ?, ?, ?, ?, ?)");
    ins.bind(1, core::to_iso(now));
    ins.bind(2, std::string(to_string(severity)));
    ins.bind(3, std::string(job));
    ins.bind(4, std::string(rule));
    ins.bind(5, message);
    bind_opt(ins, 6, dedupe_key);
    ins.exec();
    return {db.getLastInsertRowid(), true};
  });
}

bool AlertStore::resolve(const std::string& dedupe_key, const core::KstTime& now) {
  return guarded(m_db, "resolving an alert", [&] {
    SQLite::Statement st(m_db.impl().db, "UPDATE alerts SET acknowledged = 1, acknowledged_at = ? "
                                         "WHERE dedupe_key = ? AND acknowledged = 0");
    st.bind(1, core::to_iso(now) + std::string(k_resolved_suffix));
    st.bind(2, dedupe_key);
    return st.exec() > 0;
  });
}

bool AlertStore::acknowledge(std::int64_t id, const core::KstTime& now) {
  return guarded(m_db, "acknowledging an alert", [&] {
    SQLite::Statement st(m_db.impl().db, "UPDATE alerts SET acknowledged = 1, acknowledged_at = ? "
                                         "WHERE id = ? AND acknowledged = 0");
    st.bind(1, core::to_iso(now));
    st.bind(2, id);
    return st.exec() > 0;
  });
}

namespace {

constexpr const char* k_alert_columns = "SELECT id, created_at, severity, job_name, rule, "
                                        "message, acknowledged, acknowledged_at, dedupe_key "
                                        "FROM alerts";
Alert read_alert(SQLite::Statement& st) {
  Alert a;
  a.id = st.getColumn(0).getInt64();
  a.created_at = st.getColumn(1).getString();
  a.severity = parse_severity(st.getColumn(2).getString());
  a.job = opt_text(st.getColumn(3)).value_or("");
  a.rule = st.getColumn(4).getString();
  a.message = st.getColumn(5).getString();
  a.acknowledged = st.getColumn(6).getInt() != 0;
  a.acknowledged_at = opt_text(st.getColumn(7));
  a.dedupe_key = opt_text(st.getColumn(8));
  return a;
}

} // namespace

bool Alert::resolved() const {
  return acknowledged_at && acknowledged_at->size() > k_resolved_suffix.size() &&
         acknowledged_at->ends_with(k_resolved_suffix);
}

std::vector<Alert> AlertStore::list(bool include_acknowledged, int limit) const {
  return guarded(m_db, "reading alerts", [&] {
    SQLite::Statement st(m_db.impl().db,
                         std::string(k_alert_columns) +
                             (include_acknowledged ? "" : " WHERE acknowledged = 0") +
                             " ORDER BY id DESC LIMIT ?");
    st.bind(1, limit);
    std::vector<Alert> out;
    while (st.executeStep()) {
      out.push_back(read_alert(st));
    }
    return out;
  });
}

std::optional<Alert> AlertStore::find(std::int64_t id) const {
  return guarded(m_db, "reading alerts", [&]() -> std::optional<Alert> {
    SQLite::Statement st(m_db.impl().db, std::string(k_alert_columns) + " WHERE id = ?");
    st.bind(1, id);
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_alert(st);
  });
}

std::int64_t AlertStore::last_id() const {
  return guarded(m_db, "reading alerts", [&]() -> std::int64_t {
    SQLite::Statement st(m_db.impl().db, "SELECT coalesce(max(id), 0) FROM alerts");
    st.executeStep();
    return st.getColumn(0).getInt64();
  });
}

std::vector<Alert> AlertStore::added_after(std::int64_t id) const {
  return guarded(m_db, "reading alerts", [&] {
    SQLite::Statement st(m_db.impl().db,
                         std::string(k_alert_columns) + " WHERE id > ? ORDER BY id");
    st.bind(1, id);
    std::vector<Alert> out;
    while (st.executeStep()) {
      out.push_back(read_alert(st));
    }
    return out;
  });
}

AlertStore::OpenCounts AlertStore::open_counts() const {
  return guarded(m_db, "reading alerts", [&] {
    SQLite::Statement st(m_db.impl().db, "SELECT severity, count(*) FROM alerts "
                                         "WHERE acknowledged = 0 GROUP BY severity");
    OpenCounts c;
    while (st.executeStep()) {
      const int n = st.getColumn(1).getInt();
      switch (parse_severity(st.getColumn(0).getString())) {
      case AlertSeverity::info:
        c.info += n;
        break;
      case AlertSeverity::warn:
        c.warn += n;
        break;
      case AlertSeverity::critical:
        c.critical += n;
        break;
      }
    }
    return c;
  });
}

std::optional<std::string> MetaStore::get(std::string_view key) const {
  return guarded(m_db, "reading meta", [&]() -> std::optional<std::string> {
    SQLite::Statement st(m_db.impl().db, "SELECT value FROM meta WHERE key = ?");
    st.bind(1, std::string(key));
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return opt_text(st.getColumn(0));
  });
}

void MetaStore::set(std::string_view key, const std::string& value) {
  guarded(m_db, "writing meta", [&] {
    SQLite::Statement st(m_db.impl().db, "INSERT INTO meta (key, value) VALUES (?, ?) "
                                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    st.bind(1, std::string(key));
    st.bind(2, value);
    st.exec();
  });
}

std::optional<core::Date> MetaStore::history_start() const {
  const auto text = get(k_meta_history_start);
  return text ? core::parse_iso_date(*text) : std::nullopt;
}

std::vector<market::Market> MetaStore::markets() const {
  std::vector<market::Market> out;
  if (const auto text = get(k_meta_markets)) {
    std::string_view rest = *text;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      if (const auto m = market::parse_market(rest.substr(0, comma))) {
        out.push_back(*m);
      }
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (out.empty()) {
    out = {market::Market::kospi, market::Market::kosdaq};
  }
  return out;
}

} // namespace krxbatch::store
