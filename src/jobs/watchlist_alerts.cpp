#include "krxbatch/jobs/watchlist_alerts.hpp"

#include "krxbatch/core/number_text.hpp"
#include "krxbatch/store/job_store.hpp"
#include "krxbatch/store/ops_store.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace krxbatch::jobs {
namespace {

using core::fixed;
using core::signed_fixed;

// "score 61.2 -> 68.9 (+7.7 vs 2024-06-28; trend +12.1, momentum +6.0)".
std::string move_text(const store::ScoredSession& now, const store::ScoredSession& before) {
  std::vector<std::pair<double, std::size_t>> moves;
  for (std::size_t i = 0; i < now.pillars.size(); ++i) {
    const double d = now.pillars[i] - before.pillars[i];
    if (std::isfinite(d)) {
      moves.emplace_back(d, i);
    }
  }
  std::stable_sort(moves.begin(), moves.end(), [](const auto& a, const auto& b) {
    return std::abs(a.first) > std::abs(b.first);
  });
  std::string text = "score " + fixed(before.score, 1) + " -> " + fixed(now.score, 1) + " (" +
                     signed_fixed(now.score - before.score, 1) + " vs " +
                     core::to_iso(before.session);
  for (std::size_t k = 0; k < moves.size() && k < 2; ++k) {
    text += (k == 0 ? "; " : ", ") + std::string(store::k_pillar_names[moves[k].second]) + " " +
            signed_fixed(moves[k].first, 1);
  }
  return text + ")";
}

} // namespace

std::vector<std::string> watchlist_news(std::span<const store::WatchlistEvent> events,
                                        double threshold) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    std::vector<std::string> items;
    if (e.score && e.previous && std::abs(e.score->score - e.previous->score) >= threshold) {
      items.push_back(move_text(*e.score, *e.previous));
    }
    if (e.action_factor) {
      items.push_back("corporate action (factor " + fixed(*e.action_factor, 6) + ")");
    }
    if (e.on_previous_session && !e.on_session) {
      items.emplace_back("no longer on the market (no price row on the session)");
    } else if (e.traded_before && e.on_session && !e.traded) {
      items.emplace_back("stopped trading (no trades on the session)");
    }
    if (e.eligible_before.value_or(false) && e.eligible && !*e.eligible) {
      items.push_back("became ineligible" +
                      (e.flags && !e.flags->empty() ? " (" + *e.flags + ")" : std::string()));
    }
    if (items.empty()) {
      continue;
    }
    std::string line = e.ticker + (e.name.empty() ? "" : " " + e.name) + ": ";
    for (std::size_t i = 0; i < items.size(); ++i) {
      line += (i == 0 ? "" : "; ") + items[i];
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::string watchlist_alert_key(const core::Date& session) {
  return "watchlist:" + core::to_iso(session);
}

std::size_t raise_watchlist_digest(JobEnv env, const core::Date& session, double threshold) {
  const auto news = watchlist_news(store::WatchlistStore(env.db).events(session), threshold);
  store::AlertStore alerts(env.db);
  const auto now = env.clock.now_kst();
  if (news.empty()) {
    alerts.resolve(watchlist_alert_key(session), now);
    return 0;
  }
  std::string text =
      "watchlist " + core::to_iso(session) + ": " + std::to_string(news.size()) + " stock(s): ";
  for (std::size_t i = 0; i < news.size(); ++i) {
    text += (i == 0 ? "" : " | ") + news[i];
  }
  alerts.raise(store::AlertSeverity::info, store::k_job_hourly_analysis, "watchlist", text,
               watchlist_alert_key(session), now);
  return news.size();
}

} // namespace krxbatch::jobs
