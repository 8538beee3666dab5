#include "krxbatch/ops/status_report.hpp"

#include "krxbatch/store/analysis_store.hpp"
#include "krxbatch/store/backfill_store.hpp"
#include "krxbatch/store/job_store.hpp"
#include "krxbatch/store/target_store.hpp"

#include "adjustment_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

namespace krxbatch::ops {
namespace {

using nlohmann::ordered_json;

std::optional<long long> unix_of(const std::optional<std::string>& iso_instant) {
  if (!iso_instant) {
    return std::nullopt;
  }
  const auto t = core::parse_instant_to_kst(*iso_instant);
  return t ? std::optional(core::unix_seconds_from_kst(*t)) : std::nullopt;
}

LastRun last_run_of(const store::RunRecord& r) {
  LastRun l;
  l.run_id = r.run_id;
  l.started_at = r.started_at;
  l.finished_at = r.finished_at;
  l.outcome = std::string(state::to_string(r.outcome));
  if (r.finished_at) {
    l.duration_ms = r.summary.duration_ms;
  }
  l.rows_written = r.summary.rows_written;
  l.items_done = r.summary.items_done;
  l.items_remaining = r.summary.items_remaining;
  l.api_calls = r.summary.api_calls;
  l.session_from = r.summary.session_from;
  l.session_to = r.summary.session_to;
  l.message = r.summary.message;
  return l;
}

template <typename T>
ordered_json or_null(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json date_or_null(const std::optional<core::Date>& d) {
  return d ? ordered_json(core::to_iso(*d)) : ordered_json(nullptr);
}

ordered_json last_run_json(const LastRun& l) {
  return ordered_json{{"run_id", l.run_id},
                      {"started_at", l.started_at},
                      {"finished_at", or_null(l.finished_at)},
                      {"outcome", l.outcome},
                      {"duration_seconds",
                       l.duration_ms ? ordered_json(static_cast<double>(*l.duration_ms) / 1000.0)
                                     : ordered_json(nullptr)},
                      {"rows_written", l.rows_written},
                      {"items_done", or_null(l.items_done)},
                      {"items_remaining", or_null(l.items_remaining)},
                      {"krx_calls", l.api_calls},
                      {"session_from", date_or_null(l.session_from)},
                      {"session_to", date_or_null(l.session_to)},
                      {"message", l.message}};
}

std::string or_dash(const std::optional<std::string>& s) {
  return s ? *s : "-";
}

std::string seconds_text(std::int64_t ms) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(ms) / 1000.0 << " s";
  return out.str();
}

std::string one_line(std::string s, std::size_t max) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.size() > max) {
    s.resize(max - 3);
    s += "...";
  }
  return s;
}

ordered_json incomplete_json(const std::vector<IncompleteSession>& sessions) {
  auto out = ordered_json::array();
  for (const auto& s : sessions) {
    out.push_back({{"session", core::to_iso(s.session)},
                   {"scored", s.scored},
                   {"remaining", s.remaining},
                   {"reason", or_null(s.reason)}});
  }
  return out;
}

} // namespace

StatusReport build_status(store::Database& db, const calendar::Calendar& calendar,
                          const core::KstTime& now, const StatusOptions& options) {
  StatusReport r;
  r.database = db.path();
  r.schema_version = db.schema_version();
  r.now = now;
  r.latest_published_session = calendar.latest_published_session(now);
  r.kst_today = now.date();
  r.krx_daily_limit = options.krx_daily_limit;

  const store::JobStore jobs(db);
  std::optional<core::Date> daily_mark;
  std::optional<core::Date> analysis_mark;
  for (auto& s : jobs.jobs()) {
    JobReport j;
    j.job = s.job;
    j.last_success_date = s.last_success_date;
    j.state = s.state;
    if (s.job == store::k_job_daily_update) {
      daily_mark = s.last_success_date;
    } else if (s.job == store::k_job_hourly_analysis) {
      analysis_mark = s.last_success_date;
    }
    if (s.job != store::k_job_manual_setup && s.last_success_date) {
      j.sessions_behind =
          calendar.business_days_between(*s.last_success_date, r.latest_published_session);
    }
    if (s.last_success_date && calendar.covers(*s.last_success_date) &&
        calendar.is_business_day(*s.last_success_date)) {
      j.last_success_unix =
          core::unix_seconds_from_kst(calendar.session_close(*s.last_success_date));
    } else if (const auto ok = jobs.last_run_with(s.job, state::RunOutcome::succeeded)) {
      j.last_success_unix = unix_of(ok->finished_at);
    }
    if (options.running) {
      j.running = options.running(s.job);
    }
    if (const auto last = jobs.last_run(s.job)) {
      j.last_run = last_run_of(*last);
    }
    for (const auto st : {state::DayState::failed, state::DayState::waiting}) {
      for (const auto& d : jobs.days_in_state(s.job, st)) {
        j.days.push_back({d.date, std::string(state::to_string(st)), d.attempts, d.last_error});
      }
    }
    std::sort(j.days.begin(), j.days.end(),
              [](const DayIssue& a, const DayIssue& b) { return a.date < b.date; });
    r.jobs.push_back(std::move(j));
  }

  r.analysis.session = daily_mark;
  for (const auto& t : store::TargetStore(db).list(true)) {
    ++r.analysis.targets;
    if (daily_mark && t.last_analyzed_date && *t.last_analyzed_date >= *daily_mark &&
        t.last_error) {
      ++r.analysis.failed;
    }
  }
  const store::AnalysisStore results(db);
  const auto incomplete = results.incomplete_sessions(calendar);
  const auto analysed = results.analysed_counts(incomplete);
  std::map<core::Date, std::optional<std::string>> reasons;
  for (const auto& s : results.sessions()) {
    if (!s.ranked) {
      reasons.emplace(s.session, s.reason);
    }
  }
  for (std::size_t i = 0; i < incomplete.size(); ++i) {
    const auto scored = static_cast<int>(analysed[i]);
    const auto it = reasons.find(incomplete[i]);
    r.analysis.incomplete.push_back({incomplete[i], scored, r.analysis.targets - scored,
                                     it != reasons.end() ? it->second : std::nullopt});
  }
  if (daily_mark) {
    const bool pending = !incomplete.empty() && incomplete.front() == *daily_mark;
    r.analysis.done = pending ? r.analysis.incomplete.front().scored
                              : static_cast<int>(results.progress(*daily_mark).analysed);
    r.analysis.ranked = !pending && analysis_mark.has_value();
  }
  r.analysis.remaining = r.analysis.targets - r.analysis.done;

  const store::AlertStore alerts(db);
  r.open_alerts = alerts.open_counts();
  r.newest_alerts = alerts.list(false, options.newest);

  r.quality_since = calendar.business_day_back_or_first(r.latest_published_session,
                                                        std::max(0, options.quality_sessions - 1));
  auto issues = store::PriceStore(db).quality_issues(r.quality_since, r.latest_published_session);
  r.quality_count = static_cast<int>(issues.size());
  std::stable_sort(issues.begin(), issues.end(), [](const auto& a, const auto& b) {
    return std::tie(a.trade_date, a.detected_at) > std::tie(b.trade_date, b.detected_at);
  });
  if (issues.size() > static_cast<std::size_t>(options.newest)) {
    issues.resize(static_cast<std::size_t>(options.newest));
  }
  r.newest_quality = std::move(issues);
  r.adjustments = store::AdjustmentStore(db).list(r.quality_since, r.latest_published_session);

  r.krx_calls_today = store::ApiCallStore(db).calls_on(r.kst_today);
  if (const auto state = store::BackfillStore(db, calendar).state()) {
    BackfillReport b;
    b.from = state->from;
    b.history_start = state->history_start;
    b.left = static_cast<int>(state->left.size());
    const auto last = daily_mark ? daily_mark : state->history_start;
    b.sessions = last && *last >= state->from
                     ? static_cast<int>(calendar.business_days(state->from, *last).size())
                     : b.left;
    const auto per_session =
        static_cast<std::int64_t>(fetch::session_endpoints(store::MetaStore(db).markets()).size());
    b.calls_left = b.left * per_session;
    if (b.left > 0) {
      // daily_update's own session comes first each day, and the sessions it is behind (a
      // manual_setup cut short) before the backfill.
      const auto per_day = std::max<std::int64_t>(1, r.krx_daily_limit - per_session);
      const auto left_today = std::max<std::int64_t>(0, r.krx_daily_limit - r.krx_calls_today);
      const auto behind =
          daily_mark ? calendar.business_days_between(*daily_mark, r.latest_published_session) : 0;
      const int days = store::kst_days_for_calls(b.calls_left + std::max(0, behind) * per_session,
                                                 left_today, per_day);
      b.ends = backfill_end_day(r.kst_today, days);
    }
    r.backfill = b;
  }
  if (!options.archive_dir.empty()) {
    r.archive_dir = options.archive_dir;
    r.archive = fetch::archive_usage(options.archive_dir);
  }
  return r;
}

core::Date backfill_end_day(const core::Date& today, int kst_days) {
  auto day = today;
  for (int i = 1; i < kst_days; ++i) {
    do {
      day += boost::gregorian::days(1);
    } while (day.day_of_week() == boost::date_time::Saturday ||
             day.day_of_week() == boost::date_time::Sunday);
  }
  return day;
}

std::string status_json(const StatusReport& r) {
  ordered_json j{{"database", r.database},
                 {"schema_version", r.schema_version},
                 {"now", core::to_iso(r.now)},
                 {"latest_published_session", core::to_iso(r.latest_published_session)}};
  ordered_json jobs = ordered_json::array();
  for (const auto& job : r.jobs) {
    ordered_json o{{"job", job.job}};
    o["last_success_date"] = date_or_null(job.last_success_date);
    o["state"] = job.state;
    o["sessions_behind"] = or_null(job.sessions_behind);
    o["last_success_unix"] = or_null(job.last_success_unix);
    o["running"] = or_null(job.running);
    if (job.last_run) {
      const auto& l = *job.last_run;
      o["last_run"] = last_run_json(l);
    } else {
      o["last_run"] = nullptr;
    }
    ordered_json days = ordered_json::array();
    for (const auto& d : job.days) {
      days.push_back(ordered_json{{"date", core::to_iso(d.date)},
                                  {"state", d.state},
                                  {"attempts", d.attempts},
                                  {"last_error", or_null(d.last_error)}});
    }
    o["days"] = std::move(days);
    jobs.push_back(std::move(o));
  }
  j["jobs"] = std::move(jobs);
  j["analysis"] = ordered_json{{"session", date_or_null(r.analysis.session)},
                               {"targets", r.analysis.targets},
                               {"done", r.analysis.done},
                               {"remaining", r.analysis.remaining},
                               {"ranked", r.analysis.ranked},
                               {"failed", r.analysis.failed},
                               {"incomplete", incomplete_json(r.analysis.incomplete)}};
  ordered_json newest = ordered_json::array();
  for (const auto& a : r.newest_alerts) {
    newest.push_back(ordered_json{{"id", a.id},
                                  {"created_at", a.created_at},
                                  {"severity", std::string(store::to_string(a.severity))},
                                  {"job", a.job},
                                  {"rule", a.rule},
                                  {"message", a.message}});
  }
  j["alerts"] = ordered_json{{"open", r.open_alerts.total()},
                             {"critical", r.open_alerts.critical},
                             {"warn", r.open_alerts.warn},
                             {"info", r.open_alerts.info},
                             {"newest", std::move(newest)}};
  ordered_json quality = ordered_json::array();
  for (const auto& q : r.newest_quality) {
    quality.push_back(
        ordered_json{{"trade_date", core::to_iso(q.trade_date)},
                     {"market", q.market ? ordered_json(std::string(market::to_string(*q.market)))
                                         : ordered_json(nullptr)},
                     {"ticker", q.ticker},
                     {"severity", q.severity},
                     {"rule", q.rule},
                     {"message", q.message},
                     {"detected_at", q.detected_at}});
  }
  j["data_quality"] = ordered_json{{"since", core::to_iso(r.quality_since)},
                                   {"count", r.quality_count},
                                   {"newest", std::move(quality)}};
  j["krx_calls"] =
      ordered_json{{"date", core::to_iso(r.kst_today)},
                   {"used", r.krx_calls_today},
                   {"limit", r.krx_daily_limit},
                   {"remaining", std::max<std::int64_t>(0, r.krx_daily_limit - r.krx_calls_today)}};
  if (r.backfill) {
    const auto& b = *r.backfill;
    j["backfill"] = ordered_json{{"from", core::to_iso(b.from)},
                                 {"history_start", date_or_null(b.history_start)},
                                 {"sessions", b.sessions},
                                 {"stored", b.sessions - b.left},
                                 {"left", b.left},
                                 {"calls_left", b.calls_left},
                                 {"ends", date_or_null(b.ends)}};
  } else {
    j["backfill"] = nullptr;
  }
  ordered_json adjustments = ordered_json::array();
  for (const auto& a : r.adjustments) {
    adjustments.push_back(adjustment_json(a));
  }
  j["price_adjustments"] = ordered_json{{"since", core::to_iso(r.quality_since)},
                                        {"count", r.adjustments.size()},
                                        {"events", std::move(adjustments)}};
  if (r.archive_dir) {
    j["archive"] = ordered_json{{"dir", r.archive_dir->string()},
                                {"files", r.archive.files},
                                {"bytes", r.archive.bytes},
                                {"sessions", r.archive.sessions},
                                {"first", date_or_null(r.archive.first)},
                                {"last", date_or_null(r.archive.last)}};
  } else {
    j["archive"] = nullptr;
  }
  return j.dump(2);
}

std::vector<RunHistoryEntry> run_history(store::Database& db, const std::optional<std::string>& job,
                                         int limit) {
  store::JobStore jobs(db);
  std::vector<RunHistoryEntry> out;
  for (const auto& s : jobs.jobs()) {
    if (job && s.job != *job) {
      continue;
    }
    for (const auto& r : jobs.runs(s.job, limit)) {
      out.push_back({s.job, last_run_of(r)});
    }
  }
  std::sort(out.begin(), out.end(), [](const RunHistoryEntry& a, const RunHistoryEntry& b) {
    return a.run.run_id > b.run.run_id;
  });
  if (out.size() > static_cast<std::size_t>(limit)) {
    out.resize(static_cast<std::size_t>(limit));
  }
  return out;
}

std::string runs_json(const std::vector<RunHistoryEntry>& runs) {
  ordered_json arr = ordered_json::array();
  for (const auto& r : runs) {
    ordered_json o{{"job", r.job}};
    o.update(last_run_json(r.run));
    arr.push_back(std::move(o));
  }
  return ordered_json{{"runs", std::move(arr)}}.dump(2);
}

std::string status_table(const StatusReport& r) {
  std::ostringstream out;
  out << "database  " << r.database << " (schema " << r.schema_version << ")\n"
      << "now       " << core::to_iso(r.now) << "; latest published session "
      << core::to_iso(r.latest_published_session) << "\n\n";
  out << std::left << std::setw(17) << "job" << std::setw(14) << "last success" << std::setw(8)
      << "behind" << std::setw(11) << "state" << std::setw(10) << "duration" << std::setw(11)
      << "rows"
      << "running\n";
  for (const auto& j : r.jobs) {
    const auto mark =
        j.last_success_date ? std::optional(core::to_iso(*j.last_success_date)) : std::nullopt;
    const auto behind = j.sessions_behind ? std::to_string(*j.sessions_behind) : "-";
    const auto duration = j.last_run && j.last_run->duration_ms
                              ? seconds_text(*j.last_run->duration_ms)
                              : std::string("-");
    const auto rows = j.last_run ? std::to_string(j.last_run->rows_written) : "-";
    const auto running = j.running ? (*j.running ? "yes" : "no") : "?";
    out << std::left << std::setw(17) << j.job << std::setw(14) << or_dash(mark) << std::setw(8)
        << behind << std::setw(11) << j.state << std::setw(10) << duration << std::setw(11) << rows
        << running << "\n";
  }
  std::ostringstream details;
  for (const auto& j : r.jobs) {
    if (j.last_run && !j.last_run->message.empty()) {
      details << "\n"
              << j.job << " last run " << j.last_run->run_id << " (" << j.last_run->started_at
              << "): " << one_line(j.last_run->message, 300);
    }
    for (const auto& d : j.days) {
      details << "\n  " << core::to_iso(d.date) << " " << d.state << " after " << d.attempts
              << " attempt(s): " << one_line(d.last_error.value_or("-"), 200);
    }
  }
  out << details.str() << (details.str().empty() ? "" : "\n") << "\nanalysis  ";
  if (r.analysis.session) {
    out << "session " << core::to_iso(*r.analysis.session) << ": " << r.analysis.done << "/"
        << r.analysis.targets << " targets done";
    if (r.analysis.failed > 0) {
      out << " (" << r.analysis.failed << " failed)";
    }
    out << ", " << r.analysis.remaining << " remaining" << (r.analysis.ranked ? ", ranked" : "");
    const auto& incomplete = r.analysis.incomplete;
    if (incomplete.empty()) {
      out << "; every session scored";
    } else {
      out << "; " << incomplete.size() << " session(s) to score";
    }
    constexpr std::size_t k_listed = 5;
    for (std::size_t i = 0; i < incomplete.size() && i < k_listed; ++i) {
      const auto& s = incomplete[i];
      out << "\n  " << core::to_iso(s.session) << " " << s.scored << " scored / " << s.remaining
          << " remaining" << (s.reason ? " (" + *s.reason + ")" : std::string());
    }
    if (incomplete.size() > k_listed) {
      out << "\n  ... and " << incomplete.size() - k_listed << " older, back to "
          << core::to_iso(incomplete.back().session);
    }
  } else {
    out << "no session yet (daily_update has no mark)";
  }
  out << "\nalerts    " << r.open_alerts.total() << " open (" << r.open_alerts.critical
      << " CRITICAL, " << r.open_alerts.warn << " WARN, " << r.open_alerts.info << " INFO)";
  for (const auto& a : r.newest_alerts) {
    out << "\n  #" << a.id << " " << store::to_string(a.severity) << " " << a.created_at << " "
        << a.rule << ": " << one_line(a.message, 200);
  }
  out << "\nquality   " << r.quality_count << " data-quality issue(s) on sessions since "
      << core::to_iso(r.quality_since);
  for (const auto& q : r.newest_quality) {
    out << "\n  " << core::to_iso(q.trade_date) << " " << q.ticker << " " << q.severity << " "
        << q.rule << ": " << one_line(q.message, 160);
  }
  out << "\nactions   " << r.adjustments.size() << " corporate action(s) on sessions since "
      << core::to_iso(r.quality_since);
  for (const auto& a : r.adjustments) {
    out << "\n  " << adjustment_line(a);
  }
  out << "\nKRX calls " << r.krx_calls_today << " of " << r.krx_daily_limit << " used today ("
      << core::to_iso(r.kst_today) << " KST)\n";
  if (r.backfill) {
    const auto& b = *r.backfill;
    out << "backfill  history back to " << core::to_iso(b.from) << ": " << b.sessions - b.left
        << " of " << b.sessions << " session(s) stored";
    if (b.history_start) {
      out << " (history from " << core::to_iso(*b.history_start) << ")";
    }
    if (b.ends) {
      out << "; " << b.left << " left, " << b.calls_left << " KRX calls: ends about "
          << core::to_iso(*b.ends) << " KST at the daily limit (the scheduled daily_update "
          << "runs continue it)\n";
    } else {
      out << "; complete\n";
    }
  }
  if (r.archive_dir) {
    const auto& a = r.archive;
    out << "archive   " << r.archive_dir->string() << ": " << a.files << " answer(s) of "
        << a.sessions << " session(s)";
    if (a.first && a.last) {
      out << " (" << core::to_iso(*a.first) << " to " << core::to_iso(*a.last) << ")";
    }
    out << ", " << std::fixed << std::setprecision(1)
        << static_cast<double>(a.bytes) / (1024.0 * 1024.0) << " MiB\n";
  } else {
    out << "archive   off (archive_dir = off)\n";
  }
  return out.str();
}

} // namespace krxbatch::ops
