#include "ingest_loop.hpp"

#include "krxbatch/store/backfill_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace krxbatch::jobs {

namespace {

// "history backfill to 2010-01-04: 12 session(s) stored (...), 3 failed, 1,180 left (history
// from 2019-03-04)".
std::string backfill_text(const BackfillRun& b) {
  auto stored = b.loop.stored;
  std::sort(stored.begin(), stored.end());
  std::string text = "history backfill to " + core::to_iso(*b.from) + ": " +
                     std::to_string(stored.size()) + " session(s) stored";
  if (!stored.empty()) {
    text += " (" + date_span(stored) + ", " + std::to_string(b.loop.rows) + " rows)";
  }
  for (const auto& [d, why] : b.loop.failed) {
    text += ", " + core::to_iso(d) + " FAILED: " + why;
  }
  if (!b.loop.waiting.empty()) {
    text += ", " + std::to_string(b.loop.waiting.size()) + " answered no rows (" +
            date_span(b.loop.waiting) + ")";
  }
  if (b.left == 0) {
    text += ", complete";
  } else {
    text += ", " + std::to_string(b.left) + " left (the next daily_update runs continue it)";
  }
  if (b.history_start) {
    text += "; history from " + core::to_iso(*b.history_start);
  }
  return text;
}

} // namespace

std::string date_span(const std::vector<core::Date>& days) {
  if (days.empty()) {
    return "-";
  }
  if (days.size() == 1) {
    return core::to_iso(days.front());
  }
  return core::to_iso(days.front()) + ".." + core::to_iso(days.back());
}

StagingScope::StagingScope(DayIngestor& ingestor, bool on) : m_ingestor(ingestor), m_on(on) {
  m_ingestor.set_staging(on);
}

StagingScope::~StagingScope() {
  if (!m_on || m_merged) {
    return;
  }
  try {
    m_ingestor.merge_staged();
  } catch (const std::exception& e) {
    spdlog::warn("staged prices not merged yet ({}); the next ingestion run merges them first",
                 e.what());
  }
}

void StagingScope::merge() {
  m_merged = true;
  m_ingestor.set_staging(false);
  if (m_on) {
    m_ingestor.merge_staged();
  }
}

std::optional<core::Date> first_available_day(const fetch::MarketSource& source,
                                              const std::vector<market::Market>& markets) {
  std::optional<core::Date> first;
  for (const auto m : markets) {
    if (const auto d = source.first_day(fetch::stock_endpoint(m)); d && (!first || *d > *first)) {
      first = d;
    }
  }
  return first;
}

LoopResult ingest_days(DayIngestor& ingestor, DbCallBudget& budget, bool counts_calls,
                       const std::vector<core::Date>& days,
                       const std::map<core::Date, Prefetched>& prefetched,
                       const std::function<void(int, int, const core::Date&)>& progress,
                       std::string_view job) {
  LoopResult loop;
  static const Prefetched k_none;
  const int total = static_cast<int>(days.size());
  int done = 0;
  // Asks for days [from, from + count) ahead, each when the budget has room for all of its
  // calls (as the check before each day would ask of it), and not asked for already.
  const auto ask_ahead = [&](std::size_t from, std::size_t count) {
    const auto last = std::min(days.size(), from + count);
    for (auto j = from; j < last; ++j) {
      if (ingestor.prepaid(days[j])) {
        continue;
      }
      if (counts_calls && budget.remaining() < ingestor.calls_per_day()) {
        break;
      }
      // A day given in `prefetched` (manual_setup's probe session) still has its other calls:
      // asked for when its turn comes, they would add round trips after the last answer.
      const auto given = prefetched.find(days[j]);
      ingestor.prefetch(days[j], given == prefetched.end() ? k_none : given->second);
    }
  };
  ingestor.pace_restart();
  // The first days' calls at once, as every later day's are, when the source has answered this
  // run already (manual_setup's probe, a session stored): one call after the other would add a
  // round trip per call to the run. Otherwise the first call goes alone, so that a refused key
  // or a spent quota costs one call.
  if (!prefetched.empty() || ingestor.stored_any()) {
    ask_ahead(0, static_cast<std::size_t>(ingestor.lookahead()));
  }
  for (std::size_t i = 0; i < days.size(); ++i) {
    const auto& day = days[i];
    // A prefetched day's first calls are counted already (they were within the budget).
    if (counts_calls && !ingestor.prepaid(day) && budget.remaining() < ingestor.calls_per_day()) {
      loop.stop_reason = budget.exhausted_message();
      loop.stopped_by_quota = true;
      spdlog::warn("{}: stopping before {}: {}", job, core::to_iso(day), *loop.stop_reason);
      break;
    }
    const auto it = prefetched.find(day);
    // The next days (DayIngestor::lookahead) download while this one is written.
    const auto ask_next = [&] { ask_ahead(i + 1, static_cast<std::size_t>(ingestor.lookahead())); };
    const auto outcome =
        ingestor.ingest(day, it == prefetched.end() ? k_none : it->second, ask_next);
    ++done;
    switch (outcome.kind) {
    case DayOutcome::Kind::stored:
      loop.stored.push_back(day);
      loop.rows += outcome.rows;
      loop.warnings += outcome.warnings;
      spdlog::debug("{}: {} stored {} rows ({} warnings)", job, core::to_iso(day), outcome.rows,
                    outcome.warnings);
      // Keeps the staging table (and the merge's scratch file) bounded; each merge still writes
      // each ticker's page once.
      if (ingestor.merge_due()) {
        ingestor.merge_staged();
      } else if (const auto remaining = static_cast<int>(days.size() - i - 1);
                 const int ahead = ingestor.overlap_merge_queue(remaining)) {
        // Against a slow network: merge now, while the next days download, rather than after
        // the last answer (MergePacer).
        ask_ahead(i + 1, static_cast<std::size_t>(ahead));
        const auto moved = ingestor.merge_staged(true);
        spdlog::debug("{}: merged {} staged rows while {} more session(s) download", job, moved,
                      ahead);
      }
      break;
    case DayOutcome::Kind::waiting:
      loop.waiting.push_back(day);
      loop.last_wait_message = outcome.message;
      spdlog::info("{}: {} waiting: {}", job, core::to_iso(day), outcome.message);
      break;
    case DayOutcome::Kind::failed:
      loop.failed.emplace(day, outcome.message);
      spdlog::warn("{}: {} failed: {}", job, core::to_iso(day), outcome.message);
      break;
    case DayOutcome::Kind::stopped:
      loop.stop_failure = outcome.failure;
      loop.stopped_by_quota = outcome.failure == fetch::FailureKind::quota_exhausted;
      loop.stop_reason = outcome.message;
      if (!loop.stopped_by_quota) {
        loop.failed.emplace(day, outcome.message);
      }
      spdlog::error("{}: stopping at {}: {}", job, core::to_iso(day), outcome.message);
      break;
    }
    if (progress) {
      progress(done, total, day);
    }
    if (outcome.kind == DayOutcome::Kind::stopped) {
      break;
    }
  }
  return loop;
}

BackfillRun continue_backfill(JobEnv env, DayIngestor& ingestor, DbCallBudget& budget,
                              bool counts_calls,
                              const std::function<void(int, int, const core::Date&)>& progress,
                              std::string_view job) {
  BackfillRun out;
  store::BackfillStore backfill(env.db, env.calendar);
  {
    // A session stored outside a merge (a retry among the run's own sessions) may let
    // history_start move already.
    store::Database::Transaction txn(env.db);
    backfill.extend_history_start();
    txn.commit();
  }
  std::set<core::Date> tried;
  for (;;) {
    const auto state = backfill.state();
    if (!state) {
      return out;
    }
    out.from = state->from;
    out.history_start = state->history_start;
    std::vector<core::Date> chunk;
    for (const auto& d : state->left) {
      if (!tried.contains(d)) {
        chunk.push_back(d);
      }
    }
    out.left = static_cast<int>(state->left.size());
    if (chunk.empty()) {
      return out;
    }
    auto size = static_cast<std::int64_t>(k_backfill_chunk_sessions);
    if (counts_calls) {
      size = std::min(size, budget.remaining() / ingestor.calls_per_day());
      if (size == 0) {
        out.loop.stop_reason = budget.exhausted_message();
        out.loop.stopped_by_quota = true;
        spdlog::info("{}: history backfill: {} session(s) left; {}", job, out.left,
                     *out.loop.stop_reason);
        return out;
      }
    }
    if (static_cast<std::int64_t>(chunk.size()) > size) {
      chunk.resize(static_cast<std::size_t>(size));
    }
    std::reverse(chunk.begin(), chunk.end()); // oldest first: appends to each ticker's rows
    tried.insert(chunk.begin(), chunk.end());
    spdlog::info("{}: history backfill: {} session(s) ({}), {} left before them", job, chunk.size(),
                 date_span(chunk), out.left - static_cast<int>(chunk.size()));
    LoopResult loop;
    {
      StagingScope staging(ingestor, true);
      loop = ingest_days(ingestor, budget, counts_calls, chunk, {}, progress, job);
      staging.merge(); // history_start moves back in the merge's transaction
    }
    out.loop.stored.insert(out.loop.stored.end(), loop.stored.begin(), loop.stored.end());
    out.loop.waiting.insert(out.loop.waiting.end(), loop.waiting.begin(), loop.waiting.end());
    out.loop.failed.insert(loop.failed.begin(), loop.failed.end());
    out.loop.rows += loop.rows;
    out.loop.warnings += loop.warnings;
    if (!loop.waiting.empty()) {
      out.loop.last_wait_message = loop.last_wait_message;
    }
    if (loop.stop_reason || loop.stored.empty()) {
      out.loop.stop_reason = loop.stop_reason;
      out.loop.stopped_by_quota = loop.stopped_by_quota;
      out.loop.stop_failure = loop.stop_failure;
      const auto after = backfill.state();
      out.history_start = after ? after->history_start : out.history_start;
      out.left = after ? static_cast<int>(after->left.size()) : 0;
      return out;
    }
  }
}

JobResult finish_ingest_run(JobEnv env, RunRecorder& run, std::string_view job,
                            const LoopResult& loop, int planned, int left_for_later,
                            std::int64_t calls, const BackfillRun* backfill) {
  JobResult result;
  auto& s = result.run;
  s.days_done = static_cast<int>(loop.stored.size());
  s.rows_written = loop.rows;
  s.api_calls = calls;
  s.items_done = static_cast<std::int64_t>(loop.stored.size());
  s.items_remaining = planned - static_cast<std::int64_t>(loop.stored.size()) + left_for_later;
  std::vector<core::Date> touched = loop.stored;
  for (const auto& [d, why] : loop.failed) {
    touched.push_back(d);
  }
  touched.insert(touched.end(), loop.waiting.begin(), loop.waiting.end());
  bool backfill_failed = false;
  if (backfill != nullptr) {
    const auto& b = backfill->loop;
    s.days_done += static_cast<int>(b.stored.size());
    s.rows_written += b.rows;
    touched.insert(touched.end(), b.stored.begin(), b.stored.end());
    for (const auto& [d, why] : b.failed) {
      touched.push_back(d);
    }
    backfill_failed = !b.failed.empty() || (b.stop_failure && !b.stopped_by_quota);
  }
  std::sort(touched.begin(), touched.end());
  if (!touched.empty()) {
    s.session_from = touched.front();
    s.session_to = touched.back();
  }

  const bool failed =
      !loop.failed.empty() || (loop.stop_failure && !loop.stopped_by_quota) || backfill_failed;
  if (failed) {
    s.outcome = state::RunOutcome::failed;
    result.exit_code = core::ExitCode::failed;
  } else if (loop.stopped_by_quota || left_for_later > 0) {
    s.outcome = state::RunOutcome::partial;
  } else {
    s.outcome = state::RunOutcome::succeeded;
  }

  std::string text = std::to_string(loop.stored.size()) + " session(s) stored";
  if (!loop.stored.empty()) {
    text += " (" + date_span(loop.stored) + ", " + std::to_string(loop.rows) + " rows" +
            (loop.warnings > 0 ? ", " + std::to_string(loop.warnings) + " data-quality warnings"
                               : std::string()) +
            ")";
  }
  if (!loop.waiting.empty()) {
    text += "; " + std::to_string(loop.waiting.size()) + " waiting for publication (" +
            date_span(loop.waiting) + ")";
  }
  for (const auto& [d, why] : loop.failed) {
    text += "; " + core::to_iso(d) + " FAILED: " + why;
  }
  if (loop.stopped_by_quota && loop.stop_reason) {
    text += "; stopped: " + *loop.stop_reason;
  }
  if (left_for_later > 0) {
    text +=
        "; " + std::to_string(left_for_later) + " session(s) left for the next run (--max-days)";
  }
  if (backfill != nullptr && backfill->from) {
    text += "; " + backfill_text(*backfill);
  }
  const auto mark = store::JobStore(env.db).job(store::k_job_daily_update).last_success_date;
  text += "; mark " + (mark ? core::to_iso(*mark) : std::string("none"));
  text += "; " + std::to_string(calls) + " KRX call(s)";
  s.message = text;

  result.stored_nothing = failed && s.days_done == 0;
  if (loop.stop_failure && fetch::refuses_key(*loop.stop_failure)) {
    result.key_refused = loop.stop_reason;
  } else if (backfill != nullptr && backfill->loop.stop_failure &&
             fetch::refuses_key(*backfill->loop.stop_failure)) {
    result.key_refused = backfill->loop.stop_reason;
  }

  run.finish(s);
  result.summary = std::string(job) + ": " + std::string(state::to_string(s.outcome)) + ": " +
                   text + "; " + std::to_string(run.elapsed_ms()) + " ms";
  return result;
}

} // namespace krxbatch::jobs
