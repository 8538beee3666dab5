// The watchlist, its alerts and the daily report, with the real binary on a synthetic market
// (tests/support/synthetic_market.hpp) that hourly_analysis scores session by session across
// the Chuseok block of 2024 (09-16..09-18 closed), and a loopback SMTP relay
// (tests/support/smtp_sink.py on Debian's python3-aiosmtpd) for the mail.
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/store/database.hpp"

#include "support/browser.hpp"
#include "support/http_receiver.hpp"
#include "support/process.hpp"
#include "support/synthetic_market.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

using namespace krxbatch;
using Json = nlohmann::json;

namespace {

constexpr const char* k_now = "2024-09-23T09:00:00+09:00"; // 2024-09-20 is published
constexpr std::size_t k_halted = 2;                        // issue 2 halts on the last session

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

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

// The loopback SMTP relay, one per test case.
class SmtpSink {
public:
  explicit SmtpSink(const std::filesystem::path& dir, bool refuse = false) : m_dir(dir) {
    std::filesystem::create_directories(dir);
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     (test::source_dir() / "tests/support/smtp_sink.py").string(),
                                     "--dir", dir.string()};
    if (refuse) {
      argv.emplace_back("--refuse");
    }
    test::SpawnOptions o;
    o.stdout_pipe = true;
    m_child.emplace(test::Child::spawn(argv, o));
    const auto line = m_child->read_line();
    if (!line || line->rfind("listening ", 0) != 0) {
      throw std::runtime_error("smtp_sink did not start: " + m_child->err_so_far());
    }
    m_port = std::stoi(line->substr(10));
  }
  ~SmtpSink() { m_child->kill(); }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return m_port; }
  // The next message's file: the relay printed its line before answering 250, so after a
  // client that finished this returns at once.
  std::filesystem::path next_message() {
    const auto line = m_child->read_line();
    REQUIRE(line);
    REQUIRE(line->rfind("message ", 0) == 0);
    return line->substr(8);
  }

private:
  std::filesystem::path m_dir;
  std::optional<test::Child> m_child;
  int m_port = 0;
};

// Six-digit tickers that start the text or follow "| " or ": ", followed by a space. A scan
// rather than std::regex: libstdc++'s regex trips GCC 12's -Wmaybe-uninitialized in the
// sanitizer build, which CI compiles with warnings as errors.
std::set<std::string> tickers_in(const std::string& text) {
  std::set<std::string> out;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (std::size_t i = 0; i + 7 <= text.size(); ++i) {
    const bool starts =
        i == 0 || (i >= 2 && text[i - 1] == ' ' && (text[i - 2] == '|' || text[i - 2] == ':'));
    if (!starts || text[i + 6] != ' ') {
      continue;
    }
    if (std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i),
                    text.begin() + static_cast<std::ptrdiff_t>(i + 6), digit)) {
      out.insert(text.substr(i, 6));
    }
  }
  return out;
}

} // namespace

TEST_SUITE("cli report") {
  TEST_CASE("watchlist add, remove and list, and a malformed or unknown ticker changes nothing") {
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

  TEST_CASE("report daily: every number of the JSON equals the SQL that computes it, and an "
            "unscored session says so") {
    Market m("json", "");
    auto r = m.run({"watchlist", "add", "000010", "000030"});
    REQUIRE(r.exit_code == 0);
    for (std::size_t i = 0; i + 1 < k_scored.size(); ++i) {
      m.score(k_scored[i]);
    }
    // 09-20 is stored, not scored: the default report is of 09-19 and says why.
    r = m.run({"report", "daily", "--format", "json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto j = Json::parse(r.out);
    CHECK(j["session"] == "2024-09-19");
    CHECK(j["scored"] == true);
    CHECK(j["note"].get<std::string>().find("2024-09-20, is not scored yet") != std::string::npos);
    CHECK(j["freshness"]["unscored_sessions"] == 1);
    r = m.run({"report", "daily", "--date", "2024-09-20", "--format", "json"});
    REQUIRE(r.exit_code == 0);
    j = Json::parse(r.out);
    CHECK(j["scored"] == false);
    CHECK(j["top_scores"].empty());
    CHECK(j["note"].get<std::string>().find("2024-09-20 is not scored yet") != std::string::npos);
    r = m.run({"report", "daily", "--date", "2024-09-17"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("no prices are stored for 2024-09-17") != std::string::npos);

    m.score("2024-09-20");
    r = m.run({"report", "daily", "--format", "json"});
    REQUIRE(r.exit_code == 0);
    j = Json::parse(r.out);
    CHECK(slurp(m.dir() / "reports/daily-2024-09-20.json") == r.out);
    const std::string d = "2024-09-20";
    CHECK(j["session"] == d);
    CHECK(j["note"].is_null());
    CHECK(j["previous_scored_session"] == "2024-09-19");
    auto db = m.sql();

    // Composites: the session's row and the last 60 closes.
    REQUIRE(j["composites"].size() == 2);
    for (const auto& c : j["composites"]) {
      SQLite::Statement st(db, "SELECT close FROM index_prices WHERE index_class = ? AND "
                               "index_name = ? AND trade_date = ?");
      st.bind(1, c["index_class"].get<std::string>());
      st.bind(2, c["index_name"].get<std::string>());
      st.bind(3, d);
      REQUIRE(st.executeStep());
      CHECK(c["close"].get<double>() == st.getColumn(0).getDouble());
      SQLite::Statement series(db, "SELECT trade_date, close FROM index_prices WHERE "
                                   "index_class = ? AND index_name = ? AND trade_date <= ? ORDER "
                                   "BY trade_date DESC LIMIT 60");
      series.bind(1, c["index_class"].get<std::string>());
      series.bind(2, c["index_name"].get<std::string>());
      series.bind(3, d);
      std::vector<std::pair<std::string, double>> expected;
      while (series.executeStep()) {
        expected.insert(expected.begin(),
                        {series.getColumn(0).getString(), series.getColumn(1).getDouble()});
      }
      REQUIRE(c["series"].size() == expected.size());
      CHECK(expected.size() == 60);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(c["series"][i]["session"] == expected[i].first);
        CHECK(c["series"][i]["close"].get<double>() == expected[i].second);
      }
    }

    // Breadth and turnover per market.
    REQUIRE(j["breadth"].size() == 2);
    for (const auto& b : j["breadth"]) {
      SQLite::Statement st(
          db,
          "SELECT count(*), "
          "(SELECT count(*) FROM daily_prices WHERE trade_date = ?1 AND market = ?2 AND "
          "volume > 0 AND change > 0), "
          "(SELECT count(*) FROM daily_prices WHERE trade_date = ?1 AND market = ?2 AND "
          "volume > 0 AND change < 0), "
          "(SELECT count(*) FROM daily_prices WHERE trade_date = ?1 AND market = ?2 AND "
          "volume > 0 AND change = 0), "
          "(SELECT count(*) FROM daily_prices WHERE trade_date = ?1 AND market = ?2 AND "
          "volume = 0), "
          "(SELECT count(*) FROM daily_prices WHERE trade_date = ?1 AND market = ?2 AND "
          "volume > 0 AND 100.0 * change / (close - change) >= 29.5), "
          "(SELECT count(*) FROM daily_prices WHERE trade_date = ?1 AND market = ?2 AND "
          "volume > 0 AND 100.0 * change / (close - change) <= -29.5), "
          "total(value), total(volume) FROM daily_prices WHERE trade_date = ?1 AND market = ?2");
      st.bind(1, d);
      st.bind(2, b["market"].get<std::string>());
      REQUIRE(st.executeStep());
      CAPTURE(b.dump());
      CHECK(b["issues"] == st.getColumn(0).getInt64());
      CHECK(b["advancers"] == st.getColumn(1).getInt64());
      CHECK(b["decliners"] == st.getColumn(2).getInt64());
      CHECK(b["unchanged"] == st.getColumn(3).getInt64());
      CHECK(b["halted"] == st.getColumn(4).getInt64());
      CHECK(b["limit_up"] == st.getColumn(5).getInt64());
      CHECK(b["limit_down"] == st.getColumn(6).getInt64());
      CHECK(b["value"].get<double>() == st.getColumn(7).getDouble());
      CHECK(b["volume"].get<double>() == st.getColumn(8).getDouble());
    }
    CHECK(j["breadth"][0]["halted"].get<int>() + j["breadth"][1]["halted"].get<int>() == 1);

    // Gainers and losers among issues with 1,000,000,000 KRW traded or more.
    for (const bool gainers : {true, false}) {
      const auto& list = j[gainers ? "gainers" : "losers"];
      // The synthetic rows have no change_rate: it is the change against the base price.
      SQLite::Statement st(db, std::string("SELECT ticker, 100.0 * change / (close - change) AS "
                                           "rate, close, value FROM daily_prices WHERE trade_date "
                                           "= ? AND volume > 0 AND value >= 1000000000 AND ") +
                                   (gainers ? "rate > 0" : "rate < 0") + " ORDER BY rate " +
                                   (gainers ? "DESC" : "ASC") + ", ticker LIMIT 10");
      st.bind(1, d);
      std::size_t i = 0;
      for (; st.executeStep(); ++i) {
        REQUIRE(i < list.size());
        CHECK(list[i]["ticker"] == st.getColumn(0).getString());
        CHECK(list[i]["change_rate"].get<double>() == st.getColumn(1).getDouble());
        CHECK(list[i]["close"] == st.getColumn(2).getInt64());
        CHECK(list[i]["value"] == st.getColumn(3).getInt64());
      }
      CHECK(i == list.size());
      CHECK(i > 0);
    }

    // New 52-week highs and lows on the adjusted prices, with 60 traded sessions before.
    for (const bool highs : {true, false}) {
      const auto& list = j[highs ? "new_52w_highs" : "new_52w_lows"];
      const std::string col = highs ? "high" : "low";
      const std::string agg = highs ? "max" : "min";
      SQLite::Statement st(
          db, "SELECT d.ticker, d." + col + ", (SELECT " + agg + "(w." + col +
                  ") FROM daily_prices_adjusted w WHERE w.ticker = d.ticker AND w.trade_date >= "
                  "date(?1, '-364 days') AND w.trade_date < ?1 AND w.volume > 0) AS prior FROM "
                  "daily_prices_adjusted d WHERE d.trade_date = ?1 AND d.volume > 0 AND (SELECT "
                  "count(*) FROM daily_prices_adjusted w WHERE w.ticker = d.ticker AND "
                  "w.trade_date >= date(?1, '-364 days') AND w.trade_date < ?1 AND w.volume > "
                  "0) >= 60 AND d." +
                  col + (highs ? " > " : " < ") + "prior ORDER BY d.ticker");
      st.bind(1, d);
      std::size_t i = 0;
      for (; st.executeStep(); ++i) {
        REQUIRE(i < list.size());
        CHECK(list[i]["ticker"] == st.getColumn(0).getString());
        CHECK(list[i]["price"].get<double>() == st.getColumn(1).getDouble());
        CHECK(list[i]["previous"].get<double>() == st.getColumn(2).getDouble());
      }
      CHECK(i == list.size());
    }

    // Top scores, risers and fallers against 09-19.
    SQLite::Statement top(db, "SELECT ticker, score FROM analysis_results WHERE as_of_date = ? "
                              "AND score IS NOT NULL ORDER BY score DESC, ticker LIMIT 10");
    top.bind(1, d);
    std::size_t n = 0;
    for (; top.executeStep(); ++n) {
      REQUIRE(n < j["top_scores"].size());
      CHECK(j["top_scores"][n]["ticker"] == top.getColumn(0).getString());
      CHECK(j["top_scores"][n]["score"].get<double>() == top.getColumn(1).getDouble());
    }
    CHECK(n == j["top_scores"].size());
    CHECK(n == 10);
    for (const bool risers : {true, false}) {
      const auto& list = j[risers ? "score_risers" : "score_fallers"];
      SQLite::Statement st(db, std::string("SELECT n.ticker, n.score - p.score AS delta FROM "
                                           "analysis_results n JOIN analysis_results p ON "
                                           "p.ticker = n.ticker AND p.as_of_date = '2024-09-19' "
                                           "WHERE n.as_of_date = ? AND n.score IS NOT NULL AND "
                                           "p.score IS NOT NULL AND delta ") +
                                   (risers ? "> 0 ORDER BY delta DESC" : "< 0 ORDER BY delta") +
                                   ", n.ticker LIMIT 10");
      st.bind(1, d);
      std::size_t i = 0;
      for (; st.executeStep(); ++i) {
        REQUIRE(i < list.size());
        CHECK(list[i]["ticker"] == st.getColumn(0).getString());
        CHECK(list[i]["change"].get<double>() == doctest::Approx(st.getColumn(1).getDouble()));
      }
      CHECK(i == list.size());
      CHECK(i > 0);
    }

    CHECK(j["corporate_actions"].size() ==
          static_cast<std::size_t>(
              m.count("SELECT count(*) FROM price_adjustments WHERE ex_date = '2024-09-20'")));
    REQUIRE(j["watchlist"].size() == 2);
    CHECK(j["watchlist"][1]["ticker"] == "000030");
    CHECK(j["watchlist"][1]["flags"][0] == "halted");
    CHECK(j["watchlist"][0]["close"] ==
          m.count("SELECT close FROM daily_prices WHERE ticker = '000010' AND trade_date = "
                  "'2024-09-20'"));
    CHECK(j["freshness"]["stored_session"] == "2024-09-20");
    CHECK(j["freshness"]["scored_session"] == "2024-09-20");
    CHECK(j["freshness"]["published_session"] == "2024-09-20");
    CHECK(j["freshness"]["sessions_behind"] == 0);
    CHECK(j["freshness"]["unscored_sessions"] == 0);
    CHECK(j["open_alerts"].size() ==
          static_cast<std::size_t>(m.count("SELECT count(*) FROM alerts WHERE acknowledged = 0")));

    // The HTML: one file, its charts inline.
    r = m.run({"report", "daily", "--format", "html", "--out", (m.dir() / "r.html").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto html = slurp(m.dir() / "r.html");
    CHECK(html == slurp(m.dir() / "reports/daily-2024-09-20.html"));
    CHECK(html.find("id=\"chart-kospi\"") != std::string::npos);
    CHECK(html.find("src=\"data:image/png;base64,iVBORw0KGgo") != std::string::npos);
    CHECK(html.find("<table id=\"watchlist\">") != std::string::npos);
    CHECK(html.find("src=\"http") == std::string::npos);
  }

  TEST_CASE("report daily --send mails a text and an HTML part with the charts to every "
            "recipient, and posts the digest, and the password shows nowhere") {
    test::HttpReceiver hook;
    const auto sink_dir =
        std::filesystem::temp_directory_path() / ("krxbatch-smtp-" + std::to_string(::getpid()));
    SmtpSink sink(sink_dir);
    Market m("send", "smtp_url = smtp://127.0.0.1:" + std::to_string(sink.port()) +
                         "\nsmtp_user = reporter\nmail_from = krx@example.com\nmail_to = "
                         "a@example.com, b@example.org\nwebhook_url = " +
                         hook.url("/hook") + "\n");
    m.score("2024-09-20");
    const std::string password = "pw-Zx81-never-shown";
    auto r = m.run({"--log-level", "info", "report", "daily", "--send"},
                   {{"KRXBATCH_SMTP_PASSWORD", password}});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto message = slurp(sink.next_message());
    const auto envelope = Json::parse(slurp(sink_dir / "1.json"));
    CHECK(envelope["mail_from"] == "krx@example.com");
    CHECK(envelope["rcpt_tos"] == Json::array({"a@example.com", "b@example.org"}));
    CHECK(envelope["auth_user"] == "reporter");
    CHECK(message.find("Content-Type: multipart/alternative") != std::string::npos);
    CHECK(message.find("Content-Type: text/plain; charset=UTF-8") != std::string::npos);
    CHECK(message.find("Content-Type: text/html; charset=UTF-8") != std::string::npos);
    CHECK(message.find("Content-ID: <kospi@krxbatch>") != std::string::npos);
    CHECK(message.find("Content-ID: <kosdaq@krxbatch>") != std::string::npos);
    CHECK(message.find("Subject: KRX daily 2024-09-20:") != std::string::npos);
    CHECK(std::filesystem::exists(m.dir() / "reports/daily-2024-09-20.html"));
    CHECK(std::filesystem::exists(m.dir() / "reports/daily-2024-09-20.txt"));
    const auto posts = hook.requests_to("/hook");
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].body.find("KRX daily 2024-09-20") != std::string::npos);
    CHECK(std::filesystem::exists(m.dir() / "reports/daily-2024-09-20.sent"));
    // --once: the session's report went out, so the retry line sends nothing.
    r = m.run({"report", "daily", "--send", "--once"}, {{"KRXBATCH_SMTP_PASSWORD", password}});
    CHECK(r.exit_code == 0);
    CHECK(!std::filesystem::exists(sink_dir / "2.eml"));
    CHECK(hook.requests_to("/hook").size() == 1);
    // The password: not in the output, the log, the database or the report files.
    CHECK(r.err.find(password) == std::string::npos);
    CHECK(r.out.find(password) == std::string::npos);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(m.dir())) {
      if (entry.is_regular_file()) {
        CAPTURE(entry.path());
        CHECK(slurp(entry.path()).find(password) == std::string::npos);
      }
    }
    std::filesystem::remove_all(sink_dir);
  }

  TEST_CASE("report daily --send to a relay that refuses, or that is down, exits 1 with an "
            "alert and keeps the report") {
    const auto sink_dir = std::filesystem::temp_directory_path() /
                          ("krxbatch-smtp-refuse-" + std::to_string(::getpid()));
    SmtpSink refusing(sink_dir, true);
    for (const int port : {refusing.port(), test::unused_port()}) {
      CAPTURE(port);
      Market m("fail-" + std::to_string(port),
               "smtp_url = smtp://127.0.0.1:" + std::to_string(port) +
                   "\nmail_from = krx@example.com\nmail_to = a@example.com\n");
      m.score("2024-09-20");
      const auto r = m.run({"report", "daily", "--send"});
      CHECK(r.exit_code == 1);
      CHECK(r.err.find("krxbatch: error: report daily 2024-09-20: delivery failed: mail: mail "
                       "relay 127.0.0.1:" +
                       std::to_string(port)) != std::string::npos);
      CHECK(r.err.find("the report is kept at") != std::string::npos);
      CHECK(std::filesystem::exists(m.dir() / "reports/daily-2024-09-20.txt"));
      CHECK(std::filesystem::exists(m.dir() / "reports/daily-2024-09-20.html"));
      CHECK(m.count("SELECT count(*) FROM alerts WHERE rule = 'command_failed' AND job_name = "
                    "'report' AND acknowledged = 0") == 1);
    }
    CHECK(!std::filesystem::exists(sink_dir / "1.eml"));
    std::filesystem::remove_all(sink_dir);
  }

  TEST_CASE("the HTML report renders in Chromium: its charts are painted and its tables are in "
            "the DOM") {
    Market m("browser", "");
    REQUIRE(m.run({"watchlist", "add", "000010"}).exit_code == 0);
    m.score("2024-09-19");
    m.score("2024-09-20");
    const auto file = m.dir() / "report.html";
    const auto r = m.run({"report", "daily", "--format", "html", "--out", file.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // The test's copy records, once the page has loaded, the size each image decoded to: an
    // image Chromium could not decode has a natural width of 0.
    auto html = slurp(file);
    const auto end = html.rfind("</body>");
    REQUIRE(end != std::string::npos);
    html.insert(end, "<script>window.addEventListener('load', () => { for (const i of "
                     "document.images) i.setAttribute('data-decoded', i.naturalWidth + 'x' + "
                     "i.naturalHeight); });</script>");
    const auto probe = m.dir() / "probe.html";
    std::ofstream(probe) << html;
    const auto page =
        test::open_in_chromium("file://" + probe.string(), m.dir() / "chromium", 1000, 900);
    CHECK(page.console_messages.empty());
    for (const auto* id :
         {"composites", "breadth", "gainers", "losers", "highs", "lows", "top-scores", "risers",
          "fallers", "actions", "watchlist", "freshness", "alerts"}) {
      CAPTURE(id);
      CHECK(page.dom.find("<table id=\"" + std::string(id) + "\">") != std::string::npos);
    }
    CHECK(page.dom.find("<td>000010</td>") != std::string::npos);
    // Both gnuplot charts decoded at their full size.
    for (const std::string id : {"kospi", "kosdaq"}) {
      CAPTURE(id);
      const auto at = page.dom.find("id=\"chart-" + id + "\"");
      REQUIRE(at != std::string::npos);
      const auto tag = page.dom.substr(at, page.dom.find('>', at) - at);
      CHECK(tag.find("data-decoded=\"720x240\"") != std::string::npos);
    }
    // And the page is not blank.
    const auto stats = test::png_stats(page.screenshot);
    CHECK(stats.width == 1000);
    CHECK(stats.distinct_colours >= 16);
    CHECK(stats.non_background_fraction > 0.03);
  }
}
