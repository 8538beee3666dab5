// The `watchlist` alert: one digest per ranked session of what happened to the stocks on the
// watchlist (store::WatchlistStore), raised by hourly_analysis in the transaction that ranks
// the session and posted to the webhook with the run's other new alerts by app::JobRunner.
//
// A watchlist stock is news on a session when
//  - its score moved by at least the threshold (config `watchlist_threshold`, default 5
//    points) against its previous scored session (the newest ranked session before it on which
//    it has a score, so a holiday block in between changes nothing): "score 61.2 -> 68.9 (+7.7
//    vs 2024-06-28; trend +12.1, momentum +6.0)", the two pillars that moved most;
//  - it had a corporate action on the session (price_adjustments);
//  - it stopped trading (traded on the previous stored session, no trades on this one);
//  - it disappeared from the market (a row on the previous stored session, none on this one);
//  - it became ineligible (eligible on its previous analysis row, not on this one).
// The digest is the INFO alert `watchlist` (job hourly_analysis, dedupe key
// `watchlist:<session>`): ranking the session again (a reload) refreshes it, or resolves it
// when nothing is news any more. Only a session at least as new as hourly_analysis' mark
// raises it: scoring old sessions of a history backfill tells nobody anything new.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/jobs/job_env.hpp"
#include "krxbatch/store/watchlist_store.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::jobs {

// One line per stock that is news (pure), by ticker: "005930 삼성전자: score 61.2 -> 68.9 (...);
// corporate action (factor 0.500000)".
std::vector<std::string> watchlist_news(std::span<const store::WatchlistEvent> events,
                                        double threshold);

// The digest's dedupe key for `session`.
std::string watchlist_alert_key(const core::Date& session);

// Raises (or refreshes, or resolves) the digest of `session` as described above, in the
// caller's transaction. Returns the number of stocks in it.
std::size_t raise_watchlist_digest(JobEnv env, const core::Date& session, double threshold);

} // namespace krxbatch::jobs
