#include "krxbatch/jobs/manual_setup.hpp"

#include "krxbatch/jobs/ingest_plan.hpp"
#include "krxbatch/store/backfill_store.hpp"
#include "krxbatch/store/target_store.hpp"

#include "ingest_loop.hpp"

#include <spdlog/spdlog.h>

#include <sstream>

namespace krxbatch::jobs {
namespace {

constexpr std::string_view k_job = store::k_job_manual_setup;
constexpr int k_probe_sessions = 10;

std::string with_commas(std::int64_t n) {
  auto digits = std::to_string(n);
  for (auto i = static_cast<long>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<std::size_t>(i), ",");
  }
  return digits;
}

std::string markets_text(const std::vector<market::Market>& markets) {
  std::string out;
  for (auto m : markets) {
    out += (out.empty() ? "" : ",") + std::string(market::to_string(m));
  }
  return out;
}

// A failed run before any day was worked on: recorded, summarised, exit 1.
JobResult fail_early(RunRecorder& run, const std::string& message) {
  store::RunSummary s;
  s.outcome = state::RunOutcome::failed;
  s.message = message;
  run.finish(s);
  return {core::ExitCode::failed, "manual_setup: failed: " + message, s};
}

// Makes target_tickers the issues of `markets` with market cap >= min_market_cap on
// `session`; the summary's text. Inside the caller's transaction.
std::string apply_universe(store::Database& db, const core::Date& session,
                           std::int64_t min_market_cap,
                           const std::vector<market::Market>& markets) {
  store::TargetStore targets(db);
  const auto candidates = targets.candidates(session, min_market_cap, markets);
  const auto change = targets.apply_universe(session, candidates);
  return "; target_tickers: " + std::to_string(candidates.size()) + " active (+" +
         std::to_string(change.added + change.reactivated) + " -" +
         std::to_string(change.deactivated) + ")";
}

} // namespace

std::string build_owed_universe(JobEnv env) {
  store::MetaStore meta(env.db);
  const auto owed = meta.get(k_meta_setup_universe);
  if (!owed || owed->empty()) {
    return {};
  }
  std::istringstream in(*owed);
  std::string day;
  long long min_market_cap = 0;
  in >> day >> min_market_cap;
  const auto session = core::parse_iso_date(day);
  if (!session || in.fail()) {
    spdlog::warn("manual_setup: meta {} is not '<session> <min market cap>' ('{}'); run "
                 "`krxbatch universe refresh` to build the analysis universe",
                 k_meta_setup_universe, *owed);
    meta.set(k_meta_setup_universe, "");
    return {};
  }
  store::JobStore jobs(env.db);
  const auto mark = jobs.job(store::k_job_daily_update).last_success_date;
  if (!mark || *mark < *session) {
    return {};
  }
  store::Database::Transaction txn(env.db);
  auto text = apply_universe(env.db, *session, min_market_cap, meta.markets());
  jobs.set_mark(k_job, *session, env.clock.now_kst());
  meta.set(k_meta_setup_universe, "");
  txn.commit();
  spdlog::info("manual_setup: every session up to {} is stored: the analysis universe it asked "
               "for is built{}",
               core::to_iso(*session), text);
  return text + ", as manual_setup asked";
}

JobResult run_manual_setup(JobEnv env, fetch::MarketSource& source, DbCallBudget& budget,
                           const IngestSettings& settings, const ManualSetupOptions& options) {
  store::JobStore jobs(env.db);
  store::MetaStore meta(env.db);
  auto now = env.clock.now_kst();
  // Staged sessions left by a killed run (the caller holds the ingest lock) go to daily_prices
  // before anything is planned.
  merge_staged_prices(env);
  if (const int recovered = jobs.recover_stale(store::k_job_daily_update, now); recovered > 0) {
    spdlog::warn("manual_setup: {} session(s) left running by a stopped process will be retried",
                 recovered);
  }
  // The backfill must not reach before the source's first day: those days would wait for
  // ever. Checked on the newest possible session before anything is fetched; the probe can
  // only move the latest session earlier, and the window is then cut at the first day.
  const auto first_day = first_available_day(source, settings.markets);
  if (first_day) {
    const auto newest = last_closed_session(env.calendar, now);
    const int available =
        env.calendar.business_days_between(*first_day - boost::gregorian::days(1), newest);
    if (options.days > available) {
      throw core::usage_error("manual_setup: --days " + std::to_string(options.days) +
                              " reaches before " + core::to_iso(*first_day) + ", the first day " +
                              source.describe() + " has data for: there are " +
                              std::to_string(available) + " sessions from it to " +
                              core::to_iso(newest) + "; use --days " + std::to_string(available) +
                              " or fewer (nothing was changed)");
    }
  }
  if (options.from) {
    const auto newest = last_closed_session(env.calendar, now);
    if (first_day && *options.from < *first_day) {
      throw core::usage_error("manual_setup: --from " + core::to_iso(*options.from) +
                              " is before " + core::to_iso(*first_day) + ", the first day " +
                              source.describe() + " has data for; use --from " +
                              core::to_iso(*first_day) + " or later (nothing was changed)");
    }
    if (*options.from > newest) {
      throw core::usage_error("manual_setup: --from " + core::to_iso(*options.from) +
                              " is after the newest closed session " + core::to_iso(newest) +
                              "; give an earlier date (nothing was changed)");
    }
  }
  RunRecorder run(env, k_job, options.args);
  const auto calls_before = budget.consumed();

  // 1. The latest published session: probe back from the newest closed session.
  const auto first_market = settings.markets.front();
  const auto probe_endpoint = fetch::stock_endpoint(first_market);
  auto session = last_closed_session(env.calendar, now);
  Prefetched latest_rows;
  for (int i = 0; i < k_probe_sessions && latest_rows.empty(); ++i) {
    auto result = source.stocks(probe_endpoint, session);
    if (!result) {
      auto failed = fail_early(run, "finding the latest published session (" +
                                        std::string(fetch::api_id(probe_endpoint)) + " " +
                                        core::to_iso(session) + "): " + result.failure().message);
      if (fetch::refuses_key(result.failure().kind)) {
        failed.key_refused = result.failure().message;
      }
      return failed;
    }
    if (result.value().empty()) {
      spdlog::info("manual_setup: {} has no data yet; trying the session before",
                   core::to_iso(session));
      session = env.calendar.previous_business_day(session);
      continue;
    }
    latest_rows[first_market] = std::move(result).value();
  }
  if (latest_rows.empty()) {
    return fail_early(run, "no published session among the " + std::to_string(k_probe_sessions) +
                               " sessions up to " +
                               core::to_iso(last_closed_session(env.calendar, now)) + " at " +
                               source.describe() + "; check the source");
  }
  for (auto m : settings.markets) {
    if (m == first_market) {
      continue;
    }
    auto result = source.stocks(fetch::stock_endpoint(m), session);
    if (!result) {
      return fail_early(run, "fetching " + std::string(fetch::api_id(fetch::stock_endpoint(m))) +
                                 " for " + core::to_iso(session) + ": " + result.failure().message);
    }
    latest_rows[m] = std::move(result).value();
  }

  // 2. The plan.
  std::map<market::Market, int> universe;
  int universe_total = 0;
  for (const auto& [m, rows] : latest_rows) {
    for (const auto& r : rows) {
      if (r.market_cap.value_or(0) >= options.min_market_cap) {
        ++universe[m];
        ++universe_total;
      }
    }
  }
  auto start = env.calendar.business_day_back(session, options.days - 1);
  if (first_day && start < *first_day) {
    start = env.calendar.business_day_on_or_before(*first_day);
    if (start < *first_day) {
      start = env.calendar.next_business_day(start);
    }
  }
  // --from: the sessions before the `days` newest are the history backfill, fetched after
  // them, newest first (docs/DESIGN.md §5.7).
  std::optional<core::Date> backfill_from;
  if (options.from) {
    auto from = env.calendar.business_day_on_or_before(*options.from);
    if (from < *options.from) {
      from = env.calendar.next_business_day(from);
    }
    if (from >= start) {
      start = std::min(from, session);
    } else {
      backfill_from = from;
    }
  }
  const auto window = env.calendar.business_days(start, session);
  std::vector<core::Date> days;
  for (const auto& d : window) {
    const auto rec = jobs.day(store::k_job_daily_update, d);
    if (!rec || rec->state != state::DayState::succeeded) {
      days.push_back(d);
    }
  }
  // The backfill: from backfill_from to the session before the stored history (or before
  // `start`, whichever is earlier), what is not complete.
  std::vector<core::Date> backfill_days;
  const auto recorded_start = meta.history_start();
  if (backfill_from) {
    const auto history = recorded_start ? std::min(*recorded_start, start) : start;
    if (*backfill_from < history) {
      for (const auto& d : env.calendar.business_days(
               *backfill_from, env.calendar.previous_business_day(history))) {
        const auto rec = jobs.day(store::k_job_daily_update, d);
        if (!rec || rec->state != state::DayState::succeeded) {
          backfill_days.push_back(d);
        }
      }
    }
  }
  DayIngestor ingestor(env, source, settings, run.id());
  const auto calls_needed =
      static_cast<std::int64_t>(days.size() + backfill_days.size()) * ingestor.calls_per_day() -
      static_cast<std::int64_t>(latest_rows.size());
  std::ostringstream plan;
  plan << "manual_setup plan\n"
       << "  source            " << source.describe() << "\n"
       << "  latest session    " << core::to_iso(session) << "\n"
       << "  universe          " << universe_total
       << " issues with market cap >= " << with_commas(options.min_market_cap) << " KRW on "
       << core::to_iso(session) << " (";
  bool first = true;
  for (const auto& [m, n] : universe) {
    plan << (first ? "" : ", ") << market::to_string(m) << " " << n;
    first = false;
  }
  plan << ")\n"
       << "  backfill          " << window.size() << " sessions " << core::to_iso(start) << ".."
       << core::to_iso(session) << " (" << window.size() - days.size() << " already stored, "
       << days.size() << " to fetch)\n"
       << "  markets stored    " << markets_text(settings.markets) << " (all issues) and their "
       << "index prices\n";
  if (backfill_from) {
    plan << "  history backfill  " << backfill_days.size() << " sessions more, back to "
         << core::to_iso(*backfill_from) << ", newest first, after the sessions above\n";
  }
  if (source.counts_calls()) {
    const auto calls = std::max<std::int64_t>(0, calls_needed);
    plan << "  KRX calls needed  about " << with_commas(calls) << " (limit "
         << with_commas(budget.limit()) << " per KST day; " << with_commas(budget.remaining())
         << " left today)\n";
    // After today, daily_update's own session comes first each day.
    const int kst_days = store::kst_days_for_calls(
        calls, budget.remaining(),
        std::max<std::int64_t>(1, budget.limit() - ingestor.calls_per_day()));
    plan << "  KST days          " << kst_days
         << (kst_days > 1 ? ": stopped by the limit, the scheduled daily_update runs continue it "
                            "after their own session, unattended (krxbatch status shows how far)"
                          : std::string(": within today's calls"))
         << "\n";
  }
  if (!options.confirm(plan.str())) {
    store::RunSummary s;
    s.outcome = state::RunOutcome::skipped;
    s.message = "cancelled by the operator; nothing was stored";
    run.finish(s);
    return {core::ExitCode::ok, "manual_setup: cancelled; nothing was stored", s};
  }

  // 3. Backfill, oldest first, through the same per-day code as daily_update.
  if (!recorded_start || start < *recorded_start) {
    meta.set(store::k_meta_history_start, core::to_iso(start));
  }
  if (backfill_from) {
    store::BackfillStore(env.db, env.calendar).request(*backfill_from);
  }
  const auto recorded_markets = meta.get(store::k_meta_markets);
  if (recorded_markets && *recorded_markets != markets_text(settings.markets)) {
    spdlog::warn("manual_setup: the stored markets change from {} to {}; sessions already "
                 "complete keep their old markets (reload them with daily_update --from/--to)",
                 *recorded_markets, markets_text(settings.markets));
  }
  meta.set(store::k_meta_markets, markets_text(settings.markets));
  // Until this run builds it, the universe is owed: cut short, daily_update builds it.
  meta.set(k_meta_setup_universe,
           core::to_iso(session) + " " + std::to_string(options.min_market_cap));

  std::map<core::Date, Prefetched> prefetched;
  prefetched.emplace(session, std::move(latest_rows));
  const store::Database::SettingsScope tuning(env.db, k_ingest_settings);
  StagingScope staging(ingestor, static_cast<int>(days.size()) >= k_min_staged_sessions_backfill);
  const auto loop = ingest_days(ingestor, budget, source.counts_calls(), days, prefetched,
                                options.progress, k_job);
  // Before the universe is built: it reads the latest session from daily_prices.
  staging.merge();
  // The history backfill, once the newest sessions are in (the analysis can start on them).
  BackfillRun backfill;
  if (!loop.stop_reason) {
    backfill =
        continue_backfill(env, ingestor, budget, source.counts_calls(), options.progress, k_job);
  } else if (const auto state = store::BackfillStore(env.db, env.calendar).state()) {
    backfill.from = state->from;
    backfill.history_start = state->history_start;
    backfill.left = static_cast<int>(state->left.size());
  }

  // 4. The universe, from the latest session's stored prices.
  now = env.clock.now_kst();
  const auto latest_state = jobs.day(store::k_job_daily_update, session);
  std::string universe_text;
  if (latest_state && latest_state->state == state::DayState::succeeded) {
    store::Database::Transaction txn(env.db);
    universe_text = apply_universe(env.db, session, options.min_market_cap, settings.markets);
    const bool complete = loop.failed.empty() && !loop.stop_reason && loop.waiting.empty();
    if (complete) {
      jobs.set_mark(k_job, session, now);
      meta.set(k_meta_setup_universe, "");
    }
    txn.commit();
  }
  auto result =
      finish_ingest_run(env, run, k_job, loop, static_cast<int>(days.size()), 0,
                        budget.consumed() - calls_before, backfill_from ? &backfill : nullptr);
  result.summary += universe_text;
  return result;
}

} // namespace krxbatch::jobs
