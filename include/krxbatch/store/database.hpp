// The SQLite database: one file holding every table of DESIGN §4.
//
// Opening a Database creates the file when absent (not its directory), switches it to WAL,
// sets a busy timeout, turns foreign keys on and applies the pending schema migrations
// (PRAGMA user_version), each in its own transaction, so an old file is upgraded in place and
// a crash mid-upgrade leaves the previous version intact. A file that holds tables but no
// krxbatch schema version (somebody else's SQLite database) is refused before anything is
// written into it (exit 2).
//
// SQLiteCpp stays behind this interface: no SQLite exception escapes the store layer. Storage
// problems (locked for longer than the busy timeout, corrupt file, full disk, read-only file)
// become core::Error (exit 1) with a one-line message that names the file and what to do.
//
// A Database is one connection: use it from one thread at a time. Several processes may open
// the same file at once (WAL); writers serialise on BEGIN IMMEDIATE and wait up to the busy
// timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace krxbatch::store {

struct OpenOptions {
  // How long a statement waits for another process's write lock before failing.
  std::chrono::milliseconds busy_timeout{60000};
  // Apply pending migrations (false only for tools that must not change the file).
  bool migrate = true;
  // Open an existing file for reading only (no WAL switch, no migrations): a second
  // connection for a thread that only reads, e.g. hourly_analysis' bar loaders.
  bool read_only = false;
  // Caps the file at this many pages (SQLite's max_page_count): a write that would grow it
  // further fails as a full disk does. A test seam for the storage-fault suite (the CLI sets
  // it only from KRXBATCH_TEST_MAX_PAGE_COUNT); nullopt in production.
  std::optional<std::int64_t> max_page_count;
};

// Settings of one connection that a job changes for a while (Database::SettingsScope); what
// is not set is left as it is.
struct ConnectionSettings {
  // The most memory the connection's page cache may hold, in KiB (SQLite's cache_size; about
  // 2 MiB by default). Pages are only allocated as they are used, so a short job pays nothing
  // for a high limit.
  std::optional<int> cache_limit_kib{};
  // The WAL size in pages after which a commit of this connection checkpoints (SQLite's
  // wal_autocheckpoint; 1000 by default). A job committing many small transactions raises it,
  // so that it copies each page back to the file once instead of every few commits; the
  // checkpoint then happens when the last connection closes, or at a commit after the value is
  // set back.
  std::optional<int> wal_autocheckpoint_pages{};
  // When the scope ends, copy what the WAL holds back into the file, as far as no reader of
  // another connection prevents it (a passive checkpoint: it never waits).
  bool checkpoint_at_end = false;
};

// Gives SQLite's page caches one region of `pages` page slots in transparent huge pages, for the
// whole process, when the kernel offers them (/sys/kernel/mm/transparent_hugepage/enabled is
// `always` or `madvise`). An ingestion job reads thousands of B-tree pages into freshly
// allocated memory, one page fault each (~10 µs on a small virtual machine: 10,281 faults for
// one daily_update at 2,450 sessions); in huge pages the region faults a few dozen times. SQLite
// writes into every slot when it sets the region up, so all of it is resident from the start
// (daily_update: 12,288 slots, ~51 MiB). Takes effect only before the process opens its first
// database (a no-op after); pages that do not fit a slot, or past the last, come from the heap as
// before. docs/PERFORMANCE.md, "The scale run".
void reserve_page_cache(int pages);

class Database {
public:
  // `path` may be ":memory:" (tests). Throws core::Error: exit 2 for another program's SQLite
  // database (when migrating), exit 1 when the file cannot be opened or migrated.
  explicit Database(const std::string& path, OpenOptions options = {});
  ~Database();
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const;
  int schema_version() const;
  // PRAGMA data_version: a number that changes when another connection (of this process or
  // another) commits to the database, so a reader can tell whether what it read before may be
  // out of date. Only comparable with this connection's own earlier answers.
  std::int64_t data_version() const;
  static int latest_schema_version();

  // A write transaction (BEGIN IMMEDIATE, so the write lock is taken up front and two writers
  // never deadlock). Rolls back in its destructor unless commit() was called; the destructor
  // never throws. At most one Transaction per Database at a time.
  class Transaction {
  public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

  private:
    Database& m_db;
    bool m_done = false;
  };

  // Applies ConnectionSettings to this connection for a scope's length and sets back, when
  // the scope ends (by an exception too), the values the connection had when it began, so
  // scopes nest (an ingestion's large cache, then a merge's small one inside it). The only way
  // krxbatch changes a connection's settings. The constructor throws core::Error; the
  // destructor never throws: a value it cannot set back is a WARN line (the connection is then
  // slower or faster, never wrong). At most one thread uses it, like the Database.
  class SettingsScope {
  public:
    SettingsScope(Database& db, const ConnectionSettings& settings);
    ~SettingsScope();
    SettingsScope(const SettingsScope&) = delete;
    SettingsScope& operator=(const SettingsScope&) = delete;

  private:
    // Sets back what the constructor changed; never throws.
    void set_back() noexcept;

    Database& m_db;
    std::optional<std::int64_t> m_cache_size;         // cache_size found, to set back
    std::optional<std::int64_t> m_wal_autocheckpoint; // wal_autocheckpoint found, to set back
    bool m_checkpoint_at_end = false;
  };

  // Copies the WAL's committed pages into the database file (a passive checkpoint: it never
  // waits for another connection, and stops at what a reader still needs). Throws core::Error.
  void checkpoint();

  // Runs a statement without results (maintenance, tests). Throws core::Error.
  void execute(const std::string& sql);

  struct Impl; // defined in src/store/sqlite_access.hpp, for the store's own sources
  Impl& impl() { return *m_impl; }
  const Impl& impl() const { return *m_impl; }

private:
  std::unique_ptr<Impl> m_impl;
};

} // namespace krxbatch::store
