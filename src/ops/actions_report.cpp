#include "krxbatch/ops/actions_report.hpp"

#include "krxbatch/market/rebase.hpp"

#include "adjustment_json.hpp"

#include <cstdio>
#include <iomanip>
#include <sstream>

namespace krxbatch::ops {
namespace {

std::string factor_text(double factor) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", factor);
  return buf;
}

std::string market_text(const store::StoredAdjustment& a) {
  return a.market ? std::string(market::to_string(*a.market)) : std::string("-");
}

} // namespace

nlohmann::ordered_json adjustment_json(const store::StoredAdjustment& a) {
  using nlohmann::ordered_json;
  return ordered_json{{"ticker", a.ticker},
                      {"name", a.name.empty() ? ordered_json(nullptr) : ordered_json(a.name)},
                      {"market", a.market ? ordered_json(std::string(market::to_string(*a.market)))
                                          : ordered_json(nullptr)},
                      {"ex_date", core::to_iso(a.ex_date)},
                      {"prev_close", a.prev_close},
                      {"base_price", a.base_price},
                      {"factor", a.factor},
                      {"kind", std::string(market::to_string(market::kind_of(a.rebase())))},
                      {"prev_listed_shares", a.prev_listed_shares},
                      {"listed_shares", a.listed_shares}};
}

std::string adjustment_line(const store::StoredAdjustment& a) {
  return core::to_iso(a.ex_date) + " " + a.ticker + " " + (a.name.empty() ? "-" : a.name) + " " +
         market_text(a) + " " + std::to_string(a.prev_close) + " -> " +
         std::to_string(a.base_price) + " x" + factor_text(a.factor) + " " +
         std::string(market::to_string(market::kind_of(a.rebase())));
}

std::vector<store::StoredAdjustment> list_actions(store::Database& db, const ActionsQuery& query) {
  return store::AdjustmentStore(db).list(query.from, query.to, query.ticker);
}

std::string actions_json(std::span<const store::StoredAdjustment> events) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& a : events) {
    out.push_back(adjustment_json(a));
  }
  return out.dump(2) + "\n";
}

std::string actions_table(std::span<const store::StoredAdjustment> events) {
  std::ostringstream out;
  out << std::left << std::setw(12) << "ex_date" << std::setw(8) << "ticker" << std::setw(8)
      << "market" << std::right << std::setw(12) << "prev_close" << std::setw(12) << "base"
      << std::setw(11) << "factor"
      << "  " << std::left << std::setw(20) << "kind"
      << "name\n";
  for (const auto& a : events) {
    out << std::left << std::setw(12) << core::to_iso(a.ex_date) << std::setw(8) << a.ticker
        << std::setw(8) << market_text(a) << std::right << std::setw(12) << a.prev_close
        << std::setw(12) << a.base_price << std::setw(11) << factor_text(a.factor) << "  "
        << std::left << std::setw(20) << market::to_string(market::kind_of(a.rebase()))
        << (a.name.empty() ? "-" : a.name) << "\n";
  }
  out << events.size() << " corporate action(s)\n";
  return out.str();
}

} // namespace krxbatch::ops
