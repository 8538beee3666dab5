#include "krxbatch/store/db_file.hpp"

#include "sqlite_access.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

namespace krxbatch::store {
namespace {

// The tables a file must have to be a krxbatch database (DESIGN §4).
constexpr std::array<std::string_view, 6> k_core_tables = {
    "job_status", "daily_prices", "index_prices", "target_tickers", "analysis_results", "meta"};

// How long a backup step waits for a lock held by another connection before giving up.
constexpr auto k_lock_wait = std::chrono::seconds(60);

// Runs a backup from `src` into `dest` in one step, retrying while either side is locked.
// Returns SQLITE_OK or the error code (the message is on `dest`).
int run_backup(sqlite3* dest, sqlite3* src) {
  sqlite3_backup* b = sqlite3_backup_init(dest, "main", src, "main");
  if (b == nullptr) {
    return sqlite3_errcode(dest);
  }
  const auto deadline = std::chrono::steady_clock::now() + k_lock_wait;
  int rc = SQLITE_OK;
  for (;;) {
    rc = sqlite3_backup_step(b, -1);
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && std::chrono::steady_clock::now() < deadline) {
      sqlite3_sleep(100);
      continue;
    }
    break;
  }
  const int finish = sqlite3_backup_finish(b);
  if (rc == SQLITE_DONE) {
    return finish;
  }
  return rc;
}

[[noreturn]] void throw_sqlite(const std::string& path, std::string_view doing, sqlite3* handle,
                               int rc) {
  throw storage_error(path, doing, SQLite::Exception(handle, rc));
}

void set_rollback_journal(SQLite::Database& db) {
  db.execAndGet("PRAGMA journal_mode = DELETE");
}

int page_size_of(SQLite::Database& db) {
  return db.execAndGet("PRAGMA page_size").getInt();
}

} // namespace

void backup_database(Database& source, const std::filesystem::path& dest) {
  const auto dest_text = dest.string();
  try {
    SQLite::Database out(dest_text, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    const int rc = run_backup(out.getHandle(), source.impl().db.getHandle());
    if (rc != SQLITE_OK) {
      throw_sqlite(dest_text, "copying " + source.path(), out.getHandle(), rc);
    }
    set_rollback_journal(out);
  } catch (const SQLite::Exception& e) {
    throw storage_error(dest_text, "copying " + source.path(), e);
  }
}

void vacuum_database(Database& source, const std::filesystem::path& dest) {
  const auto dest_text = dest.string();
  guarded(source, "writing a compact copy to " + dest_text, [&] {
    SQLite::Statement st(source.impl().db, "VACUUM INTO ?");
    st.bind(1, dest_text);
    st.exec();
  });
  try {
    SQLite::Database out(dest_text, SQLite::OPEN_READWRITE);
    set_rollback_journal(out);
  } catch (const SQLite::Exception& e) {
    throw storage_error(dest_text, "opening the compact copy", e);
  }
}

FileCheck check_database_file(const std::filesystem::path& file) {
  FileCheck out;
  if (!std::filesystem::is_regular_file(file)) {
    out.problem = "not a regular file";
    return out;
  }
  try {
    SQLite::Database db(file.string(), SQLite::OPEN_READWRITE);
    set_rollback_journal(db);
    SQLite::Statement check(db, "PRAGMA integrity_check(20)");
    std::vector<std::string> lines;
    while (check.executeStep()) {
      lines.push_back(check.getColumn(0).getString());
    }
    out.integrity = lines.empty() ? std::string("no answer") : lines.front();
    if (lines.size() != 1 || lines.front() != "ok") {
      out.problem = "PRAGMA integrity_check failed: " + out.integrity +
                    (lines.size() > 1 ? " (and " + std::to_string(lines.size() - 1) + " more)"
                                      : std::string());
      return out;
    }
    out.schema_version = db.execAndGet("PRAGMA user_version").getInt();
    std::string missing;
    for (const auto table : k_core_tables) {
      SQLite::Statement st(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
      st.bind(1, std::string(table));
      if (!st.executeStep()) {
        missing += (missing.empty() ? "" : ", ") + std::string(table);
      }
    }
    if (out.schema_version < 1 || !missing.empty()) {
      out.problem = "not a krxbatch database (schema version " +
                    std::to_string(out.schema_version) +
                    (missing.empty() ? std::string() : "; missing tables " + missing) + ")";
      return out;
    }
    out.ok = true;
  } catch (const SQLite::Exception& e) {
    out.problem = std::string("SQLite cannot read it: ") + e.getErrorStr();
    if (out.integrity.empty()) {
      out.integrity = e.getErrorStr();
    }
  }
  return out;
}

void restore_database(Database& live, const std::filesystem::path& source) {
  const auto source_text = source.string();
  try {
    const int live_page =
        guarded(live, "reading the page size", [&] { return page_size_of(live.impl().db); });
    {
      SQLite::Database src(source_text, SQLite::OPEN_READWRITE);
      if (page_size_of(src) != live_page) {
        spdlog::info("{}: rebuilding with page size {} to match {}", source_text, live_page,
                     live.path());
        src.exec("PRAGMA page_size = " + std::to_string(live_page));
        src.exec("VACUUM");
      }
    }
    SQLite::Database src(source_text, SQLite::OPEN_READONLY);
    auto* dest = live.impl().db.getHandle();
    const int rc = run_backup(dest, src.getHandle());
    if (rc != SQLITE_OK) {
      throw_sqlite(live.path(), "restoring from " + source_text, dest, rc);
    }
  } catch (const SQLite::Exception& e) {
    throw storage_error(live.path(), "restoring from " + source_text, e);
  }
}

namespace {

DatabaseSummary summarize_sqlite(SQLite::Database& db) {
  DatabaseSummary s;
  s.schema_version = db.execAndGet("PRAGMA user_version").getInt();
  SQLite::Statement range(db,
                          "SELECT min(trade_date), max(trade_date), count(*) FROM daily_prices");
  range.executeStep();
  const auto date_of = [](const SQLite::Column& c) -> std::optional<core::Date> {
    return c.isNull() ? std::nullopt : core::parse_iso_date(c.getString());
  };
  s.first_session = date_of(range.getColumn(0));
  s.last_session = date_of(range.getColumn(1));
  s.price_rows = range.getColumn(2).getInt64();
  SQLite::Statement mark(db, "SELECT last_success_date FROM job_status WHERE job_name = ?");
  mark.bind(1, "daily_update");
  if (mark.executeStep()) {
    s.daily_mark = date_of(mark.getColumn(0));
  }
  s.active_targets =
      db.execAndGet("SELECT count(*) FROM target_tickers WHERE active = 1").getInt64();
  return s;
}

} // namespace

DatabaseSummary summarize(Database& database) {
  return guarded(database, "summarising the database",
                 [&] { return summarize_sqlite(database.impl().db); });
}

DatabaseSummary summarize_file(const std::filesystem::path& file) {
  try {
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    return summarize_sqlite(db);
  } catch (const SQLite::Exception& e) {
    throw storage_error(file.string(), "summarising the database", e);
  }
}

std::vector<std::string> integrity_check(Database& database, int max_lines) {
  return guarded(database, "checking integrity", [&] {
    SQLite::Statement st(database.impl().db,
                         "PRAGMA integrity_check(" + std::to_string(max_lines) + ")");
    std::vector<std::string> out;
    while (st.executeStep()) {
      out.push_back(st.getColumn(0).getString());
    }
    return out;
  });
}

std::vector<std::string> foreign_key_check(Database& database, int max_lines) {
  return guarded(database, "checking foreign keys", [&] {
    SQLite::Statement st(database.impl().db, "PRAGMA foreign_key_check");
    std::vector<std::string> out;
    while (st.executeStep() && static_cast<int>(out.size()) < max_lines) {
      out.push_back(st.getColumn(0).getString() + " rowid " +
                    (st.getColumn(1).isNull() ? std::string("?") : st.getColumn(1).getString()) +
                    " references a missing " + st.getColumn(2).getString() + " row");
    }
    return out;
  });
}

} // namespace krxbatch::store
