#include "krxbatch/jobs/day_ingestor.hpp"

#include "krxbatch/analysis/score.hpp"
#include "krxbatch/store/backfill_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>

namespace krxbatch::jobs {
namespace {

using Kind = DayOutcome::Kind;

constexpr std::string_view k_job = store::k_job_daily_update;

// What the re-base rule reads of a session's rows, by ticker.
std::vector<market::CloseRow> close_rows(std::span<const market::PriceRow> prices) {
  // Sorted by key, then copied in order: moving the rows while sorting them by their text cost
  // ~8% of a backfill's instructions.
  std::vector<std::pair<std::uint64_t, std::size_t>> order;
  order.reserve(prices.size());
  for (std::size_t i = 0; i < prices.size(); ++i) {
    order.emplace_back(market::ticker_key(prices[i].ticker), i);
  }
  std::sort(order.begin(), order.end());
  std::vector<market::CloseRow> out;
  out.reserve(prices.size());
  for (const auto& [key, i] : order) {
    const auto& r = prices[i];
    // Validation has checked that close and listed shares are present.
    out.push_back({r.ticker, r.close.value_or(0), r.change, r.listed_shares.value_or(0)});
  }
  return out;
}

std::string hhmm_date(const core::KstTime& t) {
  return core::to_iso(t.date()) + " " + core::to_iso(t).substr(11, 5) + " KST";
}

} // namespace

DayIngestor::DayIngestor(JobEnv env, fetch::MarketSource& source, IngestSettings settings,
                         std::int64_t run_id)
    : m_env(env), m_source(source), m_settings(std::move(settings)), m_run_id(run_id),
      m_jobs(env.db), m_prices(env.db), m_adjustments(env.db), m_results(env.db), m_alerts(env.db),
      m_pacer(m_settings.merge_overlap_sessions) {
  if (!m_settings.pace_clock) {
    m_settings.pace_clock = pace_now;
  }
  m_pacer.restart(m_settings.pace_clock());
}

std::vector<fetch::Endpoint> DayIngestor::day_endpoints() const {
  return fetch::session_endpoints(m_settings.markets);
}

int DayIngestor::calls_per_day() const {
  return static_cast<int>(day_endpoints().size());
}

DayOutcome DayIngestor::finish_failed(const core::Date& day, DayOutcome outcome) {
  const auto now = m_env.clock.now_kst();
  m_jobs.apply(k_job, day, state::DayEvent::fail, now, outcome.message);
  // A refused key stops the run (Kind::stopped): its `krx_auth` alert is run-level
  // (app::JobRunner).
  if (outcome.kind == Kind::failed) {
    m_alerts.raise(store::AlertSeverity::warn, k_job, "ingest_day_failed",
                   core::to_iso(day) + " failed: " + outcome.message,
                   "ingest_day_failed:" + core::to_iso(day), now);
  }
  return outcome;
}

DayOutcome DayIngestor::finish_waiting(const core::Date& day, const std::string& what) {
  const auto now = m_env.clock.now_kst();
  const auto expected = m_env.calendar.expected_publication(day);
  // The calendar's last session is published in a year the holiday files do not cover yet.
  std::string message =
      what + " answered no rows: not published yet (expected from " +
      (expected ? hhmm_date(*expected) : std::string("the next business day, in the next year")) +
      ")";
  if (expected && now > *expected + boost::posix_time::hours(24)) {
    message = what + " still answers no rows more than a day after its expected publication (" +
              hhmm_date(*expected) + "); if KRX was closed on " + core::to_iso(day) +
              ", add it to holidays/" + std::to_string(static_cast<int>(day.year())) + ".txt";
    m_alerts.raise(store::AlertSeverity::warn, k_job, "unpublished", message,
                   "unpublished:" + core::to_iso(day), now);
  }
  m_jobs.apply(k_job, day, state::DayEvent::wait, now, message);
  return {Kind::waiting, 0, 0, message, std::nullopt};
}

std::optional<std::size_t> DayIngestor::reference_count(const core::Date& day, market::Market m) {
  std::vector<std::size_t> counts;
  const auto known = m_recent_counts.find(m);
  if (m_last_day && m_last_day == m_env.calendar.previous_business_day_if_known(day) &&
      known != m_recent_counts.end()) {
    counts = known->second;
  } else {
    // The stored sessions before `day` (staged ones count), walking back over a few missing.
    std::optional<core::Date> d = day;
    for (std::size_t looked = 0;
         looked < 2 * k_reference_sessions && counts.size() < k_reference_sessions; ++looked) {
      d = m_env.calendar.previous_business_day_if_known(*d);
      if (!d) {
        break; // the calendar's first session: nothing stored before it
      }
      if (const auto n = m_prices.row_count(*d, m); n > 0) {
        counts.push_back(n);
      }
    }
  }
  if (counts.empty()) {
    return std::nullopt;
  }
  std::sort(counts.begin(), counts.end());
  return counts[counts.size() / 2];
}

void DayIngestor::prefetch(const core::Date& day, const Prefetched& given) {
  auto endpoints = day_endpoints();
  std::erase_if(endpoints, [&](fetch::Endpoint e) {
    return std::any_of(given.begin(), given.end(),
                       [&](const auto& m) { return fetch::stock_endpoint(m.first) == e; });
  });
  m_source.prefetch(day, endpoints);
  m_prepaid_days.insert(day);
}

int DayIngestor::lookahead() const {
  const int per_day = calls_per_day();
  return std::clamp((2 * m_settings.connections + per_day - 1) / per_day, 1, 8);
}

DayOutcome DayIngestor::ingest(const core::Date& day, const Prefetched& prefetched,
                               const std::function<void()>& before_write) {
  m_prepaid_days.erase(day);
  m_jobs.apply(k_job, day, state::DayEvent::start, m_env.clock.now_kst(), {}, {}, m_run_id);

  const auto fail = [&](fetch::FailureKind kind, const std::string& message) {
    DayOutcome out;
    out.kind = fetch::stops_run(kind) ? Kind::stopped : Kind::failed;
    out.failure = kind;
    out.message = message;
    return finish_failed(day, std::move(out));
  };
  const auto invalid = [&](const std::string& message) {
    DayOutcome out;
    out.kind = Kind::failed;
    out.message = message;
    return finish_failed(day, std::move(out));
  };

  std::vector<market::PriceRow> prices;
  std::vector<market::IndexRow> indices;
  std::vector<std::pair<market::Market, market::Finding>> warnings;

  for (const auto m : m_settings.markets) {
    const auto endpoint = fetch::stock_endpoint(m);
    std::vector<market::PriceRow> rows;
    if (const auto it = prefetched.find(m); it != prefetched.end()) {
      rows = it->second;
    } else {
      auto result = m_source.stocks(endpoint, day);
      if (!result) {
        return fail(result.failure().kind, result.failure().message);
      }
      rows = std::move(result).value();
    }
    if (rows.empty()) {
      return finish_waiting(day, std::string(fetch::api_id(endpoint)));
    }
    const auto report = market::validate_stocks(day, m, rows, reference_count(day, m));
    if (report.has_errors()) {
      for (const auto& f : report.findings) {
        if (f.severity == market::Severity::error) {
          spdlog::warn("{} {} {}: {}", core::to_iso(day), fetch::api_id(endpoint), f.rule,
                       f.message);
        }
      }
      return invalid(std::string(fetch::api_id(endpoint)) +
                     " failed validation: " + report.first_error());
    }
    for (const auto& f : report.findings) {
      warnings.emplace_back(m, f);
    }
    prices.insert(prices.end(), std::make_move_iterator(rows.begin()),
                  std::make_move_iterator(rows.end()));
  }

  for (const auto m : m_settings.markets) {
    const auto endpoint = fetch::index_endpoint(m);
    if (!endpoint) {
      continue;
    }
    auto result = m_source.indices(*endpoint, day);
    if (!result) {
      return fail(result.failure().kind, result.failure().message);
    }
    auto rows = std::move(result).value();
    if (rows.empty()) {
      return finish_waiting(day, std::string(fetch::api_id(*endpoint)));
    }
    const auto report = market::validate_indices(day, rows);
    if (report.has_errors()) {
      return invalid(std::string(fetch::api_id(*endpoint)) +
                     " failed validation: " + report.first_error());
    }
    for (const auto& f : report.findings) {
      warnings.emplace_back(m, f);
    }
    indices.insert(indices.end(), std::make_move_iterator(rows.begin()),
                   std::make_move_iterator(rows.end()));
  }

  // A ticker listed by two markets on one day cannot be stored under its key.
  std::vector<std::string_view> tickers;
  tickers.reserve(prices.size());
  for (const auto& r : prices) {
    tickers.emplace_back(r.ticker);
  }
  std::sort(tickers.begin(), tickers.end());
  if (const auto twice = std::adjacent_find(tickers.begin(), tickers.end());
      twice != tickers.end()) {
    return invalid("ticker " + std::string(*twice) + " appears in two markets' answers for " +
                   core::to_iso(day));
  }

  if (before_write) {
    before_write();
  }
  const auto now = m_env.clock.now_kst();
  store::Database::Transaction txn(m_env.db);
  bool staged = false;
  if (m_staging) {
    // Outside [history_start, mark], what the readers read: a session after the mark (a
    // catch-up) or before the stored history (the history backfill) can wait for the merge.
    const auto mark = m_jobs.job(k_job).last_success_date;
    const auto start = store::MetaStore(m_env.db).history_start();
    staged = !mark || day > *mark || (start && day < *start);
  }
  // What the scores read of this session and the next (whose corporate actions are derived
  // again below), when the analysis has scored from it: compared after the writes.
  const auto following = m_env.calendar.next_business_day_if_known(day);
  std::optional<std::pair<store::SessionInputs, store::SessionInputs>> scored_inputs;
  if (!staged && m_results.any_rows_from(day)) {
    scored_inputs.emplace(m_results.session_inputs(day), following
                                                             ? m_results.session_inputs(*following)
                                                             : store::SessionInputs{});
  }
  const auto rows =
      m_prices.replace_day(day, prices, indices, warnings, now,
                           staged ? store::PriceTable::staging : store::PriceTable::daily_prices);
  auto closes = close_rows(prices);
  {
    // The previous KRX session (none before the calendar's first: no event on that day).
    const auto previous = m_env.calendar.previous_business_day_if_known(day);
    std::vector<market::CloseRow> loaded;
    if (previous && m_last_day != previous) {
      loaded = m_adjustments.session_closes(*previous); // empty when not stored
    }
    const auto& before = m_last_day == previous ? m_last_closes : loaded;
    m_adjustments.replace_session(day, market::find_rebases(before, closes), now);
  }
  if (const auto next = m_env.calendar.next_business_day_if_known(day)) {
    if (const auto after = m_adjustments.session_closes(*next); !after.empty()) {
      m_adjustments.replace_session(*next, market::find_rebases(closes, after), now);
    }
  }
  if (scored_inputs) {
    mark_stale_scores(day, scored_inputs->first, day, now);
    if (following) {
      mark_stale_scores(*following, scored_inputs->second, day, now);
    }
  }
  m_jobs.apply(k_job, day, state::DayEvent::succeed, now, {}, rows);
  advance_daily_mark(m_env);
  for (const auto& key : {"ingest_day_failed:" + core::to_iso(day),
                          "unpublished:" + core::to_iso(day), std::string("krx_auth")}) {
    m_alerts.resolve(key, now);
  }
  txn.commit();
  if (staged) {
    ++m_staged;
    m_pacer.staged(m_settings.pace_clock(), rows);
  }
  std::map<market::Market, std::size_t> counts;
  for (const auto& r : prices) {
    ++counts[r.market.value_or(market::Market::kospi)];
  }
  if (m_last_day != m_env.calendar.previous_business_day_if_known(day)) {
    m_recent_counts.clear(); // not contiguous: the next session reads the store again
  }
  for (const auto& [m, n] : counts) {
    auto& recent = m_recent_counts[m];
    recent.push_back(n);
    if (recent.size() > k_reference_sessions) {
      recent.erase(recent.begin());
    }
  }
  m_last_day = day;
  m_last_closes = std::move(closes);
  return {Kind::stored, rows, static_cast<int>(warnings.size()), {}, std::nullopt};
}

void DayIngestor::mark_stale_scores(const core::Date& session, const store::SessionInputs& before,
                                    const core::Date& reloaded, const core::KstTime& now) {
  const auto changed = store::changed_inputs(before, m_results.session_inputs(session));
  if (!changed.any()) {
    return;
  }
  // A score of (ticker, X) reads the ticker's bars over X's window (the session and the
  // k_window_sessions - 1 before it) and its composite's closes: `session` is in the window of
  // the sessions from it to k_window_sessions - 1 after it.
  core::Date through = session;
  for (std::size_t i = 1; i < analysis::k_window_sessions; ++i) {
    const auto next = m_env.calendar.next_business_day_if_known(through);
    if (!next) {
      through = core::Date(9999, 12, 31);
      break;
    }
    through = *next;
  }
  const std::string reason = session == reloaded
                                 ? "reload of " + core::to_iso(reloaded)
                                 : "corporate actions of " + core::to_iso(session) +
                                       " derived again by the reload of " + core::to_iso(reloaded);
  const auto marked = m_results.mark_stale(changed, session, through, reason, now);
  spdlog::info("daily_update: the {} changed {} on {}: {} score(s) from then on are recomputed by "
               "the next analysis",
               session == reloaded ? "reload" : "corporate actions derived again",
               changed.index ? std::string("a composite index")
                             : std::to_string(changed.tickers.size()) + " issue(s)",
               core::to_iso(session), marked);
}

bool DayIngestor::merge_due() const {
  return m_staged >= m_settings.merge_every_sessions ||
         (m_staged > 0 && m_prices.staged_bytes() >= m_settings.merge_staged_bytes);
}

std::int64_t DayIngestor::merge_staged(bool checkpoint) {
  m_staged = 0;
  const auto start = m_settings.pace_clock();
  const auto moved = merge_staged_prices(m_env, m_prices);
  if (checkpoint && moved > 0) {
    m_env.db.checkpoint();
  }
  m_pacer.merged(start, m_settings.pace_clock(), moved);
  return moved;
}

void DayIngestor::pace_restart() {
  m_pacer.restart(m_settings.pace_clock());
}

int DayIngestor::overlap_merge_queue(int remaining) const {
  if (!m_staging || m_staged == 0 || !m_pacer.merge_now(remaining)) {
    return 0;
  }
  return m_pacer.queue(remaining);
}

std::int64_t merge_staged_prices(JobEnv env) {
  store::PriceStore prices(env.db);
  return merge_staged_prices(env, prices);
}

std::int64_t merge_staged_prices(JobEnv env, store::PriceStore& prices) {
  if (!prices.first_staged_session()) {
    return 0;
  }
  store::Database::Transaction txn(env.db);
  const auto moved = prices.merge_staged();
  const auto mark = advance_daily_mark(env);
  store::BackfillStore(env.db, env.calendar).extend_history_start();
  txn.commit();
  spdlog::debug("merged {} staged price rows into daily_prices; mark {}", moved,
                mark ? core::to_iso(*mark) : std::string("none"));
  return moved;
}

std::optional<core::Date> advance_daily_mark(JobEnv env) {
  store::JobStore jobs(env.db);
  const auto mark = jobs.job(store::k_job_daily_update).last_success_date;
  std::optional<core::Date> first;
  if (mark) {
    first = env.calendar.next_business_day_if_known(*mark); // none past the calendar's end
  } else {
    first = store::MetaStore(env.db).history_start();
  }
  if (!first) {
    return mark;
  }
  // A staged session is complete but not yet in daily_prices, which is all that the readers
  // outside the ingest lock (hourly_analysis, export, digest) see: the mark waits for the merge.
  const auto staged = store::PriceStore(env.db).first_staged_session();
  // Days with a state from `first` on; the walk stops at the first session without a state
  // (not worked on yet) or the first incomplete one.
  const auto rows = jobs.days(store::k_job_daily_update, *first, core::Date(9999, 12, 31));
  std::vector<state::SessionState> following;
  std::optional<core::Date> expected = *first;
  for (const auto& r : rows) {
    if (!expected || r.date != *expected || r.state != state::DayState::succeeded ||
        (staged && r.date >= *staged)) {
      break;
    }
    following.push_back({r.date, r.state});
    expected = env.calendar.next_business_day_if_known(r.date);
  }
  const auto advanced = state::advance_mark(mark, following);
  if (advanced != mark) {
    jobs.set_mark(store::k_job_daily_update, advanced, env.clock.now_kst());
  }
  return advanced;
}

} // namespace krxbatch::jobs
