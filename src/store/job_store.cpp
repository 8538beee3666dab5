#include "krxbatch/store/job_store.hpp"

#include "sqlite_access.hpp"

namespace krxbatch::store {
namespace {

std::optional<core::Date> opt_date(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return core::parse_iso_date(c.getString());
}

std::optional<std::string> opt_iso(const std::optional<core::Date>& d) {
  if (!d) {
    return std::nullopt;
  }
  return core::to_iso(*d);
}

JobStatus read_status(SQLite::Statement& st) {
  JobStatus s;
  s.job = st.getColumn(0).getString();
  s.last_success_date = opt_date(st.getColumn(1));
  s.state = st.getColumn(2).getString();
  s.last_run_id = opt_int(st.getColumn(3));
  s.last_started_at = opt_text(st.getColumn(4));
  s.last_finished_at = opt_text(st.getColumn(5));
  s.last_duration_ms = opt_int(st.getColumn(6));
  s.last_message = opt_text(st.getColumn(7));
  return s;
}

constexpr const char* k_status_columns =
    "job_name, last_success_date, state, last_run_id, last_started_at, last_finished_at, "
    "last_duration_ms, last_message";

constexpr const char* k_day_columns =
    "trade_date, state, attempts, last_error, rows_stored, run_id, updated_at";

DayRecord read_day(SQLite::Statement& st) {
  DayRecord d;
  d.date = *core::parse_iso_date(st.getColumn(0).getString());
  d.state = state::parse_day_state(st.getColumn(1).getString()).value_or(state::DayState::failed);
  d.attempts = st.getColumn(2).getInt();
  d.last_error = opt_text(st.getColumn(3));
  d.rows_stored = opt_int(st.getColumn(4));
  d.run_id = opt_int(st.getColumn(5));
  d.updated_at = st.getColumn(6).getString();
  return d;
}

constexpr const char* k_run_columns =
    "run_id, job_name, started_at, finished_at, outcome, session_from, session_to, days_done, "
    "rows_written, items_done, items_remaining, api_calls, duration_ms, message";

RunRecord read_run(SQLite::Statement& st) {
  RunRecord r;
  r.run_id = st.getColumn(0).getInt64();
  r.job = st.getColumn(1).getString();
  r.started_at = st.getColumn(2).getString();
  r.finished_at = opt_text(st.getColumn(3));
  r.outcome =
      state::parse_run_outcome(st.getColumn(4).getString()).value_or(state::RunOutcome::failed);
  r.summary.outcome = r.outcome;
  r.summary.session_from = opt_date(st.getColumn(5));
  r.summary.session_to = opt_date(st.getColumn(6));
  r.summary.days_done = st.getColumn(7).getInt();
  r.summary.rows_written = st.getColumn(8).getInt64();
  r.summary.items_done = opt_int(st.getColumn(9));
  r.summary.items_remaining = opt_int(st.getColumn(10));
  r.summary.api_calls = st.getColumn(11).getInt64();
  r.summary.duration_ms = opt_int(st.getColumn(12)).value_or(0);
  r.summary.message = opt_text(st.getColumn(13)).value_or("");
  return r;
}

} // namespace

std::vector<JobStatus> JobStore::jobs() const {
  return guarded(m_db, "reading job_status", [&] {
    SQLite::Statement st(m_db.impl().db,
                         std::string("SELECT ") + k_status_columns +
                             " FROM job_status ORDER BY CASE job_name WHEN 'manual_setup' THEN "
                             "0 WHEN 'daily_update' THEN 1 WHEN 'hourly_analysis' THEN 2 ELSE 3 "
                             "END, job_name");
    std::vector<JobStatus> out;
    while (st.executeStep()) {
      out.push_back(read_status(st));
    }
    return out;
  });
}

JobStatus JobStore::job(std::string_view name) const {
  return guarded(m_db, "reading job_status", [&] {
    SQLite::Statement st(m_db.impl().db, std::string("SELECT ") + k_status_columns +
                                             " FROM job_status WHERE job_name = ?");
    st.bind(1, std::string(name));
    if (!st.executeStep()) {
      throw core::failure("unknown job '" + std::string(name) + "'");
    }
    return read_status(st);
  });
}

void JobStore::set_mark(std::string_view job, std::optional<core::Date> mark,
                        const core::KstTime& now) {
  guarded(m_db, "updating job_status", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "UPDATE job_status SET last_success_date = ?, updated_at = ? "
                         "WHERE job_name = ?");
    bind_opt(st, 1, opt_iso(mark));
    st.bind(2, core::to_iso(now));
    st.bind(3, std::string(job));
    st.exec();
  });
}

std::optional<DayRecord> JobStore::day(std::string_view job, const core::Date& date) const {
  return guarded(m_db, "reading job_days", [&]() -> std::optional<DayRecord> {
    SQLite::Statement st(m_db.impl().db, std::string("SELECT ") + k_day_columns +
                                             " FROM job_days WHERE job_name = ? AND "
                                             "trade_date = ?");
    st.bind(1, std::string(job));
    st.bind(2, core::to_iso(date));
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_day(st);
  });
}

std::vector<DayRecord> JobStore::days(std::string_view job, const core::Date& from,
                                      const core::Date& to) const {
  return guarded(m_db, "reading job_days", [&] {
    SQLite::Statement st(m_db.impl().db,
                         std::string("SELECT ") + k_day_columns +
                             " FROM job_days WHERE job_name = ? AND trade_date BETWEEN ? AND ? "
                             "ORDER BY trade_date");
    st.bind(1, std::string(job));
    st.bind(2, core::to_iso(from));
    st.bind(3, core::to_iso(to));
    std::vector<DayRecord> out;
    while (st.executeStep()) {
      out.push_back(read_day(st));
    }
    return out;
  });
}

std::vector<DayRecord> JobStore::days_in_state(std::string_view job,
                                               state::DayState day_state) const {
  return guarded(m_db, "reading job_days", [&] {
    SQLite::Statement st(m_db.impl().db, std::string("SELECT ") + k_day_columns +
                                             " FROM job_days WHERE job_name = ? AND state = ? "
                                             "ORDER BY trade_date");
    st.bind(1, std::string(job));
    st.bind(2, std::string(state::to_string(day_state)));
    std::vector<DayRecord> out;
    while (st.executeStep()) {
      out.push_back(read_day(st));
    }
    return out;
  });
}

state::DayState JobStore::apply(std::string_view job, const core::Date& date, state::DayEvent event,
                                const core::KstTime& now, std::optional<std::string> error,
                                std::optional<std::int64_t> rows,
                                std::optional<std::int64_t> run_id) {
  const auto current = day(job, date);
  const auto from = current ? current->state : state::DayState::pending;
  const auto to = state::next_state(from, event);
  if (!to) {
    throw core::failure(std::string(job) + " " + core::to_iso(date) + ": cannot " +
                        std::string(state::to_string(event)) + " a day that is " +
                        std::string(state::to_string(from)));
  }
  guarded(m_db, "updating job_days", [&] {
    using state::DayEvent;
    const bool started = event == DayEvent::start;
    const bool succeeded = event == DayEvent::succeed;
    const bool reloaded = event == DayEvent::reload;
    SQLite::Statement st(m_db.impl().db,
                         "INSERT INTO job_days (job_name, trade_date, state, attempts, "
                         "last_error, rows_stored, run_id, updated_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                         "ON CONFLICT (job_name, trade_date) DO UPDATE SET state = ?3, "
                         "attempts = ?4, last_error = ?5, rows_stored = ?6, run_id = ?7, "
                         "updated_at = ?8");
    st.bind(1, std::string(job));
    st.bind(2, core::to_iso(date));
    st.bind(3, std::string(state::to_string(*to)));
    const int attempts = reloaded ? 0 : (current ? current->attempts : 0) + (started ? 1 : 0);
    st.bind(4, attempts);
    std::optional<std::string> keep_error = current ? current->last_error : std::nullopt;
    bind_opt(st, 5, succeeded || reloaded ? std::nullopt : (error ? error : keep_error));
    std::optional<std::int64_t> keep_rows = current ? current->rows_stored : std::nullopt;
    bind_opt(st, 6, succeeded ? rows : (reloaded ? std::nullopt : keep_rows));
    std::optional<std::int64_t> keep_run = current ? current->run_id : std::nullopt;
    bind_opt(st, 7, run_id ? run_id : keep_run);
    st.bind(8, core::to_iso(now));
    st.exec();
  });
  return *to;
}

std::int64_t JobStore::begin_run(std::string_view job, const core::KstTime& now, std::int64_t pid,
                                 const std::string& args) {
  return guarded(m_db, "recording the run", [&] {
    Database::Transaction txn(m_db);
    SQLite::Statement ins(m_db.impl().db,
                          "INSERT INTO job_runs (job_name, started_at, outcome, pid, args) "
                          "VALUES (?, ?, 'running', ?, ?)");
    ins.bind(1, std::string(job));
    ins.bind(2, core::to_iso(now));
    ins.bind(3, pid);
    ins.bind(4, args);
    ins.exec();
    const std::int64_t run_id = m_db.impl().db.getLastInsertRowid();
    SQLite::Statement up(m_db.impl().db,
                         "UPDATE job_status SET state = 'running', last_run_id = ?, "
                         "last_started_at = ?, updated_at = ? WHERE job_name = ?");
    up.bind(1, run_id);
    up.bind(2, core::to_iso(now));
    up.bind(3, core::to_iso(now));
    up.bind(4, std::string(job));
    up.exec();
    txn.commit();
    return run_id;
  });
}

void JobStore::finish_run(std::int64_t run_id, const RunSummary& s, const core::KstTime& now) {
  guarded(m_db, "recording the run", [&] {
    Database::Transaction txn(m_db);
    SQLite::Statement up(m_db.impl().db,
                         "UPDATE job_runs SET finished_at = ?, outcome = ?, session_from = ?, "
                         "session_to = ?, days_done = ?, rows_written = ?, items_done = ?, "
                         "items_remaining = ?, api_calls = ?, duration_ms = ?, message = ? "
                         "WHERE run_id = ?");
    up.bind(1, core::to_iso(now));
    up.bind(2, std::string(state::to_string(s.outcome)));
    bind_opt(up, 3, opt_iso(s.session_from));
    bind_opt(up, 4, opt_iso(s.session_to));
    up.bind(5, s.days_done);
    up.bind(6, s.rows_written);
    bind_opt(up, 7, s.items_done);
    bind_opt(up, 8, s.items_remaining);
    up.bind(9, s.api_calls);
    up.bind(10, s.duration_ms);
    up.bind(11, s.message);
    up.bind(12, run_id);
    up.exec();
    SQLite::Statement js(m_db.impl().db,
                         "UPDATE job_status SET state = ?, last_finished_at = ?, "
                         "last_duration_ms = ?, last_message = ?, updated_at = ? "
                         "WHERE job_name = (SELECT job_name FROM job_runs WHERE run_id = ?)");
    js.bind(1, std::string(state::to_string(s.outcome)));
    js.bind(2, core::to_iso(now));
    js.bind(3, s.duration_ms);
    js.bind(4, s.message);
    js.bind(5, core::to_iso(now));
    js.bind(6, run_id);
    js.exec();
    txn.commit();
  });
}

std::optional<RunRecord> JobStore::last_run(std::string_view job) const {
  auto all = runs(job, 1);
  if (all.empty()) {
    return std::nullopt;
  }
  return all.front();
}

std::vector<RunRecord> JobStore::runs(std::string_view job, int limit) const {
  return guarded(m_db, "reading job_runs", [&] {
    SQLite::Statement st(m_db.impl().db,
                         std::string("SELECT ") + k_run_columns +
                             " FROM job_runs WHERE job_name = ? ORDER BY run_id DESC LIMIT ?");
    st.bind(1, std::string(job));
    st.bind(2, limit);
    std::vector<RunRecord> out;
    while (st.executeStep()) {
      out.push_back(read_run(st));
    }
    return out;
  });
}

std::optional<RunRecord> JobStore::last_run_with(std::string_view job,
                                                 state::RunOutcome outcome) const {
  return guarded(m_db, "reading job_runs", [&]() -> std::optional<RunRecord> {
    SQLite::Statement st(m_db.impl().db, std::string("SELECT ") + k_run_columns +
                                             " FROM job_runs WHERE job_name = ? AND outcome = ? "
                                             "ORDER BY run_id DESC LIMIT 1");
    st.bind(1, std::string(job));
    st.bind(2, std::string(state::to_string(outcome)));
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_run(st);
  });
}

int JobStore::recover_stale(std::string_view job, const core::KstTime& now) {
  const auto stale = days_in_state(job, state::DayState::running);
  for (const auto& d : stale) {
    apply(job, d.date, state::DayEvent::recover, now,
          "interrupted: the process working on this day stopped before finishing (run " +
              std::to_string(d.run_id.value_or(0)) + "); retried by the next run");
  }
  guarded(m_db, "recovering interrupted runs", [&] {
    SQLite::Statement st(m_db.impl().db,
                         "UPDATE job_runs SET outcome = 'failed', finished_at = ?, "
                         "message = 'interrupted: the process stopped before finishing' "
                         "WHERE job_name = ? AND outcome = 'running'");
    st.bind(1, core::to_iso(now));
    st.bind(2, std::string(job));
    st.exec();
    SQLite::Statement js(m_db.impl().db,
                         "UPDATE job_status SET state = 'failed', last_message = 'interrupted: "
                         "the process stopped before finishing', updated_at = ? "
                         "WHERE job_name = ? AND state = 'running'");
    js.bind(1, core::to_iso(now));
    js.bind(2, std::string(job));
    js.exec();
  });
  return static_cast<int>(stale.size());
}

} // namespace krxbatch::store
