#include "krxbatch/store/database.hpp"

#include "migrations.hpp"
#include "sqlite_access.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <optional>
#include <sqlite3.h>
#include <string>
#include <sys/mman.h>

namespace krxbatch::store {

core::Error storage_error(const std::string& path, std::string_view doing,
                          const SQLite::Exception& e) {
  const std::string what = std::string(doing) + " in " + path;
  switch (e.getErrorCode()) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return core::failure(what +
                         ": the database is locked by another program and stayed "
                         "locked past the busy timeout; find the holder with `fuser " +
                         path + "` and rerun (nothing was changed)");
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return core::failure(what + ": the file is damaged or is not a krxbatch database (" +
                         e.getErrorStr() +
                         "); restore the latest backup with `krxbatch restore FILE` "
                         "(nothing was changed)");
  case SQLITE_FULL:
    return core::failure(what + ": the disk is full; free some space and rerun (the "
                                "unfinished transaction was rolled back, nothing was lost)");
  case SQLITE_READONLY:
    return core::failure(what + ": the database file or its directory is read-only; give the "
                                "job's user write access to both and rerun (nothing was "
                                "changed)");
  case SQLITE_CANTOPEN:
    return core::failure(what + ": cannot open the file; check that its directory exists "
                                "and is writable (use --db or KRXBATCH_DB to choose another)");
  case SQLITE_IOERR:
    return core::failure(what + ": I/O error (" + std::string(e.what()) +
                         "); check the disk and rerun (the unfinished transaction was rolled "
                         "back)");
  default:
    return core::failure(what + ": " + std::string(e.what()));
  }
}

namespace {

int read_user_version(SQLite::Database& db) {
  return db.execAndGet("PRAGMA user_version").getInt();
}

void apply_migrations(Database& owner, SQLite::Database& db) {
  const auto all = migrations();
  const int latest = all.back().version;
  const int current = read_user_version(db);
  if (current > latest) {
    throw core::failure(owner.path() + ": the database has schema version " +
                        std::to_string(current) + ", newer than this krxbatch knows (" +
                        std::to_string(latest) + "); upgrade krxbatch (nothing was changed)");
  }
  for (const auto& m : all) {
    if (m.version <= current) {
      continue;
    }
    Database::Transaction txn(owner);
    // Another process may have migrated while we waited for the write lock.
    if (read_user_version(db) >= m.version) {
      continue;
    }
    db.exec(std::string(m.sql));
    if (m.after != nullptr) {
      m.after(owner);
    }
    db.exec("PRAGMA user_version = " + std::to_string(m.version));
    txn.commit();
    spdlog::debug("{}: applied schema migration {}", owner.path(), m.version);
  }
}

// A file with tables but no krxbatch schema version is somebody else's SQLite database: it is
// refused before anything (WAL mode, our tables) is written into it.
void refuse_foreign_database(const std::string& path, SQLite::Database& db) {
  if (read_user_version(db) != 0) {
    return;
  }
  SQLite::Statement st(db, "SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' "
                           "ORDER BY name LIMIT 4");
  std::string names;
  int count = 0;
  while (st.executeStep()) {
    if (++count <= 3) {
      names += (names.empty() ? "" : ", ") + st.getColumn(0).getString();
    }
  }
  if (count > 0) {
    throw core::usage_error(path + ": an SQLite database that is not krxbatch's (it holds " +
                            names + (count > 3 ? ", ..." : "") +
                            " and no krxbatch schema); choose the krxbatch database with --db or "
                            "KRXBATCH_DB (nothing was changed)");
  }
}

// reserve_page_cache's request; the first open applies it (configure_sqlite_once), a later one
// is never read.
std::optional<int> g_page_cache_pages;

// Whether the kernel gives transparent huge pages to a region that asks (madvise).
bool huge_pages_offered() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(in, line);
  return line.find("[always]") != std::string::npos || line.find("[madvise]") != std::string::npos;
}

// The page-cache region (reserve_page_cache); left as it is when anything fails: SQLite then
// allocates its pages from the heap, as without it. Never unmapped: SQLite uses it until exit.
void install_page_cache(int pages) {
  if (pages <= 0 || !huge_pages_offered()) {
    return;
  }
  int header = 0;
  if (sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &header) != SQLITE_OK) {
    return;
  }
  constexpr int k_page_size = 4096; // SQLite's default, and every krxbatch database's
  const int slot = k_page_size + header;
  const auto bytes = static_cast<std::size_t>(slot) * static_cast<std::size_t>(pages);
  void* region = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) {
    return;
  }
  if (::madvise(region, bytes, MADV_HUGEPAGE) != 0 ||
      sqlite3_config(SQLITE_CONFIG_PAGECACHE, region, slot, pages) != SQLITE_OK) {
    ::munmap(region, bytes);
    return;
  }
  spdlog::debug("SQLite page cache: {} slots of {} bytes in transparent huge pages", pages, slot);
}

// SQLite counts every allocation under a global mutex unless told not to (nothing here reads
// those counts); it must be told before the library initialises, so before the first open.
void configure_sqlite_once() {
  static const bool done = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (g_page_cache_pages) {
      install_page_cache(*g_page_cache_pages);
    }
    return true;
  }();
  (void)done;
}

} // namespace

void reserve_page_cache(int pages) {
  g_page_cache_pages = pages;
}

Database::Database(const std::string& path, OpenOptions options) {
  configure_sqlite_once();
  try {
    // A Database is used from one thread at a time (database.hpp), so SQLite's per-call
    // connection mutex only costs: ~14 % of hourly_analysis' CPU went to it.
    const int mode =
        options.read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
    m_impl = std::make_unique<Impl>(path, mode | SQLite::OPEN_NOMUTEX);
  } catch (const SQLite::Exception& e) {
    throw storage_error(path, "opening the database", e);
  }
  guarded(*this, "opening the database", [&] {
    auto& db = m_impl->db;
    db.setBusyTimeout(static_cast<int>(options.busy_timeout.count()));
    if (options.migrate && !options.read_only) {
      refuse_foreign_database(path, db);
    }
    if (path != ":memory:" && !options.read_only) {
      const auto mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
      if (mode != "wal") {
        spdlog::warn("{}: could not switch to WAL (journal_mode is {}); concurrent jobs will "
                     "wait for each other",
                     path, mode);
      }
    }
    if (options.max_page_count) {
      db.exec("PRAGMA max_page_count = " + std::to_string(*options.max_page_count));
    }
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    if (options.migrate && !options.read_only) {
      apply_migrations(*this, db);
    }
  });
}

Database::~Database() = default;
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

const std::string& Database::path() const {
  return m_impl->path;
}

int Database::schema_version() const {
  return guarded(*this, "reading the schema version",
                 [&] { return read_user_version(m_impl->db); });
}

std::int64_t Database::data_version() const {
  return guarded(*this, "reading the data version",
                 [&] { return m_impl->db.execAndGet("PRAGMA data_version").getInt64(); });
}

int Database::latest_schema_version() {
  return migrations().back().version;
}

Database::SettingsScope::SettingsScope(Database& db, const ConnectionSettings& settings)
    : m_db(db), m_checkpoint_at_end(settings.checkpoint_at_end) {
  try {
    guarded(m_db, "changing the connection's settings", [&] {
      auto& sqlite = m_db.impl().db;
      if (settings.cache_limit_kib) {
        m_cache_size = sqlite.execAndGet("PRAGMA cache_size").getInt64();
        // A negative cache_size is a limit in KiB rather than in pages.
        sqlite.exec("PRAGMA cache_size = -" + std::to_string(*settings.cache_limit_kib));
      }
      if (settings.wal_autocheckpoint_pages) {
        m_wal_autocheckpoint = sqlite.execAndGet("PRAGMA wal_autocheckpoint").getInt64();
        sqlite.exec("PRAGMA wal_autocheckpoint = " +
                    std::to_string(*settings.wal_autocheckpoint_pages));
      }
    });
  } catch (...) {
    m_checkpoint_at_end = false;
    set_back();
    throw;
  }
}

Database::SettingsScope::~SettingsScope() {
  set_back();
}

void Database::SettingsScope::set_back() noexcept {
  try {
    auto& sqlite = m_db.impl().db;
    if (m_wal_autocheckpoint) {
      sqlite.exec("PRAGMA wal_autocheckpoint = " + std::to_string(*m_wal_autocheckpoint));
    }
    if (m_cache_size) {
      sqlite.exec("PRAGMA cache_size = " + std::to_string(*m_cache_size));
    }
    if (m_checkpoint_at_end) {
      m_db.checkpoint();
    }
  } catch (const std::exception& e) {
    spdlog::warn("{}: could not set the connection's settings back: {}", m_db.path(), e.what());
  }
}

void Database::checkpoint() {
  guarded(*this, "checkpointing the WAL",
          [&] { (void)m_impl->db.execAndGet("PRAGMA wal_checkpoint(PASSIVE)"); });
}

void Database::execute(const std::string& sql) {
  guarded(*this, "running a statement", [&] { m_impl->db.exec(sql); });
}

Database::Transaction::Transaction(Database& db) : m_db(db) {
  guarded(m_db, "starting a transaction", [&] { m_db.impl().db.exec("BEGIN IMMEDIATE"); });
}

Database::Transaction::~Transaction() {
  if (!m_done) {
    try {
      m_db.impl().db.exec("ROLLBACK");
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw
      // SQLite rolls back by itself when the statement that failed already did.
    }
  }
}

void Database::Transaction::commit() {
  guarded(m_db, "committing", [&] { m_db.impl().db.exec("COMMIT"); });
  m_done = true;
}

} // namespace krxbatch::store
