#include "krxbatch/store/export_job_store.hpp"

#include "sqlite_access.hpp"

namespace krxbatch::store {
namespace {

constexpr const char* k_columns =
    "SELECT id, state, from_date, to_date, tickers, adjusted, files_done, files_total, reason, "
    "created_at, started_at, finished_at FROM export_jobs ";

std::vector<std::string> split_tickers(const std::optional<std::string>& text) {
  std::vector<std::string> out;
  if (!text) {
    return out;
  }
  std::size_t start = 0;
  while (start <= text->size()) {
    const auto comma = text->find(',', start);
    const auto end = comma == std::string::npos ? text->size() : comma;
    if (end > start) {
      out.push_back(text->substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

ExportJob read_job(SQLite::Statement& st) {
  ExportJob j;
  j.id = st.getColumn(0).getInt64();
  j.state = st.getColumn(1).getString();
  j.from = *core::parse_iso_date(st.getColumn(2).getString());
  j.to = *core::parse_iso_date(st.getColumn(3).getString());
  j.tickers = split_tickers(opt_text(st.getColumn(4)));
  j.adjusted = st.getColumn(5).getInt() != 0;
  j.files_done = st.getColumn(6).getInt64();
  j.files_total = opt_int(st.getColumn(7));
  j.reason = opt_text(st.getColumn(8));
  j.created_at = st.getColumn(9).getString();
  j.started_at = opt_text(st.getColumn(10));
  j.finished_at = opt_text(st.getColumn(11));
  return j;
}

std::vector<ExportJob> read_all(SQLite::Statement& st) {
  std::vector<ExportJob> out;
  while (st.executeStep()) {
    out.push_back(read_job(st));
  }
  return out;
}

} // namespace

std::int64_t ExportJobStore::create(const core::Date& from, const core::Date& to,
                                    const std::vector<std::string>& tickers, bool adjusted,
                                    const core::KstTime& now) {
  return guarded(m_db, "queueing an export job", [&] {
    std::string list;
    for (const auto& t : tickers) {
      list += (list.empty() ? "" : ",") + t;
    }
    SQLite::Statement st(m_db.impl().db,
                         "INSERT INTO export_jobs (state, from_date, to_date, tickers, adjusted, "
                         "created_at) VALUES ('PENDING', ?, ?, ?, ?, ?)");
    st.bind(1, core::to_iso(from));
    st.bind(2, core::to_iso(to));
    if (tickers.empty()) {
      st.bind(3);
    } else {
      st.bind(3, list);
    }
    st.bind(4, adjusted ? 1 : 0);
    st.bind(5, core::to_iso(now));
    st.exec();
    return m_db.impl().db.getLastInsertRowid();
  });
}

std::optional<ExportJob> ExportJobStore::find(std::int64_t id) const {
  return guarded(m_db, "reading export_jobs", [&]() -> std::optional<ExportJob> {
    SQLite::Statement st(m_db.impl().db, std::string(k_columns) + "WHERE id = ?");
    st.bind(1, id);
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_job(st);
  });
}

std::vector<ExportJob> ExportJobStore::list(int limit) const {
  return guarded(m_db, "reading export_jobs", [&] {
    SQLite::Statement st(m_db.impl().db, std::string(k_columns) + "ORDER BY id DESC LIMIT ?");
    st.bind(1, limit);
    return read_all(st);
  });
}

std::optional<ExportJob> ExportJobStore::next() const {
  return guarded(m_db, "reading export_jobs", [&]() -> std::optional<ExportJob> {
    SQLite::Statement st(m_db.impl().db, std::string(k_columns) +
                                             "WHERE state IN ('RUNNING','PENDING') "
                                             "ORDER BY state = 'PENDING', id LIMIT 1");
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_job(st);
  });
}

void ExportJobStore::start(std::int64_t id, const core::KstTime& now) {
  guarded(m_db, "starting an export job", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "UPDATE export_jobs SET state = 'RUNNING', files_done = 0, "
                         "files_total = NULL, started_at = ? WHERE id = ?");
    st.bind(1, core::to_iso(now));
    st.bind(2, id);
    st.exec();
  });
}

void ExportJobStore::progress(std::int64_t id, std::int64_t files_done, std::int64_t files_total) {
  guarded(m_db, "recording an export job's progress", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "UPDATE export_jobs SET files_done = ?, files_total = ? WHERE id = ?");
    st.bind(1, files_done);
    st.bind(2, files_total);
    st.bind(3, id);
    st.exec();
  });
}

void ExportJobStore::succeed(std::int64_t id, const core::KstTime& now) {
  guarded(m_db, "finishing an export job", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "UPDATE export_jobs SET state = 'SUCCEEDED', reason = NULL, "
                         "finished_at = ? WHERE id = ?");
    st.bind(1, core::to_iso(now));
    st.bind(2, id);
    st.exec();
  });
}

void ExportJobStore::fail(std::int64_t id, const std::string& reason, const core::KstTime& now) {
  guarded(m_db, "finishing an export job", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "UPDATE export_jobs SET state = 'FAILED', reason = ?, finished_at = ? "
                         "WHERE id = ?");
    st.bind(1, reason);
    st.bind(2, core::to_iso(now));
    st.bind(3, id);
    st.exec();
  });
}

std::vector<ExportJob> ExportJobStore::finished_before(const std::string& before) const {
  return guarded(m_db, "reading export_jobs", [&] {
    SQLite::Statement st(m_db.impl().db,
                         std::string(k_columns) +
                             "WHERE state IN ('SUCCEEDED','FAILED') AND finished_at < ? "
                             "ORDER BY id");
    st.bind(1, before);
    return read_all(st);
  });
}

void ExportJobStore::remove(std::int64_t id) {
  guarded(m_db, "deleting an export job", [&] {
    SQLite::Statement st(m_db.impl().db, "DELETE FROM export_jobs WHERE id = ?");
    st.bind(1, id);
    st.exec();
  });
}

} // namespace krxbatch::store
