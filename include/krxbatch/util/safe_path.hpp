// Path safety: what krxbatch may write, rename, truncate or delete, and how it opens and
// creates files. Every writer goes through this module (docs/RELIABILITY.md "Paths and
// permissions").
//
// The policy (PathPolicy). Before a write, rename, truncate or delete, the target is resolved
// (made absolute, symbolic links followed as far as the path exists, `.` and `..` removed) and
// checked against what must never be hit:
//   - the database and its companions: every file of the database's directory whose name
//     starts with the database's file name (`-wal`, `-shm`, `-journal`, `.ingest.lock`,
//     `.analysis.lock`), and any other name (hard link) of the database file;
//   - the database's directory and every ancestor of it: never replaced or deleted;
//   - the protected directories and files: the backup and snapshot directories, written only
//     by the command that owns them, on its own file names; the holidays directory, the config
//     file and a replay directory, written by nobody.
// A refusal is a core::Error with exit 2 whose message names where the path came from, the
// path, what it would hit and what to do; it is thrown before anything is changed.
//
// Opening (open_own_file). Files written in place (lock files, log files, the metrics log) are
// opened without following a symbolic link (O_NOFOLLOW), without blocking on a FIFO, and must
// then be regular files with a single link owned by the running user, or, when root runs
// krxbatch, by the owner of their directory (the service user's own files): a planted link
// or somebody else's file is refused, never truncated or written.
//
// Temporary entries (TempFile, TempDir). Files holding data are written under a temporary name
// and renamed into place only when complete. Every temporary file and directory is
// `<dir>/.krxbatch-tmp-<tag>-XXXXXX[suffix]` (k_temp_prefix), created exclusively (files 0600,
// directories 0700) and flock(2)ed for its whole life, so that the leftover of a killed run
// (an entry nobody holds) can be told from the temporary entry of a run in progress (held).
// remove_leftovers() deletes a tag's leftovers (the next run of the same command and the
// retention cleanups call it); find_leftovers() lists them (`krxbatch verify`). When root
// creates a file or directory in a directory owned by another user, it is given to that user,
// as SQLite does with the -wal of a database it opens as root.
//
// Thread-compatible. The checks read the file system, so their answer is a snapshot; the
// opening checks are made on the opened descriptor and hold for it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace krxbatch::util {

// The name prefix of every temporary file and directory krxbatch creates.
inline constexpr std::string_view k_temp_prefix = ".krxbatch-tmp-";

// `path` made absolute, with symbolic links resolved as far as the path exists and `.`, `..`
// and a trailing separator removed. Never throws (an unreadable part is resolved lexically).
std::filesystem::path resolve_path(const std::filesystem::path& path);

// Whether `path` is `dir` or lies inside it, component by component (both already resolved).
bool is_within(const std::filesystem::path& path, const std::filesystem::path& dir);

class PathPolicy {
public:
  // The policy of the database at `db_path` (it need not exist yet).
  explicit PathPolicy(const std::filesystem::path& db_path);

  // `dir` holds files that only the commands `owners` write ({"backup", "restore"}); `label`
  // names it in messages ("the backup directory"). No owners: nobody writes there.
  void protect_directory(const std::filesystem::path& dir, std::string label,
                         std::vector<std::string> owners = {});
  // `file` is never written ("the config file").
  void protect_file(const std::filesystem::path& file, std::string label);

  // The database's resolved path: what locks and comparisons use, so that two spellings of one
  // database (a symbolic link, `./`, `..`) are one database.
  const std::filesystem::path& database() const { return m_db; }

  // `what` names where a path came from in messages, e.g. "export --out" or
  // "metrics_textfile (/etc/krxbatch.conf:4)"; `writer` is the command writing ("backup").
  // Each throws core::Error (exit 2) as described above.

  // A file `writer` creates, replaces or appends to: not the database or a companion, not a
  // directory, not inside a protected directory `writer` does not own, not a protected file.
  void check_file(const std::filesystem::path& path, std::string_view what,
                  std::string_view writer = {}) const;
  // A directory `writer` creates its own files in (and deletes its own old ones from): not the
  // database or a companion, not a file, not inside a protected directory `writer` does not
  // own.
  void check_directory(const std::filesystem::path& dir, std::string_view what,
                       std::string_view writer = {}) const;
  // A directory a command replaces as a whole: not the database's directory or any ancestor of
  // the database, not a companion, and neither inside nor holding a protected path.
  void check_replaceable_directory(const std::filesystem::path& dir, std::string_view what) const;
  // A file `writer` is about to delete from its own directory (the link itself, never what it
  // points to): never the database or a companion, never inside a protected directory
  // `writer` does not own.
  void check_delete(const std::filesystem::path& file, std::string_view writer) const;

private:
  struct Protected {
    std::filesystem::path path; // resolved
    std::string label;
    std::vector<std::string> owners;
    bool directory = true;
    bool owned_by(std::string_view writer) const;
    std::string written_by() const; // ", which only `krxbatch backup` writes"
  };
  // Why `resolved` may not be written: it is the database or a companion, or (for `writer`) a
  // protected path; "" when it may.
  std::string database_problem(const std::filesystem::path& resolved) const;
  std::string protected_problem(const std::filesystem::path& resolved,
                                std::string_view writer) const;

  std::filesystem::path m_db;
  std::vector<Protected> m_protected;
};

// An owned file descriptor, closed on destruction.
class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }
  int release() { return std::exchange(m_fd, -1); }

private:
  int m_fd = -1;
};

// Opens the file at `path` to write in place, creating it with `mode` when absent. `flags`
// adds to O_CREAT | O_NOFOLLOW | O_CLOEXEC: O_RDWR or O_WRONLY, and O_APPEND as wanted (never
// O_TRUNC: the caller truncates only once the file is known to be its own). Throws core::Error
// (exit 2) naming `what` and the path when it is a symbolic link, not a regular file, has more
// than one link or is another user's; (exit 1) when it cannot be opened.
UniqueFd open_own_file(const std::filesystem::path& path, int flags, mode_t mode,
                       std::string_view what);

// A temporary file `<dir>/.krxbatch-tmp-<tag>-XXXXXX<suffix>`, created empty and owner-only,
// held (flock) until it is committed or removed. Removed with the object unless committed.
class TempFile {
public:
  TempFile() = default;
  // Throws core::Error (exit 1) naming `dir` when it cannot be created.
  TempFile(const std::filesystem::path& dir, std::string_view tag, std::string_view suffix = {});
  ~TempFile();
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // The file, open for reading and writing (the descriptor that holds it).
  int fd() const { return m_lock.get(); }
  explicit operator bool() const { return !m_path.empty(); }
  // Flushes the file to disk, renames it to `target` (atomically replacing a file there) and
  // flushes `target`'s directory; the object then holds nothing. Precondition: `target` is
  // on the same file system (the same directory, in practice) and has passed the policy.
  // Not `durable`: renamed without the two flushes, for many small files whose writer flushes
  // the file system once afterwards (sync_file_system); a crash before that flush may leave
  // `target` empty or cut short, never a temporary name's half-written content under it.
  void commit(const std::filesystem::path& target, bool durable = true);
  // Deletes it now.
  void remove();

private:
  std::filesystem::path m_path;
  UniqueFd m_lock;
};

// A temporary directory `<dir>/.krxbatch-tmp-<tag>-XXXXXX` (0700), held until released;
// removed with everything in it with the object unless released.
class TempDir {
public:
  // Throws core::Error (exit 1) naming `dir` when it cannot be created.
  TempDir(const std::filesystem::path& dir, std::string_view tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // Keeps the directory (it has been renamed into place); the hold is let go.
  void release();

private:
  std::filesystem::path m_path;
  UniqueFd m_lock;
};

// The temporary entries of `tag` (every tag when empty) in `dir` that no running process holds:
// leftovers of a run that was killed. A companion SQLite left beside one (`-journal`, `-wal`,
// `-shm`) belongs to it. Sorted; empty when `dir` cannot be read.
std::vector<std::filesystem::path> find_leftovers(const std::filesystem::path& dir,
                                                  std::string_view tag = {});
// Deletes find_leftovers(dir, tag) (a directory with its content; a link itself, never what it
// points to) and returns what was deleted. One that cannot be deleted is logged (WARN) and
// skipped.
std::vector<std::filesystem::path> remove_leftovers(const std::filesystem::path& dir,
                                                    std::string_view tag);

// Test seam of the leftover tests (docs/RELIABILITY.md): crash_point(name) kills the process
// with SIGKILL when `name` is the point set_crash_point() named. The CLI sets it only from
// KRXBATCH_TEST_KILL_AT; nothing in production does.
void set_crash_point(std::string name);
void crash_point(std::string_view name);

} // namespace krxbatch::util
