// `krxbatch hourly_analysis`: score the universe for the session daily_update completed.
#include "krxbatch/core/error.hpp"
#include "krxbatch/jobs/hourly_analysis.hpp"
#include "krxbatch/ops/job_locks.hpp"
#include "krxbatch/store/job_store.hpp"

#include "context.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

namespace krxbatch::cli {
namespace {

// Taken during static initialisation, before main(): --budget-minutes counts from here.
const std::chrono::steady_clock::time_point k_process_start = std::chrono::steady_clock::now();

constexpr const char* k_usage =
    "krxbatch hourly_analysis [--budget-minutes M | --budget-seconds S] [--quota N] "
    "[--from D [--to D]] [--ticker CODE] [--threads N]\n\n"
    "Scores the active target tickers for every session daily_update has completed that is\n"
    "not scored yet (from the first session analysed up to daily_update's mark, and those a\n"
    "reload changed), newest first, largest market cap on the session first, committing every\n"
    "50 stocks, and stops cleanly when the time budget (counted from the process start) or the\n"
    "quota is used up; the next run resumes. When every target of a session is analysed, the\n"
    "session is ranked (0-100 scores); the newest ranked session is hourly_analysis' mark.\n"
    "--from/--to scores past sessions by hand (say those of a fresh manual_setup).\n"
    "Nothing newer than daily_update's mark is ever analysed.\n"
    "One instance at a time (lock file <db>.analysis.lock); it may run while daily_update "
    "runs.\n\n"
    "Exit codes: 0 done, partial or nothing to do; 1 some stocks failed (the summary names\n"
    "the first); 2 usage error, or no session to analyse yet (run manual_setup); 75 another\n"
    "hourly_analysis is running";

} // namespace

unsigned default_analysis_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(cores, 1U, 4U);
}

int run_hourly_analysis(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  double budget_minutes = 50;
  opts.add_options()                                                            //
      ("budget-minutes", po::value<double>(&budget_minutes)->default_value(50), //
       "stop starting new stocks after M minutes since the process started")    //
      ("budget-seconds", po::value<double>(), "the budget in seconds (overrides --budget-minutes)")(
          "quota", po::value<long long>(), "analyse at most N stocks in this run") //
      ("from", po::value<std::string>(),
       "score the sessions from this date (YYYY-MM-DD) on, those not scored yet")               //
      ("to", po::value<std::string>(), "last session of --from (default: daily_update's mark)") //
      ("ticker", po::value<std::string>(),
       "recompute only this target for the session (re-ranks the session if it was ranked)") //
      ("threads", po::value<unsigned>()->default_value(default_analysis_threads()),
       "threads that load and analyse stocks, each with its own read connection, beside the "
       "one that writes (default: the cores, at most 4)");
  const auto vm = parse_command_args(args, k_usage, opts);
  if (!vm) {
    return 0;
  }

  jobs::HourlyAnalysisOptions options;
  options.started = k_process_start;
  double budget_seconds = budget_minutes * 60.0;
  if (vm->count("budget-seconds") != 0U) {
    budget_seconds = (*vm)["budget-seconds"].as<double>();
  }
  if (!(budget_seconds >= 0.0) || budget_seconds > 7 * 24 * 3600.0) {
    throw core::usage_error("hourly_analysis: the budget must be between 0 and a week; see "
                            "`krxbatch hourly_analysis --help`");
  }
  options.budget = std::chrono::milliseconds(static_cast<long long>(budget_seconds * 1000.0));
  if (vm->count("quota") != 0U) {
    const auto quota = (*vm)["quota"].as<long long>();
    if (quota < 1) {
      throw core::usage_error("hourly_analysis: --quota must be at least 1; see `krxbatch "
                              "hourly_analysis --help`");
    }
    options.quota = quota;
  }
  if (vm->count("ticker") != 0U) {
    options.ticker = (*vm)["ticker"].as<std::string>();
    if (options.ticker->size() != 6) {
      throw core::usage_error("hourly_analysis: --ticker takes a 6-character KRX short code "
                              "such as 005930 or 00104K");
    }
  }
  if (vm->count("from") != 0U) {
    options.from =
        core::parse_iso_date_arg((*vm)["from"].as<std::string>(), "hourly_analysis --from");
  }
  if (vm->count("to") != 0U) {
    if (!options.from) {
      throw core::usage_error("hourly_analysis: --to needs --from (the sessions to score)");
    }
    options.to = core::parse_iso_date_arg((*vm)["to"].as<std::string>(), "hourly_analysis --to");
  }
  if (options.from && options.ticker) {
    throw core::usage_error("hourly_analysis: --ticker recomputes daily_update's session; it "
                            "does not go with --from");
  }
  options.threads = std::max(1U, (*vm)["threads"].as<unsigned>());
  const auto& hooks = ctx.test_hooks();
  if (const auto kill_after = hooks.kill_after_stocks) {
    const auto n = static_cast<std::size_t>(*kill_after);
    options.after_write = [n](std::size_t written) {
      if (written == n) {
        ::raise(SIGKILL);
      }
    };
  }
  if (const auto stop_after = hooks.stop_after_committed) {
    // The test kills the stopped process from outside.
    const auto n = static_cast<std::size_t>(*stop_after);
    options.after_commit = [n, stopped = false](std::size_t committed) mutable {
      if (!stopped && committed >= n) {
        stopped = true;
        ::raise(SIGSTOP);
      }
    };
  }
  options.args = "hourly_analysis";
  for (const auto& a : args) {
    options.args += " " + a;
  }

  return run_analysis_job(ctx, options);
}

int run_analysis_job(Context& ctx, const jobs::HourlyAnalysisOptions& options) {
  return run_job(
      ctx, store::k_job_hourly_analysis,
      [&] {
        return ops::take_job_lock(ops::analysis_lock_path(ctx.db_path()), "hourly_analysis",
                                  "another hourly_analysis");
      },
      [&] {
        jobs::JobEnv env{ctx.database(), ctx.calendar(), ctx.clock()};
        auto with_settings = options;
        with_settings.watchlist_threshold = ctx.settings().watchlist_threshold;
        return jobs::run_hourly_analysis(env, with_settings);
      });
}

} // namespace krxbatch::cli
