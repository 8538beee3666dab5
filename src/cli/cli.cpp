#include "krxbatch/cli/cli.hpp"

#include "krxbatch/app/log_policy.hpp"
#include "krxbatch/app/test_hooks.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/util/log.hpp"
#include "krxbatch/util/safe_path.hpp"

#include "context.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace krxbatch::cli {
namespace {

constexpr std::array k_commands = {
    Command{"doctor", nullptr,
            "first-run checklist: config, key, endpoints approved, holidays, disk, cron",
            run_doctor},
    Command{"status", nullptr, "each job's mark, sessions behind, last run; alerts, KRX calls",
            run_status},
    Command{"alerts", nullptr, "list open (or all) alerts; --ack ID closes one", run_alerts},
    Command{"calendar", nullptr, "KRX business days: check, next, prev, list, today", run_calendar},
    Command{"indicators", nullptr, "TA-Lib-exact indicators for CSV bars on stdin", run_indicators},
    Command{"manual_setup", "manual-setup",
            "build the universe and backfill the history (by hand, once)", run_manual_setup},
    Command{"daily_update", "daily-update",
            "fetch every missing KRX session up to today (cron 19:00 weekdays)", run_daily_update},
    Command{"digest", nullptr, "fingerprint of the stored data, to compare two databases",
            run_digest},
    Command{"hourly_analysis", "hourly-analysis",
            "score the universe for the completed session, within a time budget",
            run_hourly_analysis},
    Command{"backup", nullptr, "verified online copy of the database; retention", run_backup},
    Command{"snapshot", nullptr, "compact verified copy of the database (weekly)", run_snapshot},
    Command{"restore", nullptr, "put a backup back as the live database (keeps a copy)",
            run_restore},
    Command{"universe", nullptr, "analysis universe: refresh (market-cap threshold), list",
            run_universe},
    Command{"export", nullptr, "CSV files of prices and results with a manifest", run_export},
    Command{"verify", nullptr, "check the database: integrity, gaps, counts, OHLC, job states",
            run_verify},
    Command{"prices", nullptr, "one issue's stored bars, raw or adjusted for corporate actions",
            run_prices},
    Command{"score", nullptr, "why one stock scored what it did on a session", run_score},
    Command{"actions", nullptr, "corporate actions detected from KRX's base price", run_actions},
    Command{"watchlist", nullptr, "stocks you follow: add, remove, list (score-move alerts)",
            run_watchlist},
    Command{"report", nullptr, "the daily market summary: text, HTML or JSON; --send mails it",
            run_report},
    Command{"serve", nullptr, "HTTP API, export jobs and dashboard over the database (docs/API.md)",
            run_serve},
};

const Command* find_command(const std::string& name) {
  for (const auto& c : k_commands) {
    if (name == c.name || (c.alias != nullptr && name == c.alias)) {
      return &c;
    }
  }
  return nullptr;
}

void print_usage(std::ostream& out, const po::options_description& globals) {
  out << "Usage: krxbatch [global options] <command> [options]\n\n"
         "Keeps a KRX (Korea Exchange) daily market database fresh and scored.\n\n"
         "Commands:\n";
  for (const auto& c : k_commands) {
    std::string name = c.name;
    name.resize(18, ' ');
    out << "  " << name << c.summary << "\n";
  }
  out << "\nRun `krxbatch <command> --help` for a command's options.\n\n"
      << globals
      << "\nExit codes: 0 done or nothing to do, 1 failed, 2 usage or configuration error,\n"
         "75 another instance holds the job's lock.\n";
}

int dispatch(int argc, const char* const* argv) {
  GlobalOptions globals;
  auto global_desc = global_options_description(globals);
  po::options_description first_pass;
  first_pass.add(global_desc);
  first_pass.add_options()                                                  //
      ("help,h", "show this help")                                          //
      ("version", "print the version")                                      //
      ("command", po::value<std::string>(), "command")                      //
      ("args", po::value<std::vector<std::string>>()->composing(), "args"); //
  po::positional_options_description pos;
  pos.add("command", 1).add("args", -1);

  po::variables_map vm;
  po::parsed_options parsed(nullptr);
  try {
    parsed = po::command_line_parser(argc, argv)
                 .options(first_pass)
                 .positional(pos)
                 .allow_unregistered()
                 .run();
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::usage_error(std::string("krxbatch: ") + e.what() + "; see `krxbatch --help`");
  }
  const auto levels = app::log_levels(
      globals.log_level ? std::optional(util::parse_log_level(*globals.log_level)) : std::nullopt,
      ::isatty(STDERR_FILENO) == 1);
  util::init_logging(levels.files, levels.stderr_level);
  // Test seam of the leftover tests (docs/RELIABILITY.md); nothing in production sets it.
  if (const auto point = app::read_test_hooks(ops::process_env()).kill_at) {
    util::set_crash_point(*point);
  }

  if (vm.count("version") != 0U) {
    std::cout << "krxbatch " << KRXBATCH_VERSION << "\n";
    return 0;
  }
  const bool help = vm.count("help") != 0U;
  if (vm.count("command") == 0U) {
    if (help) {
      print_usage(std::cout, global_desc);
      return 0;
    }
    print_usage(std::cerr, global_desc);
    throw core::usage_error("no command given");
  }
  const auto name = vm["command"].as<std::string>();
  const auto* command = find_command(name);
  if (command == nullptr) {
    throw core::usage_error("unknown command '" + name + "'; run `krxbatch --help` for the list");
  }
  auto rest = po::collect_unrecognized(parsed.options, po::include_positional);
  if (!rest.empty() && rest.front() == name) {
    rest.erase(rest.begin()); // the command itself
  }
  if (help) {
    rest.emplace_back("--help");
  }
  Context context(globals);
  return command->run(context, rest);
}

} // namespace

int run(int argc, const char* const* argv) {
  try {
    return dispatch(argc, argv);
  } catch (const core::Error& e) {
    const char* what = e.code() == core::ExitCode::locked ? "skipped" : "error";
    std::cerr << "krxbatch: " << what << ": " << util::redact(e.what()) << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "krxbatch: internal error: " << util::redact(e.what())
              << " (please report this with the command you ran)\n";
    return static_cast<int>(core::ExitCode::failed);
  }
}

} // namespace krxbatch::cli
