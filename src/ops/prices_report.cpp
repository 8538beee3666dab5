#include "krxbatch/ops/prices_report.hpp"

#include "krxbatch/analysis/adjustment.hpp"
#include "krxbatch/analysis/csv.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/store/price_store.hpp"

#include "adjustment_json.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace krxbatch::ops {

std::string shortest_decimal(double value) {
  std::array<char, 400> buf{}; // a fixed double is at most ~330 characters
  const auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buf.data(), end) : std::string("nan");
}

PricesReport read_prices(store::Database& db, const std::string& ticker, const core::Date& from,
                         const core::Date& to, bool adjusted) {
  const auto rows = store::PriceStore(db).history(ticker, from, to);
  if (rows.empty()) {
    throw core::usage_error("prices: " + ticker + " has no stored prices between " +
                            core::to_iso(from) + " and " + core::to_iso(to) +
                            "; check the ticker (6 characters, e.g. 005930) and the range");
  }
  PricesReport report;
  report.ticker = ticker;
  report.name = rows.back().name;
  report.market = rows.back().market;
  report.adjusted = adjusted;
  std::vector<core::Date> dates;
  report.bars.reserve(rows.size());
  for (const auto& r : rows) {
    PriceLine line;
    line.date = r.trade_date;
    const auto close = static_cast<double>(r.close);
    line.traded = r.open && r.high && r.low;
    line.open = line.traded ? static_cast<double>(*r.open) : close;
    line.high = line.traded ? static_cast<double>(*r.high) : close;
    line.low = line.traded ? static_cast<double>(*r.low) : close;
    line.close = close;
    line.volume = static_cast<double>(r.volume);
    line.value = r.value;
    line.market_cap = r.market_cap;
    report.bars.push_back(line);
    dates.push_back(r.trade_date);
  }
  // Every event of the issue after the first bar: those after `to` too, so that the newest
  // stored session is the one left as KRX sent it.
  report.events = store::AdjustmentStore(db).list(dates.front() + boost::gregorian::days(1),
                                                  core::Date(9999, 12, 31), ticker);
  if (!adjusted) {
    return report;
  }
  std::vector<analysis::Adjustment> events;
  for (const auto& e : report.events) {
    events.push_back({e.ex_date, e.factor});
  }
  const auto factors = analysis::bar_factors(dates, events);
  std::vector<double> open;
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;
  std::vector<double> volume;
  for (const auto& b : report.bars) {
    open.push_back(b.open);
    high.push_back(b.high);
    low.push_back(b.low);
    close.push_back(b.close);
    volume.push_back(b.volume);
  }
  analysis::back_adjust({open, high, low, close, volume}, dates, events);
  for (std::size_t i = 0; i < report.bars.size(); ++i) {
    auto& b = report.bars[i];
    b.open = open[i];
    b.high = high[i];
    b.low = low[i];
    b.close = close[i];
    b.volume = volume[i];
    b.factor = factors[i];
  }
  return report;
}

std::string prices_csv(const PricesReport& report) {
  std::string out(analysis::k_bars_csv_header);
  out += '\n';
  for (const auto& b : report.bars) {
    out += core::to_iso(b.date);
    for (const double v : {b.open, b.high, b.low}) {
      out += ',';
      if (b.traded) {
        out += shortest_decimal(v);
      }
    }
    out += ',' + shortest_decimal(b.close) + ',' + shortest_decimal(b.volume) + '\n';
  }
  return out;
}

std::string prices_json(const PricesReport& report) {
  using nlohmann::ordered_json;
  ordered_json j{{"ticker", report.ticker},
                 {"name", report.name},
                 {"market", report.market
                                ? ordered_json(std::string(market::to_string(*report.market)))
                                : ordered_json(nullptr)},
                 {"adjusted", report.adjusted}};
  auto bars = ordered_json::array();
  for (const auto& b : report.bars) {
    const auto price = [&](double v) { return b.traded ? ordered_json(v) : ordered_json(nullptr); };
    bars.push_back(ordered_json{{"date", core::to_iso(b.date)},
                                {"open", price(b.open)},
                                {"high", price(b.high)},
                                {"low", price(b.low)},
                                {"close", b.close},
                                {"volume", b.volume},
                                {"value", b.value},
                                {"market_cap", b.market_cap},
                                {"factor", b.factor}});
  }
  j["bars"] = std::move(bars);
  auto events = ordered_json::array();
  for (const auto& e : report.events) {
    events.push_back(adjustment_json(e));
  }
  j["adjustments"] = std::move(events);
  return j.dump(2) + "\n";
}

std::string prices_table(const PricesReport& report) {
  std::ostringstream out;
  out << report.ticker << " " << report.name << " ("
      << (report.market ? market::to_string(*report.market) : std::string_view("-")) << "), "
      << report.bars.size() << " session(s), "
      << (report.adjusted ? "back-adjusted for corporate actions" : "as KRX sent them") << "\n";
  out << std::left << std::setw(12) << "date" << std::right;
  for (const char* h : {"open", "high", "low", "close", "volume"}) {
    out << std::setw(16) << h;
  }
  if (report.adjusted) {
    out << std::setw(12) << "factor";
  }
  out << "\n";
  // Adjusted numbers to two decimals here (the CSV and JSON forms are exact).
  const auto cell = [&](double v, const char* format) {
    if (!report.adjusted) {
      return shortest_decimal(v);
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return std::string(buf);
  };
  for (const auto& b : report.bars) {
    out << std::left << std::setw(12) << core::to_iso(b.date) << std::right;
    for (const double v : {b.open, b.high, b.low}) {
      out << std::setw(16) << (b.traded ? cell(v, "%.2f") : std::string("-"));
    }
    out << std::setw(16) << cell(b.close, "%.2f") << std::setw(16) << cell(b.volume, "%.0f");
    if (report.adjusted) {
      out << std::setw(12) << cell(b.factor, "%.6f");
    }
    out << "\n";
  }
  if (!report.events.empty()) {
    out << "corporate actions:\n";
    for (const auto& e : report.events) {
      out << "  " << adjustment_line(e) << "\n";
    }
  }
  return out.str();
}

std::string composites_json(store::Database& db, const core::Date& from, const core::Date& to) {
  const store::PriceStore prices(db);
  nlohmann::ordered_json indices = nlohmann::ordered_json::array();
  for (const auto m : {market::Market::kospi, market::Market::kosdaq}) {
    const auto composite = *market::composite_of(m);
    nlohmann::ordered_json closes = nlohmann::ordered_json::array();
    for (const auto& [date, close] :
         prices.index_closes(composite.index_class, composite.index_name, from, to)) {
      closes.push_back(nlohmann::ordered_json{{"date", core::to_iso(date)}, {"close", close}});
    }
    indices.push_back(nlohmann::ordered_json{{"market", std::string(market::to_string(m))},
                                             {"index_class", composite.index_class},
                                             {"index_name", composite.index_name},
                                             {"closes", std::move(closes)}});
  }
  return nlohmann::ordered_json{{"indices", std::move(indices)}}.dump(2);
}

} // namespace krxbatch::ops
