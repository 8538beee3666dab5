#include "krxbatch/ops/verify.hpp"

#include "krxbatch/analysis/adjustment.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/reparse.hpp"
#include "krxbatch/ops/universe.hpp"
#include "krxbatch/store/db_file.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace krxbatch::ops {
namespace {

constexpr std::size_t k_examples = 20;
constexpr double k_outlier_ratio = 0.10;
constexpr double k_partial_ratio = 0.50;

std::string iso(const core::Date& d) {
  return core::to_iso(d);
}

// "2024-01-02, 2024-01-03 and 5 more".
std::string date_list(const std::vector<core::Date>& dates, std::size_t shown = 10) {
  std::string out;
  for (std::size_t i = 0; i < dates.size() && i < shown; ++i) {
    out += (i == 0 ? "" : ", ") + iso(dates[i]);
  }
  if (dates.size() > shown) {
    out += " and " + std::to_string(dates.size() - shown) + " more";
  }
  return out;
}

} // namespace

std::string_view to_string(Level level) {
  switch (level) {
  case Level::error:
    return "ERROR";
  case Level::warn:
    return "WARN";
  case Level::info:
    return "INFO";
  }
  return "?";
}

std::vector<Finding> check_markets(std::span<const store::SessionMarketCount> counts,
                                   std::span<const core::Date> index_sessions,
                                   std::span<const market::Market> markets) {
  std::map<core::Date, std::set<std::string>> by_session;
  for (const auto& c : counts) {
    by_session[c.session].insert(c.market);
  }
  const std::set<core::Date> with_index(index_sessions.begin(), index_sessions.end());
  std::vector<Finding> out;
  for (const auto& [session, present] : by_session) {
    std::string missing;
    std::string have;
    for (const auto m : markets) {
      const std::string name(market::to_string(m));
      if (!present.contains(name)) {
        missing += (missing.empty() ? "" : ", ") + name;
      } else {
        have += (have.empty() ? "" : ", ") + name;
      }
    }
    if (!missing.empty()) {
      out.push_back({Level::error, "missing_market",
                     iso(session) + ": price rows for " + (have.empty() ? "other markets" : have) +
                         " but none for " + missing +
                         "; reload it with `krxbatch daily_update --from " + iso(session) +
                         " --to " + iso(session) + "`"});
    }
    if (!with_index.contains(session)) {
      out.push_back({Level::error, "missing_market",
                     iso(session) +
                         ": price rows but no index rows; reload it with `krxbatch "
                         "daily_update --from " +
                         iso(session) + " --to " + iso(session) + "`"});
    }
  }
  for (const auto& session : with_index) {
    if (!by_session.contains(session)) {
      out.push_back(
          {Level::warn, "missing_market", iso(session) + ": index rows but no price rows"});
    }
  }
  return out;
}

std::vector<Finding> check_row_counts(std::span<const store::SessionMarketCount> counts) {
  std::map<std::string, std::vector<const store::SessionMarketCount*>> by_market;
  for (const auto& c : counts) {
    by_market[c.market].push_back(&c);
  }
  std::vector<Finding> out;
  for (const auto& [market, series] : by_market) {
    for (std::size_t i = 0; i < series.size(); ++i) {
      // The sessions either side; at either end of the history, the two nearest on the one
      // side (so one odd session next to the first or last one flags only itself).
      std::vector<std::int64_t> neighbours;
      if (i > 0 && i + 1 < series.size()) {
        neighbours = {series[i - 1]->rows, series[i + 1]->rows};
      } else if (i == 0 && series.size() >= 3) {
        neighbours = {series[1]->rows, series[2]->rows};
      } else if (i + 1 == series.size() && series.size() >= 3) {
        neighbours = {series[i - 1]->rows, series[i - 2]->rows};
      } else {
        continue; // too short a history to tell
      }
      const auto n = static_cast<double>(series[i]->rows);
      const bool partial = std::all_of(neighbours.begin(), neighbours.end(), [&](auto m) {
        return n < k_partial_ratio * static_cast<double>(m);
      });
      const bool outlier = std::all_of(neighbours.begin(), neighbours.end(), [&](auto m) {
        return std::abs(n - static_cast<double>(m)) > k_outlier_ratio * static_cast<double>(m);
      });
      if (!partial && !outlier) {
        continue;
      }
      std::string around;
      for (std::size_t k = 0; k < neighbours.size(); ++k) {
        around += (k == 0 ? "" : " and ") + std::to_string(neighbours[k]);
      }
      out.push_back(
          {partial ? Level::error : Level::warn, "row_count",
           iso(series[i]->session) + ": " + std::to_string(series[i]->rows) + " " + market +
               " rows against " + around + " on the neighbouring session(s)" +
               (partial ? "; it looks partial: reload it with `krxbatch daily_update --from " +
                              iso(series[i]->session) + " --to " + iso(series[i]->session) + "`"
                        : std::string(" (more than 10% apart)"))});
    }
  }
  return out;
}

std::vector<Finding> check_sessions(const calendar::Calendar& calendar,
                                    std::span<const core::Date> stored,
                                    const std::optional<core::Date>& history_start,
                                    const std::optional<core::Date>& mark) {
  std::vector<Finding> out;
  std::vector<core::Date> closed;
  for (const auto& d : stored) {
    if (calendar.covers(d) && !calendar.is_business_day(d)) {
      closed.push_back(d);
    }
  }
  if (!closed.empty()) {
    out.push_back({Level::warn, "not_a_session",
                   "price rows on day(s) the calendar says KRX was closed: " + date_list(closed) +
                       "; if KRX was open, remove the day from holidays/"});
  }
  if (!mark) {
    return out;
  }
  std::optional<core::Date> first;
  if (!stored.empty()) {
    first = stored.front();
  }
  if (history_start && (!first || *history_start < *first)) {
    first = history_start;
  }
  if (!first || *first > *mark) {
    if (!first) {
      out.push_back({Level::error, "mark_gap",
                     "daily_update's mark is " + iso(*mark) + " but no price rows are stored"});
    }
    return out;
  }
  const std::set<core::Date> have(stored.begin(), stored.end());
  std::vector<core::Date> gaps;
  for (const auto& d : calendar.business_days(*first, *mark)) {
    if (!have.contains(d)) {
      gaps.push_back(d);
    }
  }
  if (!gaps.empty()) {
    out.push_back({Level::error, "mark_gap",
                   std::to_string(gaps.size()) + " KRX session(s) between " + iso(*first) +
                       " and daily_update's mark " + iso(*mark) + " have no price rows: " +
                       date_list(gaps) + "; reload them with `krxbatch daily_update --from " +
                       iso(gaps.front()) + " --to " + iso(gaps.back()) + "`"});
  }
  return out;
}

std::vector<Finding> check_job_days(std::span<const store::DayRecord> days,
                                    const std::set<core::Date>& stored,
                                    const std::optional<core::Date>& mark) {
  std::vector<Finding> out;
  std::vector<core::Date> empty_successes;
  std::vector<core::Date> unfinished;
  for (const auto& d : days) {
    if (d.state == state::DayState::succeeded && !stored.contains(d.date)) {
      empty_successes.push_back(d.date);
    } else if (d.state != state::DayState::succeeded && mark && d.date <= *mark) {
      unfinished.push_back(d.date);
    }
  }
  if (!empty_successes.empty()) {
    out.push_back(
        {Level::error, "job_state",
         "daily_update recorded " + std::to_string(empty_successes.size()) +
             " day(s) as succeeded that have no price rows: " + date_list(empty_successes)});
  }
  if (!unfinished.empty()) {
    out.push_back({Level::warn, "job_state",
                   std::to_string(unfinished.size()) +
                       " day(s) at or before daily_update's mark are not succeeded (the next "
                       "daily_update retries them): " +
                       date_list(unfinished)});
  }
  return out;
}

std::vector<Finding> check_prices(const store::ViolationScan& scan) {
  std::vector<Finding> out;
  for (const auto& v : scan.unknown_examples) {
    out.push_back({Level::error, v.rule,
                   iso(v.session) + " " + v.ticker + ": " + v.values +
                       " breaks the rule and was not flagged when stored"});
  }
  if (scan.unknown > static_cast<std::int64_t>(scan.unknown_examples.size())) {
    out.push_back({Level::error, "ohlc",
                   "and " +
                       std::to_string(scan.unknown -
                                      static_cast<std::int64_t>(scan.unknown_examples.size())) +
                       " more price row violation(s) not flagged when stored"});
  }
  if (scan.known > 0) {
    std::string examples;
    for (std::size_t i = 0; i < scan.known_examples.size() && i < 3; ++i) {
      const auto& v = scan.known_examples[i];
      examples += (i == 0 ? "" : "; ") + iso(v.session) + " " + v.ticker + " " + v.rule;
    }
    out.push_back({Level::warn, "ohlc",
                   std::to_string(scan.known) +
                       " price row violation(s) as KRX sent them, flagged when stored "
                       "(data_quality_issues), e.g. " +
                       examples});
  }
  return out;
}

std::vector<Finding> check_leftovers(std::span<const std::filesystem::path> dirs) {
  std::vector<Finding> out;
  std::set<std::filesystem::path> seen;
  for (const auto& dir : dirs) {
    if (!seen.insert(util::resolve_path(dir)).second) {
      continue;
    }
    for (const auto& p : util::find_leftovers(dir)) {
      // `.krxbatch-tmp-<tag>-XXXXXX...`: the tag names the command that left it.
      auto tag = p.filename().string().substr(util::k_temp_prefix.size());
      tag = tag.substr(0, tag.find('-'));
      const auto next =
          tag == "metrics" ? std::string("job run (metrics_textfile)") : "`krxbatch " + tag + "`";
      out.push_back({Level::warn, "leftover",
                     p.string() + ": left by an interrupted " + tag +
                         " (a temporary file); the next " + next + " removes it, or delete it"});
    }
  }
  return out;
}

std::vector<Finding> check_adjustments(std::span<const store::StoredAdjustment> stored,
                                       std::span<const store::DatedRebase> found) {
  std::vector<std::string> problems;
  const auto fix = [](const std::string& ticker, const core::Date& d) {
    return "; reload it with `krxbatch daily_update --from " + iso(d) + " --to " + iso(d) + "` (" +
           ticker + ")";
  };
  const auto lacking = [&](const store::DatedRebase& r) {
    problems.push_back(iso(r.ex_date) + " " + r.rebase.ticker +
                       ": the rows show a re-base (close " + std::to_string(r.rebase.prev_close) +
                       " before, base " + std::to_string(r.rebase.base_price) +
                       ") that price_adjustments lacks" + fix(r.rebase.ticker, r.ex_date));
  };
  // The cumulative factors each issue's stored events should carry.
  std::map<std::string, std::vector<analysis::Adjustment>> by_ticker;
  for (const auto& a : stored) {
    by_ticker[a.ticker].push_back({a.ex_date, a.factor});
  }
  std::map<std::string, std::vector<double>> cumulative;
  for (const auto& [ticker, events] : by_ticker) {
    cumulative[ticker] = analysis::cumulative_factors(events);
  }
  std::map<std::string, std::size_t> seen;
  std::size_t f = 0;
  for (const auto& a : stored) {
    const auto key = std::pair(a.ticker, a.ex_date);
    while (f < found.size() && std::pair(found[f].rebase.ticker, found[f].ex_date) < key) {
      lacking(found[f++]);
    }
    const auto i = seen[a.ticker]++;
    const auto head = iso(a.ex_date) + " " + a.ticker + ": ";
    if (f == found.size() || std::pair(found[f].rebase.ticker, found[f].ex_date) != key) {
      problems.push_back(head + "price_adjustments holds a re-base (" +
                         std::to_string(a.prev_close) + " -> " + std::to_string(a.base_price) +
                         ") that the rows do not show" + fix(a.ticker, a.ex_date));
      continue;
    }
    const auto& r = found[f++].rebase;
    if (r.prev_close != a.prev_close || r.base_price != a.base_price ||
        r.prev_listed_shares != a.prev_listed_shares || r.listed_shares != a.listed_shares) {
      problems.push_back(head + "stored as " + std::to_string(a.prev_close) + " -> " +
                         std::to_string(a.base_price) + ", the rows say " +
                         std::to_string(r.prev_close) + " -> " + std::to_string(r.base_price) +
                         fix(a.ticker, a.ex_date));
    } else if (a.factor != r.factor() || a.cum_factor != cumulative[a.ticker][i]) {
      problems.push_back(head +
                         "its factor or cum_factor is not base_price / prev_close and "
                         "the product of the later factors" +
                         fix(a.ticker, a.ex_date));
    }
  }
  while (f < found.size()) {
    lacking(found[f++]);
  }
  std::vector<Finding> out;
  for (std::size_t i = 0; i < problems.size() && i < k_examples; ++i) {
    out.push_back({Level::error, "adjustments", problems[i]});
  }
  if (problems.size() > k_examples) {
    out.push_back({Level::error, "adjustments",
                   "and " + std::to_string(problems.size() - k_examples) +
                       " more price_adjustments problem(s)"});
  }
  return out;
}

VerifyReport verify_database(store::Database& db, const calendar::Calendar& calendar,
                             std::span<const std::filesystem::path> leftover_dirs,
                             const VerifyOptions& options) {
  std::vector<Finding> all;
  const auto add = [&](std::vector<Finding> more) {
    all.insert(all.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
  };
  // A check that cannot run on a damaged file is a finding, not the end of the report.
  const auto attempt = [&](std::string_view check, auto&& fn) {
    try {
      fn();
    } catch (const core::Error& e) {
      if (e.code() == core::ExitCode::usage) {
        throw; // calendar coverage: a configuration problem
      }
      all.push_back({Level::error, std::string(check), std::string("could not run: ") + e.what()});
    }
  };

  attempt("integrity", [&] {
    const auto lines = store::integrity_check(db);
    if (lines.size() != 1 || lines.front() != "ok") {
      for (const auto& l : lines) {
        all.push_back({Level::error, "integrity", l});
      }
      all.push_back({Level::error, "integrity",
                     "the file is damaged; restore the latest backup with `krxbatch restore "
                     "FILE`"});
    }
  });
  attempt("foreign_keys", [&] {
    for (const auto& l : store::foreign_key_check(db)) {
      all.push_back({Level::error, "foreign_keys", l});
    }
  });

  std::vector<store::SessionMarketCount> counts;
  std::vector<core::Date> stored;
  std::optional<core::Date> mark;
  attempt("missing_market", [&] {
    counts = store::price_counts(db);
    for (const auto& c : counts) {
      if (stored.empty() || stored.back() != c.session) {
        stored.push_back(c.session);
      }
    }
    const auto markets = store::MetaStore(db).markets();
    add(check_markets(counts, store::index_sessions(db), markets));
    add(check_row_counts(counts));
  });
  attempt("mark_gap", [&] {
    store::JobStore jobs(db);
    mark = jobs.job(store::k_job_daily_update).last_success_date;
    const auto start = store::MetaStore(db).history_start();
    add(check_sessions(calendar, stored, start, mark));
    const auto days =
        jobs.days(store::k_job_daily_update, core::Date(1900, 1, 1), core::Date(9999, 12, 31));
    add(check_job_days(days, std::set<core::Date>(stored.begin(), stored.end()), mark));
  });
  attempt("ohlc", [&] { add(check_prices(store::price_violations(db, k_examples))); });
  attempt("adjustments", [&] {
    // Each stored session's previous KRX session (the rule compares an issue's row with its
    // row there, and with nothing when that session is not stored).
    std::map<std::string, std::string> previous;
    for (const auto& d : stored) {
      try {
        if (calendar.covers(d) && calendar.is_business_day(d)) {
          previous.emplace(iso(d), iso(calendar.previous_business_day(d)));
        }
      } catch (const core::Error&) { // NOLINT(bugprone-empty-catch)
        // The calendar's first session: nothing before it to compare with.
      }
    }
    const auto found = store::scan_rebases(db, previous);
    const auto events = store::AdjustmentStore(db).all();
    add(check_adjustments(events, found));
  });
  add(check_leftovers(leftover_dirs));
  if (options.today) {
    if (const auto message = calendar::coverage_ends_soon(calendar, *options.today,
                                                          calendar::k_holiday_warning_days)) {
      all.push_back({Level::warn, "holidays", *message});
    }
  }
  if (options.reparse_archive) {
    attempt("reparse", [&] {
      const auto r = reparse_archive(db, *options.reparse_archive);
      for (const auto& line : r.differences) {
        all.push_back({Level::error, "reparse", line});
      }
      if (r.more > 0) {
        all.push_back(
            {Level::error, "reparse", "and " + std::to_string(r.more) + " more difference(s)"});
      }
      std::string summary =
          std::to_string(r.sessions) + " archived session(s) in " +
          options.reparse_archive->string() + " parsed again: " +
          (r.sessions_differing == 0 ? std::string("all as stored")
                                     : std::to_string(r.sessions_differing) + " differ from the "
                                                                              "database");
      if (r.stored_not_archived > 0) {
        summary += "; " + std::to_string(r.stored_not_archived) +
                   " stored session(s) have no archived answer";
      }
      all.push_back({Level::info, "reparse", summary});
    });
  }
  attempt("summary", [&] {
    const auto s = store::summarize(db);
    all.push_back({Level::info, "summary",
                   std::to_string(stored.size()) + " session(s) " +
                       (s.first_session ? iso(*s.first_session) + ".." + iso(*s.last_session)
                                        : std::string("(none)")) +
                       ", " + std::to_string(s.price_rows) + " price rows, daily_update mark " +
                       (s.daily_mark ? iso(*s.daily_mark) : std::string("-")) + ", " +
                       std::to_string(s.active_targets) + " active targets, schema " +
                       std::to_string(s.schema_version)});
  });

  VerifyReport report;
  std::stable_sort(all.begin(), all.end(), [](const Finding& a, const Finding& b) {
    return static_cast<int>(a.level) < static_cast<int>(b.level);
  });
  for (const auto& f : all) {
    report.errors += f.level == Level::error ? 1 : 0;
    report.warnings += f.level == Level::warn ? 1 : 0;
  }
  report.findings = std::move(all);
  return report;
}

} // namespace krxbatch::ops
