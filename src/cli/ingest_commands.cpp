// `krxbatch daily_update` and `krxbatch manual_setup`: options, lock, source, confirmation,
// progress; the work itself is in jobs/.
#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/raw_archive.hpp"
#include "krxbatch/fetch/source_factory.hpp"
#include "krxbatch/jobs/daily_update.hpp"
#include "krxbatch/jobs/manual_setup.hpp"
#include "krxbatch/ops/job_locks.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/util/file_lock.hpp"

#include "context.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace krxbatch::cli {
namespace {

// daily_update's SQLite pages in huge pages (store::reserve_page_cache): one session's write
// reads ~10,900 pages at 2,450 sessions of history (~2,700 leaves, their interior pages, the
// date index), ~6,400 at 300. A larger run (a catch-up, the history backfill) takes its further
// pages from the heap as before, so the region adds at most its unused part to any job's peak
// memory. manual_setup does not reserve one: its backfill is not page-fault bound (measured: the
// same wall time, 24 MB more peak memory).
constexpr int k_daily_update_page_cache_pages = 12 * 1024;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

double retry_scale(const po::variables_map& vm) {
  std::string text;
  std::string what = "--retry-scale";
  if (vm.count("retry-scale") != 0U) {
    text = vm["retry-scale"].as<std::string>();
  } else {
    text = env_or("KRXBATCH_RETRY_SCALE", "1");
    what = "KRXBATCH_RETRY_SCALE";
  }
  char* end = nullptr;
  const double scale = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(scale) || scale < 0) {
    throw core::usage_error(what + ": '" + text +
                            "' is not a non-negative number (1 = the real waits)");
  }
  return scale;
}

// Takes the ingestion lock shared by manual_setup and daily_update, or throws exit 75.
util::FileLock take_ingest_lock(const Context& ctx, std::string_view job) {
  return ops::take_job_lock(ops::ingest_lock_path(ctx.db_path()), job,
                            "another ingestion run (daily_update or manual_setup)");
}

// The raw archive of this run's answers: only for the live source (a replay's answers are
// archived already), and not when archive_dir is `off`. The policy's verdict on the directory
// is a configuration error before anything is locked.
bool archives(Context& ctx) {
  return ctx.source_spec() == "krx" && !ctx.settings().archive_dir.empty();
}

void check_archive_dir(Context& ctx) {
  if (archives(ctx)) {
    const auto& s = ctx.settings();
    ctx.path_policy().check_directory(s.archive_dir, s.origin("archive_dir"),
                                      fetch::k_archive_writer);
  }
}

std::unique_ptr<fetch::RawArchive> open_archive(Context& ctx) {
  if (!archives(ctx)) {
    return nullptr;
  }
  const auto& s = ctx.settings();
  return std::make_unique<fetch::RawArchive>(s.archive_dir, ctx.path_policy(),
                                             s.origin("archive_dir"));
}

// Waits for the archive's writes, reports those that failed to the run (JobResult), and applies
// archive_days.
void close_archive(Context& ctx, fetch::RawArchive* archive, jobs::JobResult& result) {
  if (archive == nullptr) {
    return;
  }
  archive->flush();
  if (const auto failed = archive->failures(); failed > 0) {
    result.archive_failed = std::to_string(failed) + " of " +
                            std::to_string(failed + archive->written()) +
                            " answers not written (first: " + archive->first_failure() + ")";
  }
  spdlog::debug("archive: {} answers written to {}", archive->written(), archive->dir().string());
  if (const auto days = ctx.settings().archive_days; days > 0) {
    const auto deleted = fetch::prune_archive(archive->dir(), ctx.path_policy(),
                                              ctx.clock().now_kst().date(), static_cast<int>(days));
    if (!deleted.empty()) {
      spdlog::info("archive: {} files older than {} days deleted (archive_days)", deleted.size(),
                   days);
    }
  }
}

std::unique_ptr<fetch::MarketSource> make_source(Context& ctx, const po::variables_map& vm,
                                                 jobs::DbCallBudget& budget,
                                                 fetch::AnswerSink* archive) {
  const auto& config = ctx.settings();
  fetch::SourceSettings settings;
  settings.api.base_url = config.krx_api_base_url.empty() ? std::string(fetch::k_default_base_url)
                                                          : config.krx_api_base_url;
  settings.api.auth_key = config.krx_auth_key;
  // Messages about the key or the URL name the line or variable that set them.
  if (const auto it = config.origins.find("krx_auth_key"); it != config.origins.end()) {
    settings.api.auth_key_origin = it->second;
  }
  if (const auto it = config.origins.find("krx_api_base_url"); it != config.origins.end()) {
    settings.api.base_url_origin = it->second;
  }
  settings.retry_scale = retry_scale(vm);
  settings.connections = static_cast<int>(config.krx_connections);
  settings.archive = archive;
  if (const auto timeout = ctx.test_hooks().http_timeout) {
    settings.http.total_timeout = *timeout;
    settings.http.connect_timeout =
        std::min(settings.http.connect_timeout, settings.http.total_timeout);
  }
  return fetch::make_market_source(ctx.source_spec(), settings, budget);
}

std::string joined_args(const std::string& command, const Args& args) {
  std::string out = command;
  for (const auto& a : args) {
    out += " " + a;
  }
  return out;
}

void add_fetch_options(po::options_description& opts) {
  opts.add_options()("retry-scale", po::value<std::string>(),
                     "multiply every retry wait by this factor (env KRXBATCH_RETRY_SCALE; "
                     "default 1: 30/60/120 s)");
}

// A one-line progress bar on a terminal; a log line every 25 sessions otherwise.
class Progress {
public:
  explicit Progress(bool tty) : m_tty(tty), m_start(std::chrono::steady_clock::now()) {}
  void operator()(int done, int total, const core::Date& day) {
    if (!m_tty) {
      if (done % 25 == 0 || done == total) {
        spdlog::info("manual_setup: {}/{} sessions (last {})", done, total, core::to_iso(day));
      }
      return;
    }
    constexpr int width = 30;
    const int filled = total > 0 ? done * width / total : width;
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start);
    const double eta = done > 0 ? elapsed.count() / done * (total - done) : 0;
    std::cerr << "\r  [" << std::string(static_cast<std::size_t>(filled), '#')
              << std::string(static_cast<std::size_t>(width - filled), '.') << "] " << done << "/"
              << total << " sessions  " << core::to_iso(day) << "  ETA " << static_cast<int>(eta)
              << " s   " << std::flush;
    if (done == total) {
      std::cerr << "\n";
    }
  }

private:
  bool m_tty;
  std::chrono::steady_clock::time_point m_start;
};

// daily_update --analyze: hourly_analysis as a second job run of this process (its own lock,
// job_runs row, summary, log file, pings, alerts and metrics line), once the ingestion stored
// at least one session. Its outcome never changes daily_update's exit code: a held analysis
// lock is an INFO line (the running analysis, or the next scheduled one, scores the session),
// any other failure is logged and recorded by the analysis run itself (job_runs, the
// `run_failed` alert, the fail ping).
void analyse_after_ingestion(Context& ctx, int stored) {
  if (stored == 0) {
    spdlog::info("daily_update --analyze: no session stored; the analysis is not run");
    return;
  }
  jobs::HourlyAnalysisOptions options;
  options.started = std::chrono::steady_clock::now(); // its own budget, from now
  options.args = "hourly_analysis (daily_update --analyze)";
  options.threads = default_analysis_threads();
  try {
    (void)run_analysis_job(ctx, options);
  } catch (const core::Error& e) {
    if (e.code() == core::ExitCode::locked) {
      spdlog::info("daily_update --analyze: {}; the scores come from that run or the next",
                   e.what());
    } else {
      spdlog::error("daily_update --analyze: the analysis failed: {}; daily_update's exit code "
                    "is its own",
                    e.what());
    }
  } catch (const std::exception& e) {
    spdlog::error("daily_update --analyze: the analysis failed: internal error: {}", e.what());
  }
}

} // namespace

int run_daily_update(Context& ctx, const Args& args) {
  store::reserve_page_cache(k_daily_update_page_cache_pages);
  po::options_description opts("Options");
  opts.add_options() //
      ("from", po::value<std::string>(),
       "reload sessions from this date (YYYY-MM-DD) by hand, "
       "replacing their rows") //
      ("to", po::value<std::string>(),
       "last date of the reload (default: the newest closed "
       "session)")                                                                     //
      ("max-days", po::value<int>(), "work on at most this many sessions in this run") //
      ("analyze", po::bool_switch(),
       "once at least one session is stored, score what is not scored yet (hourly_analysis, "
       "under its own lock, in this process)");
  add_fetch_options(opts);
  const auto vm = parse_command_args(args, "krxbatch daily_update [options]", opts);
  if (!vm) {
    return 0;
  }
  jobs::DailyUpdateOptions o;
  o.args = joined_args("daily_update", args);
  if (vm->count("from") != 0U) {
    o.from = core::parse_iso_date_arg((*vm)["from"].as<std::string>(), "daily_update --from");
  }
  if (vm->count("to") != 0U) {
    if (!o.from) {
      throw core::usage_error("daily_update: --to needs --from (the range to reload)");
    }
    o.to = core::parse_iso_date_arg((*vm)["to"].as<std::string>(), "daily_update --to");
  }
  if (vm->count("max-days") != 0U) {
    o.max_days = (*vm)["max-days"].as<int>();
    if (*o.max_days < 1) {
      throw core::usage_error("daily_update: --max-days must be at least 1");
    }
  }
  const auto limit = ctx.settings().krx_daily_limit;
  (void)retry_scale(*vm); // a bad value is a usage error before anything is locked
  check_archive_dir(ctx);

  int stored = 0;
  const int exit_code = run_job(
      ctx, store::k_job_daily_update, [&] { return take_ingest_lock(ctx, "daily_update"); },
      [&] {
        jobs::JobEnv env{ctx.database(), ctx.calendar(), ctx.clock()};
        jobs::IngestSettings settings;
        settings.markets = store::MetaStore(env.db).markets();
        settings.daily_call_limit = limit;
        settings.connections = static_cast<int>(ctx.settings().krx_connections);
        jobs::DbCallBudget budget(env.db, env.clock, limit);
        const auto archive = open_archive(ctx);
        const auto source = make_source(ctx, *vm, budget, archive.get());
        auto result = jobs::run_daily_update(env, *source, budget, settings, o);
        close_archive(ctx, archive.get(), result);
        stored = result.run.days_done;
        return result;
      });
  if ((*vm)["analyze"].as<bool>()) {
    analyse_after_ingestion(ctx, stored);
  }
  return exit_code;
}

int run_manual_setup(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options() //
      ("yes,y", po::bool_switch(),
       "do not ask for confirmation (required when stdin is not "
       "a terminal)") //
      ("days", po::value<int>()->default_value(300),
       "KRX sessions to backfill, ending at the "
       "latest published session") //
      ("from", po::value<std::string>(),
       "also backfill the history back to this date (YYYY-MM-DD, 2010-01-04 or later), newest "
       "sessions first, across as many KST days as the daily call limit makes it take (the "
       "scheduled daily_update runs continue it)") //
      ("min-market-cap", po::value<long long>()->default_value(100'000'000'000LL),
       "the universe: issues with at least this market cap (KRW) on the latest session") //
      ("konex", po::bool_switch(), "also store KONEX (default: KOSPI and KOSDAQ)");
  add_fetch_options(opts);
  const auto vm = parse_command_args(args, "krxbatch manual_setup [options]", opts);
  if (!vm) {
    return 0;
  }
  const bool yes = (*vm)["yes"].as<bool>();
  const bool tty_in = ::isatty(STDIN_FILENO) == 1;
  if (!yes && !tty_in) {
    throw core::usage_error("manual_setup asks for confirmation and stdin is not a terminal; "
                            "run it on a terminal or pass --yes");
  }
  jobs::ManualSetupOptions o;
  o.args = joined_args("manual_setup", args);
  o.days = (*vm)["days"].as<int>();
  if (o.days < 1 || o.days > 10000) {
    throw core::usage_error("manual_setup: --days must be between 1 and 10000");
  }
  if (vm->count("from") != 0U) {
    o.from = core::parse_iso_date_arg((*vm)["from"].as<std::string>(), "manual_setup --from");
  }
  o.min_market_cap = (*vm)["min-market-cap"].as<long long>();
  if (o.min_market_cap < 0) {
    throw core::usage_error("manual_setup: --min-market-cap must not be negative");
  }
  const auto limit = ctx.settings().krx_daily_limit;
  (void)retry_scale(*vm);
  check_archive_dir(ctx);

  o.confirm = [yes](const std::string& plan) {
    std::cout << plan << std::flush;
    if (yes) {
      return true;
    }
    std::cout << "Proceed? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "y" || answer == "Y" || answer == "yes";
  };
  o.progress = Progress(::isatty(STDERR_FILENO) == 1);
  const bool konex = (*vm)["konex"].as<bool>();
  return run_job(
      ctx, store::k_job_manual_setup, [&] { return take_ingest_lock(ctx, "manual_setup"); },
      [&] {
        jobs::JobEnv env{ctx.database(), ctx.calendar(), ctx.clock()};
        jobs::IngestSettings settings;
        settings.daily_call_limit = limit;
        settings.connections = static_cast<int>(ctx.settings().krx_connections);
        if (konex) {
          settings.markets.push_back(market::Market::konex);
        }
        jobs::DbCallBudget budget(env.db, env.clock, limit);
        const auto archive = open_archive(ctx);
        const auto source = make_source(ctx, *vm, budget, archive.get());
        auto result = jobs::run_manual_setup(env, *source, budget, settings, o);
        close_archive(ctx, archive.get(), result);
        return result;
      });
}

} // namespace krxbatch::cli
