// analysis_results and the analysis columns of target_tickers; the bulk bar loader; schema
// migration 2.
#include "krxbatch/analysis/bar_set.hpp"
#include "krxbatch/store/analysis_store.hpp"
#include "krxbatch/store/bar_loader.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/price_store.hpp"
#include "krxbatch/store/target_store.hpp"

#include "store/migrations.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace krxbatch;
using core::Date;

namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();
const core::KstTime k_now(Date(2024, 7, 2), boost::posix_time::hours(20));

market::PriceRow price(const std::string& ticker, Date day, std::int64_t close, std::int64_t cap,
                       std::int64_t volume = 1000) {
  market::PriceRow r;
  r.trade_date = day;
  r.ticker = ticker;
  r.name = "name " + ticker;
  r.market = market::Market::kospi;
  r.close = close;
  r.open = volume == 0 ? 0 : close - 10;
  r.high = volume == 0 ? 0 : close + 20;
  r.low = volume == 0 ? 0 : close - 20;
  r.volume = volume;
  r.value = volume * close;
  r.market_cap = cap;
  r.listed_shares = cap / close;
  return r;
}

market::IndexRow kospi(Date day, double close) {
  market::IndexRow r;
  r.trade_date = day;
  r.index_class = "KOSPI";
  r.index_name = "코스피";
  r.close = close;
  return r;
}

void store_day(store::Database& db, Date day, const std::vector<market::PriceRow>& rows,
               const std::vector<market::IndexRow>& indices = {}) {
  store::Database::Transaction txn(db);
  store::PriceStore(db).replace_day(day, rows, indices, {}, k_now);
  txn.commit();
}

void make_targets(store::Database& db, Date day, const std::vector<std::string>& tickers) {
  std::vector<store::UniverseCandidate> c;
  for (const auto& t : tickers) {
    c.push_back({t, "name " + t, market::Market::kospi, 1});
  }
  store::Database::Transaction txn(db);
  store::TargetStore(db).apply_universe(day, c);
  txn.commit();
}

analysis::StockAnalysis sample_analysis() {
  analysis::StockAnalysis a;
  a.bars = 300;
  a.close = 71500;
  a.indicators.fill(k_nan);
  a.factors.fill(k_nan);
  for (std::size_t i = 0; i < analysis::k_indicator_count; ++i) {
    a.indicators[i] = 1000.0 + static_cast<double>(i) + 0.125;
  }
  a.indicators[analysis::index_of(analysis::Indicator::rsi14)] = 43.62812345678901;
  for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
    a.factors[f] = -0.5 + static_cast<double>(f) / 7.0;
  }
  a.factors[analysis::index_of(analysis::Factor::mom_12_7)] = k_nan; // undefined → NULL
  a.eligibility.eligible = true;
  a.eligibility.flags = static_cast<std::uint32_t>(analysis::Flag::no_index);
  return a;
}

} // namespace

TEST_SUITE("store.analysis") {
  TEST_CASE("migration 2 upgrades a version-1 database and keeps its rows") {
    test::TempDir dir;
    const auto path = (dir / "v1.db").string();
    {
      store::OpenOptions raw;
      raw.migrate = false;
      store::Database db(path, raw);
      db.execute(std::string(store::migrations()[0].sql));
      db.execute("PRAGMA user_version = 1");
      db.execute("INSERT INTO target_tickers (ticker, name, market, market_cap, universe_date, "
                 "added_date, last_analyzed_date) VALUES ('005930', '삼성전자', 'KOSPI', 1, "
                 "'2024-07-01', '2024-07-01', '2024-06-28')");
      db.execute("INSERT INTO analysis_results (ticker, as_of_date, score, trend_score, eligible, "
                 "flags, bars) VALUES ('005930', '2024-06-28', 77.5, 12.25, 1, 'no_index', 280)");
    }
    store::Database db(path);
    CHECK(db.schema_version() == store::Database::latest_schema_version());
    CHECK(store::Database::latest_schema_version() >= 2);
    const auto row = store::AnalysisStore(db).row("005930", Date(2024, 6, 28));
    REQUIRE(row);
    CHECK(row->score == 77.5);
    CHECK(row->pillars[analysis::index_of(analysis::Pillar::trend)] == 12.25);
    CHECK(row->eligible);
    CHECK(row->flags == "no_index");
    CHECK(row->bars == 280);
    // The new columns exist and are empty.
    CHECK(std::isnan(row->composite_raw));
    CHECK(std::isnan(row->close));
    CHECK(std::isnan(row->indicators[analysis::index_of(analysis::Indicator::sma20)]));
    CHECK(std::isnan(row->factors[analysis::index_of(analysis::Factor::avg_value_20)]));
    const auto targets = store::TargetStore(db).list(false);
    REQUIRE(targets.size() == 1);
    CHECK(targets[0].last_analyzed_date == Date(2024, 6, 28));
  }

  TEST_CASE("a stock's analysis round-trips, NaN as NULL, and marks its target analysed") {
    store::Database db(":memory:");
    make_targets(db, Date(2024, 7, 1), {"005930"});
    store::AnalysisStore results(db);
    const auto a = sample_analysis();
    results.write({"005930", Date(2024, 7, 1), a, std::nullopt}, k_now);

    const auto row = results.row("005930", Date(2024, 7, 1));
    REQUIRE(row);
    CHECK(row->eligible);
    CHECK(row->flags == "no_index");
    CHECK_FALSE(row->error);
    CHECK(row->bars == 300);
    CHECK(row->close == 71500.0);
    CHECK(std::isnan(row->score)); // not ranked yet
    CHECK(row->computed_at == core::to_iso(k_now));
    CHECK_FALSE(row->ranked_at);
    for (const auto i : analysis::k_stored_indicators) {
      CHECK(row->indicators[analysis::index_of(i)] == a.indicators[analysis::index_of(i)]);
    }
    CHECK(std::isnan(row->indicators[analysis::index_of(analysis::Indicator::obv)]));
    for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
      CAPTURE(analysis::k_factors[f].name);
      if (std::isnan(a.factors[f])) {
        CHECK(std::isnan(row->factors[f]));
      } else {
        CHECK(row->factors[f] == a.factors[f]); // bit for bit
      }
    }
    const auto t = store::TargetStore(db).list(true).front();
    CHECK(t.last_analyzed_date == Date(2024, 7, 1));
    CHECK_FALSE(t.last_error);
  }

  TEST_CASE("a failed stock keeps its error on the row and the target, and no values") {
    store::Database db(":memory:");
    make_targets(db, Date(2024, 7, 1), {"005930"});
    store::AnalysisStore results(db);
    results.write({"005930", Date(2024, 7, 1), sample_analysis(), std::nullopt}, k_now);
    results.write({"005930", Date(2024, 7, 1), sample_analysis(), "no prices stored"}, k_now);
    const auto row = results.row("005930", Date(2024, 7, 1));
    REQUIRE(row);
    CHECK(row->error == "no prices stored");
    CHECK_FALSE(row->eligible);
    CHECK(row->flags.empty());
    CHECK(std::isnan(row->close));
    CHECK(std::isnan(row->factors[0]));
    const auto t = store::TargetStore(db).list(true).front();
    CHECK(t.last_analyzed_date == Date(2024, 7, 1));
    CHECK(t.last_error == "no prices stored");
    // A later success clears the target's error.
    results.write({"005930", Date(2024, 7, 1), sample_analysis(), std::nullopt}, k_now);
    CHECK_FALSE(store::TargetStore(db).list(true).front().last_error);
  }

  TEST_CASE("candidates come largest market cap on the session first, ties by ticker") {
    store::Database db(":memory:");
    const Date s1(2024, 6, 28);
    const Date s2(2024, 7, 1);
    // On s1 the order is A > B > C > D; on the session s2 it is C > (B = D) > A.
    store_day(db, s1,
              {price("00000A", s1, 100, 900), price("00000B", s1, 100, 800),
               price("00000C", s1, 100, 700), price("00000D", s1, 100, 600)});
    store_day(db, s2,
              {price("00000A", s2, 100, 100), price("00000B", s2, 100, 500),
               price("00000C", s2, 100, 990), price("00000D", s2, 100, 500)});
    make_targets(db, s2, {"00000A", "00000B", "00000C", "00000D", "00000E"});
    store::AnalysisStore results(db);
    auto c = results.candidates(s2);
    REQUIRE(c.size() == 5);
    CHECK(c[0].ticker == "00000C");
    CHECK(c[0].market_cap == 990);
    CHECK(c[1].ticker == "00000B");
    CHECK(c[2].ticker == "00000D");
    CHECK(c[3].ticker == "00000A");
    CHECK(c[4].ticker == "00000E"); // no row on the session: last
    CHECK_FALSE(c[4].market_cap);

    // Analysed ones leave the queue; one analysed for an older session stays in it.
    results.write({"00000C", s2, sample_analysis(), std::nullopt}, k_now);
    results.write({"00000B", s1, sample_analysis(), std::nullopt}, k_now);
    c = results.candidates(s2);
    REQUIRE(c.size() == 4);
    CHECK(c[0].ticker == "00000B");
    const auto progress = results.progress(s2);
    CHECK(progress.active == 5);
    CHECK(progress.analysed == 1);
  }

  TEST_CASE("inactive targets are neither candidates nor ranked") {
    store::Database db(":memory:");
    const Date s(2024, 7, 1);
    make_targets(db, s, {"00000A", "00000B"});
    store::AnalysisStore results(db);
    results.write({"00000A", s, sample_analysis(), std::nullopt}, k_now);
    results.write({"00000B", s, sample_analysis(), std::nullopt}, k_now);
    make_targets(db, s, {"00000A"}); // B leaves the universe
    CHECK(results.candidates(s).empty());
    CHECK(results.progress(s).active == 1);
    const auto rows = results.ranking_rows(s);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].ticker == "00000A");
    CHECK(rows[0].input.eligible);
    CHECK(rows[0].input.factors[1] == sample_analysis().factors[1]);
  }

  TEST_CASE("scores are stored for the ranked stocks and cleared on the others of the session") {
    store::Database db(":memory:");
    const Date s(2024, 7, 1);
    make_targets(db, s, {"00000A", "00000B"});
    store::AnalysisStore results(db);
    results.write({"00000A", s, sample_analysis(), std::nullopt}, k_now);
    results.write({"00000B", s, sample_analysis(), std::nullopt}, k_now);
    analysis::RankedScores a;
    a.score = 100;
    a.composite_raw = 61.5;
    a.pillars = {10, 20, 30, 40, 50};
    analysis::RankedScores b;
    b.score = 0;
    b.composite_raw = 12;
    b.pillars = {1, 2, 3, 4, k_nan};
    std::vector<std::string> tickers = {"00000A", "00000B"};
    results.write_scores(s, tickers, std::vector{a, b}, k_now);
    auto ra = results.row("00000A", s);
    CHECK(ra->score == 100.0);
    CHECK(ra->composite_raw == 61.5);
    CHECK(ra->pillars[analysis::index_of(analysis::Pillar::liquidity)] == 50.0);
    CHECK(ra->ranked_at == core::to_iso(k_now));
    CHECK(std::isnan(results.row("00000B", s)->pillars[4]));

    // A ranking without B clears B's scores.
    tickers.pop_back();
    results.write_scores(s, tickers, std::vector{a}, k_now);
    const auto rb = results.row("00000B", s);
    CHECK(std::isnan(rb->score));
    CHECK(std::isnan(rb->composite_raw));
    CHECK(std::isnan(rb->pillars[0]));
    CHECK(rb->ranked_at == core::to_iso(k_now));
    CHECK(results.rows(s).size() == 2);
  }
}

TEST_SUITE("store.bar_loader") {
  TEST_CASE("loads the window's bars of each ticker in the order asked, with the index") {
    store::Database db(":memory:");
    const auto& cal = test::real_calendar();
    const auto days = cal.business_days(Date(2024, 6, 24), Date(2024, 7, 2)); // 7 sessions
    REQUIRE(days.size() == 7);
    for (std::size_t d = 0; d < days.size(); ++d) {
      std::vector<market::PriceRow> rows;
      const auto c = static_cast<std::int64_t>(1000 + d);
      rows.push_back(price("00000A", days[d], c, 1, d == 3 ? 0 : 100));
      if (d >= 2) {
        rows.push_back(price("00000B", days[d], 2 * c, 1));
      }
      rows.push_back(price("00000Z", days[d], 5, 1)); // never asked for
      std::vector<market::IndexRow> idx;
      if (d != 4) {
        idx.push_back(kospi(days[d], 2800.0 + static_cast<double>(d)));
      }
      idx.push_back(
          market::IndexRow{days[d], "KOSPI", "코스피 200", 1.0, {}, {}, {}, {}, {}, {}, {}, {}});
      store_day(db, days[d], rows, idx);
    }
    // The window is the middle five sessions: 06-25 .. 07-01.
    const std::vector<Date> window(days.begin() + 1, days.end() - 1);
    analysis::BarSet bars;
    const std::vector<std::string> tickers = {"00000B", "00000X", "00000A"};
    store::BarLoader loader(db);
    loader.load(tickers, window, bars);

    REQUIRE(bars.series_count() == 3);
    CHECK(bars.sessions == window);
    // B: listed from days[2] = window[1].
    CHECK(bars.bar_count(0) == 4);
    CHECK(bars.view(0).close[0] == 2004.0);
    CHECK(bars.bar_sessions(0)[0] == 1);
    CHECK(bars.ends_on_last_session(0));
    // X: nothing stored.
    CHECK(bars.bar_count(1) == 0);
    CHECK_FALSE(bars.ends_on_last_session(1));
    // A: five bars, the suspended one (days[3] = window[2]) normalised to O = H = L = C.
    REQUIRE(bars.bar_count(2) == 5);
    const auto a = bars.view(2);
    CHECK(a.close[0] == 1001.0);
    CHECK(a.close[4] == 1005.0);
    CHECK(a.open[2] == 1003.0);
    CHECK(a.high[2] == 1003.0);
    CHECK(a.low[2] == 1003.0);
    CHECK(a.volume[2] == 0.0);
    CHECK(a.open[1] == 992.0);
    CHECK(a.high[1] == 1022.0);
    CHECK(a.low[1] == 982.0);
    CHECK(a.value[1] == 100.0 * 1002.0);
    // The KOSPI composite per session, NaN where it is missing (days[4] = window[3]).
    REQUIRE(bars.index_closes.size() == 2);
    REQUIRE(bars.index_closes[0].size() == 5);
    CHECK(bars.index_closes[1].empty()); // no KOSDAQ composite stored
    CHECK(bars.index_closes[0][0] == 2801.0);
    CHECK(std::isnan(bars.index_closes[0][3]));
    std::vector<double> aligned;
    bars.aligned_index(0, aligned);
    REQUIRE(aligned.size() == 4);
    CHECK(aligned[0] == 2802.0);
    CHECK(std::isnan(aligned[2]));

    // Reloading reuses the arena and replaces its contents.
    loader.load(std::vector<std::string>{"00000A"}, window, bars);
    CHECK(bars.series_count() == 1);
    CHECK(bars.bar_count(0) == 5);
    CHECK(bars.close.size() == 5);
  }

  TEST_CASE("a window without any KOSPI close has no index column") {
    store::Database db(":memory:");
    const Date d(2024, 7, 1);
    store_day(db, d, {price("00000A", d, 100, 1)});
    analysis::BarSet bars;
    store::BarLoader(db).load(std::vector<std::string>{"00000A"}, std::vector<Date>{d}, bars);
    CHECK(bars.index_closes[0].empty());
    std::vector<double> aligned = {1.0};
    bars.aligned_index(0, aligned);
    CHECK(aligned.empty());
  }
}
