#include "krxbatch/ops/daily_report.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/core/number_text.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/ops/mail_message.hpp"
#include "krxbatch/store/job_store.hpp"

#include "adjustment_json.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace krxbatch::ops {
namespace {

using nlohmann::ordered_json;

constexpr int k_alert_rows = 20; // open alerts listed

using core::fixed;
using core::signed_fixed;

// 1234567 -> "1,234,567".
std::string grouped(std::int64_t n) {
  auto digits = std::to_string(n < 0 ? -n : n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<std::size_t>(i), ",");
  }
  return (n < 0 ? "-" : "") + digits;
}

// 2797.33 -> "2,797.33".
std::string grouped_fixed(double value, int decimals) {
  const auto text = fixed(std::abs(value), decimals);
  const auto dot = text.find('.');
  const auto whole = grouped(std::stoll(text.substr(0, dot)));
  return (value < 0 ? "-" : "") + whole + (dot == std::string::npos ? "" : text.substr(dot));
}

// KRW in 억 (10^8) for turnover: "12,345억".
std::string eok(std::int64_t krw) {
  return grouped((krw + 50'000'000) / 100'000'000) + "억";
}

ordered_json opt_json(const std::optional<double>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}
ordered_json opt_json(const std::optional<std::int64_t>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}
ordered_json opt_date(const std::optional<core::Date>& d) {
  return d ? ordered_json(core::to_iso(*d)) : ordered_json(nullptr);
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string composite_line(const store::CompositeDay& c) {
  if (!c.close) {
    return c.index_class + " -";
  }
  return c.index_class + " " + grouped_fixed(*c.close, 2) +
         (c.change_rate ? " (" + signed_fixed(*c.change_rate, 2) + "%)" : std::string());
}

} // namespace

DailyReport build_daily_report(store::Database& db, const calendar::Calendar& calendar,
                               const core::KstTime& now, std::optional<core::Date> date) {
  DailyReport r;
  r.generated_at = core::to_iso(now);
  store::JobStore jobs(db);
  r.freshness.stored = jobs.job(store::k_job_daily_update).last_success_date;
  r.freshness.published = calendar.latest_published_session(now);
  const auto newest_ranked = store::ranked_session(db, core::Date(9999, 12, 31), false);
  r.freshness.scored = newest_ranked;
  if (r.freshness.stored) {
    r.freshness.sessions_behind =
        calendar.business_days_between(*r.freshness.stored, r.freshness.published);
    // Before any session is scored there is nothing to count from: scored_session is null.
    r.freshness.unscored_sessions =
        newest_ranked ? calendar.business_days_between(*newest_ranked, *r.freshness.stored) : 0;
  }
  if (date) {
    if (!store::has_prices(db, *date)) {
      throw core::usage_error("report daily: no prices are stored for " + core::to_iso(*date) +
                              " (not a KRX session, or not fetched yet); see `krxbatch status`");
    }
    r.session = *date;
  } else if (newest_ranked) {
    r.session = *newest_ranked;
  } else if (r.freshness.stored) {
    r.session = *r.freshness.stored;
  } else {
    throw core::usage_error("report daily: the database holds no session yet; run `krxbatch "
                            "manual_setup` first");
  }
  r.scored = store::ranked_session(db, r.session, false) == r.session;
  r.previous_scored = store::ranked_session(db, r.session, true);
  if (!r.scored) {
    r.note = core::to_iso(r.session) +
             " is not scored yet (hourly_analysis scores a session by 08:30 KST the next "
             "business day): its score sections are empty.";
  } else if (!date && r.freshness.stored && *r.freshness.stored > r.session) {
    r.note = "The newest stored session, " + core::to_iso(*r.freshness.stored) +
             ", is not scored yet; this report is of " + core::to_iso(r.session) +
             ", the newest scored session. Check hourly_analysis (`krxbatch status`).";
  }
  for (const auto m : {market::Market::kospi, market::Market::kosdaq}) {
    const auto c = *market::composite_of(m);
    r.composites.push_back(store::composite_day(
        db, std::string(c.index_class), std::string(c.index_name), r.session, k_chart_sessions));
  }
  r.breadth = store::market_breadth(db, r.session, k_limit_rate);
  r.gainers = store::top_movers(db, r.session, k_liquid_value, k_report_rows, true);
  r.losers = store::top_movers(db, r.session, k_liquid_value, k_report_rows, false);
  r.highs = store::new_extremes(db, r.session, k_extreme_min_sessions, true);
  r.lows = store::new_extremes(db, r.session, k_extreme_min_sessions, false);
  if (r.scored) {
    r.top_scores = store::top_scores(db, r.session, r.previous_scored, k_report_rows);
    if (r.previous_scored) {
      r.risers = store::score_changes(db, r.session, *r.previous_scored, k_report_rows, true);
      r.fallers = store::score_changes(db, r.session, *r.previous_scored, k_report_rows, false);
    }
  }
  r.actions = store::AdjustmentStore(db).list(r.session, r.session);
  r.watchlist = read_watchlist(db, r.session);
  r.open_alerts = store::AlertStore(db).list(false, k_alert_rows);
  return r;
}

std::string report_subject(const DailyReport& r) {
  std::string s = "KRX daily " + core::to_iso(r.session) + ":";
  for (std::size_t i = 0; i < r.composites.size(); ++i) {
    s += (i == 0 ? " " : ", ") + composite_line(r.composites[i]);
  }
  if (!r.scored) {
    s += " (not scored yet)";
  } else if (!r.note.empty()) {
    s += " (newest session not scored yet)";
  }
  return s;
}

std::string report_json(const DailyReport& r) {
  ordered_json j;
  j["session"] = core::to_iso(r.session);
  j["generated_at"] = r.generated_at;
  j["scored"] = r.scored;
  j["previous_scored_session"] = opt_date(r.previous_scored);
  j["note"] = r.note.empty() ? ordered_json(nullptr) : ordered_json(r.note);
  auto composites = ordered_json::array();
  for (const auto& c : r.composites) {
    auto series = ordered_json::array();
    for (const auto& p : c.series) {
      series.push_back(ordered_json{{"session", core::to_iso(p.session)}, {"close", p.close}});
    }
    composites.push_back(ordered_json{{"index_class", c.index_class},
                                      {"index_name", c.index_name},
                                      {"close", opt_json(c.close)},
                                      {"change", opt_json(c.change)},
                                      {"change_rate", opt_json(c.change_rate)},
                                      {"series", series}});
  }
  j["composites"] = composites;
  auto breadth = ordered_json::array();
  for (const auto& b : r.breadth) {
    breadth.push_back(ordered_json{{"market", b.market},
                                   {"issues", b.issues},
                                   {"advancers", b.advancers},
                                   {"decliners", b.decliners},
                                   {"unchanged", b.unchanged},
                                   {"halted", b.halted},
                                   {"limit_up", b.limit_up},
                                   {"limit_down", b.limit_down},
                                   {"value", b.value},
                                   {"volume", b.volume}});
  }
  j["breadth"] = breadth;
  const auto movers = [](const std::vector<store::PriceMove>& list) {
    auto out = ordered_json::array();
    for (const auto& m : list) {
      out.push_back(ordered_json{{"ticker", m.ticker},
                                 {"name", m.name},
                                 {"market", m.market},
                                 {"close", m.close},
                                 {"change", opt_json(m.change)},
                                 {"change_rate", m.change_rate},
                                 {"value", m.value}});
    }
    return out;
  };
  j["liquid_min_value"] = k_liquid_value;
  j["gainers"] = movers(r.gainers);
  j["losers"] = movers(r.losers);
  const auto extremes = [](const std::vector<store::NewExtreme>& list) {
    auto out = ordered_json::array();
    for (const auto& e : list) {
      out.push_back(ordered_json{{"ticker", e.ticker},
                                 {"name", e.name},
                                 {"market", e.market},
                                 {"price", e.price},
                                 {"previous", e.previous},
                                 {"close", e.close}});
    }
    return out;
  };
  j["new_52w_highs"] = extremes(r.highs);
  j["new_52w_lows"] = extremes(r.lows);
  const auto scores = [](const std::vector<store::ScoreLine>& list) {
    auto out = ordered_json::array();
    for (const auto& s : list) {
      out.push_back(ordered_json{{"ticker", s.ticker},
                                 {"name", s.name},
                                 {"market", s.market},
                                 {"score", s.score},
                                 {"previous", opt_json(s.previous)},
                                 {"change", opt_json(s.change)}});
    }
    return out;
  };
  j["top_scores"] = scores(r.top_scores);
  j["score_risers"] = scores(r.risers);
  j["score_fallers"] = scores(r.fallers);
  auto actions = ordered_json::array();
  for (const auto& a : r.actions) {
    actions.push_back(adjustment_json(a));
  }
  j["corporate_actions"] = actions;
  j["watchlist"] = watchlist_json_rows(r.watchlist);
  j["freshness"] = ordered_json{{"stored_session", opt_date(r.freshness.stored)},
                                {"scored_session", opt_date(r.freshness.scored)},
                                {"published_session", core::to_iso(r.freshness.published)},
                                {"sessions_behind", r.freshness.sessions_behind},
                                {"unscored_sessions", r.freshness.unscored_sessions}};
  auto alerts = ordered_json::array();
  for (const auto& a : r.open_alerts) {
    alerts.push_back(ordered_json{{"id", a.id},
                                  {"severity", std::string(store::to_string(a.severity))},
                                  {"job", a.job},
                                  {"rule", a.rule},
                                  {"message", a.message},
                                  {"created_at", a.created_at}});
  }
  j["open_alerts"] = alerts;
  return j.dump(2) + "\n";
}

namespace {

void text_movers(std::ostringstream& out, const char* title,
                 const std::vector<store::PriceMove>& list) {
  out << "\n" << title << "\n";
  if (list.empty()) {
    out << "  (none)\n";
  }
  for (const auto& m : list) {
    out << "  " << m.ticker << "  " << std::setw(8) << signed_fixed(m.change_rate, 2) << "%  "
        << std::setw(10) << grouped(m.close) << "  " << m.name << " (" << m.market << ")\n";
  }
}

void text_scores(std::ostringstream& out, const char* title,
                 const std::vector<store::ScoreLine>& list) {
  out << "\n" << title << "\n";
  if (list.empty()) {
    out << "  (none)\n";
  }
  for (const auto& s : list) {
    out << "  " << s.ticker << "  " << std::setw(6) << fixed(s.score, 1) << "  " << std::setw(6)
        << (s.change ? signed_fixed(*s.change, 1) : "-") << "  " << s.name << "\n";
  }
}

void text_extremes(std::ostringstream& out, const char* title,
                   const std::vector<store::NewExtreme>& list) {
  out << "\n" << title << " (" << list.size() << ")\n";
  for (std::size_t i = 0; i < list.size() && i < static_cast<std::size_t>(k_report_rows); ++i) {
    const auto& e = list[i];
    out << "  " << e.ticker << "  " << std::setw(10) << grouped_fixed(e.price, 0) << "  (was "
        << grouped_fixed(e.previous, 0) << ")  " << e.name << "\n";
  }
  if (list.size() > static_cast<std::size_t>(k_report_rows)) {
    out << "  ... and " << list.size() - static_cast<std::size_t>(k_report_rows) << " more\n";
  }
}

} // namespace

std::string report_text(const DailyReport& r) {
  std::ostringstream out;
  out << report_subject(r) << "\n";
  if (!r.note.empty()) {
    out << "\nNOTE: " << r.note << "\n";
  }
  out << "\nComposites\n";
  for (const auto& c : r.composites) {
    out << "  " << composite_line(c);
    if (c.change) {
      out << "  " << signed_fixed(*c.change, 2);
    }
    if (c.series.size() > 1) {
      out << "  (" << c.series.size() << " sessions: " << grouped_fixed(c.series.front().close, 2)
          << " -> " << grouped_fixed(c.series.back().close, 2) << ")";
    }
    out << "\n";
  }
  out << "\nBreadth            up   down  unch  halt  limit+/-  turnover\n";
  for (const auto& b : r.breadth) {
    out << "  " << std::left << std::setw(14) << b.market << std::right << std::setw(6)
        << b.advancers << std::setw(7) << b.decliners << std::setw(6) << b.unchanged << std::setw(6)
        << b.halted << std::setw(6) << b.limit_up << "/" << std::left << std::setw(3)
        << b.limit_down << std::right << "  " << eok(b.value) << "\n";
  }
  text_movers(out, "Top gainers (liquid issues)", r.gainers);
  text_movers(out, "Top losers (liquid issues)", r.losers);
  text_extremes(out, "New 52-week highs", r.highs);
  text_extremes(out, "New 52-week lows", r.lows);
  if (r.scored) {
    text_scores(out, "Top scores", r.top_scores);
    text_scores(out, "Score risers", r.risers);
    text_scores(out, "Score fallers", r.fallers);
  } else {
    out << "\nScores: " << core::to_iso(r.session) << " is not scored yet\n";
  }
  out << "\nCorporate actions (" << r.actions.size() << ")\n";
  for (const auto& a : r.actions) {
    out << "  " << adjustment_line(a) << "\n";
  }
  out << "\nWatchlist\n" << watchlist_table(r.watchlist);
  out << "\nFreshness: stored "
      << (r.freshness.stored ? core::to_iso(*r.freshness.stored) : std::string("-")) << ", scored "
      << (r.freshness.scored ? core::to_iso(*r.freshness.scored) : std::string("-"))
      << ", KRX published " << core::to_iso(r.freshness.published) << "; "
      << r.freshness.sessions_behind << " session(s) not fetched, " << r.freshness.unscored_sessions
      << " not scored\n";
  out << "\nOpen alerts (" << r.open_alerts.size() << ")\n";
  for (const auto& a : r.open_alerts) {
    out << "  #" << a.id << " [" << store::to_string(a.severity) << "] " << a.rule << ": "
        << a.message << "\n";
  }
  out << "\nGenerated " << r.generated_at << " by krxbatch.\n";
  return out.str();
}

std::string report_digest(const DailyReport& r) {
  std::string s = report_subject(r);
  if (!r.note.empty()) {
    s += "\n" + r.note;
  }
  for (const auto& b : r.breadth) {
    s += "\n" + b.market + ": " + std::to_string(b.advancers) + " up, " +
         std::to_string(b.decliners) + " down, turnover " + eok(b.value);
  }
  if (!r.gainers.empty()) {
    s += "\nTop gainer: " + r.gainers.front().name + " " +
         signed_fixed(r.gainers.front().change_rate, 2) + "%";
  }
  if (!r.losers.empty()) {
    s += "; top loser: " + r.losers.front().name + " " +
         signed_fixed(r.losers.front().change_rate, 2) + "%";
  }
  if (!r.top_scores.empty()) {
    s += "\nTop score: " + r.top_scores.front().name + " " + fixed(r.top_scores.front().score, 1);
  }
  std::string moves;
  for (const auto& w : r.watchlist.rows) {
    if (const auto d = score_change(w)) {
      moves += (moves.empty() ? "" : ", ") + w.entry.ticker + " " + signed_fixed(*d, 1);
    }
  }
  if (!moves.empty()) {
    s += "\nWatchlist score moves: " + moves;
  }
  if (!r.open_alerts.empty()) {
    s += "\nOpen alerts: " + std::to_string(r.open_alerts.size());
  }
  return s;
}

std::string html_data_uri(const ReportChart& chart) {
  return "data:image/png;base64," + base64(chart.png);
}

namespace {

constexpr const char* k_style =
    "body{font-family:-apple-system,'Segoe UI',Roboto,'Noto Sans KR',sans-serif;color:#222;"
    "max-width:880px;margin:0 auto;padding:16px;background:#fff}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px "
    "solid #ddd;padding-bottom:4px}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th,td{padding:4px 6px;border-bottom:1px solid #eee;text-align:right}"
    "th:first-child,td:first-child,td.l,th.l{text-align:left}"
    "th{background:#f5f5f5}.up{color:#c62828}.down{color:#1565c0}"
    ".note{background:#fff3cd;border:1px solid #e0c36a;padding:8px;margin:8px 0}"
    ".charts img{max-width:100%;height:auto;display:block;margin:4px 0}.muted{color:#777}";

std::string td(const std::string& text, const char* cls = nullptr) {
  return std::string("<td") + (cls != nullptr ? std::string(" class=\"") + cls + "\"" : "") + ">" +
         html_escape(text) + "</td>";
}

const char* move_class(double v) {
  return v > 0 ? "up" : v < 0 ? "down" : nullptr;
}

void html_movers(std::string& h, const char* id, const char* title,
                 const std::vector<store::PriceMove>& list) {
  h += std::string("<h2>") + title + "</h2><table id=\"" + id +
       "\"><tr><th>Ticker</th><th class=\"l\">Name</th><th>Close</th><th>Change</th>"
       "<th>Turnover</th></tr>";
  for (const auto& m : list) {
    h += "<tr>" + td(m.ticker) + td(m.name, "l") + td(grouped(m.close)) +
         td(signed_fixed(m.change_rate, 2) + "%", move_class(m.change_rate)) + td(eok(m.value)) +
         "</tr>";
  }
  if (list.empty()) {
    h += "<tr><td colspan=\"5\" class=\"muted\">none</td></tr>";
  }
  h += "</table>";
}

void html_scores(std::string& h, const char* id, const char* title,
                 const std::vector<store::ScoreLine>& list) {
  h += std::string("<h2>") + title + "</h2><table id=\"" + id +
       "\"><tr><th>Ticker</th><th class=\"l\">Name</th><th>Score</th><th>Previous</th>"
       "<th>Change</th></tr>";
  for (const auto& s : list) {
    h += "<tr>" + td(s.ticker) + td(s.name, "l") + td(fixed(s.score, 1)) +
         td(s.previous ? fixed(*s.previous, 1) : "-") +
         td(s.change ? signed_fixed(*s.change, 1) : "-",
            s.change ? move_class(*s.change) : nullptr) +
         "</tr>";
  }
  if (list.empty()) {
    h += "<tr><td colspan=\"5\" class=\"muted\">none</td></tr>";
  }
  h += "</table>";
}

void html_extremes(std::string& h, const char* id, const char* title,
                   const std::vector<store::NewExtreme>& list) {
  h += std::string("<h2>") + title + " (" + std::to_string(list.size()) + ")</h2><table id=\"" +
       id +
       "\"><tr><th>Ticker</th><th class=\"l\">Name</th><th>Adjusted</th><th>52-week "
       "before</th><th>Close</th></tr>";
  for (std::size_t i = 0; i < list.size() && i < static_cast<std::size_t>(k_report_rows); ++i) {
    const auto& e = list[i];
    h += "<tr>" + td(e.ticker) + td(e.name, "l") + td(grouped_fixed(e.price, 0)) +
         td(grouped_fixed(e.previous, 0)) + td(grouped(e.close)) + "</tr>";
  }
  if (list.empty()) {
    h += "<tr><td colspan=\"5\" class=\"muted\">none</td></tr>";
  }
  h += "</table>";
}

} // namespace

std::string report_html(const DailyReport& r, std::span<const ReportChart> charts,
                        const std::function<std::string(const ReportChart&)>& image_src) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<title>" +
                  html_escape(report_subject(r)) + "</title><style>" + k_style +
                  "</style></head><body>\n";
  h += "<h1>KRX daily — " + core::to_iso(r.session) + "</h1><div class=\"muted\">Generated " +
       html_escape(r.generated_at) + " by krxbatch</div>\n";
  if (!r.note.empty()) {
    h += "<div class=\"note\" id=\"note\">" + html_escape(r.note) + "</div>\n";
  }
  h += "<h2>Composites</h2><table id=\"composites\"><tr><th>Index</th><th>Close</th>"
       "<th>Change</th><th>Change %</th></tr>";
  for (const auto& c : r.composites) {
    h += "<tr>" + td(c.index_class) + td(c.close ? grouped_fixed(*c.close, 2) : "-") +
         td(c.change ? signed_fixed(*c.change, 2) : "-",
            c.change ? move_class(*c.change) : nullptr) +
         td(c.change_rate ? signed_fixed(*c.change_rate, 2) + "%" : "-",
            c.change_rate ? move_class(*c.change_rate) : nullptr) +
         "</tr>";
  }
  h += "</table><div class=\"charts\">";
  for (const auto& c : charts) {
    h += "<img id=\"chart-" + c.id + "\" alt=\"" + html_escape(c.title) + "\" src=\"" +
         image_src(c) + "\" width=\"720\" height=\"240\">";
  }
  if (charts.empty()) {
    h += "<p class=\"muted\">Charts unavailable: gnuplot is not installed (Debian: "
         "gnuplot-nox).</p>";
  }
  h += "</div>\n<h2>Breadth and turnover</h2><table id=\"breadth\"><tr><th>Market</th>"
       "<th>Issues</th><th>Up</th><th>Down</th><th>Unchanged</th><th>Halted</th>"
       "<th>Limit up</th><th>Limit down</th><th>Turnover (KRW)</th></tr>";
  for (const auto& b : r.breadth) {
    h += "<tr>" + td(b.market) + td(grouped(b.issues)) + td(grouped(b.advancers), "up") +
         td(grouped(b.decliners), "down") + td(grouped(b.unchanged)) + td(grouped(b.halted)) +
         td(grouped(b.limit_up)) + td(grouped(b.limit_down)) + td(eok(b.value)) + "</tr>";
  }
  h += "</table>\n";
  html_movers(h, "gainers", "Top gainers (liquid issues)", r.gainers);
  html_movers(h, "losers", "Top losers (liquid issues)", r.losers);
  html_extremes(h, "highs", "New 52-week highs (adjusted)", r.highs);
  html_extremes(h, "lows", "New 52-week lows (adjusted)", r.lows);
  if (r.scored) {
    html_scores(h, "top-scores", "Top scores", r.top_scores);
    html_scores(h, "risers", "Score risers", r.risers);
    html_scores(h, "fallers", "Score fallers", r.fallers);
  } else {
    h += "<h2>Scores</h2><p class=\"muted\">" + core::to_iso(r.session) + " is not scored yet.</p>";
  }
  h += "\n<h2>Corporate actions</h2><table id=\"actions\"><tr><th>Ticker</th><th "
       "class=\"l\">Name</th><th>Previous close</th><th>Base price</th><th>Factor</th></tr>";
  for (const auto& a : r.actions) {
    h += "<tr>" + td(a.ticker) + td(a.name, "l") + td(grouped(a.prev_close)) +
         td(grouped(a.base_price)) + td(fixed(a.factor, 6)) + "</tr>";
  }
  if (r.actions.empty()) {
    h += "<tr><td colspan=\"5\" class=\"muted\">none</td></tr>";
  }
  h += "</table>\n<h2>Watchlist</h2><table id=\"watchlist\"><tr><th>Ticker</th><th "
       "class=\"l\">Name</th><th>Close</th><th>Change</th><th>Score</th><th>Score change</th>"
       "<th class=\"l\">Flags</th></tr>";
  for (const auto& w : r.watchlist.rows) {
    const auto d = score_change(w);
    std::string flags;
    for (const auto& f : watchlist_flags(w, r.watchlist.session)) {
      flags += (flags.empty() ? "" : ", ") + f;
    }
    h += "<tr>" + td(w.entry.ticker) + td(w.name.value_or("-"), "l") +
         td(w.close ? grouped(*w.close) : "-") +
         td(w.change_rate ? signed_fixed(*w.change_rate, 2) + "%" : "-",
            w.change_rate ? move_class(*w.change_rate) : nullptr) +
         td(w.score ? fixed(w.score->score, 1) : "-") +
         td(d ? signed_fixed(*d, 1) : "-", d ? move_class(*d) : nullptr) + td(flags, "l") + "</tr>";
  }
  if (r.watchlist.rows.empty()) {
    h += "<tr><td colspan=\"7\" class=\"muted\">empty (krxbatch watchlist add TICKER)</td></tr>";
  }
  h += "</table>\n<h2>Freshness</h2><table id=\"freshness\"><tr><th>Stored</th><th>Scored</th>"
       "<th>Published by KRX</th><th>Not fetched</th><th>Not scored</th></tr><tr>" +
       td(r.freshness.stored ? core::to_iso(*r.freshness.stored) : "-") +
       td(r.freshness.scored ? core::to_iso(*r.freshness.scored) : "-") +
       td(core::to_iso(r.freshness.published)) + td(std::to_string(r.freshness.sessions_behind)) +
       td(std::to_string(r.freshness.unscored_sessions)) + "</tr></table>\n";
  h += "<h2>Open alerts</h2><table id=\"alerts\"><tr><th>#</th><th>Severity</th><th "
       "class=\"l\">Rule</th><th class=\"l\">Message</th></tr>";
  for (const auto& a : r.open_alerts) {
    h += "<tr>" + td(std::to_string(a.id)) + td(std::string(store::to_string(a.severity))) +
         td(a.rule, "l") + td(a.message, "l") + "</tr>";
  }
  if (r.open_alerts.empty()) {
    h += "<tr><td colspan=\"4\" class=\"muted\">none</td></tr>";
  }
  h += "</table>\n</body></html>\n";
  return h;
}

} // namespace krxbatch::ops
