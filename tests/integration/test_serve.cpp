// `krxbatch serve` over a small synthetic market (20 issues, 130 sessions, scored by the real
// hourly_analysis): every endpoint's JSON against SQL and against the CLI command it shares
// its code with, the error paths, the tokens and the rate limit, an export job from its POST to
// its manifest with each file's SHA-256, a restart in the middle of a job, /metrics through
// Prometheus' own checker. One server per test case.
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/util/sha256.hpp"

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/synthetic_market.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace krxbatch;
using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_now = "2024-07-02T09:00:00+09:00"; // 2024-07-01 is published
constexpr const char* k_token = "write-token-0123456789abcdef";
constexpr const char* k_read_token = "read-token-0123456789abcdef";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// 20 synthetic issues over 130 sessions to 2024-07-01, scored by hourly_analysis, in a
// scratch directory, one per test case (a fraction of a second to build).
class Market {
public:
  explicit Market(const std::string& name)
      : m_dir(fs::temp_directory_path() /
              ("krxbatch-serve-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
    static const auto cal = calendar::Calendar::load(test::source_dir() / "holidays");
    const core::Date last(2024, 7, 1);
    test::SyntheticMarket m;
    m.tickers = 20;
    m.sessions = cal.business_days(cal.business_day_back(last, 129), last);
    {
      store::Database database(db());
      test::write_synthetic_market(database, m);
    }
    // The job writes the metrics textfile too, for promtool.
    auto o = options();
    o.env.emplace_back("KRXBATCH_METRICS_TEXTFILE", textfile().string());
    const auto r = test::run({test::krxbatch_binary().string(), "hourly_analysis"}, o);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  ~Market() {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  Market(const Market&) = delete;
  Market& operator=(const Market&) = delete;

  const fs::path& dir() const { return m_dir; }
  std::string db() const { return (m_dir / "krx.db").string(); }
  fs::path textfile() const { return m_dir / "krxbatch.prom"; }
  void config(const std::string& text) const { std::ofstream(m_dir / "krxbatch.conf") << text; }

  test::SpawnOptions options(const std::string& now = k_now) const {
    test::SpawnOptions o;
    o.env = {{"KRXBATCH_DB", db()},
             {"KRXBATCH_NOW", now},
             {"KRXBATCH_HOLIDAYS", (test::source_dir() / "holidays").string()}};
    return o;
  }
  test::ProcessResult run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {test::krxbatch_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, options());
  }
  Json json(const std::vector<std::string>& args) const {
    const auto r = run(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return Json::parse(r.out);
  }
  std::string sql_text(const std::string& sql) const {
    SQLite::Database d(db(), SQLite::OPEN_READONLY);
    return d.execAndGet(sql).getString();
  }
  std::int64_t sql_int(const std::string& sql) const {
    SQLite::Database d(db(), SQLite::OPEN_READONLY);
    return d.execAndGet(sql).getInt64();
  }
  void sql(const std::string& statement) const {
    SQLite::Database d(db(), SQLite::OPEN_READWRITE);
    d.exec(statement);
  }

private:
  fs::path m_dir;
};

// `krxbatch serve --listen 127.0.0.1:0` on the market; the port from its first stdout line.
class Server {
public:
  Server(const Market& market,
         std::vector<std::pair<std::string, std::optional<std::string>>> extra_env = {},
         const std::string& now = k_now, const std::vector<std::string>& extra_args = {},
         bool default_nice = false) {
    auto o = market.options(now);
    o.stdout_pipe = true;
    o.env.insert(o.env.end(), extra_env.begin(), extra_env.end());
    std::vector<std::string> argv = {test::krxbatch_binary().string(),
                                     "--log-level",
                                     "info",
                                     "serve",
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--threads",
                                     "4"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    // At the suite's priority unless the test wants serve's default (nice 19), at which the
    // servers would wait for the CPU behind every other test of a `ctest -j` run.
    if (!default_nice) {
      argv.insert(argv.end(), {"--nice", "0"});
    }
    m_child.emplace(test::Child::spawn(argv, o));
    const auto line = m_child->read_line();
    INFO(m_child->err_so_far());
    REQUIRE(line);
    const auto colon = line->rfind(':');
    REQUIRE(line->starts_with("krxbatch serve: listening on http://127.0.0.1:"));
    m_port = std::stoi(line->substr(colon + 1));
  }
  ~Server() {
    if (m_child) {
      m_child->kill(SIGKILL);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return m_port; }
  pid_t pid() const { return m_child->pid(); }
  test::HttpResponse get(const std::string& target, const test::HttpHeaders& headers = {}) const {
    return test::http_get(m_port, target, headers);
  }
  Json get_json(const std::string& target, const test::HttpHeaders& headers = {}) const {
    const auto r = get(target, headers);
    INFO(target << ": " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    REQUIRE(r.header("Content-Type").value_or("").starts_with("application/json"));
    return Json::parse(r.body);
  }
  test::HttpResponse post(const std::string& target, const std::string& body,
                          const test::HttpHeaders& headers) const {
    return test::http_request(m_port, "POST", target, headers, body);
  }
  // SIGTERM, then the exit status.
  test::ProcessResult stop() {
    m_child->kill(SIGTERM);
    auto r = m_child->wait();
    m_child.reset();
    return r;
  }
  // Waits for the server to end by itself (a crash point).
  test::ProcessResult wait() {
    auto r = m_child->wait();
    m_child.reset();
    return r;
  }

private:
  std::optional<test::Child> m_child;
  int m_port = 0;
};

// The message of a JSON error answer, checking its shape.
std::string error_of(const test::HttpResponse& r, int status) {
  INFO(r.body);
  CHECK(r.status == status);
  const auto j = Json::parse(r.body);
  CHECK(j["error"]["status"] == status);
  return j["error"]["message"].get<std::string>();
}

// Polls GET `target` until `done(json)` holds, for at most 60 s.
Json poll(const Server& server, const std::string& target, const test::HttpHeaders& headers,
          const std::function<bool(const Json&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto j = server.get_json(target, headers);
    if (done(j) || std::chrono::steady_clock::now() > deadline) {
      return j;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Json without(Json j, const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    j.erase(k);
  }
  return j;
}

} // namespace

TEST_SUITE("serve") {
  TEST_CASE("every read endpoint answers what the CLI and SQL say, bad input is 400, unknown "
            "404") {
    Market market("reads");
    market.sql("INSERT INTO alerts (created_at, severity, job_name, rule, message) VALUES "
               "('2024-07-02T08:00:00+09:00', 'WARN', 'daily_update', 'unpublished', 'late')");
    Server server(market, {}, k_now,
                  {"--crontab", (test::source_dir() / "cron" / "krxbatch.crontab").string()});
    const auto session = market.sql_text("SELECT max(as_of_date) FROM analysis_results");
    REQUIRE(session == "2024-07-01");

    // status: what `status --json` prints (its clock runs on, so `now` differs).
    CHECK(without(server.get_json("/api/v1/status"), {"now"}) ==
          without(market.json({"--json", "status"}), {"now"}));

    // prices, raw and adjusted, against daily_prices and its adjusted view.
    auto p = server.get_json("/api/v1/prices/000010?from=2024-06-03&to=2024-06-28");
    CHECK(p["ticker"] == "000010");
    CHECK(p["bars"].size() ==
          static_cast<std::size_t>(market.sql_int(
              "SELECT count(*) FROM daily_prices WHERE ticker = '000010' AND trade_date "
              "BETWEEN '2024-06-03' AND '2024-06-28'")));
    CHECK(p["bars"][0]["date"] == "2024-06-03");
    CHECK(p["bars"][0]["close"].get<double>() ==
          static_cast<double>(market.sql_int("SELECT close FROM daily_prices WHERE ticker = "
                                             "'000010' AND trade_date = '2024-06-03'")));
    CHECK(server.get_json("/api/v1/prices/000010?from=2024-06-03&to=2024-06-28&adjusted=true") ==
          market.json({"--json", "prices", "000010", "--from", "2024-06-03", "--to", "2024-06-28",
                       "--adjusted"}));

    // scores: the session's ranking, best first, against analysis_results.
    auto s = server.get_json("/api/v1/scores?limit=5");
    CHECK(s["session"] == session);
    CHECK(s["scored"] == market.sql_int("SELECT count(score) FROM analysis_results WHERE "
                                        "as_of_date = '2024-07-01'"));
    REQUIRE(s["scores"].size() == 5);
    CHECK(s["scores"][0]["rank"] == 1);
    CHECK(s["scores"][0]["ticker"] ==
          market.sql_text("SELECT ticker FROM analysis_results WHERE as_of_date = '2024-07-01' "
                          "AND score IS NOT NULL ORDER BY score DESC, ticker LIMIT 1"));
    CHECK(s["scores"][4]["score"].get<double>() <= s["scores"][0]["score"].get<double>());
    auto kosdaq = server.get_json("/api/v1/scores?market=KOSDAQ&limit=100&date=2024-07-01");
    CHECK(kosdaq["scores"].size() ==
          static_cast<std::size_t>(market.sql_int(
              "SELECT count(*) FROM analysis_results a JOIN daily_prices p ON p.ticker = "
              "a.ticker AND p.trade_date = a.as_of_date WHERE a.as_of_date = '2024-07-01' AND "
              "a.score IS NOT NULL AND p.market = 'KOSDAQ'")));
    for (const auto& line : kosdaq["scores"]) {
      CHECK(line["market"] == "KOSDAQ");
    }
    // scores/{ticker}: what `score TICKER --json` prints.
    const auto best = s["scores"][0]["ticker"].get<std::string>();
    CHECK(server.get_json("/api/v1/scores/" + best) == market.json({"--json", "score", best}));

    // actions, alerts, runs, calendar.
    CHECK(server.get_json("/api/v1/actions?from=2024-01-01") ==
          market.json({"--json", "actions", "--from", "2024-01-01"}));
    auto alerts = server.get_json("/api/v1/alerts");
    REQUIRE(alerts["alerts"].size() == 1);
    CHECK(alerts["alerts"][0]["rule"] == "unpublished");
    CHECK(alerts["alerts"][0]["state"] == "open");
    auto runs = server.get_json("/api/v1/runs?job=hourly_analysis&limit=10");
    REQUIRE(runs["runs"].size() ==
            static_cast<std::size_t>(market.sql_int(
                "SELECT count(*) FROM job_runs WHERE job_name = 'hourly_analysis'")));
    CHECK(runs["runs"][0]["run_id"] ==
          market.sql_int("SELECT max(run_id) FROM job_runs WHERE job_name = 'hourly_analysis'"));
    CHECK(runs["runs"][0]["outcome"] == "succeeded");
    CHECK(runs["runs"][0]["rows_written"].get<std::int64_t>() > 0);
    auto cal = server.get_json("/api/v1/calendar?from=2024-06-01&to=2024-06-30");
    CHECK(cal["sessions"] == market.json({"--json", "calendar", "list", "--from", "2024-06-01",
                                          "--to", "2024-06-30"}));

    // The dashboard's extras: the composites, a stock's score history, the crontab's next runs.
    auto indices = server.get_json("/api/v1/indices?from=2024-06-03&to=2024-06-28");
    REQUIRE(indices["indices"].size() == 2);
    CHECK(indices["indices"][0]["market"] == "KOSPI");
    CHECK(indices["indices"][0]["closes"].size() ==
          static_cast<std::size_t>(market.sql_int(
              "SELECT count(*) FROM index_prices WHERE index_class = 'KOSPI' AND trade_date "
              "BETWEEN '2024-06-03' AND '2024-06-28'")));
    auto history = server.get_json("/api/v1/scores/" + best + "/history");
    REQUIRE(!history["scores"].empty());
    CHECK(history["scores"].back()["session"] == session);
    CHECK(history["scores"].back()["score"] == s["scores"][0]["score"]);
    auto schedule = server.get_json("/api/v1/schedule");
    CHECK(schedule["jobs"][0]["job"] == "daily_update");
    CHECK(schedule["jobs"][0]["next_run"] == "2024-07-02T19:00:00+09:00"); // a Tuesday, 09:00
    CHECK(schedule["jobs"][1]["next_run"] == "2024-07-02T19:10:00+09:00");

    // The server keeps a session's ranking between requests, but only while nothing is
    // committed: a changed score is in the next answer.
    const auto worst = market.sql_text(
        "SELECT ticker FROM analysis_results WHERE as_of_date = '2024-07-01' AND score IS NOT "
        "NULL ORDER BY score, ticker LIMIT 1");
    CHECK(server.get_json("/api/v1/scores?limit=1")["scores"][0]["ticker"] == best);
    market.sql("UPDATE analysis_results SET score = 100.5 WHERE as_of_date = '2024-07-01' AND "
               "ticker = '" +
               worst + "'");
    const auto changed = server.get_json("/api/v1/scores?limit=2");
    CHECK(changed["scores"][0]["ticker"] == worst);
    CHECK(changed["scores"][0]["score"] == 100.5);
    CHECK(changed["scores"][1]["ticker"] == best);

    // Errors: JSON with a message; bad input 400, unknown 404, wrong method 405.
    CHECK(error_of(server.get("/api/v1/prices/000010?from=2024-13-01"), 400).find("from") !=
          std::string::npos);
    CHECK(error_of(server.get("/api/v1/prices/NOPE"), 400).find("not a ticker") !=
          std::string::npos);
    error_of(server.get("/api/v1/prices/999990"), 404);
    error_of(server.get("/api/v1/scores/999990"), 404);
    error_of(server.get("/api/v1/scores?date=2023-01-02"), 404);
    error_of(server.get("/api/v1/scores?limit=0"), 400);
    error_of(server.get("/api/v1/scores?market=NYSE"), 400);
    error_of(server.get("/api/v1/runs?job=rm"), 400);
    error_of(server.get("/api/v1/calendar?from=2024-07-01&to=2024-06-01"), 400);
    error_of(server.get("/api/v1/nothing"), 404);
    error_of(test::http_request(server.port(), "DELETE", "/api/v1/status"), 405);
    // POST without a configured token: writes are off.
    error_of(server.post("/api/v1/exports", "{}", {}), 403);
    // No path reaches outside what is served.
    for (const auto* target :
         {"/assets/../../krx.db", "/assets/..%2F..%2Fkrx.db", "/assets/%2e%2e%2fkrxbatch.conf",
          "/api/v1/exports/1/files/..%2F..%2Fkrx.db", "/../krx.db", "/stock/..%2F..%2Fkrx.db/x"}) {
      CAPTURE(target);
      const auto r = server.get(target);
      CHECK(r.status >= 400);
      CHECK(r.body.find("SQLite format") == std::string::npos);
    }

    // The dashboard's pages and the bundled Chart.js.
    CHECK(server.get("/").body.find("id=\"jobs\"") != std::string::npos);
    const auto chart = server.get("/assets/chart.js");
    CHECK(chart.status == 200);
    CHECK(chart.body.size() > 100000);

    // /health: the database opens, no job more than a session behind.
    auto health = server.get_json("/health");
    CHECK(health["status"] == "ok");

    // /metrics: the textfile's figures plus request counts, clean under promtool.
    const auto metrics = server.get("/metrics");
    REQUIRE(metrics.status == 200);
    CHECK(metrics.body.find("krxbatch_sessions_behind{job=\"daily_update\"} 0") !=
          std::string::npos);
    CHECK(
        metrics.body.find("krxbatch_http_requests_total{route=\"/api/v1/scores\",code=\"200\"}") !=
        std::string::npos);
    CHECK(metrics.body.find("krxbatch_http_request_duration_seconds_bucket{route=\"/api/v1/"
                            "status\",le=\"+Inf\"} 1") != std::string::npos);
    // promtool: no error and no lint, on /metrics and on the textfile the job wrote.
    const auto prom = market.dir() / "metrics.prom";
    std::ofstream(prom) << metrics.body;
    REQUIRE(fs::exists(market.textfile()));
    for (const auto& file : {prom, market.textfile()}) {
      const auto check = test::run({"/bin/sh", "-c", "promtool check metrics < " + file.string()});
      INFO(file << ": " << check.out << check.err);
      CHECK(check.exit_code == 0);
      CHECK(check.err.empty());
    }

    // SIGTERM: a clean stop; one access-log line per request, in the job-log style.
    const auto stopped = server.stop();
    CHECK(stopped.exit_code == 0);
    const auto log = slurp(market.dir() / "logs" / "serve.log");
    CHECK(log.find("serve: GET /api/v1/scores?limit=5 200 ") != std::string::npos);
    CHECK(log.find("serve: SIGTERM received") != std::string::npos);
    CHECK(log.find("serve: stopped") != std::string::npos);
  }

  TEST_CASE("tokens guard writes and reads and never reach the log, a client is rate limited, "
            "/health says why it is unhealthy") {
    Market market("security");
    market.config(std::string("serve_token = ") + k_token + "\nserve_read_token = " + k_read_token +
                  "\nserve_rate_limit = 40\n");
    // A week later: daily_update is several sessions behind.
    Server server(market, {}, "2024-07-10T09:00:00+09:00", {}, true);
    const test::HttpHeaders read = {{"Authorization", std::string("Bearer ") + k_read_token}};
    const test::HttpHeaders write = {{"Authorization", std::string("Bearer ") + k_token}};

    auto denied = server.get("/api/v1/status");
    error_of(denied, 401);
    CHECK(denied.header("WWW-Authenticate") == "Bearer");
    error_of(server.get("/api/v1/status", {{"Authorization", "Bearer wrong-token-0123456789"}}),
             401);
    error_of(server.get("/api/v1/status",
                        {{"Authorization",
                          std::string("Bearer ") + std::string(k_read_token).substr(0, 10)}}),
             401);
    CHECK(server.get("/api/v1/status", read).status == 200);
    CHECK(server.get("/api/v1/status", write).status == 200); // the write token reads too
    // POST needs the write token; the read token is not enough.
    error_of(server.post("/api/v1/exports", "{}", read), 401);
    error_of(server.post("/api/v1/exports", "not json", write), 400);
    error_of(server.post("/api/v1/exports", R"({"from": "2024-06-01"})", write), 400);
    // By default the server runs at nice 19, below the jobs.
    {
      const auto stat = slurp("/proc/" + std::to_string(server.pid()) + "/stat");
      std::istringstream fields(stat.substr(stat.rfind(')') + 2));
      std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
      REQUIRE(f.size() > 16);
      CHECK(f[16] == "19"); // field 19 of proc(5): nice
    }
    // A second server on the same port fails instead of sharing it (no SO_REUSEPORT).
    {
      auto o = market.options();
      o.stdout_pipe = true;
      auto child = test::Child::spawn({test::krxbatch_binary().string(), "serve", "--listen",
                                       "127.0.0.1:" + std::to_string(server.port())},
                                      o);
      CHECK(!child.read_line()); // no listening line: it ended
      child.kill();
      const auto second = child.wait();
      CHECK(second.exit_code != 0);
      CHECK(second.err.find("cannot listen on 127.0.0.1:") != std::string::npos);
    }
    error_of(server.post("/api/v1/exports",
                         R"({"from": "2024-06-01", "to": "2024-06-02", "tickers": ["x/../y"]})",
                         write),
             400);
    // No CORS unless configured.
    CHECK(!server.get("/api/v1/status", read).header("Access-Control-Allow-Origin"));

    // /health needs no token and says why it is unhealthy.
    const auto health = server.get("/health");
    CHECK(health.status == 503);
    CHECK(health.body.find("daily_update is") != std::string::npos);

    // The rate limit: 40 a minute; this client has used 11, so well within 40 more it is
    // refused with 429 and Retry-After.
    int refused_at = 0;
    for (int i = 0; i < 45 && refused_at == 0; ++i) {
      const auto r = server.get("/api/v1/calendar", read);
      if (r.status == 429) {
        refused_at = i;
        CHECK(r.header("Retry-After"));
        error_of(r, 429);
      }
    }
    CHECK(refused_at > 0);

    server.stop();
    const auto log = slurp(market.dir() / "logs" / "serve.log");
    CHECK(log.find(" 401 ") != std::string::npos);
    CHECK(log.find(" 429 ") != std::string::npos);
    CHECK(log.find(k_token) == std::string::npos);
    CHECK(log.find(k_read_token) == std::string::npos);
    CHECK(log.find("read-token-0123") == std::string::npos);
  }

  TEST_CASE("an export job runs from POST to manifest, survives a restart mid-job, and is "
            "deleted when old") {
    Market market("exports");
    market.config(std::string("serve_token = ") + k_token + "\n");
    const test::HttpHeaders auth = {{"Authorization", std::string("Bearer ") + k_token}};
    const std::string body =
        R"({"from": "2024-06-03", "to": "2024-06-28", "tickers": ["000020", "000010"], "adjusted": true})";
    std::int64_t id = 0;
    {
      // The server dies (SIGKILL) once the export is written, before it is put in place.
      Server server(market, {{"KRXBATCH_TEST_KILL_AT", "export:written"}});
      const auto r = server.post("/api/v1/exports", body, auth);
      INFO(r.body);
      REQUIRE(r.status == 202);
      const auto job = Json::parse(r.body);
      id = job["id"].get<std::int64_t>();
      CHECK(r.header("Location") == "/api/v1/exports/" + std::to_string(id));
      CHECK((job["state"] == "PENDING" || job["state"] == "RUNNING"));
      CHECK(job["tickers"] == Json::array({"000010", "000020"}));
      const auto killed = server.wait();
      CHECK(killed.signal == SIGKILL);
    }
    CHECK(market.sql_text("SELECT state FROM export_jobs WHERE id = " + std::to_string(id)) ==
          "RUNNING");
    CHECK(!fs::exists(market.dir() / "exports" / std::to_string(id)));

    {
      Server server(market);
      const auto target = "/api/v1/exports/" + std::to_string(id);
      const auto job = poll(server, target, {}, [](const Json& j) {
        return j["state"] == "SUCCEEDED" || j["state"] == "FAILED";
      });
      INFO(job.dump());
      REQUIRE(job["state"] == "SUCCEEDED");
      CHECK(job["progress"]["files_done"] == job["progress"]["files_total"]);
      CHECK(job["progress"]["files_total"] == 5); // four tables and the adjusted prices
      const auto manifest = server.get_json(target + "/manifest");
      CHECK(manifest["from"] == "2024-06-03");
      CHECK(manifest["tickers"] == Json::array({"000010", "000020"}));
      REQUIRE(manifest["files"].size() == 5);
      for (const auto& f : manifest["files"]) {
        const auto name = f["name"].get<std::string>();
        CAPTURE(name);
        const auto file = server.get(target + "/files/" + name);
        REQUIRE(file.status == 200);
        CHECK(file.body.size() == f["bytes"].get<std::size_t>());
        CHECK(util::sha256_hex(file.body) == f["sha256"]);
      }
      const auto prices = server.get(target + "/files/daily_prices.csv");
      CHECK(std::count(prices.body.begin(), prices.body.end(), '\n') ==
            1 + market.sql_int("SELECT count(*) FROM daily_prices WHERE ticker IN ('000010', "
                               "'000020') AND trade_date BETWEEN '2024-06-03' AND '2024-06-28'"));
      error_of(server.get(target + "/files/krx.db"), 404);
      error_of(server.get(target + "/files/..%2F..%2Fkrx.db"), 404);
      error_of(server.get("/api/v1/exports/999"), 404);
      CHECK(server.stop().exit_code == 0);
    }

    // Finished long ago: the next start deletes its files and its row.
    market.sql("UPDATE export_jobs SET finished_at = '2024-01-01T00:00:00+09:00'");
    {
      Server server(market);
      poll(server, "/api/v1/exports", {}, [](const Json& j) { return j["exports"].empty(); });
      error_of(server.get("/api/v1/exports/" + std::to_string(id)), 404);
      server.stop();
    }
    CHECK(!fs::exists(market.dir() / "exports" / std::to_string(id)));
    CHECK(market.sql_int("SELECT count(*) FROM export_jobs") == 0);
  }
}
