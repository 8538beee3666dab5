#include "krxbatch/ops/watchlist.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/core/number_text.hpp"
#include "krxbatch/market/validation.hpp"
#include "krxbatch/store/job_store.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace krxbatch::ops {
namespace {

using nlohmann::ordered_json;

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : ", ") + i;
  }
  return out;
}

using core::fixed;
using core::signed_fixed;

ordered_json opt_number(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json scored_json(const std::optional<store::ScoredSession>& s) {
  if (!s) {
    return nullptr;
  }
  ordered_json pillars = ordered_json::object();
  for (std::size_t i = 0; i < s->pillars.size(); ++i) {
    pillars[store::k_pillar_names[i]] = opt_number(s->pillars[i]);
  }
  return ordered_json{
      {"session", core::to_iso(s->session)}, {"score", s->score}, {"pillars", pillars}};
}

} // namespace

std::vector<std::string> checked_tickers(store::Database& db, std::vector<std::string> tickers,
                                         const std::string& command) {
  std::vector<std::string> malformed;
  for (auto& t : tickers) {
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!market::is_ticker(t)) {
      malformed.push_back("'" + t + "'");
    }
  }
  if (!malformed.empty()) {
    throw core::usage_error(command + ": " + joined(malformed) +
                            (malformed.size() == 1 ? " is not a ticker" : " are not tickers") +
                            " (6 characters of 0-9 and A-Z, e.g. 005930); nothing was changed");
  }
  std::sort(tickers.begin(), tickers.end());
  tickers.erase(std::unique(tickers.begin(), tickers.end()), tickers.end());
  const auto unknown = store::WatchlistStore(db).unknown(tickers);
  if (!unknown.empty()) {
    throw core::usage_error(command + ": " + joined(unknown) +
                            (unknown.size() == 1 ? " is" : " are") +
                            " not in the database (no price stored for it); check the code "
                            "(`krxbatch prices TICKER`); nothing was changed");
  }
  return tickers;
}

WatchlistView read_watchlist(store::Database& db, std::optional<core::Date> session) {
  if (!session) {
    session = store::JobStore(db).job(store::k_job_daily_update).last_success_date;
  }
  return {session, store::WatchlistStore(db).rows(session.value_or(core::Date(9999, 12, 31)))};
}

std::vector<std::string> watchlist_flags(const store::WatchlistRow& row,
                                         const std::optional<core::Date>& session) {
  std::vector<std::string> out;
  if (!row.last_trade_date) {
    out.emplace_back("no prices");
  } else if (session && *row.last_trade_date < *session) {
    out.push_back("gone since " + core::to_iso(*row.last_trade_date));
  } else if (row.volume && *row.volume == 0) {
    out.emplace_back("halted");
  }
  if (!row.in_universe) {
    out.emplace_back("not in universe");
  }
  if (row.eligible && !*row.eligible) {
    out.push_back("ineligible" + (row.flags && !row.flags->empty() ? ": " + *row.flags : ""));
  }
  return out;
}

std::optional<double> score_change(const store::WatchlistRow& row) {
  if (row.score && row.previous) {
    return row.score->score - row.previous->score;
  }
  return std::nullopt;
}

ordered_json watchlist_json_rows(const WatchlistView& view) {
  auto out = ordered_json::array();
  for (const auto& r : view.rows) {
    const auto change = score_change(r);
    out.push_back(ordered_json{
        {"ticker", r.entry.ticker},
        {"name", r.name ? ordered_json(*r.name) : ordered_json(nullptr)},
        {"market", r.market ? ordered_json(*r.market) : ordered_json(nullptr)},
        {"note", r.entry.note ? ordered_json(*r.entry.note) : ordered_json(nullptr)},
        {"added_at", r.entry.added_at},
        {"last_trade_date",
         r.last_trade_date ? ordered_json(core::to_iso(*r.last_trade_date)) : ordered_json()},
        {"close", r.close ? ordered_json(*r.close) : ordered_json(nullptr)},
        {"change", r.change ? ordered_json(*r.change) : ordered_json(nullptr)},
        {"change_rate", opt_number(r.change_rate)},
        {"score", scored_json(r.score)},
        {"previous_score", scored_json(r.previous)},
        {"score_change", opt_number(change)},
        {"flags", watchlist_flags(r, view.session)}});
  }
  return out;
}

std::string watchlist_json(const WatchlistView& view) {
  return ordered_json{{"session", view.session ? ordered_json(core::to_iso(*view.session))
                                               : ordered_json(nullptr)},
                      {"stocks", watchlist_json_rows(view)}}
             .dump(2) +
         "\n";
}

std::string watchlist_table(const WatchlistView& view) {
  std::ostringstream out;
  out << std::left << std::setw(8) << "ticker" << std::right << std::setw(10) << "close"
      << std::setw(9) << "chg%" << std::setw(8) << "score" << std::setw(8) << "move"
      << "  " << std::left << std::setw(12) << "scored"
      << "name / flags / note\n";
  for (const auto& r : view.rows) {
    const auto change = score_change(r);
    out << std::left << std::setw(8) << r.entry.ticker << std::right << std::setw(10)
        << (r.close ? std::to_string(*r.close) : "-") << std::setw(9)
        << (r.change_rate ? signed_fixed(*r.change_rate, 2) : "-") << std::setw(8)
        << (r.score ? fixed(r.score->score, 1) : "-") << std::setw(8)
        << (change ? signed_fixed(*change, 1) : "-") << "  " << std::left << std::setw(12)
        << (r.score ? core::to_iso(r.score->session) : "-") << r.name.value_or("-");
    const auto flags = watchlist_flags(r, view.session);
    if (!flags.empty()) {
      out << " [" << joined(flags) << "]";
    }
    if (r.entry.note) {
      out << " — " << *r.entry.note;
    }
    out << "\n";
  }
  out << view.rows.size() << " stock(s) on the watchlist"
      << (view.session ? " as of " + core::to_iso(*view.session) : std::string()) << "\n";
  return out.str();
}

} // namespace krxbatch::ops
