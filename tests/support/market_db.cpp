#include "market_db.hpp"

#include "krxbatch/store/database.hpp"
#include "krxbatch/store/job_store.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/store/price_store.hpp"
#include "krxbatch/store/target_store.hpp"

#include <cstdio>
#include <stdexcept>

namespace krxbatch::test {

std::vector<market::PriceRow> synthetic_prices(const core::Date& session, int session_index,
                                               const MarketShape& shape) {
  std::vector<market::PriceRow> rows;
  const auto add_market = [&](market::Market m, int issues, char lead) {
    for (int i = 0; i < issues; ++i) {
      char ticker[16];
      std::snprintf(ticker, sizeof ticker, "%c%05d", lead, i);
      market::PriceRow r;
      r.trade_date = session;
      r.ticker = ticker;
      r.name = std::string(m == market::Market::kospi ? "코스피" : "코스닥") + " 종목, \"" +
               std::to_string(i) + "\"";
      r.market = m;
      r.section = m == market::Market::kospi ? std::nullopt : std::optional<std::string>("우량");
      const auto close_on = [i](int index) -> std::int64_t {
        return 10000 + 10 * ((index * 7 + i * 3) % 11);
      };
      const std::int64_t close = close_on(session_index);
      r.close = close;
      r.open = close - 10;
      r.high = close + 20;
      r.low = close - 30;
      // Against the previous session's close, as KRX measures it: no corporate action here.
      r.change = session_index == 0 ? 0 : close - close_on(session_index - 1);
      r.change_rate = 0.1 + 0.01 * i;
      r.volume = 1000 + i;
      r.value = close * (1000 + i);
      r.listed_shares = 1'000'000LL * (i + 1);
      r.market_cap = close * *r.listed_shares;
      rows.push_back(std::move(r));
    }
  };
  add_market(market::Market::kospi, shape.kospi_issues, '0');
  add_market(market::Market::kosdaq, shape.kosdaq_issues, '1');
  return rows;
}

std::vector<market::IndexRow> synthetic_indices(const core::Date& session, int session_index) {
  std::vector<market::IndexRow> rows;
  for (const auto& [cls, name, base] :
       {std::tuple{"KOSPI", "코스피", 2500.0}, std::tuple{"KOSDAQ", "코스닥", 800.0}}) {
    market::IndexRow r;
    r.trade_date = session;
    r.index_class = cls;
    r.index_name = name;
    r.close = base + 0.25 * session_index;
    r.open = *r.close - 1.5;
    r.high = *r.close + 3.75;
    r.low = *r.close - 4.125;
    r.change = 0.25;
    r.change_rate = 0.01;
    r.volume = 123456789;
    r.value = 987654321000;
    r.market_cap = 2'000'000'000'000'000;
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<core::Date> build_market_db(const std::filesystem::path& path,
                                        const calendar::Calendar& calendar, int sessions,
                                        const core::Date& last, const MarketShape& shape,
                                        std::int64_t min_market_cap) {
  if (std::filesystem::exists(path)) {
    throw std::runtime_error(path.string() + " exists");
  }
  std::vector<core::Date> days;
  for (int n = sessions - 1; n >= 0; --n) {
    days.push_back(calendar.business_day_back(last, n));
  }
  store::Database db(path.string());
  store::JobStore jobs(db);
  store::PriceStore prices(db);
  store::MetaStore meta(db);
  const core::KstTime now(last, boost::posix_time::hours(20));
  meta.set(store::k_meta_history_start, core::to_iso(days.front()));
  meta.set(store::k_meta_markets, "KOSPI,KOSDAQ");
  for (std::size_t i = 0; i < days.size(); ++i) {
    const int index = static_cast<int>(i);
    store::Database::Transaction txn(db);
    jobs.apply(store::k_job_daily_update, days[i], state::DayEvent::start, now, {}, {}, 1);
    const auto rows = synthetic_prices(days[i], index, shape);
    const auto indices = synthetic_indices(days[i], index);
    const auto written = prices.replace_day(days[i], rows, indices, {}, now);
    jobs.apply(store::k_job_daily_update, days[i], state::DayEvent::succeed, now, {}, written);
    txn.commit();
  }
  jobs.set_mark(store::k_job_daily_update, days.back(), now);
  store::TargetStore targets(db);
  const std::vector<market::Market> markets = {market::Market::kospi, market::Market::kosdaq};
  store::Database::Transaction txn(db);
  targets.apply_universe(days.back(), targets.candidates(days.back(), min_market_cap, markets));
  txn.commit();
  return days;
}

} // namespace krxbatch::test
