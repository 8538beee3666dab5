// Storage faults (DESIGN §5.6): a full disk, a read-only file or directory, a corrupt file and
// a database locked by another program. For each: a one-line error that names the file and
// what to do, exit 1, and nothing lost — once the fault is removed the data is what it was
// before (same digest), no session is half-written, and the next run heals to exactly what a
// run without the fault stores.
#include "reliability.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

using namespace krxbatch;
using namespace krxbatch::test;
using namespace krxbatch::test::rel;

namespace {

const std::vector<std::string> k_window = {"2024-06-24", "2024-06-25", "2024-06-26", "2024-06-27",
                                           "2024-06-28", "2024-07-01", "2024-07-02", "2024-07-03"};

// A database with 5 sessions (through 2024-06-28), the clock on Thursday 2024-07-04 so that
// daily_update has 3 sessions to fetch, and the digest of a fault-free daily_update.
struct Scenario {
  Scenario() : env(k_monday_morning) {
    base = (env.dir() / "base.db").string();
    const auto r = run_on(env, base, {"manual_setup", "--yes", "--days", "5"});
    REQUIRE(r.exit_code == 0);
    // The backfill's merge leaves the staging table's pages free in the file, and later
    // sessions reuse them before the file grows: compacted, the file's page count is what the
    // data needs, so that a cap at it (or a little above) is a full disk from the first write.
    {
      SQLite::Database conn(base, SQLite::OPEN_READWRITE);
      conn.exec("VACUUM");
    }
    env.set_now(k_thursday_morning);
    const auto reference = (env.dir() / "reference.db").string();
    copy_database(base, reference);
    REQUIRE(run_on(env, reference, {"daily_update"}).exit_code == 0);
    healed_digest = env.digest(reference);
    base_digest = env.digest(base);
  }
  IngestEnv env;
  std::string base;
  std::string base_digest;
  std::string healed_digest;
};

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

// The error line of a run stopped by a storage fault: exactly one `krxbatch: error:` line that
// names `file` and holds `advice`; exit 1; no raw SQLite message and no internal error.
void check_storage_error(const ProcessResult& r, const std::string& file,
                         const std::string& advice) {
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(count_of(r.err, "krxbatch: error:") == 1);
  const auto from = r.err.find("krxbatch: error:");
  const auto line =
      from == std::string::npos ? std::string() : r.err.substr(from, r.err.find('\n', from) - from);
  CHECK(line.find(file) != std::string::npos);
  CHECK(line.find(advice) != std::string::npos);
  CHECK(r.err.find("internal error") == std::string::npos);
  CHECK_FALSE(raw_sqlite_busy(r.err));
}

// After the fault is removed: nothing was lost (the digest of `db` is `before`), no session is
// half-written, and the next daily_update ends where a fault-free one does.
void check_nothing_lost_then_heal(Scenario& s, const std::string& db, const std::string& before) {
  CHECK(check_invariants(db, k_window) == "");
  CHECK(s.env.digest(db) == before);
  const auto r = run_on(s.env, db, {"daily_update"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(s.env.digest(db) == s.healed_digest);
}

std::int64_t page_count(const std::string& db) {
  SQLite::Database conn(db, SQLite::OPEN_READWRITE);
  return conn.execAndGet("PRAGMA page_count").getInt64();
}

// The page size and the root page of `table`.
std::pair<std::int64_t, std::int64_t> root_page(const std::string& db, const std::string& table) {
  SQLite::Database conn(db, SQLite::OPEN_READONLY);
  const auto size = conn.execAndGet("PRAGMA page_size").getInt64();
  SQLite::Statement st(conn, "SELECT rootpage FROM sqlite_master WHERE name = ?");
  st.bind(1, table);
  REQUIRE(st.executeStep());
  return {size, st.getColumn(0).getInt64()};
}

void flip_byte(const std::string& path, std::int64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c = 0;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0xFF));
}

// Checkpoints the database into its main file (no -wal left), so that byte-level damage to
// the main file is what SQLite reads.
void checkpoint(const std::string& db) {
  SQLite::Database conn(db, SQLite::OPEN_READWRITE);
  conn.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

// A lock held by another process (tests/reliability/tools/lock_holder.cpp).
class LockHolder {
public:
  LockHolder(const std::string& db, const std::string& mode) {
    SpawnOptions o;
    o.stdout_pipe = true;
    m_child.emplace(Child::spawn({KRXBATCH_LOCK_HOLDER_BINARY, db, mode}, o));
    const auto line = m_child->read_line();
    if (!line || *line != "locked") {
      const auto r = m_child->wait();
      FAIL("lock holder did not lock: " << r.err);
    }
  }
  // Lets the lock go (the process ends; the kernel releases its locks).
  void release() {
    if (m_child) {
      m_child->kill(SIGKILL);
      m_child->wait();
      m_child.reset();
    }
  }
  ~LockHolder() { release(); }
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;

private:
  std::optional<Child> m_child;
};

// A private mount namespace for this test process and its children, so that a tmpfs mounted
// here is seen by the krxbatch it runs and vanishes with the test. Needs root.
bool enter_private_mount_namespace() {
  if (::geteuid() != 0 || ::unshare(CLONE_NEWNS) != 0) {
    return false;
  }
  return ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

class Tmpfs {
public:
  Tmpfs(std::filesystem::path dir, std::int64_t bytes) : m_dir(std::move(dir)) {
    std::filesystem::create_directories(m_dir);
    m_mounted =
        ::mount("tmpfs", m_dir.c_str(), "tmpfs", 0, ("size=" + std::to_string(bytes)).c_str()) == 0;
  }
  bool mounted() const { return m_mounted; }
  bool resize(std::int64_t bytes) {
    return ::mount("tmpfs", m_dir.c_str(), "tmpfs", MS_REMOUNT,
                   ("size=" + std::to_string(bytes)).c_str()) == 0;
  }
  ~Tmpfs() {
    if (m_mounted) {
      ::umount2(m_dir.c_str(), MNT_DETACH);
    }
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

private:
  std::filesystem::path m_dir;
  bool m_mounted = false;
};

// Runs krxbatch as an unprivileged user when the test is root (root ignores permissions),
// from a copy of the binary and the holiday files in `env`'s directory: that user may not
// reach the build (a clone in root's 0700 home).
struct Unprivileged {
  explicit Unprivileged(const IngestEnv& env) {
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("nobody");
      REQUIRE(pw != nullptr);
      user = std::pair{pw->pw_uid, pw->pw_gid};
      copy = copy_krxbatch_into(env.dir() / "krxbatch-copy");
    }
  }
  void own(const std::filesystem::path& p) const {
    if (user) {
      REQUIRE(::chown(p.c_str(), user->first, user->second) == 0);
    }
  }
  ProcessResult run(const IngestEnv& env, const std::string& db,
                    const std::vector<std::string>& args,
                    const std::vector<std::pair<std::string, std::string>>& extra_env = {}) const {
    auto o = env.options(db);
    o.run_as = user;
    o.cwd = env.dir();
    if (copy) {
      std::erase_if(o.env, [](const auto& e) { return e.first == "KRXBATCH_HOLIDAYS"; });
      o.env.emplace_back("KRXBATCH_HOLIDAYS", copy->holidays.string());
    }
    for (const auto& [name, value] : extra_env) {
      o.env.emplace_back(name, value);
    }
    std::vector<std::string> argv = {copy ? copy->binary.string() : krxbatch_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, o);
  }
  std::optional<std::pair<uid_t, gid_t>> user;
  std::optional<KrxbatchCopy> copy;
};

} // namespace

TEST_SUITE("reliability.storage") {
  TEST_CASE("a full disk (the file capped by max_page_count) before the first session: one "
            "line naming the file, exit 1, nothing lost") {
    Scenario s;
    const auto db = (s.env.dir() / "full.db").string();
    copy_database(s.base, db);
    const auto cap = std::to_string(page_count(db));
    const auto r = run_on(s.env, db, {"daily_update"}, {{"KRXBATCH_TEST_MAX_PAGE_COUNT", cap}});
    check_storage_error(r, db, "the disk is full");
    check_nothing_lost_then_heal(s, db, s.base_digest);
  }

  TEST_CASE("a full disk (max_page_count) in the middle of a run: the sessions stored before it "
            "are kept whole, the one in flight is not half-written") {
    Scenario s;
    const auto db = (s.env.dir() / "full.db").string();
    copy_database(s.base, db);
    // Room for about one and a half sessions.
    const auto reference = (s.env.dir() / "reference.db").string();
    const auto per_session = (page_count(reference) - page_count(db)) / 3;
    const auto cap = std::to_string(page_count(db) + per_session * 3 / 2);
    const auto r = run_on(s.env, db, {"daily_update"}, {{"KRXBATCH_TEST_MAX_PAGE_COUNT", cap}});
    check_storage_error(r, db, "the disk is full");
    CHECK(check_invariants(db, k_window) == "");
    {
      SQLite::Database conn(db, SQLite::OPEN_READONLY);
      CHECK(conn.execAndGet("SELECT count(*) FROM job_days WHERE state = 'succeeded' AND "
                            "trade_date > '2024-06-28'")
                .getInt() == 1);
    }
    const auto healed = run_on(s.env, db, {"daily_update"});
    INFO(healed.err);
    CHECK(healed.exit_code == 0);
    CHECK(s.env.digest(db) == s.healed_digest);
  }

  TEST_CASE("a really full disk (a small tmpfs): one line naming the file, exit 1, nothing lost "
            "once space is freed") {
    Scenario s;
    if (!enter_private_mount_namespace()) {
      MESSAGE("not run: a tmpfs needs root (a private mount namespace); the max_page_count "
              "cases cover SQLITE_FULL");
      return;
    }
    const auto dir = s.env.dir() / "tmpfs";
    const auto size = static_cast<std::int64_t>(std::filesystem::file_size(s.base));
    // The database and its shared-memory index fit; one session's WAL frames do not.
    Tmpfs fs(dir, size + 96 * 1024);
    REQUIRE(fs.mounted());
    const auto db = (dir / "full.db").string();
    copy_database(s.base, db);
    const auto r = run_on(s.env, db, {"daily_update"});
    check_storage_error(r, db, "the disk is full");
    CHECK(check_invariants(db, k_window) == "");
    REQUIRE(fs.resize(64 * 1024 * 1024));
    check_nothing_lost_then_heal(s, db, s.base_digest);
  }

  TEST_CASE("a restore on a disk too small for the safety copy (a small tmpfs) stops before "
            "touching anything and leaves no partial file under a final name") {
    Scenario s;
    const auto backups = s.env.dir() / "bk";
    REQUIRE(run_on(s.env, s.base, {"backup", "--dir", backups.string()}).exit_code == 0);
    REQUIRE(std::filesystem::exists(backups));
    const auto backup = std::filesystem::directory_iterator(backups)->path();
    if (!enter_private_mount_namespace()) {
      MESSAGE("not run: a tmpfs needs root (a private mount namespace); the space rule itself "
              "is the unit test of ops::lacking_space");
      return;
    }
    const auto dir = s.env.dir() / "tmpfs";
    const auto live_size = static_cast<std::int64_t>(std::filesystem::file_size(s.base));
    const auto backup_size = static_cast<std::int64_t>(std::filesystem::file_size(backup));
    // The live database and the staged copy of the backup fit; the safety copy does not.
    Tmpfs fs(dir, live_size + backup_size + 64 * 1024);
    REQUIRE(fs.mounted());
    const auto db = (dir / "krx.db").string();
    copy_database(s.base, db);
    checkpoint(db);
    const auto bytes = slurp(db);
    const auto r = run_on(s.env, db, {"restore", "--yes", backup.string()});
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("not enough free space") != std::string::npos);
    CHECK(r.err.find("nothing was changed") != std::string::npos);
    CHECK(slurp(db) == bytes);
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      CAPTURE(e.path());
      // The database, its companions (the job locks restore took) and empty directories.
      CHECK((e.is_directory() || e.path().string().starts_with(db)));
    }
    // With room, the same restore goes through.
    REQUIRE(fs.resize(64 * 1024 * 1024));
    const auto done = run_on(s.env, db, {"restore", "--yes", backup.string()});
    INFO(done.err);
    CHECK(done.exit_code == 0);
    CHECK(s.env.digest(db) == s.base_digest);
  }

  TEST_CASE("a read-only database file: one line naming the file and the fix, exit 1, nothing "
            "changed") {
    Scenario s;
    Unprivileged as(s.env);
    std::filesystem::permissions(s.env.dir(), std::filesystem::perms::owner_all |
                                                  std::filesystem::perms::group_exec |
                                                  std::filesystem::perms::others_exec);
    const auto dir = s.env.dir() / "ro-file";
    std::filesystem::create_directories(dir);
    as.own(dir);
    const auto db = (dir / "krx.db").string();
    copy_database(s.base, db);
    as.own(db);
    const auto bytes = slurp(db);
    std::filesystem::permissions(db, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::group_read |
                                         std::filesystem::perms::others_read);
    const auto r = as.run(s.env, db, {"daily_update"});
    check_storage_error(r, db, "read-only");
    CHECK(slurp(db) == bytes);
    std::filesystem::permissions(db, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    check_nothing_lost_then_heal(s, db, s.base_digest);
  }

  TEST_CASE("a read-only directory: one line naming what cannot be written and the fix, exit 1, "
            "nothing changed") {
    Scenario s;
    Unprivileged as(s.env);
    std::filesystem::permissions(s.env.dir(), std::filesystem::perms::owner_all |
                                                  std::filesystem::perms::group_exec |
                                                  std::filesystem::perms::others_exec);
    const auto dir = s.env.dir() / "ro-dir";
    std::filesystem::create_directories(dir);
    const auto db = (dir / "krx.db").string();
    copy_database(s.base, db);
    as.own(dir);
    as.own(db);
    const auto bytes = slurp(db);
    std::filesystem::permissions(
        dir, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                 std::filesystem::perms::group_exec | std::filesystem::perms::others_exec);
    // By default the job's log file goes to logs/ beside the database: that is the first
    // thing that cannot be written, a configuration error (exit 2) naming the directory.
    const auto by_default = as.run(s.env, db, {"daily_update"});
    INFO(by_default.err);
    CHECK(by_default.exit_code == 2);
    CHECK(count_of(by_default.err, "krxbatch: error:") == 1);
    CHECK(by_default.err.find((dir / "logs").string()) != std::string::npos);
    CHECK(slurp(db) == bytes);
    // With the logs elsewhere, the database's own directory is what cannot be written.
    const auto logs = s.env.dir() / "logs-elsewhere";
    std::filesystem::create_directories(logs);
    as.own(logs);
    const auto r = as.run(s.env, db, {"daily_update"}, {{"KRXBATCH_LOG_DIR", logs.string()}});
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(count_of(r.err, "krxbatch: error:") == 1);
    CHECK(r.err.find(dir.string()) != std::string::npos);
    CHECK(r.err.find("writable") != std::string::npos);
    CHECK(slurp(db) == bytes);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    check_nothing_lost_then_heal(s, db, s.base_digest);
  }

  TEST_CASE("a file that is not a database: one line saying to restore a backup, exit 1, the "
            "file left as it was") {
    Scenario s;
    const auto db = (s.env.dir() / "garbage.db").string();
    std::string garbage(16384, '\0');
    Rng rng(seed());
    for (auto& c : garbage) {
      c = static_cast<char>(rng.between(0, 255));
    }
    { std::ofstream(db, std::ios::binary) << garbage; }
    const auto r = run_on(s.env, db, {"daily_update"});
    check_storage_error(r, db, "krxbatch restore");
    CHECK(slurp(db) == garbage);
    CHECK_FALSE(std::filesystem::exists(db + "-wal"));
  }

  TEST_CASE("a truncated database file: one line saying to restore a backup, exit 1, the file "
            "left as it was") {
    Scenario s;
    const auto db = (s.env.dir() / "truncated.db").string();
    copy_database(s.base, db);
    checkpoint(db);
    std::filesystem::resize_file(db, std::filesystem::file_size(db) / 2);
    const auto bytes = slurp(db);
    const auto r = run_on(s.env, db, {"daily_update"});
    check_storage_error(r, db, "krxbatch restore");
    CHECK(slurp(db) == bytes);
  }

  TEST_CASE("a damaged page of daily_prices: one line saying to restore a backup, exit 1, and "
            "with the page repaired nothing was lost") {
    Scenario s;
    const auto db = (s.env.dir() / "flipped.db").string();
    copy_database(s.base, db);
    checkpoint(db);
    const auto [page_size, root] = root_page(db, "daily_prices");
    // The b-tree page type, the first byte of the page's header.
    const auto offset = (root - 1) * page_size + (root == 1 ? 100 : 0);
    flip_byte(db, offset);
    const auto verify = run_on(s.env, db, {"verify"});
    CHECK(verify.exit_code == 1);
    const auto r = run_on(s.env, db, {"daily_update"});
    check_storage_error(r, db, "krxbatch restore");
    checkpoint(db);
    flip_byte(db, offset);
    check_nothing_lost_then_heal(s, db, s.base_digest);
  }

  TEST_CASE("a database whose write lock another program holds past the busy timeout: one line "
            "naming the file and fuser, exit 1, nothing lost") {
    Scenario s;
    const auto db = (s.env.dir() / "locked.db").string();
    copy_database(s.base, db);
    {
      LockHolder holder(db, "write");
      s.env.fake().clear_requests();
      const auto r =
          run_on(s.env, db, {"daily_update"}, {{"KRXBATCH_TEST_BUSY_TIMEOUT_MS", "300"}});
      check_storage_error(r, db, "fuser");
      CHECK(test::requested_days(s.env.fake()).count("20240701") == 0);
    }
    check_nothing_lost_then_heal(s, db, s.base_digest);
  }

  TEST_CASE("a database another program holds in exclusive locking mode (no reader gets in): "
            "one line naming the file and fuser, exit 1, nothing lost") {
    Scenario s;
    const auto db = (s.env.dir() / "exclusive.db").string();
    copy_database(s.base, db);
    {
      LockHolder holder(db, "exclusive");
      const auto r =
          run_on(s.env, db, {"daily_update"}, {{"KRXBATCH_TEST_BUSY_TIMEOUT_MS", "300"}});
      check_storage_error(r, db, "fuser");
      const auto status = run_on(s.env, db, {"status"}, {{"KRXBATCH_TEST_BUSY_TIMEOUT_MS", "300"}});
      check_storage_error(status, db, "fuser");
    }
    check_nothing_lost_then_heal(s, db, s.base_digest);
  }

  TEST_CASE("a write lock another program lets go within the busy timeout: the job waits and "
            "succeeds") {
    Scenario s;
    const auto db = (s.env.dir() / "briefly.db").string();
    copy_database(s.base, db);
    // The job is held on its first session's last answer while another program takes the
    // write lock; the answer is released, so the job's next step is that session's commit,
    // and the lock is let go at once. Whether the commit meets the lock or comes after it is
    // let go, the job must succeed (a busy wait within the timeout is not an error).
    s.env.fake().clear_requests(); // the reference run asked for the same days
    s.env.fake().add_faults(
        R"({"api":"kosdaq_dd_trd","date":"2024-07-01","fault":"delay","ms":600000})");
    auto job = s.env.spawn({"daily_update"}, db);
    s.env.fake().wait_for_request("kosdaq_dd_trd", "20240701");
    LockHolder holder(db, "write");
    s.env.fake().release_delays();
    holder.release();
    const auto r = job.wait();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(s.env.digest(db) == s.healed_digest);
  }
}
