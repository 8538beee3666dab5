#include "krxbatch/ops/score_report.hpp"

#include "krxbatch/analysis/bar_set.hpp"
#include "krxbatch/analysis/score.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/store/bar_loader.hpp"
#include "krxbatch/store/price_store.hpp"

#include "adjustment_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace krxbatch::ops {
namespace {

using nlohmann::ordered_json;

ordered_json number_or_null(double v) {
  return std::isnan(v) ? ordered_json(nullptr) : ordered_json(v);
}

std::string number_text(double v) {
  if (std::isnan(v)) {
    return "-";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::vector<std::string> split_flags(const std::string& flags) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < flags.size()) {
    const auto comma = flags.find(',', start);
    out.push_back(flags.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

} // namespace

ScoreReport explain_score(store::Database& db, const calendar::Calendar& calendar,
                          const std::string& ticker, const std::optional<core::Date>& session) {
  store::AnalysisStore results(db);
  const auto latest = results.latest_session(ticker);
  if (!latest) {
    throw core::usage_error("score: " + ticker +
                            " has no analysis result: it is not a target ticker, or "
                            "hourly_analysis has not analysed it yet (see `krxbatch universe "
                            "list` and `krxbatch status`)");
  }
  const auto day = session.value_or(*latest);
  auto row = results.row(ticker, day);
  if (!row) {
    throw core::usage_error("score: " + ticker + " has no analysis result for " +
                            core::to_iso(day) + "; its newest is " + core::to_iso(*latest) +
                            " (leave out --date for it)");
  }
  ScoreReport report;
  report.ticker = ticker;
  report.result = std::move(*row);
  if (!std::isnan(report.result.score)) {
    std::tie(report.rank, report.scored) = results.rank(day, report.result.score);
  } else {
    report.scored = results.rank(day, 0.0).second;
  }
  const auto on_session = store::PriceStore(db).history(ticker, day, day);
  if (!on_session.empty()) {
    report.name = on_session.front().name;
    report.market = on_session.front().market;
  }
  report.window = calendar.sessions_ending(day, analysis::k_window_sessions);
  report.events = store::AdjustmentStore(db).list(report.window.front() + boost::gregorian::days(1),
                                                  report.window.back(), ticker);

  // The bars exactly as the analysis loads them (the same loader, window and adjustment).
  analysis::BarSet bars;
  store::BarLoader(db).load(std::span(&ticker, 1), report.window, bars);
  report.bars = bars.bar_count(0);
  report.indicators.fill(std::numeric_limits<double>::quiet_NaN());
  if (report.bars > 0) {
    analysis::IndicatorSeries series;
    analysis::compute_indicators(bars.view(0), series);
    for (std::size_t i = 0; i < report.indicators.size(); ++i) {
      report.indicators[i] = series[static_cast<analysis::Indicator>(i)][series.size() - 1];
    }
  }
  return report;
}

ScoreList list_scores(store::Database& db, const std::optional<core::Date>& session,
                      std::size_t limit, const std::optional<market::Market>& market) {
  store::AnalysisStore results(db);
  ScoreList list;
  list.session = session;
  if (!list.session) {
    for (const auto& s : results.sessions()) {
      if (s.ranked) {
        list.session = s.session; // oldest first: the last one wins
      }
    }
    if (!list.session) {
      return list;
    }
  }
  auto rows = results.rows(*list.session);
  if (rows.empty()) {
    throw core::usage_error("scores: there are no analysis results for " +
                            core::to_iso(*list.session) +
                            "; leave out the date for the newest ranked session");
  }
  std::erase_if(rows, [](const store::AnalysisRow& r) { return std::isnan(r.score); });
  list.scored = static_cast<std::int64_t>(rows.size());
  std::sort(rows.begin(), rows.end(), [](const store::AnalysisRow& a, const store::AnalysisRow& b) {
    return a.score != b.score ? a.score > b.score : a.ticker < b.ticker;
  });
  const auto names = store::PriceStore(db).names_on(*list.session);
  std::int64_t rank = 0;
  double previous = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    if (r.score != previous) { // ties share a rank, as AnalysisStore::rank counts them
      rank = static_cast<std::int64_t>(i) + 1;
      previous = r.score;
    }
    ScoreLine line{rank, r.ticker, "", std::nullopt, r.score, r.pillars, r.eligible, r.flags};
    if (const auto it = names.find(r.ticker); it != names.end()) {
      line.name = it->second.name;
      line.market = it->second.market;
    }
    list.lines.push_back(std::move(line));
  }
  return top_scores(list, limit, market);
}

ScoreList top_scores(const ScoreList& ranking, std::size_t limit,
                     const std::optional<market::Market>& market) {
  ScoreList list{ranking.session, ranking.scored, {}};
  for (const auto& line : ranking.lines) {
    if (list.lines.size() == limit) {
      break;
    }
    if (!market || line.market == market) {
      list.lines.push_back(line);
    }
  }
  return list;
}

std::string scores_json(const ScoreList& list) {
  ordered_json lines = ordered_json::array();
  for (const auto& l : list.lines) {
    ordered_json pillars = ordered_json::object();
    for (std::size_t p = 0; p < analysis::k_pillar_count; ++p) {
      pillars[std::string(analysis::k_pillar_names[p])] = number_or_null(l.pillars[p]);
    }
    lines.push_back(
        ordered_json{{"rank", l.rank},
                     {"ticker", l.ticker},
                     {"name", l.name.empty() ? ordered_json(nullptr) : ordered_json(l.name)},
                     {"market", l.market ? ordered_json(std::string(market::to_string(*l.market)))
                                         : ordered_json(nullptr)},
                     {"score", l.score},
                     {"pillars", std::move(pillars)},
                     {"eligible", l.eligible},
                     {"flags", split_flags(l.flags)}});
  }
  return ordered_json{
      {"session", list.session ? ordered_json(core::to_iso(*list.session)) : ordered_json(nullptr)},
      {"scored", list.scored},
      {"scores", std::move(lines)}}
      .dump(2);
}

std::string score_history_json(store::Database& db, const std::string& ticker,
                               const core::Date& from, const core::Date& to) {
  store::AnalysisStore results(db);
  if (!results.latest_session(ticker)) {
    throw core::usage_error("score: " + ticker + " has no analysis result");
  }
  ordered_json scores = ordered_json::array();
  for (const auto& [session, score] : results.score_history(ticker, from, to)) {
    scores.push_back(ordered_json{{"session", core::to_iso(session)}, {"score", score}});
  }
  return ordered_json{{"ticker", ticker}, {"scores", std::move(scores)}}.dump(2);
}

std::string score_json(const ScoreReport& r) {
  const auto& a = r.result;
  ordered_json j{{"ticker", r.ticker},
                 {"name", r.name.empty() ? ordered_json(nullptr) : ordered_json(r.name)},
                 {"market", r.market ? ordered_json(std::string(market::to_string(*r.market)))
                                     : ordered_json(nullptr)},
                 {"session", core::to_iso(a.as_of_date)},
                 {"score", number_or_null(a.score)},
                 {"rank", r.rank > 0 ? ordered_json(r.rank) : ordered_json(nullptr)},
                 {"scored", r.scored},
                 {"eligible", a.eligible},
                 {"flags", split_flags(a.flags)},
                 {"error", a.error ? ordered_json(*a.error) : ordered_json(nullptr)}};
  ordered_json pillars = ordered_json::object();
  for (std::size_t p = 0; p < analysis::k_pillar_count; ++p) {
    pillars[std::string(analysis::k_pillar_names[p])] = number_or_null(a.pillars[p]);
  }
  j["pillars"] = std::move(pillars);
  j["composite_raw"] = number_or_null(a.composite_raw);
  ordered_json factors = ordered_json::object();
  for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
    factors[std::string(analysis::k_factors[f].name)] = number_or_null(a.factors[f]);
  }
  j["factors"] = std::move(factors);
  j["window"] = ordered_json{{"from", core::to_iso(r.window.front())},
                             {"to", core::to_iso(r.window.back())},
                             {"sessions", r.window.size()}};
  j["bars"] = r.bars;
  auto events = ordered_json::array();
  for (const auto& e : r.events) {
    events.push_back(adjustment_json(e));
  }
  j["adjustments"] = std::move(events);
  ordered_json indicators = ordered_json::object();
  for (std::size_t i = 0; i < r.indicators.size(); ++i) {
    indicators[std::string(analysis::k_indicator_names[i])] = number_or_null(r.indicators[i]);
  }
  j["indicators"] = std::move(indicators);
  return j.dump(2) + "\n";
}

std::string score_text(const ScoreReport& r) {
  const auto& a = r.result;
  std::ostringstream out;
  out << r.ticker << " " << (r.name.empty() ? "-" : r.name) << " ("
      << (r.market ? market::to_string(*r.market) : std::string_view("-")) << ") on "
      << core::to_iso(a.as_of_date) << "\n";
  if (a.error) {
    out << "not analysed: " << *a.error << "\n";
  } else if (std::isnan(a.score)) {
    out << "score     - (" << (a.eligible ? "eligible, not ranked yet" : "not eligible") << ")\n";
  } else {
    out << "score     " << number_text(a.score) << " (rank " << r.rank << " of " << r.scored
        << ")\n";
  }
  out << "flags     " << (a.flags.empty() ? "-" : a.flags) << "\n";
  out << "pillars  ";
  for (std::size_t p = 0; p < analysis::k_pillar_count; ++p) {
    out << " " << analysis::k_pillar_names[p] << " " << number_text(a.pillars[p]);
  }
  out << "\nwindow    " << core::to_iso(r.window.front()) << ".." << core::to_iso(r.window.back())
      << ", " << r.bars << " bar(s), back-adjusted as of " << core::to_iso(a.as_of_date) << "\n";
  out << "factors\n";
  for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
    const auto& info = analysis::k_factors[f];
    out << "  " << info.name << " " << number_text(a.factors[f])
        << (info.pillar ? "" : " (diagnostic)") << "\n";
  }
  out << "indicators (last bar)\n";
  for (std::size_t i = 0; i < r.indicators.size(); ++i) {
    out << "  " << analysis::k_indicator_names[i] << " " << number_text(r.indicators[i]) << "\n";
  }
  out << "corporate actions in the window: " << r.events.size() << "\n";
  for (const auto& e : r.events) {
    out << "  " << adjustment_line(e) << "\n";
  }
  return out.str();
}

} // namespace krxbatch::ops
