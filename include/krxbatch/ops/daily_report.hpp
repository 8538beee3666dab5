// `krxbatch report daily`: the morning summary of one session (README "Morning report").
//
// Which session: --date D (it must have stored prices), else the newest ranked session (the
// newest one hourly_analysis has scored), else, before any is scored, daily_update's mark. The
// report never mixes one session's prices with another's scores: when daily_update has stored
// a newer session than the newest scored one (the 08:30 scoring has not run yet, or failed),
// the report is of the newest scored session and says so in its `note`, in the freshness
// section, and in the subject of its mail; a --date session that is not scored has its score
// sections empty and says so.
//
// Sections: the KOSPI and KOSDAQ composites (close, change, the last k_chart_sessions closes);
// per market the breadth (advancers, decliners, unchanged, halted, at the daily limit) and the
// turnover; the top gainers and losers among liquid issues (k_liquid_value KRW traded or more);
// the new 52-week highs and lows on back-adjusted prices (store::new_extremes); the top
// scores, and the biggest score rises and falls against the previous ranked session; the
// session's corporate actions; the watchlist; data freshness (each job's mark, the newest
// published session, how far behind); the open alerts. Every figure comes from one query of
// store/report_queries.hpp and is carried unchanged into the JSON.
//
// Rendering: text (the mail's plain-text part and the webhook's digest), JSON, and one
// self-contained HTML file whose charts are PNG images drawn by gnuplot
// (ops/report_charts.hpp) and embedded as data: URIs, or, in the mail, as cid: parts.
// Read-only; storage errors are core::Error.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/ops/watchlist.hpp"
#include "krxbatch/store/adjustment_store.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/store/report_queries.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::ops {

inline constexpr int k_report_rows = 10;                      // rows of each top list
inline constexpr int k_chart_sessions = 60;                   // sessions in a composite's chart
inline constexpr std::int64_t k_liquid_value = 1'000'000'000; // KRW traded on the session
// KRX's daily price limit is 30 % of the base price, rounded down to a tick: a limit move
// reads from 29.5 % (a price a tick or two short of the band) to 30 %.
inline constexpr double k_limit_rate = 29.5;
// A new 52-week high or low needs this many traded sessions in the 52 weeks before: a recent
// listing makes no "high" every day.
inline constexpr int k_extreme_min_sessions = 60;

struct ReportFreshness {
  std::optional<core::Date> stored; // daily_update's mark
  std::optional<core::Date> scored; // hourly_analysis' mark (the newest ranked session)
  core::Date published;             // the newest session KRX has published at `now`
  int sessions_behind = 0;          // published sessions daily_update has not stored
  int unscored_sessions = 0;        // stored sessions newer than the newest scored one
};

struct DailyReport {
  core::Date session;
  std::string generated_at;                  // ISO KST
  bool scored = false;                       // the session is ranked
  std::optional<core::Date> previous_scored; // the ranked session before it
  std::string note; // what the reader must know first (an unscored session), or empty
  std::vector<store::CompositeDay> composites; // KOSPI, KOSDAQ
  std::vector<store::MarketBreadth> breadth;
  std::vector<store::PriceMove> gainers;
  std::vector<store::PriceMove> losers;
  std::vector<store::NewExtreme> highs;
  std::vector<store::NewExtreme> lows;
  std::vector<store::ScoreLine> top_scores;
  std::vector<store::ScoreLine> risers;
  std::vector<store::ScoreLine> fallers;
  std::vector<store::StoredAdjustment> actions;
  WatchlistView watchlist;
  ReportFreshness freshness;
  std::vector<store::Alert> open_alerts;
};

// Builds the report of `date` (or the default session, see above) at `now`. Throws
// core::Error (exit 2) when `date` has no stored prices or the database holds no session.
DailyReport build_daily_report(store::Database& db, const calendar::Calendar& calendar,
                               const core::KstTime& now, std::optional<core::Date> date);

// The mail subject: "KRX daily 2024-07-01: KOSPI 2,797.33 (+0.51%), KOSDAQ ..." (+ " — not
// scored yet" when it is not).
std::string report_subject(const DailyReport& report);
// The report as pretty-printed JSON (README "Morning report" lists the fields).
std::string report_json(const DailyReport& report);
// The report as plain text (80 columns).
std::string report_text(const DailyReport& report);
// A short digest for a chat webhook: the subject, breadth, the top gainer and loser, the top
// score and the watchlist's moves, in a few lines.
std::string report_digest(const DailyReport& report);

// A chart's image and the name the HTML refers to it by.
struct ReportChart {
  std::string id;    // "kospi", "kosdaq"
  std::string title; // alt text
  std::string png;   // the image's bytes
};
// The report as one HTML document. `image_src` gives the src of each chart's <img>: a data:
// URI for a file (html_data_uri), "cid:<id>" for a mail. Charts that are absent (gnuplot not
// installed) leave a line saying so.
std::string report_html(const DailyReport& report, std::span<const ReportChart> charts,
                        const std::function<std::string(const ReportChart&)>& image_src);
// "data:image/png;base64,...".
std::string html_data_uri(const ReportChart& chart);

} // namespace krxbatch::ops
