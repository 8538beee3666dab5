#include "krxbatch/jobs/daily_update.hpp"

#include "krxbatch/jobs/ingest_plan.hpp"
#include "krxbatch/jobs/manual_setup.hpp"
#include "krxbatch/store/backfill_store.hpp"
#include "krxbatch/store/price_store.hpp"

#include "ingest_loop.hpp"

#include <spdlog/spdlog.h>

namespace krxbatch::jobs {
namespace {

constexpr std::string_view k_job = store::k_job_daily_update;

std::map<core::Date, state::DayState> all_states(store::JobStore& jobs) {
  std::map<core::Date, state::DayState> states;
  for (const auto& d : jobs.days(k_job, core::Date(1900, 1, 1), core::Date(9999, 12, 31))) {
    states.emplace(d.date, d.state);
  }
  return states;
}

} // namespace

JobResult run_daily_update(JobEnv env, fetch::MarketSource& source, DbCallBudget& budget,
                           const IngestSettings& settings, const DailyUpdateOptions& options) {
  store::JobStore jobs(env.db);
  store::MetaStore meta(env.db);
  const auto now = env.clock.now_kst();
  const auto last_closed = last_closed_session(env.calendar, now);
  // A day before the source's first one would answer no rows forever: `waiting` for ever,
  // and an alert that comes back after every acknowledgement. Refused before anything runs.
  if (const auto first = first_available_day(source, settings.markets);
      first && options.from && *options.from < *first) {
    throw core::usage_error("daily_update: --from " + core::to_iso(*options.from) + " is before " +
                            core::to_iso(*first) + ", the first day " + source.describe() +
                            " has data for; reload from " + core::to_iso(*first) +
                            " or later (nothing was changed)");
  }
  // Staged sessions left by a killed run (the caller holds the ingest lock) go to daily_prices,
  // and the mark over them, before anything is planned.
  merge_staged_prices(env);

  if (const int recovered = jobs.recover_stale(k_job, now); recovered > 0) {
    spdlog::warn("daily_update: {} session(s) left running by a stopped process will be retried",
                 recovered);
  }
  const auto mark = jobs.job(k_job).last_success_date;
  const auto start_recorded = meta.history_start();

  std::vector<core::Date> days;
  int left_for_later = 0;
  if (options.from) {
    const auto to = options.to.value_or(last_closed);
    if (*options.from > to) {
      throw core::usage_error("daily_update: --from " + core::to_iso(*options.from) +
                              " is after --to " + core::to_iso(to));
    }
    if (to > last_closed) {
      throw core::usage_error("daily_update: --to " + core::to_iso(to) +
                              " is after the newest closed session " + core::to_iso(last_closed) +
                              "; its data cannot exist yet");
    }
    days = env.calendar.business_days(*options.from, to);
    if (days.empty()) {
      throw core::usage_error("daily_update: no KRX session between " +
                              core::to_iso(*options.from) + " and " + core::to_iso(to));
    }
    if (options.max_days && static_cast<int>(days.size()) > *options.max_days) {
      left_for_later = static_cast<int>(days.size()) - *options.max_days;
      days.resize(static_cast<std::size_t>(*options.max_days));
    }
    if (!mark && (!start_recorded || days.front() < *start_recorded)) {
      meta.set(store::k_meta_history_start, core::to_iso(days.front()));
    }
    for (const auto& d : days) {
      const auto rec = jobs.day(k_job, d);
      if (rec && rec->state == state::DayState::succeeded) {
        jobs.apply(k_job, d, state::DayEvent::reload, now);
      }
    }
  } else {
    if (!mark && !start_recorded) {
      throw core::usage_error("daily_update: the database has no history yet (no mark for "
                              "daily_update); run `krxbatch manual_setup` first, or load a "
                              "range with `krxbatch daily_update --from YYYY-MM-DD`");
    }
    auto states = all_states(jobs);
    // A session recorded complete after the mark must also have its rows: if someone deleted
    // them (or restored an older file), it is fetched again.
    const auto first = mark ? env.calendar.next_business_day_if_known(*mark) : start_recorded;
    std::vector<core::Date> vanished;
    if (first && *first <= last_closed) {
      const auto present =
          store::PriceStore(env.db).complete_sessions(*first, last_closed, settings.markets);
      for (auto& [d, s] : states) {
        if (d >= *first && s == state::DayState::succeeded && !present.contains(d)) {
          s = state::DayState::pending;
          vanished.push_back(d);
        }
      }
    }
    CatchUpInput input{mark, start_recorded, last_closed, std::move(states), options.max_days};
    auto plan = plan_catch_up(env.calendar, input);
    days = std::move(plan.days);
    left_for_later = plan.left_for_later;
    for (const auto& d : vanished) {
      if (std::find(days.begin(), days.end(), d) != days.end()) {
        spdlog::warn("daily_update: {} was recorded complete but its rows are missing; fetching "
                     "it again",
                     core::to_iso(d));
        jobs.apply(k_job, d, state::DayEvent::reload, now);
      }
    }
  }

  // A scheduled run (no --from, no --max-days) continues the history backfill after its own
  // sessions (docs/DESIGN.md §5.7).
  store::BackfillStore backfill_store(env.db, env.calendar);
  const auto backfill_state =
      options.from || options.max_days ? std::nullopt : backfill_store.state();
  const bool backfill_due = backfill_state && !backfill_state->done();
  RunRecorder run(env, k_job, options.args);
  if (days.empty() && !backfill_due) {
    store::RunSummary s;
    s.outcome = state::RunOutcome::skipped;
    s.message = "nothing to do: complete through " +
                (mark ? core::to_iso(*mark) : std::string("-")) + " (newest closed session " +
                core::to_iso(last_closed) + ")";
    run.finish(s);
    return {core::ExitCode::ok, "daily_update: skipped: " + s.message + build_owed_universe(env),
            s};
  }
  if (!days.empty()) {
    spdlog::info("daily_update: {} session(s) to work on ({}) from {}", days.size(),
                 date_span(days), source.describe());
  }

  const auto calls_before = budget.consumed();
  DayIngestor ingestor(env, source, settings, run.id());
  const store::Database::SettingsScope tuning(env.db, k_ingest_settings);
  // A short catch-up is written straight to daily_prices, so that the mark moves (and
  // hourly_analysis can start) after each session; a single session would gain nothing from
  // staging anyway (its ~60 staging pages on top of the same per-ticker pages at the merge).
  StagingScope staging(ingestor, static_cast<int>(days.size()) >= k_min_staged_sessions_update);
  const auto loop = ingest_days(ingestor, budget, source.counts_calls(), days, {}, nullptr, k_job);
  staging.merge(); // before the summary reads the mark
  BackfillRun backfill;
  if (backfill_due && !loop.stop_reason) {
    backfill = continue_backfill(env, ingestor, budget, source.counts_calls(), {}, k_job);
  } else if (backfill_due) {
    backfill.from = backfill_state->from;
    backfill.history_start = backfill_state->history_start;
    backfill.left = static_cast<int>(backfill_state->left.size());
  }
  const auto calls = budget.consumed() - calls_before;
  auto result = finish_ingest_run(env, run, k_job, loop, static_cast<int>(days.size()),
                                  left_for_later, calls, backfill_due ? &backfill : nullptr);
  // A manual_setup cut short owes the universe once its sessions are in.
  result.summary += build_owed_universe(env);
  return result;
}

} // namespace krxbatch::jobs
