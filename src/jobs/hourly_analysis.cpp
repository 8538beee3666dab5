#include "krxbatch/jobs/hourly_analysis.hpp"

#include "krxbatch/analysis/bar_set.hpp"
#include "krxbatch/analysis/ranking.hpp"
#include "krxbatch/analysis/score.hpp"
#include "krxbatch/jobs/watchlist_alerts.hpp"
#include "krxbatch/store/analysis_store.hpp"
#include "krxbatch/store/bar_loader.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/store/price_store.hpp"
#include "krxbatch/store/target_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

namespace krxbatch::jobs {
namespace {

constexpr std::string_view k_job = store::k_job_hourly_analysis;
const std::string k_failure_alert_key = "analysis_failures:hourly_analysis";
const std::string k_all_failed_alert_key = "analysis_all_failed:hourly_analysis";
// WAL pages between checkpoints during a run (~64 MB; a whole-universe run writes ~25 MB).
constexpr int k_run_autocheckpoint_pages = 16384;

// What a run works on: the sessions still to be scored (newest first), each read over its own
// window of sessions.
struct RunPlan {
  core::Date mark;                  // daily_update's mark: nothing newer is analysed
  std::string lag_note;             // "daily_update has not completed ...", or empty
  std::vector<core::Date> sessions; // newest first
  std::optional<core::Date> from;   // --from/--to, when given
  core::Date to;
};

core::Date daily_mark(JobEnv env) {
  const auto mark = store::JobStore(env.db).job(store::k_job_daily_update).last_success_date;
  if (!mark) {
    throw core::usage_error("hourly_analysis: daily_update has no mark yet, so no session is "
                            "complete to analyse; run `krxbatch manual_setup` first");
  }
  return *mark;
}

std::string lag_note(JobEnv env, const core::Date& mark, const core::KstTime& now) {
  const auto latest = env.calendar.latest_published_session(now);
  return latest > mark ? "daily_update has not completed " + core::to_iso(latest) + "; analysing " +
                             core::to_iso(mark)
                       : std::string();
}

// The sessions of --from/--to: every one must have its prices stored. Adds them to the
// sessions tracked, so that the scheduled runs finish them too when this run cannot.
std::vector<core::Date> plan_range(JobEnv env, const HourlyAnalysisOptions& options,
                                   const core::Date& mark, const core::KstTime& now) {
  const auto from = *options.from;
  const auto to = options.to.value_or(mark);
  if (from > to) {
    throw core::usage_error("hourly_analysis: --from " + core::to_iso(from) + " is after --to " +
                            core::to_iso(to));
  }
  if (to > mark) {
    throw core::usage_error("hourly_analysis: --to " + core::to_iso(to) +
                            " is after daily_update's mark " + core::to_iso(mark) +
                            "; only complete sessions are analysed (run daily_update first)");
  }
  if (!env.calendar.covers(from) || !env.calendar.covers(to)) {
    throw core::usage_error("hourly_analysis: --from " + core::to_iso(from) +
                            " is outside the holiday files' years (holidays/)");
  }
  auto days = env.calendar.business_days(from, to);
  if (days.empty()) {
    throw core::usage_error("hourly_analysis: no KRX session between " + core::to_iso(from) +
                            " and " + core::to_iso(to));
  }
  const auto stored = store::PriceStore(env.db).stored_sessions(days.front(), days.back());
  for (const auto& d : days) {
    if (!std::binary_search(stored.begin(), stored.end(), d)) {
      throw core::usage_error("hourly_analysis: no prices are stored for " + core::to_iso(d) +
                              " (between --from and --to); load them first with `krxbatch "
                              "daily_update --from " +
                              core::to_iso(d) + "` (nothing was changed)");
    }
  }
  store::AnalysisStore(env.db).track(days, now);
  return days;
}

RunPlan plan_run(JobEnv env, const HourlyAnalysisOptions& options, const core::KstTime& now) {
  RunPlan plan;
  plan.mark = daily_mark(env);
  plan.lag_note = lag_note(env, plan.mark, now);
  plan.to = plan.mark;
  auto incomplete = store::AnalysisStore(env.db).incomplete_sessions(env.calendar);
  if (options.from) {
    const auto days = plan_range(env, options, plan.mark, now);
    plan.from = days.front();
    plan.to = days.back();
    // Tracked now: the incomplete sessions include them.
    incomplete = store::AnalysisStore(env.db).incomplete_sessions(env.calendar);
    std::erase_if(incomplete, [&](const core::Date& d) { return d < *plan.from || d > plan.to; });
  }
  plan.sessions = std::move(incomplete);
  return plan;
}

// Why series `i` cannot be analysed, if it cannot: no bars, or a close that is not a price
// (the analysis divides by closes).
std::optional<std::string> data_error(const analysis::BarSet& bars, std::size_t i) {
  if (bars.bar_count(i) == 0) {
    return "no prices stored between " + core::to_iso(bars.sessions.front()) + " and " +
           core::to_iso(bars.sessions.back());
  }
  const auto view = bars.view(i);
  const auto sessions = bars.bar_sessions(i);
  for (std::size_t t = 0; t < view.size(); ++t) {
    const double c = view.close[t];
    const bool finite = std::isfinite(view.open[t]) && std::isfinite(view.high[t]) &&
                        std::isfinite(view.low[t]) && std::isfinite(c) &&
                        std::isfinite(view.volume[t]) && std::isfinite(view.value[t]);
    if (!finite || !(c > 0.0)) {
      return "the close stored for " + core::to_iso(bars.sessions[sessions[t]]) + " (" +
             std::to_string(c) +
             ") is not a price; reload that session with `krxbatch "
             "daily_update --from " +
             core::to_iso(bars.sessions[sessions[t]]) + "`";
    }
  }
  return std::nullopt;
}

// Analyses one stock of a loaded chunk, or says why its data cannot be analysed. A stock
// without bars in the window whose first price row comes after it was not listed yet on the
// session (a past session scored for today's universe): not on the session, not eligible, no
// error.
void analyse_series(const analysis::BarSet& bars, std::size_t i, const std::string& ticker,
                    store::BarLoader& loader, analysis::StockAnalyser& analyser,
                    std::vector<double>& aligned, analysis::StockAnalysis& out,
                    std::optional<std::string>& error) {
  error = data_error(bars, i);
  if (error) {
    out = analysis::StockAnalysis{};
    out.bars = bars.bar_count(i);
    if (bars.bar_count(i) == 0) {
      if (const auto first = loader.first_session(ticker); first && *first > bars.sessions.back()) {
        error.reset();
        out.eligibility.flags = static_cast<std::uint32_t>(analysis::Flag::not_on_session);
        out.eligibility.eligible = false;
        std::fill(out.factors.begin(), out.factors.end(), std::numeric_limits<double>::quiet_NaN());
        std::fill(out.indicators.begin(), out.indicators.end(),
                  std::numeric_limits<double>::quiet_NaN());
        out.close = std::numeric_limits<double>::quiet_NaN();
      }
    }
    return;
  }
  bars.aligned_index(i, aligned);
  analyser.analyse(bars.view(i), aligned, bars.ends_on_last_session(i), out);
}

// A chunk of the queue as a worker hands it to the writer.
struct Chunk {
  std::size_t begin = 0; // positions in the queue
  std::size_t end = 0;
  std::vector<analysis::StockAnalysis> analysed;
  std::vector<std::optional<std::string>> errors;
  std::size_t computed = 0; // analysed: always a prefix of [begin, end)
  std::exception_ptr failure;
  bool ready = false;
};

// Loading and computing, off the writing thread. Each worker has its own read-only connection
// (WAL lets readers run beside the writer; SQLite decoding is most of the run's CPU, so two
// readers on two cores halve it), claims the next chunk of the queue, loads its bars with one
// query, analyses its stocks in order, checking the budget before each, and publishes it. The
// writer consumes chunks in queue order, so what it commits is always a prefix of the queue.
// Once a chunk comes out short (the budget ran out) or failed, later chunks are not worked on.
class AnalysisPipeline {
public:
  AnalysisPipeline(const std::string& db_path, std::span<const std::string> queue,
                   std::span<const core::Date> window, const RunBudget& budget, unsigned workers,
                   std::size_t chunk_size)
      : m_queue(queue), m_window(window), m_budget(budget) {
    for (std::size_t b = 0; b < queue.size(); b += chunk_size) {
      Chunk c;
      c.begin = b;
      c.end = std::min(queue.size(), b + chunk_size);
      m_chunks.push_back(std::move(c));
    }
    const std::size_t count =
        std::clamp<std::size_t>(workers, 1, std::max<std::size_t>(1, m_chunks.size()));
    store::OpenOptions read_only;
    read_only.read_only = true;
    for (std::size_t k = 0; k < count; ++k) {
      // Opened here, so that a failure to open surfaces on the caller's thread.
      m_workers.push_back(std::make_unique<Worker>(db_path, read_only));
    }
    try {
      for (auto& w : m_workers) {
        m_threads.emplace_back([this, worker = w.get()] { work(*worker); });
      }
    } catch (...) {
      stop(); // a thread could not start: join those that did before unwinding
      throw;
    }
  }
  ~AnalysisPipeline() { stop(); }
  AnalysisPipeline(const AnalysisPipeline&) = delete;
  AnalysisPipeline& operator=(const AnalysisPipeline&) = delete;

  std::size_t chunk_count() const { return m_chunks.size(); }

  // Waits for chunk `c` and returns it; rethrows what stopped its worker. Call in order.
  Chunk& wait(std::size_t c) {
    std::unique_lock lock(m_mutex);
    m_ready.wait(lock, [&] { return m_chunks[c].ready; });
    if (m_chunks[c].failure) {
      std::rethrow_exception(m_chunks[c].failure);
    }
    return m_chunks[c];
  }
  // Frees a chunk's results once written.
  void release(std::size_t c) {
    std::lock_guard lock(m_mutex);
    m_chunks[c].analysed = {};
    m_chunks[c].errors = {};
  }

private:
  void stop() {
    m_cancel = true;
    for (auto& t : m_threads) {
      t.join();
    }
    m_threads.clear();
  }

  struct Worker {
    Worker(const std::string& path, const store::OpenOptions& options)
        : db(path, options), loader(db) {}
    store::Database db;
    store::BarLoader loader;
    analysis::BarSet bars;
    analysis::StockAnalyser analyser;
    std::vector<double> aligned;
    std::vector<analysis::StockAnalysis> analysed;
    std::vector<std::optional<std::string>> errors;
  };

  void work(Worker& w) {
    for (;;) {
      const std::size_t c = m_next.fetch_add(1);
      if (c >= m_chunks.size()) {
        return;
      }
      // A claimed chunk is always published, if only empty: the writer may be waiting on it.
      const auto begin = m_chunks[c].begin;
      const auto end = m_chunks[c].end;
      std::size_t computed = 0;
      std::exception_ptr failure;
      try {
        if (!m_cancel && !m_budget.exhausted()) {
          w.loader.load(m_queue.subspan(begin, end - begin), m_window, w.bars);
          const std::size_t n = end - begin;
          w.analysed.resize(n);
          w.errors.resize(n);
          while (computed < n && !m_budget.exhausted()) {
            analyse_series(w.bars, computed, m_queue[begin + computed], w.loader, w.analyser,
                           w.aligned, w.analysed[computed], w.errors[computed]);
            ++computed;
          }
        }
      } catch (...) {
        failure = std::current_exception();
      }
      if (failure || computed < end - begin) {
        m_cancel = true;
      }
      {
        std::lock_guard lock(m_mutex);
        auto& chunk = m_chunks[c];
        chunk.analysed.assign(w.analysed.begin(),
                              w.analysed.begin() + static_cast<std::ptrdiff_t>(computed));
        chunk.errors.assign(w.errors.begin(),
                            w.errors.begin() + static_cast<std::ptrdiff_t>(computed));
        chunk.computed = computed;
        chunk.failure = failure;
        chunk.ready = true;
      }
      m_ready.notify_all();
    }
  }

  std::span<const std::string> m_queue;
  std::span<const core::Date> m_window;
  const RunBudget& m_budget;
  std::vector<Chunk> m_chunks;
  std::vector<std::unique_ptr<Worker>> m_workers;
  std::vector<std::thread> m_threads;
  std::mutex m_mutex;
  std::condition_variable m_ready;
  std::atomic<std::size_t> m_next{0};
  std::atomic<bool> m_cancel{false};
};

struct RankOutcome {
  bool ranked = false;
  std::size_t eligible = 0;
};

// Ranks `session` when every active target has been analysed for it, records it ranked in
// analysis_sessions and, when it is newer than the job's mark, as the mark (the newest ranked
// session), and raises the watchlist digest of a session at least as new as the mark
// (watchlist_alerts.hpp), in one transaction.
RankOutcome rank_if_complete(JobEnv env, store::AnalysisStore& results, const core::Date& session,
                             double watchlist_threshold) {
  const auto now = env.clock.now_kst();
  store::Database::Transaction txn(env.db);
  const auto progress = results.progress(session);
  if (progress.analysed < progress.active) {
    return {};
  }
  const auto rows = results.ranking_rows(session);
  std::vector<analysis::RankInput> inputs;
  std::vector<std::string> tickers;
  inputs.reserve(rows.size());
  tickers.reserve(rows.size());
  RankOutcome outcome{true, 0};
  for (const auto& r : rows) {
    inputs.push_back(r.input);
    tickers.push_back(r.ticker);
    outcome.eligible += r.input.eligible ? 1 : 0;
  }
  const auto scores = analysis::rank_session(inputs);
  results.write_scores(session, tickers, scores, now);
  results.set_ranked(session, now);
  store::JobStore jobs(env.db);
  const auto mark = jobs.job(k_job).last_success_date;
  if (!mark || *mark < session) {
    jobs.set_mark(k_job, session, now);
  }
  if (!mark || *mark <= session) {
    raise_watchlist_digest(env, session, watchlist_threshold);
  }
  txn.commit();
  return outcome;
}

// "50 min", "90 s", "0 s".
std::string budget_text(std::optional<std::chrono::milliseconds> limit) {
  const auto seconds = limit ? limit->count() / 1000 : 0;
  return seconds >= 60 && seconds % 60 == 0 ? std::to_string(seconds / 60) + " min"
                                            : std::to_string(seconds) + " s";
}

std::string percent(std::int64_t part, std::int64_t whole) {
  return std::to_string(whole > 0 ? (100 * part + whole / 2) / whole : 0) + "%";
}

std::string sessions_text(const core::Date& first, const core::Date& last) {
  return first == last ? core::to_iso(first) : core::to_iso(first) + ".." + core::to_iso(last);
}

// The analysis' alert rules, after a run that analysed `done` stocks: more than
// k_analysis_failure_alert_rate of them failed raises the WARN `analysis_failure_rate`; all of
// them failed raises the CRITICAL `analysis_all_failed` instead (the data, not a few stocks,
// is broken). A run below the rate resolves both.
void check_failure_rate(JobEnv env, const std::string& sessions, std::int64_t done,
                        std::int64_t failed, const std::string& first_error) {
  if (done == 0) {
    return;
  }
  store::AlertStore alerts(env.db);
  const auto now = env.clock.now_kst();
  const std::string what = "hourly_analysis: " + std::to_string(failed) + " of " +
                           std::to_string(done) + " stocks (" + percent(failed, done) +
                           ") failed on " + sessions + "; first: " + first_error;
  if (failed == done) {
    alerts.raise(store::AlertSeverity::critical, k_job, "analysis_all_failed",
                 what + "; no stock could be analysed: check the stored prices (`krxbatch "
                        "verify`) and the log",
                 k_all_failed_alert_key, now);
    alerts.resolve(k_failure_alert_key, now);
  } else if (static_cast<double>(failed) >
             k_analysis_failure_alert_rate * static_cast<double>(done)) {
    alerts.raise(store::AlertSeverity::warn, k_job, "analysis_failure_rate", what,
                 k_failure_alert_key, now);
    alerts.resolve(k_all_failed_alert_key, now);
  } else {
    alerts.resolve(k_failure_alert_key, now);
    alerts.resolve(k_all_failed_alert_key, now);
  }
}

JobResult run_one_ticker(JobEnv env, const HourlyAnalysisOptions& options, const RunPlan& plan) {
  const auto& ticker = *options.ticker;
  const auto& session = plan.mark;
  const auto targets = store::TargetStore(env.db).list(false);
  const auto it =
      std::find_if(targets.begin(), targets.end(),
                   [&ticker](const store::TargetTicker& t) { return t.ticker == ticker; });
  if (it == targets.end()) {
    throw core::usage_error("hourly_analysis: --ticker " + ticker +
                            " is not a target ticker (see the target_tickers table)");
  }
  if (!it->active) {
    throw core::usage_error("hourly_analysis: --ticker " + ticker + " left the universe on " +
                            (it->deactivated_date ? core::to_iso(*it->deactivated_date)
                                                  : std::string("an earlier session")) +
                            " and is no longer analysed");
  }
  RunRecorder run(env, k_job, options.args);
  store::AnalysisStore results(env.db);
  analysis::BarSet bars;
  store::BarLoader loader(env.db);
  loader.load(std::span(&ticker, 1), env.calendar.sessions_ending(session, options.window_sessions),
              bars);
  analysis::StockAnalyser analyser;
  std::vector<double> aligned;
  std::vector<analysis::StockAnalysis> analysed(1);
  std::vector<std::optional<std::string>> errors(1);
  analyse_series(bars, 0, ticker, loader, analyser, aligned, analysed.front(), errors.front());

  const auto hourly_mark = store::JobStore(env.db).job(k_job).last_success_date;
  const bool was_ranked = hourly_mark && *hourly_mark >= session;
  {
    store::Database::Transaction txn(env.db);
    results.write({ticker, session, analysed.front(), errors.front()}, env.clock.now_kst());
    txn.commit();
  }
  RankOutcome ranked;
  if (was_ranked) {
    ranked = rank_if_complete(env, results, session, options.watchlist_threshold);
  }

  JobResult result;
  auto& s = result.run;
  s.session_from = s.session_to = session;
  s.items_done = 1;
  s.rows_written = 1;
  std::string text = "session " + core::to_iso(session) + ": " + ticker + " ";
  if (errors.front()) {
    s.outcome = state::RunOutcome::failed;
    result.exit_code = core::ExitCode::failed;
    text += "FAILED: " + *errors.front();
  } else {
    s.outcome = state::RunOutcome::succeeded;
    const auto& e = analysed.front().eligibility;
    text += "recomputed (" + std::string(e.eligible ? "eligible" : "not eligible") +
            (e.flags != 0 ? "; " + analysis::flags_text(e.flags) : std::string()) + ")";
  }
  if (ranked.ranked) {
    text += "; session ranked again (" + std::to_string(ranked.eligible) + " eligible)";
  }
  if (!plan.lag_note.empty()) {
    text += "; " + plan.lag_note;
  }
  s.message = text;
  run.finish(s);
  result.summary = "hourly_analysis: " + std::string(state::to_string(s.outcome)) + ": " + text +
                   "; " + std::to_string(run.elapsed_ms()) + " ms";
  return result;
}

// What a run did on one session.
struct SessionWork {
  core::Date session;
  std::int64_t active = 0; // active targets
  std::int64_t queued = 0; // not analysed when the run came to it
  std::int64_t done = 0;   // analysed by this run
  std::int64_t failed = 0; // of which with an error
  std::string first_error; // "<ticker>: <error>"
  RankOutcome ranked;
  bool out_of_time = false; // the budget ran out in it
};

// Where the time goes (logged at debug level; see docs/SCORING.md "Speed").
struct Timing {
  using Ms = std::chrono::duration<double, std::milli>;
  Ms wait{0};
  Ms write{0};
  Ms rank{0};
};

// Analyses the queue of `session` within the budget and at most `limit` stocks, and ranks the
// session when nothing is left.
SessionWork analyse_session(JobEnv env, const HourlyAnalysisOptions& options,
                            const core::Date& session, const RunBudget& budget, std::size_t limit,
                            std::size_t& written, Timing& timing) {
  store::AnalysisStore results(env.db);
  SessionWork work;
  work.session = session;
  work.active = results.progress(session).active;
  const auto candidates = results.candidates(session);
  work.queued = static_cast<std::int64_t>(candidates.size());
  const std::size_t count = std::min(candidates.size(), limit);
  spdlog::info("hourly_analysis: session {}: {} of {} targets to analyse{}", core::to_iso(session),
               candidates.size(), work.active,
               count < candidates.size() ? " (quota " + std::to_string(count) + ")" : "");
  std::vector<std::string> queue;
  queue.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    queue.push_back(candidates[i].ticker);
  }
  const auto window = env.calendar.sessions_ending(session, options.window_sessions);
  const auto since = [](std::chrono::steady_clock::time_point t) {
    return Timing::Ms(std::chrono::steady_clock::now() - t);
  };
  if (!queue.empty()) {
    AnalysisPipeline pipeline(env.db.path(), queue, window, budget, options.threads,
                              std::max<std::size_t>(1, options.load_chunk));
    const std::size_t batch = std::max<std::size_t>(1, options.batch_size);
    for (std::size_t c = 0; c < pipeline.chunk_count(); ++c) {
      auto t0 = std::chrono::steady_clock::now();
      const auto& chunk = pipeline.wait(c);
      timing.wait += since(t0);
      t0 = std::chrono::steady_clock::now();
      for (std::size_t first = 0; first < chunk.computed; first += batch) {
        const std::size_t last = std::min(chunk.computed, first + batch);
        const auto computed_at = env.clock.now_kst();
        store::Database::Transaction txn(env.db);
        for (std::size_t i = first; i < last; ++i) {
          results.write({queue[chunk.begin + i], session, chunk.analysed[i], chunk.errors[i]},
                        computed_at);
          if (options.after_write) {
            options.after_write(written + i - first + 1);
          }
        }
        txn.commit();
        written += last - first;
        if (options.after_commit) {
          options.after_commit(written);
        }
      }
      timing.write += since(t0);
      for (std::size_t i = 0; i < chunk.computed; ++i) {
        if (const auto& error = chunk.errors[i]) {
          const auto& ticker = queue[chunk.begin + i];
          if (work.failed == 0) {
            work.first_error = ticker + ": " + *error;
          }
          ++work.failed;
          spdlog::warn("hourly_analysis: {} failed on {}: {}", ticker, core::to_iso(session),
                       *error);
        }
      }
      work.done += static_cast<std::int64_t>(chunk.computed);
      const bool short_chunk = chunk.computed < chunk.end - chunk.begin;
      pipeline.release(c);
      if (short_chunk) {
        work.out_of_time = true;
        break;
      }
    }
  } else if (!candidates.empty()) {
    work.out_of_time = budget.exhausted();
  }
  if (work.done == work.queued) {
    const auto t0 = std::chrono::steady_clock::now();
    work.ranked = rank_if_complete(env, results, session, options.watchlist_threshold);
    timing.rank += since(t0);
  }
  return work;
}

// The summary of a run over one session, as it has always read.
std::string one_session_text(const SessionWork& w, const RunBudget& budget, std::size_t limit) {
  const auto remaining = w.queued - w.done;
  std::string text = "session " + core::to_iso(w.session) + ": " + std::to_string(w.done) +
                     " analysed, " + std::to_string(w.failed) + " failed, " +
                     std::to_string(remaining) + " remaining of " + std::to_string(w.active) +
                     " targets";
  if (w.failed > 0) {
    text += " (first error: " + w.first_error + ")";
  }
  if (w.ranked.ranked) {
    text += "; session ranked (" + std::to_string(w.ranked.eligible) + " eligible)";
  } else if (w.out_of_time) {
    text += "; stopped: the time budget of " + budget_text(budget.limit()) +
            " ran out; the next run resumes";
  } else if (remaining > 0 && static_cast<std::size_t>(w.done) == limit) {
    text += "; stopped: quota of " + std::to_string(limit) + " reached; the next run resumes";
  } else if (remaining == 0) {
    text += "; not ranked: targets were added meanwhile; the next run analyses them";
  }
  return text;
}

// Works the plan's sessions, newest first, inside one budget and one quota.
JobResult analyse_sessions(JobEnv env, const HourlyAnalysisOptions& options, const RunPlan& plan,
                           RunRecorder& run) {
  store::AnalysisStore results(env.db);
  const RunBudget budget(options.started, options.budget, options.monotonic_now);
  const std::size_t quota =
      options.quota ? static_cast<std::size_t>(std::max<std::int64_t>(0, *options.quota))
                    : std::numeric_limits<std::size_t>::max();
  if (plan.sessions.size() > 1) {
    spdlog::info("hourly_analysis: {} sessions to score ({}), newest first", plan.sessions.size(),
                 sessions_text(plan.sessions.back(), plan.sessions.front()));
  }
  // The batches touch pages all over analysis_results and target_tickers; checkpointing
  // every 1000 WAL pages would copy most of them back several times (and fsync each time).
  // Set back before the run is recorded, so that its commit checkpoints; and on an exception.
  std::optional<store::Database::SettingsScope> run_settings;
  run_settings.emplace(
      env.db, store::ConnectionSettings{.wal_autocheckpoint_pages = k_run_autocheckpoint_pages});
  std::vector<SessionWork> worked;
  std::size_t written = 0;
  Timing timing;
  bool out_of_time = false;
  for (const auto& session : plan.sessions) {
    if (budget.exhausted() && !worked.empty()) {
      out_of_time = true;
      break;
    }
    if (written >= quota && !worked.empty()) {
      break;
    }
    worked.push_back(analyse_session(env, options, session, budget,
                                     quota - std::min(quota, written), written, timing));
    if (worked.back().out_of_time) {
      out_of_time = true;
      break;
    }
  }
  spdlog::debug("hourly_analysis: waited {:.0f} ms for {} loading/computing thread(s), wrote "
                "for {:.0f} ms, ranked in {:.0f} ms",
                timing.wait.count(), options.threads, timing.write.count(), timing.rank.count());
  run_settings.reset();

  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::size_t ranked = 0;
  std::string first_error;
  for (const auto& w : worked) {
    done += w.done;
    if (failed == 0 && w.failed > 0) {
      first_error = w.first_error + " (" + core::to_iso(w.session) + ")";
    }
    failed += w.failed;
    ranked += w.ranked.ranked ? 1 : 0;
  }
  // What is left: the unfinished part of the sessions worked, and every session not reached.
  std::int64_t remaining = 0;
  std::size_t sessions_left = 0;
  for (const auto& w : worked) {
    remaining += w.queued - w.done;
    sessions_left += w.ranked.ranked ? 0 : 1;
  }
  const auto not_reached =
      std::span(plan.sessions).subspan(std::min(worked.size(), plan.sessions.size()));
  if (!not_reached.empty()) {
    for (const auto& d : not_reached) {
      remaining += static_cast<std::int64_t>(results.candidates(d).size());
    }
    sessions_left += not_reached.size();
  }
  const auto& newest = plan.sessions.front();
  const auto& oldest = plan.sessions.back();
  const auto worked_text = sessions_text(worked.empty() ? oldest : worked.back().session,
                                         worked.empty() ? newest : worked.front().session);
  check_failure_rate(env, worked_text, done, failed, first_error);

  JobResult result;
  auto& s = result.run;
  s.session_from = worked.empty() ? oldest : worked.back().session;
  s.session_to = worked.empty() ? newest : worked.front().session;
  s.items_done = done;
  s.items_remaining = remaining;
  s.rows_written = done;
  s.days_done = static_cast<int>(ranked);
  if (failed > 0) {
    s.outcome = state::RunOutcome::failed;
    result.exit_code = core::ExitCode::failed;
  } else if (sessions_left == 0) {
    s.outcome = state::RunOutcome::succeeded;
  } else {
    s.outcome = state::RunOutcome::partial;
  }
  std::string text;
  if (plan.sessions.size() == 1 && worked.size() == 1) {
    text = one_session_text(worked.front(), budget, quota);
  } else {
    text = "sessions " + sessions_text(oldest, newest) + ": " + std::to_string(ranked) + " of " +
           std::to_string(plan.sessions.size()) + " ranked, " + std::to_string(done) +
           " stocks analysed, " + std::to_string(failed) + " failed";
    if (failed > 0) {
      text += " (first error: " + first_error + ")";
    }
    if (sessions_left > 0) {
      text += "; " + std::to_string(remaining) + " stocks remaining in " +
              std::to_string(sessions_left) + " session(s)";
      if (out_of_time) {
        text += "; stopped: the time budget of " + budget_text(budget.limit()) +
                " ran out; the next run resumes";
      } else if (written >= quota) {
        text += "; stopped: quota of " + std::to_string(quota) + " reached; the next run resumes";
      } else {
        text += "; not ranked: targets were added meanwhile; the next run analyses them";
      }
    }
  }
  if (!plan.lag_note.empty()) {
    text += "; " + plan.lag_note;
  }
  s.message = text;
  run.finish(s);
  result.summary = "hourly_analysis: " + std::string(state::to_string(s.outcome)) + ": " + text +
                   "; " + std::to_string(run.elapsed_ms()) + " ms";
  return result;
}

} // namespace

JobResult run_hourly_analysis(JobEnv env, const HourlyAnalysisOptions& options) {
  store::JobStore jobs(env.db);
  const auto now = env.clock.now_kst();
  if (jobs.job(k_job).state == "running") {
    spdlog::warn("hourly_analysis: the last run stopped before finishing; its committed stocks "
                 "are kept and the queue resumes");
  }
  jobs.recover_stale(k_job, now);

  const auto plan = plan_run(env, options, now);
  if (!plan.lag_note.empty()) {
    spdlog::info("hourly_analysis: {}", plan.lag_note);
  }
  store::AnalysisStore results(env.db);
  const auto active = results.progress(plan.mark).active;
  if (active == 0) {
    throw core::usage_error("hourly_analysis: there are no active target tickers to analyse; "
                            "run `krxbatch manual_setup` to build the universe");
  }
  if (options.ticker) {
    return run_one_ticker(env, options, plan);
  }

  RunRecorder run(env, k_job, options.args);
  if (plan.sessions.empty()) {
    store::RunSummary s;
    s.outcome = state::RunOutcome::skipped;
    s.session_from = plan.from.value_or(plan.mark);
    s.session_to = plan.to;
    s.items_done = 0;
    s.items_remaining = 0;
    s.message = "nothing to do: " +
                (plan.from ? "sessions " + sessions_text(*plan.from, plan.to) + " are"
                           : "session " + core::to_iso(plan.mark) + " is") +
                " analysed and ranked (" + std::to_string(active) + " targets)" +
                (plan.lag_note.empty() ? std::string() : "; " + plan.lag_note);
    run.finish(s);
    return {core::ExitCode::ok, "hourly_analysis: skipped: " + s.message, s};
  }
  try {
    return analyse_sessions(env, options, plan, run);
  } catch (const std::exception& e) {
    run.set_fail_reason(e.what()); // recorded in job_runs when `run` unwinds
    throw;
  }
}

} // namespace krxbatch::jobs
