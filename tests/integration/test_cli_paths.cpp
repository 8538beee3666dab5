// Hostile paths and operator mistakes (docs/RELIABILITY.md "Paths and permissions"): every
// writing command aimed at the database, its directory, an ancestor, a companion file or a
// protected directory is refused with exit 2 and changes nothing; links planted at lock and
// data files are never followed; two spellings of one database share its locks; the leftovers
// of a run killed with -9 are reported by verify and removed by the next run; and the usage
// edges of --db, --now and the config file are usage errors, never an internal error.
#include "krxbatch/util/file_lock.hpp"

#include "ingest_env.hpp"
#include "support/market_db.hpp"
#include "support/process.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace krxbatch;
namespace fs = std::filesystem;

namespace {

const core::Date k_last(2024, 6, 28);
const char* const k_now = "2024-06-28T21:00:00+09:00";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A scratch directory holding data/krxbatch.db (a small market written through the store
// API) and its own copy of the holiday files, removed at the end of the test.
class Workspace {
public:
  Workspace() {
    std::string templ = (fs::temp_directory_path() / "krxbatch-paths-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_dir = templ;
    fs::create_directories(m_dir / "data");
    fs::copy(test::source_dir() / "holidays", holidays());
    test::build_market_db(db(), calendar::Calendar::load(holidays()), 12, k_last, {},
                          50'000'000'000);
  }
  ~Workspace() {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  fs::path dir() const { return m_dir; }
  fs::path data() const { return m_dir / "data"; }
  fs::path db() const { return data() / "krxbatch.db"; }
  fs::path holidays() const { return m_dir / "holidays"; }

  test::ProcessResult
  cli(const std::vector<std::string>& args,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& env = {}) const {
    return test::run(argv(args), options(env));
  }
  test::Child spawn(const std::vector<std::string>& args,
                    const std::vector<std::pair<std::string, std::optional<std::string>>>& env = {},
                    bool stdout_pipe = false) const {
    auto o = options(env);
    o.stdout_pipe = stdout_pipe;
    return test::Child::spawn(argv(args), o);
  }

  // Every file under the workspace with its content, except the log files the data-care
  // commands append to: what a refused command must leave exactly as it was.
  std::map<std::string, std::string> files() const {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(m_dir)) {
      const auto rel = fs::relative(e.path(), m_dir).string();
      if (rel.starts_with("data/logs") || rel.starts_with("logs")) {
        continue;
      }
      out[rel] = e.is_directory() ? std::string("<dir>") : slurp(e.path());
    }
    return out;
  }

private:
  static std::vector<std::string> argv(const std::vector<std::string>& args) {
    std::vector<std::string> out = {test::krxbatch_binary().string()};
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }
  test::SpawnOptions
  options(const std::vector<std::pair<std::string, std::optional<std::string>>>& env) const {
    test::SpawnOptions o;
    o.cwd = m_dir;
    o.env = {{"KRXBATCH_DB", db().string()},
             {"KRXBATCH_NOW", k_now},
             {"KRXBATCH_HOLIDAYS", holidays().string()}};
    for (const auto& e : env) {
      std::erase_if(o.env, [&](const auto& existing) { return existing.first == e.first; });
      o.env.push_back(e);
    }
    return o;
  }

  fs::path m_dir;
};

// The refusal of a path: exit 2, one error line naming `path` and `hit` (the protected path),
// saying nothing was changed; no internal error.
void check_refused(const test::ProcessResult& r, const std::string& path, const std::string& hit) {
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "krxbatch: error: "));
  CHECK(contains(r.err, path));
  CHECK(contains(r.err, hit));
  CHECK(contains(r.err, "nothing was changed"));
  CHECK_FALSE(contains(r.err, "internal error"));
}

std::vector<fs::path> temp_entries(const fs::path& dir) {
  std::vector<fs::path> out;
  if (fs::exists(dir)) {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().filename().string().starts_with(".krxbatch-tmp-")) {
        out.push_back(e.path());
      }
    }
  }
  return out;
}

} // namespace

TEST_SUITE("cli.paths") {
  TEST_CASE("export --force aimed at the database's directory, an ancestor, the database, a "
            "companion or the backup directory is refused and deletes nothing") {
    Workspace ws;
    REQUIRE(ws.cli({"backup"}).exit_code == 0); // data/backups holds a backup
    const auto before = ws.files();
    const auto db = ws.db().string();
    const std::vector<std::pair<fs::path, std::string>> targets = {
        {ws.data(), "holds the database " + db},
        {ws.dir(), "holds the database " + db},
        {"/", "holds the database " + db},
        {ws.data() / ".." / "data" / ".", "holds the database " + db},
        {ws.db(), "is the database"},
        {ws.data() / "krxbatch.db-wal", "is a companion file of the database " + db},
        {ws.data() / "backups", "is the backup directory " + (ws.data() / "backups").string()},
        {ws.holidays(), "is the holidays directory " + ws.holidays().string()}};
    for (const auto& [target, hit] : targets) {
      CAPTURE(target);
      const auto r = ws.cli({"export", "--from", "2024-06-20", "--to", "2024-06-28", "--out",
                             target.string(), "--force"});
      check_refused(r, target.string(), hit);
      CHECK(ws.files() == before);
    }
  }

  TEST_CASE("backup, snapshot and restore aimed at the database or another command's directory "
            "are refused and write nothing") {
    Workspace ws;
    const auto before = ws.files();
    check_refused(ws.cli({"backup", "--dir", ws.db().string()}), ws.db().string(),
                  "is the database");
    check_refused(ws.cli({"backup", "--dir", (ws.data() / "snapshots").string()}),
                  (ws.data() / "snapshots").string(),
                  "is the snapshot directory " + (ws.data() / "snapshots").string() +
                      ", which only `krxbatch snapshot` writes");
    check_refused(ws.cli({"snapshot", "--dir", (ws.data() / "backups" / "weekly").string()}),
                  (ws.data() / "backups" / "weekly").string(), "is inside the backup directory");
    check_refused(ws.cli({"backup", "--cleanup-only", "--retention-days", "0", "--dir",
                          ws.holidays().string()}),
                  ws.holidays().string(), "which krxbatch never writes");
    CHECK(ws.files() == before);
  }

  TEST_CASE("a job's log directory, metrics textfile or metrics log aimed at the database, a "
            "companion or the backup directory is refused before the job runs") {
    Workspace ws;
    REQUIRE(ws.cli({"backup"}).exit_code == 0);
    const auto before = ws.files();
    const auto db = ws.db().string();
    const std::vector<std::tuple<std::string, fs::path, std::string>> settings = {
        {"KRXBATCH_METRICS_TEXTFILE", ws.db(), "is the database"},
        {"KRXBATCH_METRICS_LOG", ws.data() / "krxbatch.db-wal", "is a companion file"},
        {"KRXBATCH_METRICS_LOG", ws.data() / "backups" / "m.jsonl",
         "is inside the backup directory"},
        {"KRXBATCH_LOG_DIR", ws.data() / "backups", "is the backup directory"},
        {"KRXBATCH_LOG_DIR", ws.db(), "is the database"}};
    for (const auto& [variable, path, hit] : settings) {
      CAPTURE(variable);
      CAPTURE(path);
      const auto r = ws.cli({"hourly_analysis"}, {{variable, path.string()}});
      check_refused(r, variable + ": " + path.string(), hit);
      CHECK(ws.files() == before);
    }
  }

  TEST_CASE("report daily --out aimed at the database, a companion or the backup directory is "
            "refused before any report is written, and a planted link is not followed") {
    Workspace ws;
    REQUIRE(ws.cli({"backup"}).exit_code == 0);
    const auto victim = ws.dir() / "passwd";
    std::ofstream(victim) << "root:x:0:0:root:/root:/bin/bash\n";
    const auto link = ws.dir() / "report.txt";
    fs::create_symlink(victim, link);
    const auto before = ws.files();
    const auto db = ws.db().string();
    const auto backups = ws.data() / "backups";
    // The target, the path the refusal names, and what it says of it.
    const std::vector<std::tuple<fs::path, fs::path, std::string>> targets = {
        {ws.db(), ws.db(), "is the database"},
        {ws.data() / "krxbatch.db-wal", ws.data() / "krxbatch.db-wal",
         "is a companion file of the database " + db},
        {backups / "r.txt", backups, "is the backup directory " + backups.string()}};
    for (const auto& [target, named, hit] : targets) {
      CAPTURE(target);
      const auto r = ws.cli({"report", "daily", "--date", "2024-06-28", "--out", target.string()});
      check_refused(r, named.string(), hit);
      CHECK(ws.files() == before); // not even reports/ next to the database
    }
    // A link at --out is replaced by the report (a rename), never written through.
    const auto r = ws.cli({"report", "daily", "--date", "2024-06-28", "--out", link.string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(fs::is_symlink(link));
    CHECK(contains(slurp(link), "2024-06-28"));
    CHECK(slurp(victim) == "root:x:0:0:root:/root:/bin/bash\n");
  }

  TEST_CASE("serve with serve_export_dir aimed at the database, a companion or the backup "
            "directory is refused before it listens") {
    Workspace ws;
    REQUIRE(ws.cli({"backup"}).exit_code == 0);
    const auto before = ws.files();
    const auto backups = ws.data() / "backups";
    const std::vector<std::pair<fs::path, std::string>> targets = {
        {ws.db(), "is the database"},
        {ws.data() / "krxbatch.db-wal", "is a companion file"},
        {backups, "is the backup directory"},
        {backups / "exports", "is inside the backup directory"}};
    for (const auto& [path, hit] : targets) {
      CAPTURE(path);
      auto child = ws.spawn({"serve", "--listen", "127.0.0.1:0", "--nice", "0"},
                            {{"KRXBATCH_SERVE_EXPORT_DIR", path.string()}}, true);
      // A refused serve exits without a line; one that listens prints its address first.
      const auto line = child.read_line();
      CHECK_FALSE(line);
      child.kill(SIGTERM);
      const auto r = child.wait();
      check_refused(r, "KRXBATCH_SERVE_EXPORT_DIR: " + path.string(), hit);
      CHECK(ws.files() == before);
    }
  }

  TEST_CASE("--force replaces a previous export, never a directory holding anything else") {
    Workspace ws;
    const auto out = ws.dir() / "exports" / "june";
    const std::vector<std::string> args = {"export",     "--from", "2024-06-20", "--to",
                                           "2024-06-28", "--out",  out.string()};
    REQUIRE(ws.cli(args).exit_code == 0);
    auto forced = args;
    forced.emplace_back("--force");
    const auto first = slurp(out / "manifest.json");
    auto r = ws.cli(forced, {{"KRXBATCH_NOW", "2024-06-28T22:00:00+09:00"}});
    REQUIRE(r.exit_code == 0);
    CHECK(slurp(out / "manifest.json") != first); // a new export, created later
    CHECK(temp_entries(out.parent_path()).empty());
    // Somebody's notes in it: not an export any more.
    std::ofstream(out / "notes.txt") << "mine";
    r = ws.cli(forced);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "holds what its manifest.json does not list (notes.txt)"));
    CHECK(slurp(out / "notes.txt") == "mine");
    CHECK(slurp(out / "manifest.json") != first);
    // Exported files are owner-only: they hold the market data.
    CHECK((fs::status(out / "daily_prices.csv").permissions() & fs::perms::group_read) ==
          fs::perms::none);
  }

  TEST_CASE("links planted at the lock files, the log file or the metrics log are never "
            "followed: the commands refuse and the files they point to are untouched") {
    Workspace ws;
    const auto victim = ws.dir() / "passwd";
    std::ofstream(victim) << "root:x:0:0:root:/root:/bin/bash\n";
    const auto original = slurp(victim);
    const auto plant = [&](const fs::path& at) {
      fs::create_directories(at.parent_path());
      fs::remove(at);
      fs::create_symlink(victim, at);
    };

    plant(ws.db().string() + ".analysis.lock");
    auto r = ws.cli({"hourly_analysis"});
    check_refused(r, ws.db().string() + ".analysis.lock", "is a symbolic link");
    r = ws.cli({"restore", "--yes", ws.db().string()});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "is a symbolic link"));
    fs::remove(ws.db().string() + ".analysis.lock");

    plant(ws.db().string() + ".ingest.lock");
    r = ws.cli({"daily_update"});
    check_refused(r, ws.db().string() + ".ingest.lock", "is a symbolic link");
    r = ws.cli({"universe", "refresh", "--yes"});
    CHECK(r.exit_code == 2);
    fs::remove(ws.db().string() + ".ingest.lock");

    plant(ws.data() / "logs" / "hourly_analysis.log");
    r = ws.cli({"hourly_analysis"});
    check_refused(r, (ws.data() / "logs" / "hourly_analysis.log").string(), "is a symbolic link");
    fs::remove(ws.data() / "logs" / "hourly_analysis.log");

    const auto metrics_log = ws.dir() / "metrics.jsonl";
    plant(metrics_log);
    r = ws.cli({"hourly_analysis"}, {{"KRXBATCH_METRICS_LOG", metrics_log.string()}});
    check_refused(r, metrics_log.string(), "is a symbolic link");
    CHECK(slurp(victim) == original);

    // The textfile is replaced by rename: the link itself goes, its target stays.
    const auto textfile = ws.dir() / "krxbatch.prom";
    plant(textfile);
    r = ws.cli({"hourly_analysis"}, {{"KRXBATCH_METRICS_TEXTFILE", textfile.string()}});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(fs::is_symlink(textfile));
    CHECK(contains(slurp(textfile), "krxbatch_"));
    CHECK(slurp(victim) == original);
  }

  TEST_CASE("two spellings of one database (a link to it, ./ and ..) share its job locks") {
    Workspace ws;
    REQUIRE(ws.cli({"backup"}).exit_code == 0);
    const auto backup = ws.data() / "backups" / "krxbatch-20240628-210000.db";
    fs::create_symlink(ws.db(), ws.dir() / "link.db");
    const auto by_link = (ws.dir() / "link.db").string();
    const auto by_dots = (ws.data() / "." / "logs" / ".." / "krxbatch.db").string();
    // The first run holds the analysis lock, stopped after its first commit.
    auto holder = ws.spawn({"hourly_analysis"}, {{"KRXBATCH_TEST_STOP_AFTER_COMMITTED", "1"}});
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(holder.pid()), &info, WSTOPPED | WEXITED | WNOWAIT) ==
            0);
    REQUIRE(info.si_code == CLD_STOPPED);
    for (const auto& spelling : {by_link, by_dots}) {
      CAPTURE(spelling);
      const auto r = ws.cli({"hourly_analysis"}, {{"KRXBATCH_DB", spelling}});
      INFO(r.err);
      CHECK(r.exit_code == 75);
      const auto restore =
          ws.cli({"restore", "--yes", backup.string()}, {{"KRXBATCH_DB", spelling}});
      CHECK(restore.exit_code == 75);
    }
    holder.kill(SIGKILL);
    holder.wait();
    // Every spelling's lock is the one file next to the real database.
    CHECK_FALSE(fs::exists(ws.dir() / "link.db.analysis.lock"));
    CHECK_FALSE(fs::exists(ws.dir() / "link.db.ingest.lock"));
    CHECK(ws.cli({"hourly_analysis"}, {{"KRXBATCH_DB", by_link}}).exit_code == 0);
  }

  TEST_CASE("the leftovers of a backup, snapshot, restore or export killed with -9 are reported "
            "by verify and removed by the next run of the same command") {
    Workspace ws;
    REQUIRE(ws.cli({"backup"}).exit_code == 0);
    const auto backup = ws.data() / "backups" / "krxbatch-20240628-210000.db";
    REQUIRE(fs::exists(backup));
    const auto out = ws.dir() / "exports" / "june";
    const std::vector<std::tuple<std::string, std::vector<std::string>, fs::path>> commands = {
        {"backup:copied", {"backup"}, ws.data() / "backups"},
        {"snapshot:copied", {"snapshot"}, ws.data() / "snapshots"},
        {"restore:staged", {"restore", "--yes", backup.string()}, ws.data()},
        {"export:written",
         {"export", "--from", "2024-06-20", "--to", "2024-06-28", "--out", out.string()},
         out.parent_path()}};
    for (const auto& [point, args, dir] : commands) {
      CAPTURE(point);
      const auto killed = ws.cli(
          args, {{"KRXBATCH_TEST_KILL_AT", point}, {"KRXBATCH_NOW", "2024-06-28T22:00:00+09:00"}});
      REQUIRE(killed.signal == SIGKILL);
      const auto left = temp_entries(dir);
      REQUIRE(left.size() == 1);
      if (point != "export:written") {
        const auto verify = ws.cli({"--json", "verify"});
        CHECK(verify.exit_code == 0); // a warning
        CHECK(contains(verify.out, left.front().string() + ": left by an interrupted " +
                                       point.substr(0, point.find(':'))));
      }
      // --log-level info: the cleanup's line is read on stderr (cron-quiet otherwise).
      auto loud = std::vector<std::string>{"--log-level", "info"};
      loud.insert(loud.end(), args.begin(), args.end());
      const auto rerun = ws.cli(loud, {{"KRXBATCH_NOW", "2024-06-28T22:00:00+09:00"}});
      INFO(rerun.err);
      CHECK(rerun.exit_code == 0);
      CHECK(temp_entries(dir).empty());
      CHECK(contains(rerun.err, "left by an interrupted run"));
    }
    CHECK_FALSE(contains(ws.cli({"verify"}).out, "leftover"));
  }

  TEST_CASE("an empty or blank --db, a directory, or another program's SQLite database is a "
            "usage error that creates and changes nothing") {
    Workspace ws;
    for (const auto* db : {"", "  ", "\t"}) {
      CAPTURE(db);
      for (const auto* command : {"status", "daily_update"}) {
        const auto r = ws.cli({"--db", db, command});
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "--db is empty"));
      }
    }
    auto r = ws.cli({"--db", ws.data().string(), "status"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "is a directory"));

    const auto theirs = ws.dir() / "accounts.sqlite";
    {
      SQLite::Database db(theirs.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      db.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)");
    }
    const auto bytes = slurp(theirs);
    const auto before = ws.files();
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"status"},
                                               {"verify"},
                                               {"digest"},
                                               {"alerts"},
                                               {"universe", "list"},
                                               {"export", "--from", "2024-06-20", "--to",
                                                "2024-06-28", "--out", (ws.dir() / "x").string()},
                                               {"backup"}}) {
      CAPTURE(args.front());
      r = ws.cli(args, {{"KRXBATCH_DB", theirs.string()}});
      INFO(r.err);
      CHECK(r.exit_code == 2);
      CHECK(contains(r.err, "an SQLite database that is not krxbatch's (it holds accounts"));
      CHECK(slurp(theirs) == bytes);
    }
    CHECK(ws.files() == before);
  }

  TEST_CASE("a --now outside what the calendar can represent is a usage error, never an "
            "internal error") {
    Workspace ws;
    for (const auto* now :
         {"9999-12-31T23:00:00-05:00", "1400-01-01T00:00:00+14:00", "1850-06-01T12:00:00"}) {
      for (const auto* command : {"status", "backup", "calendar"}) {
        CAPTURE(now);
        CAPTURE(command);
        std::vector<std::string> args = {"--now", now, command};
        if (std::string(command) == "calendar") {
          args.emplace_back("today");
        }
        const auto r = ws.cli(args);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "between the years 1900 and 9000"));
        CHECK_FALSE(contains(r.err, "internal error"));
      }
    }
    // Inside those years but outside the holiday files: the calendar's own usage error.
    const auto r = ws.cli({"--now", "2051-03-02T10:00:00+09:00", "status"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "holidays/2051.txt"));
    CHECK(ws.cli({"backup", "--cleanup-only", "--retention-days", "2000000000"}).exit_code == 0);
  }

  TEST_CASE("a config value that is wrong names the config file and line, not a variable") {
    Workspace ws;
    const auto conf = ws.data() / "krxbatch.conf";
    std::ofstream(conf) << "# settings\nlog_files = 3\nlog_dir = " << ws.db().string() << "\n";
    auto r = ws.cli({"hourly_analysis"});
    check_refused(r, conf.string() + ":3: log_dir: " + ws.db().string(), "is the database");
    CHECK_FALSE(contains(r.err, "KRXBATCH_LOG_DIR"));
    std::ofstream(conf) << "log_dir = " << (ws.dir() / "logs-file").string() << "\n";
    std::ofstream(ws.dir() / "logs-file") << "a file, not a directory";
    r = ws.cli({"hourly_analysis"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, conf.string() + ":1: log_dir"));
    CHECK_FALSE(contains(r.err, "KRXBATCH_LOG_DIR"));
  }
}

TEST_SUITE("cli.paths.ingest") {
  TEST_CASE("a reload before the Open API's first day (2010-01-04) is refused, no call made") {
    test::IngestEnv env("2024-07-01T08:30:00+09:00");
    const auto r = env.run({"daily_update", "--from", "2009-12-28", "--to", "2010-01-05"});
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "is before 2010-01-04, the first day"));
    CHECK(test::requested_days(env.fake()).empty());
    const auto setup = env.run({"manual_setup", "--yes", "--days", "5000"});
    CHECK(setup.exit_code == 2);
    CHECK(contains(setup.err, "reaches before 2010-01-04"));
    CHECK(test::requested_days(env.fake()).empty());
  }

  TEST_CASE("the evening of the last session in the holiday files (2027-12-30): the jobs, "
            "status and calendar today work on the sessions that are covered") {
    test::IngestEnv env("2027-12-30T08:30:00+09:00");
    auto r = env.run({"manual_setup", "--yes", "--days", "3"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    env.set_now("2027-12-30T19:00:00+09:00");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"daily_update"}, {"hourly_analysis"}, {"status"}, {"calendar", "today"}}) {
      CAPTURE(args.front());
      r = env.run(args);
      INFO(r.err);
      CHECK(r.exit_code == 0);
      CHECK_FALSE(contains(r.err, "outside the KRX calendar"));
    }
    CHECK(contains(r.out, "not known yet: add holidays/2028.txt"));
    env.set_now("2027-12-31T10:00:00+09:00"); // the year-end closure
    r = env.run({"daily_update"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
  }
}
