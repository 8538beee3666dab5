// Observability around hourly_analysis, with the real binary on synthetic market databases
// (tests/support/synthetic_market.hpp): the job wrapper (log file, pings, metrics), the
// analysis progress in `status`, and the analysis failure-rate alert.
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/store/database.hpp"

#include "support/http_receiver.hpp"
#include "support/process.hpp"
#include "support/synthetic_market.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <unistd.h>

using namespace krxbatch;
using Json = nlohmann::json;

namespace {

constexpr const char* k_now = "2024-07-02T09:00:00+09:00"; // 2024-07-01 is published

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A database of `tickers` synthetic issues over 130 sessions to 2024-07-01 (daily_update's
// mark), plus `ghosts` active targets that have no prices (their analysis fails), in a
// scratch directory with a config file.
class Market {
public:
  Market(const std::string& name, std::size_t tickers, int ghosts, const std::string& config)
      : m_dir(std::filesystem::temp_directory_path() /
              ("krxbatch-opsan-" + std::to_string(::getpid()) + "-" + name)) {
    std::filesystem::remove_all(m_dir);
    std::filesystem::create_directories(m_dir);
    static const auto cal = calendar::Calendar::load(test::source_dir() / "holidays");
    const core::Date last(2024, 7, 1);
    test::SyntheticMarket m;
    m.tickers = tickers;
    m.sessions = cal.business_days(cal.business_day_back(last, 129), last);
    {
      store::Database database(db());
      test::write_synthetic_market(database, m);
    }
    SQLite::Database d(db(), SQLite::OPEN_READWRITE);
    for (int i = 0; i < ghosts; ++i) {
      d.exec("INSERT INTO target_tickers (ticker, name, market, market_cap, universe_date, "
             "added_date) VALUES ('9999" +
             std::to_string(i) + "K', 'ghost', 'KOSPI', 1, '2024-07-01', '2024-07-01')");
    }
    std::ofstream(m_dir / "krxbatch.conf") << config;
  }
  ~Market() {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  Market(const Market&) = delete;
  Market& operator=(const Market&) = delete;

  const std::filesystem::path& dir() const { return m_dir; }
  std::string db() const { return (m_dir / "krx.db").string(); }

  test::ProcessResult run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {test::krxbatch_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::SpawnOptions o;
    o.env = {{"KRXBATCH_DB", db()}, {"KRXBATCH_NOW", k_now}};
    return test::run(argv, o);
  }

  Json status() const {
    const auto r = run({"--json", "status"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return Json::parse(r.out);
  }

  std::int64_t count(const std::string& sql) const {
    SQLite::Database d(db(), SQLite::OPEN_READONLY);
    return d.execAndGet(sql).getInt64();
  }

private:
  std::filesystem::path m_dir;
};

const Json& analysis_job(const Json& status) {
  for (const auto& j : status["jobs"]) {
    if (j["job"] == "hourly_analysis") {
      return j;
    }
  }
  throw std::runtime_error("no hourly_analysis in status");
}

} // namespace

TEST_SUITE("ops.analysis") {
  TEST_CASE("hourly_analysis runs in the job wrapper, status shows the session's progress") {
    test::HttpReceiver receiver;
    Market market("wrapper", 6, 0,
                  "ping_start_url = " + receiver.url("/ping/{job}/start") +
                      "\nping_success_url = " + receiver.url("/ping/{job}/ok") + "\n");
    std::ofstream(market.dir() / "krxbatch.conf", std::ios::app)
        << "metrics_textfile = " << (market.dir() / "krxbatch.prom").string() << "\n";

    auto s = market.status();
    CHECK(s["analysis"]["session"] == "2024-07-01");
    CHECK(s["analysis"]["targets"] == 6);
    CHECK(s["analysis"]["done"] == 0);

    // Two stocks: a partial run, the rest left for the next one.
    auto r = market.run({"hourly_analysis", "--quota", "2"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    s = market.status();
    CHECK(s["analysis"]["done"] == 2);
    CHECK(s["analysis"]["remaining"] == 4);
    CHECK(s["analysis"]["failed"] == 0);
    CHECK(s["analysis"]["ranked"] == false);
    CHECK(analysis_job(s)["state"] == "partial");
    CHECK(analysis_job(s)["last_run"]["items_remaining"] == 4);
    CHECK(market.run({"status"}).out.find("session 2024-07-01: 2/6 targets done, 4 remaining") !=
          std::string::npos);
    const auto log = slurp(market.dir() / "logs" / "hourly_analysis.log");
    CHECK(log.find("hourly_analysis: started") != std::string::npos);
    CHECK(log.find("hourly_analysis: partial") != std::string::npos);
    // {job} in the URLs: the pings reach the job's own check.
    CHECK(receiver.requests_to("/ping/hourly_analysis/start").size() == 1);
    REQUIRE(receiver.requests_to("/ping/hourly_analysis/ok").size() == 1);
    CHECK(receiver.requests_to("/ping/hourly_analysis/ok")[0].body.starts_with(
        "hourly_analysis: partial"));
    CHECK(receiver.requests().size() == 2);
    const auto prom = slurp(market.dir() / "krxbatch.prom");
    CAPTURE(prom);
    CHECK(prom.find("krxbatch_items_remaining{job=\"hourly_analysis\"} 4") != std::string::npos);
    CHECK(prom.find("krxbatch_analysis_targets{state=\"remaining\"} 4") != std::string::npos);

    // The next run finishes and ranks the session: hourly_analysis' mark.
    r = market.run({"hourly_analysis"});
    REQUIRE(r.exit_code == 0);
    s = market.status();
    CHECK(s["analysis"]["done"] == 6);
    CHECK(s["analysis"]["remaining"] == 0);
    CHECK(s["analysis"]["ranked"] == true);
    CHECK(analysis_job(s)["last_success_date"] == "2024-07-01");
    CHECK(analysis_job(s)["sessions_behind"] == 0);
    CHECK(s["alerts"]["open"] == 0);
  }

  TEST_CASE("more than 30% of a run's stocks failing raises analysis_failure_rate WARN") {
    test::HttpReceiver receiver;
    // 2 of 6 fail (33%).
    Market bad("rate-bad", 4, 2, "webhook_url = " + receiver.url("/hook") + "\n");
    auto r = bad.run({"hourly_analysis"});
    CHECK(r.exit_code == 1);
    CHECK(bad.count("SELECT count(*) FROM alerts WHERE rule = 'analysis_failure_rate' AND "
                    "severity = 'WARN' AND job_name = 'hourly_analysis' AND acknowledged = 0") ==
          1);
    // A run that failed stocks is not a run that stopped: no run_failed.
    CHECK(bad.count("SELECT count(*) FROM alerts WHERE rule = 'run_failed'") == 0);
    const auto hooks = receiver.requests_to("/hook");
    REQUIRE(hooks.size() == 1);
    CHECK(Json::parse(hooks[0].body)["text"].get<std::string>().starts_with(
        "[WARN] hourly_analysis analysis_failure_rate: "));
    const auto s = bad.status();
    CHECK(s["analysis"]["done"] == 6);
    CHECK(s["analysis"]["failed"] == 2);
    CHECK(bad.run({"status"}).out.find("6/6 targets done (2 failed)") != std::string::npos);

    // 1 of 7 (14%): the run exits 1 for the failed stock, but no alert.
    Market ok("rate-ok", 6, 1, "");
    CHECK(ok.run({"hourly_analysis"}).exit_code == 1);
    CHECK(ok.count("SELECT count(*) FROM alerts") == 0);
    CHECK(ok.status()["analysis"]["failed"] == 1);
  }
}
