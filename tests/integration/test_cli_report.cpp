// The watchlist and its alerts, with the real binary on a synthetic market
// (tests/support/synthetic_market.hpp) that hourly_analysis scores session by session across
// the Chuseok block of 2024 (09-16..09-18 closed).
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/store/database.hpp"

#include "support/process.hpp"
#include "support/synthetic_market.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <unistd.h>

using namespace krxbatch;
using Json = nlohmann::json;

namespace {

constexpr const char* k_now = "2024-09-23T09:00:00+09:00"; // 2024-09-20 is published
constexpr std::size_t k_halted = 2;                        // issue 2 halts on the last session

const calendar::Calendar& cal() {
  static const auto c = calendar::Calendar::load(test::source_dir() / "holidays");
  return c;
}

// A synthetic market of 20 issues over 130 sessions to 2024-09-20 (daily_update's mark), issue
// 2 without trades on the last session, in a scratch directory with a config file.
class Market {
public:
  Market(const std::string& name, const std::string& config)
      : m_dir(std::filesystem::temp_directory_path() /
              ("krxbatch-report-" + std::to_string(::getpid()) + "-" + name)) {
    std::filesystem::remove_all(m_dir);
    std::filesystem::create_directories(m_dir);
    const core::Date last(2024, 9, 20);
    test::SyntheticMarket m;
    m.tickers = 20;
    m.sessions = cal().business_days(cal().business_day_back(last, 129), last);
    const auto n = m.sessions.size();
    m.suspended = [n](std::size_t i, std::size_t s) { return i == k_halted && s + 1 == n; };
    {
      store::Database database(db());
      test::write_synthetic_market(database, m);
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

  test::ProcessResult
  run(const std::vector<std::string>& args,
      std::vector<std::pair<std::string, std::optional<std::string>>> env = {}) const {
    std::vector<std::string> argv = {test::krxbatch_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::SpawnOptions o;
    o.env = {{"KRXBATCH_DB", db()}, {"KRXBATCH_NOW", k_now}};
    o.env.insert(o.env.end(), env.begin(), env.end());
    return test::run(argv, o);
  }

  // Scores `session` alone, as the morning run after it does.
  void score(const std::string& session) const {
    const auto r = run({"hourly_analysis", "--from", session, "--to", session});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }

  SQLite::Database sql() const { return {db(), SQLite::OPEN_READONLY}; }
  std::int64_t count(const std::string& query) const { return sql().execAndGet(query).getInt64(); }

private:
  std::filesystem::path m_dir;
};

// The four sessions around the Chuseok block, scored oldest first.
const std::vector<std::string> k_scored = {"2024-09-12", "2024-09-13", "2024-09-19", "2024-09-20"};

std::set<std::string> tickers_in(const std::string& text) {
  std::set<std::string> out;
  const std::regex ticker(R"((?:^|\| |: )(\d{6}) )");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ticker);
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

} // namespace

TEST_SUITE("cli report") {
  TEST_CASE("watchlist add, remove and list; a malformed or unknown ticker changes nothing") {
    Market m("watchlist", "");
    m.score("2024-09-19");
    m.score("2024-09-20");
    auto r = m.run({"watchlist", "add", "000010", "000020", "--note", "core holding"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("2 added") != std::string::npos);

    r = m.run({"watchlist", "add", "000030", "12345X!"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("krxbatch: error: watchlist add: '12345X!' is not a ticker") !=
          std::string::npos);
    r = m.run({"watchlist", "add", "000030", "999990"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("999990 is not in the database") != std::string::npos);
    CHECK(r.err.find("nothing was changed") != std::string::npos);
    CHECK(m.count("SELECT count(*) FROM watchlist") == 2);
    r = m.run({"watchlist", "remove", "000030"});
    CHECK(r.exit_code == 2);
    CHECK(m.count("SELECT count(*) FROM watchlist") == 2);

    r = m.run({"--json", "watchlist", "list"});
    REQUIRE(r.exit_code == 0);
    const auto j = Json::parse(r.out);
    CHECK(j["session"] == "2024-09-20");
    REQUIRE(j["stocks"].size() == 2);
    auto db = m.sql();
    for (const auto& s : j["stocks"]) {
      const std::string t = s["ticker"];
      CAPTURE(t);
      CHECK(s["note"] == "core holding");
      SQLite::Statement bar(db, "SELECT close, change_rate FROM daily_prices WHERE ticker = ? "
                                "AND trade_date = '2024-09-20'");
      bar.bind(1, t);
      REQUIRE(bar.executeStep());
      CHECK(s["close"] == bar.getColumn(0).getInt64());
      SQLite::Statement sc(db, "SELECT n.score, p.score FROM analysis_results n JOIN "
                               "analysis_results p ON p.ticker = n.ticker WHERE n.ticker = ? AND "
                               "n.as_of_date = '2024-09-20' AND p.as_of_date = '2024-09-19'");
      sc.bind(1, t);
      REQUIRE(sc.executeStep());
      CHECK(s["score"]["score"].get<double>() == sc.getColumn(0).getDouble());
      CHECK(s["previous_score"]["session"] == "2024-09-19");
      CHECK(s["score_change"].get<double>() ==
            doctest::Approx(sc.getColumn(0).getDouble() - sc.getColumn(1).getDouble()));
    }
    r = m.run({"watchlist", "remove", "000010"});
    REQUIRE(r.exit_code == 0);
    CHECK(m.count("SELECT count(*) FROM watchlist") == 1);
    r = m.run({"watchlist", "list"});
    CHECK(r.out.find("000020") != std::string::npos);
    CHECK(r.out.find("000010") == std::string::npos);
  }

  TEST_CASE("watchlist alerts fire exactly for the stocks whose score moved by the threshold, "
            "across the Chuseok block") {
    Market m("alerts", "watchlist_threshold = 2\n");
    // Every fourth issue, and the one that halts on the last session.
    auto r =
        m.run({"watchlist", "add", "000010", "000030", "000050", "000090", "000130", "000170"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    for (const auto& s : k_scored) {
      m.score(s);
    }
    auto db = m.sql();
    // One alert per scored session at most, none on the holidays.
    CHECK(m.count("SELECT count(*) FROM alerts WHERE rule = 'watchlist' AND dedupe_key NOT IN "
                  "('watchlist:2024-09-12', 'watchlist:2024-09-13', 'watchlist:2024-09-19', "
                  "'watchlist:2024-09-20')") == 0);
    std::size_t fired = 0;
    std::size_t quiet = 0;
    for (std::size_t i = 1; i < k_scored.size(); ++i) {
      CAPTURE(k_scored[i]);
      // The expected movers: watchlist stocks whose score moved by 2 or more against the
      // previous scored session (09-19 against 09-13, over the block).
      SQLite::Statement st(db, "SELECT n.ticker FROM watchlist w JOIN analysis_results n ON "
                               "n.ticker = w.ticker AND n.as_of_date = ? JOIN analysis_results "
                               "p ON p.ticker = w.ticker AND p.as_of_date = ? WHERE "
                               "abs(n.score - p.score) >= 2 ORDER BY n.ticker");
      st.bind(1, k_scored[i]);
      st.bind(2, k_scored[i - 1]);
      std::set<std::string> expected;
      while (st.executeStep()) {
        expected.insert(st.getColumn(0).getString());
      }
      const std::string key = "watchlist:" + k_scored[i];
      SQLite::Statement alert(db, "SELECT message, severity FROM alerts WHERE dedupe_key = ?");
      alert.bind(1, key);
      std::set<std::string> got;
      std::string message;
      if (alert.executeStep()) {
        message = alert.getColumn(0).getString();
        CHECK(alert.getColumn(1).getString() == "INFO");
        // Score moves only: the halt is news on its own line.
        for (const auto& t : tickers_in(message)) {
          if (message.find(t + " 종목" + t + ": score ") != std::string::npos) {
            got.insert(t);
          }
        }
        if (!expected.empty()) {
          CHECK(message.find(" vs " + k_scored[i - 1]) != std::string::npos);
        }
      }
      CAPTURE(message);
      CHECK(got == expected);
      fired += expected.size();
      quiet += 6 - expected.size();
    }
    // The fixture exercises both sides of the threshold.
    CHECK(fired > 0);
    CHECK(quiet > 0);
    // The halted issue is news on the last session.
    const auto last =
        db.execAndGet("SELECT message FROM alerts WHERE dedupe_key = 'watchlist:2024-09-20'")
            .getString();
    CHECK(last.find("000030 종목000030: ") != std::string::npos);
    CHECK(last.find("stopped trading") != std::string::npos);
  }
}
