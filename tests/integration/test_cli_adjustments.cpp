// Corporate actions end to end (docs/ADJUSTMENTS.md): the real krxbatch against a small fake
// KRX whose market holds a split, a consolidation, a bonus issue and a rights offering in each
// of KOSPI and KOSDAQ (with the halts around the splits and consolidations), backfilled through
// the staged path and caught up session by session. Everything expected here comes from the
// fake's own list of what it did (GET /_fake/actions) and from the raw stored prices.
#include "krxbatch/calendar/calendar.hpp"

#include "ingest_env.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <sstream>

using namespace krxbatch;
using core::Date;
using Json = nlohmann::json;

namespace {

const calendar::Calendar& cal() {
  static const auto c = calendar::Calendar::load(test::source_dir() / "holidays");
  return c;
}

// 08:30 KST on the business day after `d`: `d` has just been published.
std::string morning_after(const Date& d) {
  return core::to_iso(cal().next_business_day(d)) + "T08:30:00+09:00";
}

Date date_of(const Json& v) {
  return *core::parse_iso_date(v.get<std::string>());
}

Json json_of(const test::ProcessResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return Json::parse(r.out);
}

bool close_to(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b));
}

// The last row of an indicator table, by column name (NaN for an empty cell).
std::map<std::string, double> last_row(const std::string& csv) {
  std::istringstream in(csv);
  std::string header;
  std::string line;
  std::string last;
  std::getline(in, header);
  while (std::getline(in, line)) {
    last = line;
  }
  std::map<std::string, double> out;
  std::istringstream names(header);
  std::istringstream cells(last);
  std::string name;
  std::string cell;
  while (std::getline(names, name, ',')) {
    std::getline(cells, cell, ',');
    out[name] = cell.empty() ? std::nan("") : std::stod(cell);
  }
  return out;
}

} // namespace

TEST_SUITE("cli.adjustments") {
  TEST_CASE("a backfill holding every kind of corporate action: stored exactly, adjusted "
            "prices, scores and indicators on them") {
    const Date start(2024, 1, 2);
    test::IngestEnv env("2024-01-02T08:30:00+09:00", {"--start", "2024-01-02", "--kospi", "10",
                                                      "--kosdaq", "10", "--konex", "0"});
    const auto actions =
        Json::parse(env.fake().request("GET", "/_fake/actions?to=2024-03-29").body);
    Json split;
    Date last_ex = start;
    for (const auto& a : actions) {
      if (a["market"] == "KOSPI" && a["kind"] == "split" && split.is_null()) {
        split = a;
      }
      last_ex = std::max(last_ex, date_of(a["ex_date"]));
    }
    REQUIRE_FALSE(split.is_null());
    const auto ticker = split["ticker"].get<std::string>();
    const auto ex = date_of(split["ex_date"]);

    // 1. The backfill (staged) from the market's first session to the last halted session
    //    before the split.
    const auto halted = cal().previous_business_day(ex);
    env.set_now(morning_after(halted));
    const auto days = static_cast<int>(cal().business_days(start, halted).size());
    auto r =
        env.run({"manual_setup", "--yes", "--days", std::to_string(days), "--min-market-cap", "0"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);

    // 2. Four sessions from the ex-date on, each written straight to daily_prices.
    auto session = ex;
    for (int i = 0; i < 3; ++i) {
      session = cal().next_business_day(session);
    }
    env.set_now(morning_after(session));
    r = env.run({"--log-level", "info", "daily_update"}); // the summary (cron-quiet otherwise)
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.err.find("4 session(s) stored") != std::string::npos);
    REQUIRE(env.run({"hourly_analysis"}).exit_code == 0);

    // The split stock is not scored as a crash: its factors are measured on adjusted bars.
    const auto score = json_of(env.run({"--json", "score", ticker}));
    CHECK(score["session"] == core::to_iso(session));
    const auto adjusted = json_of(env.run({"--json", "prices", ticker, "--adjusted"}))["bars"];
    const auto raw = json_of(env.run({"--json", "prices", ticker}))["bars"];
    REQUIRE(adjusted.size() == raw.size());
    const auto n = adjusted.size();
    REQUIRE(n > 20);
    const double reversal =
        -(adjusted[n - 1]["close"].get<double>() / adjusted[n - 6]["close"].get<double>() - 1.0);
    const double raw_reversal =
        -(raw[n - 1]["close"].get<double>() / raw[n - 6]["close"].get<double>() - 1.0);
    CHECK(std::abs(score["factors"]["reversal_5"].get<double>() - reversal) <= 1e-12);
    CHECK(std::abs(raw_reversal - reversal) > 0.25); // what raw prices would have scored
    CHECK(score["adjustments"].size() == 1);
    CHECK(score["adjustments"][0]["kind"] == "split");

    // The score's indicators are those of `prices --adjusted --csv | indicators` over its window.
    const auto csv = env.run({"prices", ticker, "--adjusted", "--csv", "--from",
                              score["window"]["from"].get<std::string>(), "--to",
                              score["window"]["to"].get<std::string>()});
    REQUIRE(csv.exit_code == 0);
    CHECK(csv.out.find("\n" + core::to_iso(halted) + ",,,,") != std::string::npos);
    test::SpawnOptions pipe = env.options();
    pipe.stdin_data = csv.out;
    const auto table = test::run({test::krxbatch_binary().string(), "indicators"}, pipe);
    INFO(table.err);
    REQUIRE(table.exit_code == 0);
    const auto expected = last_row(table.out);
    REQUIRE(score["indicators"].size() == 22);
    for (const auto& [name, value] : score["indicators"].items()) {
      CAPTURE(name);
      REQUIRE(expected.contains(name));
      if (value.is_null()) {
        CHECK(std::isnan(expected.at(name)));
      } else {
        CHECK(value.get<double>() == expected.at(name));
      }
    }

    // 3. The rest of the market's actions, staged again (a catch-up of many sessions).
    const auto end = cal().next_business_day(cal().next_business_day(last_ex));
    env.set_now(morning_after(end));
    REQUIRE(env.run({"daily_update"}).exit_code == 0);

    // Exactly the re-bases the server made, and nothing else.
    std::vector<std::string> made;
    std::map<std::string, std::vector<std::pair<Date, double>>> factors; // the fake's, by ticker
    for (const auto& a : actions) {
      if (date_of(a["ex_date"]) <= end) {
        made.push_back(a["ticker"].get<std::string>() + " " + a["ex_date"].get<std::string>() +
                       " " + std::to_string(a["prev_close"].get<std::int64_t>()) + " " +
                       std::to_string(a["base_price"].get<std::int64_t>()));
        factors[a["ticker"].get<std::string>()].emplace_back(
            date_of(a["ex_date"]), a["base_price"].get<double>() / a["prev_close"].get<double>());
      }
    }
    REQUIRE(made.size() >= 8);
    const auto listed = json_of(env.run({"--json", "actions"}));
    std::vector<std::string> stored;
    std::map<std::string, std::string> kinds;
    for (const auto& a : listed) {
      stored.push_back(a["ticker"].get<std::string>() + " " + a["ex_date"].get<std::string>() +
                       " " + std::to_string(a["prev_close"].get<std::int64_t>()) + " " +
                       std::to_string(a["base_price"].get<std::int64_t>()));
      kinds[a["ticker"].get<std::string>()] = a["kind"].get<std::string>();
    }
    std::sort(made.begin(), made.end());
    std::sort(stored.begin(), stored.end());
    CHECK(stored == made);
    for (const auto& a : actions) {
      if (date_of(a["ex_date"]) <= end) {
        CAPTURE(a.dump());
        const auto kind = a["kind"].get<std::string>();
        CHECK(kinds[a["ticker"].get<std::string>()] ==
              (kind == "split" || kind == "consolidation" ? kind : "rights/bonus/other"));
      }
    }

    // Adjusted prices are the raw ones times the factors of every later event.
    auto db = env.open();
    for (const auto& [t, events] : factors) {
      CAPTURE(t);
      const auto adj = json_of(env.run({"--json", "prices", t, "--adjusted"}))["bars"];
      const auto plain = json_of(env.run({"--json", "prices", t}))["bars"];
      REQUIRE(adj.size() == plain.size());
      SQLite::Statement view(db, "SELECT close, volume FROM daily_prices_adjusted WHERE ticker = ? "
                                 "ORDER BY trade_date");
      view.bind(1, t);
      for (std::size_t i = 0; i < adj.size(); ++i) {
        const auto d = date_of(plain[i]["date"]);
        double product = 1.0;
        for (const auto& [when, f] : events) {
          product *= when > d ? f : 1.0;
        }
        CAPTURE(plain[i]["date"]);
        CHECK(close_to(adj[i]["close"].get<double>(), plain[i]["close"].get<double>() * product));
        CHECK(close_to(adj[i]["volume"].get<double>(), plain[i]["volume"].get<double>() / product));
        CHECK(adj[i]["value"] == plain[i]["value"]);
        // The view holds the same numbers, to the bit.
        REQUIRE(view.executeStep());
        CHECK(view.getColumn(0).getDouble() == adj[i]["close"].get<double>());
        CHECK(view.getColumn(1).getDouble() == adj[i]["volume"].get<double>());
      }
    }

    // verify agrees with what is stored; a reload across the split's ex-date changes nothing.
    const auto verify = json_of(env.run({"--json", "verify"}));
    CHECK(verify["errors"] == 0);
    const auto before = env.digest();
    r = env.run({"daily_update", "--from", core::to_iso(halted), "--to", core::to_iso(ex)});
    REQUIRE(r.exit_code == 0);
    CHECK(env.digest() == before);
    db.exec("UPDATE price_adjustments SET base_price = base_price + 1 WHERE ticker = '" + ticker +
            "'");
    const auto damaged = env.run({"--json", "verify"});
    CHECK(damaged.exit_code == 1);
    CHECK(damaged.out.find("\"adjustments\"") != std::string::npos);
  }
}
