// The data-care commands from the command line: backup, snapshot, restore, universe, export
// and verify, on synthetic market databases written through the store API.
#include "krxbatch/jobs/day_ingestor.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/db_file.hpp"
#include "krxbatch/store/digest.hpp"
#include "krxbatch/store/price_store.hpp"
#include "krxbatch/util/file_lock.hpp"
#include "krxbatch/util/sha256.hpp"

#include "support/market_db.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace krxbatch;
namespace fs = std::filesystem;

namespace {

const core::Date k_last(2024, 6, 28);
const char* const k_now = "2024-06-28T21:00:00+09:00";
constexpr std::int64_t k_min_cap = 50'000'000'000;

const calendar::Calendar& cal() {
  static const auto c = calendar::Calendar::load(test::source_dir() / "holidays");
  return c;
}

// A scratch directory holding data/krxbatch.db, removed at the end of the test.
class Workspace {
public:
  explicit Workspace(int sessions = 30) {
    std::string templ = (fs::temp_directory_path() / "krxbatch-ops-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_dir = templ;
    fs::create_directories(m_dir / "data");
    if (sessions > 0) {
      m_sessions = test::build_market_db(db(), cal(), sessions, k_last, {}, k_min_cap);
    }
  }
  ~Workspace() {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  fs::path dir() const { return m_dir; }
  fs::path db() const { return m_dir / "data" / "krxbatch.db"; }
  fs::path backups() const { return m_dir / "data" / "backups"; }
  const std::vector<core::Date>& sessions() const { return m_sessions; }

  test::ProcessResult cli(const std::vector<std::string>& args,
                          const std::string& now = k_now) const {
    std::vector<std::string> argv = {test::krxbatch_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::SpawnOptions o;
    o.cwd = m_dir;
    o.env = {{"KRXBATCH_DB", db().string()},
             {"KRXBATCH_NOW", now},
             {"KRXBATCH_HOLIDAYS", (test::source_dir() / "holidays").string()}};
    return test::run(argv, o);
  }

  std::string digest() const {
    store::Database d(db().string());
    return store::compute_digest(d).sha256;
  }

  void sql(const std::string& statement) const {
    store::Database d(db().string());
    d.execute(statement);
  }

private:
  fs::path m_dir;
  std::vector<core::Date> m_sessions;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string digest_of(const fs::path& file) {
  store::Database d(file.string());
  return store::compute_digest(d).sha256;
}

// Overwrites `path` from `from` (default: the third page) to its end.
void damage_pages(const fs::path& path, long from = 8192) {
  const auto size = static_cast<long>(fs::file_size(path));
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(from);
  for (long i = from; i < size; ++i) {
    f.put(static_cast<char>(0x5A ^ (i & 0xFF)));
  }
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  if (fs::exists(dir)) {
    for (const auto& e : fs::directory_iterator(dir)) {
      out.push_back(e.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("cli.backup_restore") {
  TEST_CASE("backup then restore gives back the original digest after the database changed") {
    Workspace ws;
    const auto original = ws.digest();
    const auto b = ws.cli({"backup"});
    REQUIRE(b.exit_code == 0);
    const auto file = ws.backups() / "krxbatch-20240628-210000.db";
    CHECK(contains(b.out, file.string()));
    CHECK(contains(b.out, "verified"));
    REQUIRE(fs::exists(file));
    CHECK(digest_of(file) == original);

    ws.sql("DELETE FROM daily_prices WHERE trade_date = '2024-06-27'");
    const auto changed = ws.digest();
    REQUIRE(changed != original);

    const auto r = ws.cli({"restore", file.string(), "--yes"}, "2024-06-29T10:00:00+09:00");
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "digest " + original));
    CHECK(ws.digest() == original);
    // The database it replaced is kept, and says where.
    const auto safety = ws.backups() / "krxbatch-pre-restore-20240629-100000.db";
    CHECK(contains(r.out, safety.string()));
    REQUIRE(fs::exists(safety));
    CHECK(digest_of(safety) == changed);
  }

  TEST_CASE("a gzipped backup round-trips") {
    Workspace ws;
    const auto original = ws.digest();
    REQUIRE(ws.cli({"backup", "--gzip"}).exit_code == 0);
    const auto file = ws.backups() / "krxbatch-20240628-210000.db.gz";
    REQUIRE(fs::exists(file));
    CHECK(fs::file_size(file) < fs::file_size(ws.db()));
    ws.sql("UPDATE daily_prices SET close = close + 1 WHERE ticker = '000003'");
    REQUIRE(ws.digest() != original);
    const auto r = ws.cli({"restore", file.string(), "--yes"});
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "(gzip)"));
    CHECK(ws.digest() == original);
  }

  TEST_CASE("a corrupt or truncated backup is refused and the live database is unchanged") {
    Workspace ws;
    REQUIRE(ws.cli({"backup"}).exit_code == 0);
    REQUIRE(ws.cli({"backup", "--gzip"}, "2024-06-28T21:00:01+09:00").exit_code == 0);
    ws.sql("DELETE FROM target_tickers WHERE ticker = '000011'");
    const auto live = ws.digest();

    const auto plain = ws.backups() / "krxbatch-20240628-210000.db";
    damage_pages(plain);
    auto r = ws.cli({"restore", plain.string(), "--yes"});
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "is not a usable krxbatch backup"));
    CHECK(contains(r.err, "the live database was not touched"));
    CHECK(ws.digest() == live);

    const auto gz = ws.backups() / "krxbatch-20240628-210001.db.gz";
    const auto bytes = slurp(gz);
    std::ofstream(gz, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
    r = ws.cli({"restore", gz.string(), "--yes"});
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "truncated"));
    CHECK(ws.digest() == live);

    const auto other = ws.dir() / "notes.txt";
    std::ofstream(other) << "not a database\n";
    CHECK(ws.cli({"restore", other.string(), "--yes"}).exit_code == 1);
    CHECK(ws.cli({"restore", (ws.dir() / "absent.db").string(), "--yes"}).exit_code == 2);
    CHECK(ws.digest() == live);
    // Nothing was replaced, so no safety copy was needed; no staging file is left behind.
    for (const auto& f : files_in(ws.backups())) {
      CHECK_FALSE(f.starts_with("krxbatch-pre-restore-"));
    }
    for (const auto& f : files_in(ws.db().parent_path())) {
      CHECK_FALSE(f.starts_with("."));
    }
  }

  TEST_CASE("restore is skipped while a job holds its lock and refused without --yes off a TTY") {
    Workspace ws;
    REQUIRE(ws.cli({"backup"}).exit_code == 0);
    const auto file = (ws.backups() / "krxbatch-20240628-210000.db").string();
    ws.sql("DELETE FROM index_prices");
    const auto live = ws.digest();
    for (const char* lock : {".ingest.lock", ".analysis.lock"}) {
      CAPTURE(lock);
      auto held = util::FileLock::try_acquire(ws.db().string() + lock);
      REQUIRE(held);
      const auto r = ws.cli({"restore", file, "--yes"});
      CHECK(r.exit_code == 75);
      CHECK(contains(r.err, "krxbatch: skipped: restore:"));
      CHECK(contains(r.err, "pid " + std::to_string(::getpid())));
      CHECK(ws.digest() == live);
    }
    const auto r = ws.cli({"restore", file});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "rerun with --yes"));
    CHECK(ws.digest() == live);
  }

  TEST_CASE("restore over a file that is not a database keeps its bytes and puts the backup "
            "in place") {
    Workspace ws;
    const auto original = ws.digest();
    REQUIRE(ws.cli({"backup"}).exit_code == 0);
    fs::remove(ws.db().string() + "-wal");
    fs::remove(ws.db().string() + "-shm");
    const std::string garbage(100000, 'G');
    std::ofstream(ws.db(), std::ios::binary | std::ios::trunc) << garbage;
    const auto r = ws.cli(
        {"restore", (ws.backups() / "krxbatch-20240628-210000.db").string(), "--yes", "--json"});
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["method"] == "replace_file");
    CHECK(j["digest"] == original);
    CHECK(slurp(j["safety_copy"].get<std::string>()) == garbage);
    CHECK(ws.digest() == original);
  }

  TEST_CASE("restore onto a machine without a database puts the backup in place") {
    Workspace ws;
    const auto original = ws.digest();
    REQUIRE(ws.cli({"backup", "--dir", (ws.dir() / "elsewhere").string()}).exit_code == 0);
    for (const char* suffix : {"", "-wal", "-shm"}) {
      fs::remove(ws.db().string() + suffix);
    }
    const auto r = ws.cli(
        {"restore", (ws.dir() / "elsewhere" / "krxbatch-20240628-210000.db").string(), "--yes"});
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "nothing to keep"));
    CHECK(ws.digest() == original);
  }

  TEST_CASE("a backup of a damaged database fails verification, exits 1 and leaves no file") {
    Workspace ws;
    {
      store::Database d(ws.db().string());
      d.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    // The second half holds price pages only (the schema's pages were allocated first), so
    // the file still opens.
    damage_pages(ws.db(), static_cast<long>(fs::file_size(ws.db()) / 2 / 4096 * 4096));
    const auto r = ws.cli({"backup"});
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "failed verification"));
    CHECK(files_in(ws.backups()).empty());
  }

  TEST_CASE("retention deletes only old files of our pattern and never the newest") {
    Workspace ws(0);
    fs::create_directories(ws.backups());
    const std::vector<std::string> names = {"krxbatch-20240501-010000.db",
                                            "krxbatch-20240527-010000.db.gz",
                                            "krxbatch-20240529-010000.db",
                                            "krxbatch-20240627-010000.db",
                                            "krxbatch-pre-restore-20240101-000000.db",
                                            "krxbatch-snapshot-20240101.db",
                                            "my-notes-20240101-000000.db",
                                            "krxbatch-20240101-010000.db.partial"};
    for (const auto& n : names) {
      std::ofstream(ws.backups() / n) << n;
    }
    const auto r = ws.cli({"backup", "--cleanup-only", "--retention-days", "30"});
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "deleted 2 file(s)"));
    CHECK(files_in(ws.backups()) ==
          std::vector<std::string>{"krxbatch-20240101-010000.db.partial",
                                   "krxbatch-20240529-010000.db", "krxbatch-20240627-010000.db",
                                   "krxbatch-pre-restore-20240101-000000.db",
                                   "krxbatch-snapshot-20240101.db", "my-notes-20240101-000000.db"});
    // Everything of ours is old: the newest stays.
    const auto later =
        ws.cli({"backup", "--cleanup-only", "--retention-days", "1"}, "2025-06-28T21:00:00+09:00");
    REQUIRE(later.exit_code == 0);
    const auto left = files_in(ws.backups());
    CHECK(std::count(left.begin(), left.end(), "krxbatch-20240627-010000.db") == 1);
    CHECK(std::count(left.begin(), left.end(), "krxbatch-20240529-010000.db") == 0);
    CHECK(ws.cli({"backup", "--cleanup-only"}).exit_code == 2);
  }

  TEST_CASE("a snapshot is no larger than the database, verified, and cleaned up by date") {
    Workspace ws(60);
    ws.sql("DELETE FROM daily_prices WHERE trade_date < '2024-06-01'");
    {
      store::Database d(ws.db().string());
      d.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    const auto live = ws.digest();
    const auto r = ws.cli({"snapshot"});
    REQUIRE(r.exit_code == 0);
    const auto snap = ws.dir() / "data" / "snapshots" / "krxbatch-snapshot-20240628.db";
    REQUIRE(fs::exists(snap));
    CHECK(fs::file_size(snap) < fs::file_size(ws.db()));
    CHECK(store::check_database_file(snap).ok);
    CHECK(digest_of(snap) == live);

    std::ofstream(ws.dir() / "data" / "snapshots" / "krxbatch-snapshot-20240601.db") << "old";
    const auto c = ws.cli({"snapshot", "cleanup", "--days", "7"});
    REQUIRE(c.exit_code == 0);
    CHECK(files_in(ws.dir() / "data" / "snapshots") ==
          std::vector<std::string>{"krxbatch-snapshot-20240628.db"});
  }
}

TEST_SUITE("cli.export") {
  TEST_CASE("the export manifest's hashes and row counts match the files") {
    Workspace ws;
    ws.sql("INSERT INTO analysis_results (ticker, as_of_date, score, eligible, flags) VALUES "
           "('000005', '2024-06-27', 61.5, 1, 'a,b'), ('000006', '2024-06-27', NULL, 0, NULL)");
    // Events of a listed ticker in the range, of another ticker, and before the range.
    ws.sql("INSERT INTO price_adjustments (ticker, ex_date, prev_close, base_price, factor, "
           "cum_factor, prev_listed_shares, listed_shares, detected_at) VALUES "
           "('000005', '2024-06-25', 10040, 5020, 0.5, 0.5, 1, 2, 't'), "
           "('000006', '2024-06-25', 10040, 5020, 0.5, 0.5, 1, 2, 't'), "
           "('000005', '2024-06-10', 10040, 5020, 0.5, 0.25, 1, 2, 't')");
    const auto out = ws.dir() / "exports" / "june";
    const auto r = ws.cli({"export", "--from", "2024-06-20", "--to", "2024-06-28", "--out",
                           out.string(), "--tickers", "100002,000005", "--json"});
    REQUIRE(r.exit_code == 0);
    const auto manifest = nlohmann::json::parse(slurp(out / "manifest.json"));
    CHECK(nlohmann::json::parse(r.out) == manifest);
    CHECK(manifest["from"] == "2024-06-20");
    CHECK(manifest["tickers"] == nlohmann::json::array({"000005", "100002"}));
    CHECK(manifest["database"] == fs::absolute(ws.db()).string());
    REQUIRE(manifest["files"].size() == 4);
    const int sessions =
        static_cast<int>(cal().business_days(core::Date(2024, 6, 20), k_last).size());
    const std::map<std::string, int> expected_rows = {{"daily_prices.csv", 2 * sessions},
                                                      {"index_prices.csv", 2 * sessions},
                                                      {"analysis_results.csv", 1},
                                                      {"price_adjustments.csv", 1}};
    for (const auto& f : manifest["files"]) {
      const auto name = f["name"].get<std::string>();
      CAPTURE(name);
      const auto content = slurp(out / name);
      CHECK(f["sha256"] == util::sha256_hex(content));
      CHECK(f["bytes"] == content.size());
      CHECK(f["rows"] == std::count(content.begin(), content.end(), '\n') - 1);
      CHECK(f["rows"] == expected_rows.at(name));
    }
    const auto prices = slurp(out / "daily_prices.csv");
    CHECK(prices.starts_with("ticker,trade_date,market,name,open,high,low,close,volume,value,"
                             "market_cap,listed_shares,change,change_rate,section\n"));
    // Ordered by date then ticker; a name with a comma and quotes is quoted per RFC 4180.
    CHECK(contains(prices, "\n000005,2024-06-20,KOSPI,\"코스피 종목, \"\"5\"\"\","));
    CHECK(prices.find("000005,2024-06-20") < prices.find("100002,2024-06-20"));
    CHECK(prices.find("100002,2024-06-20") < prices.find("000005,2024-06-21"));
    CHECK(contains(slurp(out / "analysis_results.csv"), "000005,2024-06-27,61.5,"));
    CHECK(contains(slurp(out / "price_adjustments.csv"),
                   "\n000005,2024-06-25,10040,5020,0.5,0.5,1,2,t\n"));
    CHECK(files_in(out.parent_path()) == std::vector<std::string>{"june"});
  }

  TEST_CASE("export refuses a non-empty directory, and with --force anything but a previous "
            "export, leaving it as it was") {
    Workspace ws;
    const auto out = ws.dir() / "out";
    fs::create_directories(out);
    std::ofstream(out / "keep.txt") << "mine";
    const std::vector<std::string> args = {"export",     "--from", "2024-06-27", "--to",
                                           "2024-06-28", "--out",  out.string()};
    auto r = ws.cli(args);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "is not empty"));
    CHECK(files_in(out) == std::vector<std::string>{"keep.txt"});
    auto forced = args;
    forced.emplace_back("--force");
    r = ws.cli(forced);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "holds no krxbatch manifest.json: --force replaces only a previous "
                          "export"));
    CHECK(files_in(out) == std::vector<std::string>{"keep.txt"});
    fs::remove(out / "keep.txt");
    REQUIRE(ws.cli(args).exit_code == 0);
    r = ws.cli(forced);
    REQUIRE(r.exit_code == 0);
    CHECK(files_in(out) == std::vector<std::string>{"analysis_results.csv", "daily_prices.csv",
                                                    "index_prices.csv", "manifest.json",
                                                    "price_adjustments.csv"});
    CHECK(files_in(ws.dir()) == std::vector<std::string>{"data", "out"});
    // An empty directory is fine without --force.
    fs::create_directories(ws.dir() / "empty");
    auto empty = args;
    empty[6] = (ws.dir() / "empty").string();
    CHECK(ws.cli(empty).exit_code == 0);
    CHECK(ws.cli({"export", "--from", "2024-06-28", "--to", "2024-06-27", "--out",
                  (ws.dir() / "x").string()})
              .exit_code == 2);
  }
}

TEST_SUITE("cli.verify") {
  TEST_CASE("verify passes on a clean database and reports each injected fault with exit 1") {
    Workspace ws;
    auto r = ws.cli({"verify", "--json"});
    REQUIRE(r.exit_code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["ok"] == true);
    CHECK(j["errors"] == 0);
    CHECK(j["warnings"] == 0);

    const auto clean = ws.dir() / "clean.db";
    REQUIRE(ws.cli({"backup", "--dir", ws.dir().string()}).exit_code == 0);
    fs::rename(ws.dir() / "krxbatch-20240628-210000.db", clean);
    const auto fresh = [&] {
      for (const char* suffix : {"-wal", "-shm"}) {
        fs::remove(ws.db().string() + suffix);
      }
      fs::copy_file(clean, ws.db(), fs::copy_options::overwrite_existing);
    };
    const auto finding = [](const nlohmann::json& report, const std::string& check,
                            const std::string& text) {
      for (const auto& f : report["findings"]) {
        if (f["level"] == "ERROR" && f["check"] == check &&
            f["message"].get<std::string>().find(text) != std::string::npos) {
          return true;
        }
      }
      return false;
    };

    SUBCASE("one market's rows deleted for a session") {
      fresh();
      ws.sql("DELETE FROM daily_prices WHERE trade_date = '2024-06-20' AND market = 'KOSDAQ'");
      r = ws.cli({"verify", "--json"});
      CHECK(r.exit_code == 1);
      j = nlohmann::json::parse(r.out);
      CHECK(finding(j, "missing_market", "2024-06-20: price rows for KOSPI but none for KOSDAQ"));
    }
    SUBCASE("an OHLC row broken") {
      fresh();
      ws.sql("UPDATE daily_prices SET high = low - 1 WHERE ticker = '000007' AND trade_date = "
             "'2024-06-25'");
      r = ws.cli({"verify", "--json"});
      CHECK(r.exit_code == 1);
      CHECK(finding(nlohmann::json::parse(r.out), "ohlc", "2024-06-25 000007"));
    }
    SUBCASE("a session inside the mark deleted") {
      fresh();
      ws.sql("DELETE FROM daily_prices WHERE trade_date = '2024-06-12'");
      ws.sql("DELETE FROM index_prices WHERE trade_date = '2024-06-12'");
      r = ws.cli({"verify"});
      CHECK(r.exit_code == 1);
      CHECK(contains(r.out, "mark_gap"));
      CHECK(contains(r.out, "2024-06-12"));
      CHECK(contains(r.out, "job_state"));
    }
  }
}

TEST_SUITE("cli.universe") {
  TEST_CASE("universe refresh after prices change adds and deactivates exactly the expected "
            "tickers") {
    Workspace ws;
    const std::string cap = std::to_string(k_min_cap);
    auto list = nlohmann::json::parse(ws.cli({"universe", "list", "--json"}).out);
    // Issues 4 and up of each market are worth >= 5 x 10^10 KRW.
    CHECK(list.size() == 8 + 4);

    // On the mark's session: 000001 grows past the threshold, 000010 shrinks below it and
    // 100005 is no longer listed.
    {
      store::Database d(ws.db().string());
      auto rows = test::synthetic_prices(k_last, static_cast<int>(ws.sessions().size()) - 1, {});
      std::vector<market::PriceRow> kept;
      for (auto& row : rows) {
        if (row.ticker == "000001") {
          row.listed_shares = *row.listed_shares * 100;
        } else if (row.ticker == "000010") {
          row.listed_shares = *row.listed_shares / 100;
        }
        row.market_cap = *row.close * *row.listed_shares;
        if (row.ticker != "100005") {
          kept.push_back(row);
        }
      }
      store::Database::Transaction txn(d);
      store::PriceStore(d).replace_day(
          k_last, kept, test::synthetic_indices(k_last, static_cast<int>(ws.sessions().size()) - 1),
          {}, core::KstTime(k_last, boost::posix_time::hours(22)));
      txn.commit();
    }
    // Off a terminal, a change needs --yes; --dry-run shows it without applying.
    CHECK(ws.cli({"universe", "refresh", "--min-market-cap", cap}).exit_code == 2);
    auto r = ws.cli({"universe", "refresh", "--min-market-cap", cap, "--dry-run", "--json"});
    REQUIRE(r.exit_code == 0);
    CHECK(nlohmann::json::parse(r.out)["applied"] == false);
    CHECK(nlohmann::json::parse(ws.cli({"universe", "list", "--json"}).out).size() == 12);

    {
      auto held = util::FileLock::try_acquire(ws.db().string() + ".ingest.lock");
      CHECK(ws.cli({"universe", "refresh", "--min-market-cap", cap, "--yes"}).exit_code == 75);
    }
    r = ws.cli({"universe", "refresh", "--min-market-cap", cap, "--yes", "--json"});
    REQUIRE(r.exit_code == 0);
    const auto change = nlohmann::json::parse(r.out);
    const auto tickers = [](const nlohmann::json& arr) {
      std::vector<std::string> out;
      for (const auto& e : arr) {
        out.push_back(e["ticker"]);
      }
      return out;
    };
    CHECK(change["session"] == "2024-06-28");
    CHECK(change["applied"] == true);
    CHECK(tickers(change["added"]) == std::vector<std::string>{"000001"});
    CHECK(tickers(change["deactivated"]) == std::vector<std::string>{"000010", "100005"});
    CHECK(change["reactivated"].empty());
    CHECK(change["kept"] == 10);

    list = nlohmann::json::parse(ws.cli({"universe", "list", "--all", "--json"}).out);
    std::map<std::string, nlohmann::json> by_ticker;
    for (const auto& t : list) {
      by_ticker[t["ticker"]] = t;
    }
    CHECK(by_ticker.at("000001")["active"] == true);
    CHECK(by_ticker.at("000001")["added_date"] == "2024-06-28");
    CHECK(by_ticker.at("000010")["active"] == false);
    CHECK(by_ticker.at("000010")["deactivated_date"] == "2024-06-28");
    CHECK(by_ticker.at("100005")["active"] == false);
    CHECK(nlohmann::json::parse(ws.cli({"universe", "list", "--json"}).out).size() == 11);

    // A lower threshold brings 000010 back.
    r = ws.cli({"universe", "refresh", "--min-market-cap", "100000000", "--yes", "--json"});
    REQUIRE(r.exit_code == 0);
    CHECK(tickers(nlohmann::json::parse(r.out)["reactivated"]) ==
          std::vector<std::string>{"000010"});
  }

  TEST_CASE("universe refresh without a mark says to run manual_setup") {
    Workspace ws(0);
    { store::Database d(ws.db().string()); }
    const auto r = ws.cli({"universe", "refresh", "--yes"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "manual_setup"));
    CHECK(ws.cli({"--db", (ws.dir() / "typo.db").string(), "verify"}).exit_code == 2);
    CHECK_FALSE(fs::exists(ws.dir() / "typo.db"));
  }
}
