// Internal to the CLI: global options, the per-command context and option-parsing helpers.
#pragma once

#include "krxbatch/app/job_runner.hpp"
#include "krxbatch/app/test_hooks.hpp"
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/jobs/hourly_analysis.hpp"
#include "krxbatch/ops/config.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/util/clock.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <boost/program_options.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::cli {

namespace po = boost::program_options;

using Args = std::vector<std::string>;

// Options accepted before or after any command.
struct GlobalOptions {
  std::optional<std::string> db;       // --db, else env KRXBATCH_DB, else data/krxbatch.db
  std::optional<std::string> now;      // --now, else env KRXBATCH_NOW
  std::optional<std::string> holidays; // --holidays, else env KRXBATCH_HOLIDAYS, else found
  std::optional<std::string> source;   // --source, else env KRXBATCH_SOURCE, else "krx"
  std::optional<std::string> config;   // --config, else env KRXBATCH_CONFIG, else found
  // --log-level; else app::log_levels() decides (cron-quiet).
  std::optional<std::string> log_level;
  bool json = false;
};

// The description of the global options (shared by every command's --help).
po::options_description global_options_description(GlobalOptions& out);

// Lazily built services for one command. Not thread-safe.
class Context final : public app::Services {
public:
  explicit Context(GlobalOptions options) : m_options(std::move(options)) {}

  const GlobalOptions& options() const { return m_options; }
  bool json() const { return m_options.json; }

  const util::Clock& clock() override;
  const calendar::Calendar& calendar() override;
  // The database as the operator spelled it (--db, KRXBATCH_DB or the default). Throws
  // core::Error (exit 2) when it is empty or blank (SQLite would open a throw-away temporary
  // database) or names a directory.
  std::filesystem::path db_path() const;
  // What every command may write, rename and delete (util::PathPolicy): the database and its
  // companions, the default backup and snapshot directories (owned by backup/restore and
  // snapshot), and the holidays directory, the config file and a replay directory (nobody).
  const util::PathPolicy& path_policy();
  // The market data source spec: "krx" or "replay:DIR".
  std::string source_spec() const;
  // Opens the database (creating it and its schema when absent).
  store::Database& database() override;
  // The operator's settings (config file and environment), loaded on first use; their secrets
  // (the KRX key, webhook and ping URLs) are registered for redaction. Throws core::Error
  // (exit 2) on a malformed file.
  const ops::Settings& settings();
  // The test hooks (KRXBATCH_TEST_*), read on first use. Throws core::Error (exit 2) on a
  // malformed value.
  const app::TestHooks& test_hooks();
  // The lock file of `job` (app::job_lock_path).
  std::filesystem::path lock_path(std::string_view job) const;

private:
  GlobalOptions m_options;
  std::unique_ptr<util::Clock> m_clock;
  std::optional<calendar::Calendar> m_calendar;
  std::optional<store::Database> m_database;
  std::optional<ops::Settings> m_settings;
  std::optional<util::PathPolicy> m_policy;
  std::optional<app::TestHooks> m_test_hooks;
};

// Registers the secrets of `settings` (the KRX key, webhook and ping URLs, credentials in any
// URL) for redaction.
void register_secrets(const ops::Settings& settings);

// Parses a command's arguments. Returns nullopt when --help was asked (the usage has been
// printed to stdout). Throws core::Error (exit 2) with the command's name and a pointer to
// --help on bad arguments.
std::optional<po::variables_map>
parse_command_args(const Args& args, const std::string& usage,
                   const po::options_description& options,
                   const po::positional_options_description& positional = {});

// app::JobRunner::run_job / run_care_command with this command's settings, database, calendar
// and clock, and pings and webhook messages over libcurl.
int run_job(Context& ctx, std::string_view job, const std::function<util::FileLock()>& take_lock,
            const std::function<jobs::JobResult()>& body);
int run_care_command(Context& ctx, std::string_view name, const std::function<int()>& body);
// hourly_analysis as a job run (its lock, log file, pings, alerts and metrics): the command,
// and daily_update --analyze after its ingestion.
int run_analysis_job(Context& ctx, const jobs::HourlyAnalysisOptions& options);
// hourly_analysis' default --threads: the cores, at most 4.
unsigned default_analysis_threads();

// One entry of the command table.
struct Command {
  const char* name;
  const char* alias; // hyphenated alias, or nullptr
  const char* summary;
  int (*run)(Context& context, const Args& args);
};

int run_calendar(Context& context, const Args& args);
int run_indicators(Context& context, const Args& args);
int run_status(Context& context, const Args& args);
int run_digest(Context& context, const Args& args);
int run_daily_update(Context& context, const Args& args);
int run_manual_setup(Context& context, const Args& args);
int run_hourly_analysis(Context& context, const Args& args);
int run_alerts(Context& context, const Args& args);
int run_backup(Context& context, const Args& args);
int run_snapshot(Context& context, const Args& args);
int run_restore(Context& context, const Args& args);
int run_universe(Context& context, const Args& args);
int run_export(Context& context, const Args& args);
int run_verify(Context& context, const Args& args);
int run_prices(Context& context, const Args& args);
int run_score(Context& context, const Args& args);
int run_actions(Context& context, const Args& args);
int run_watchlist(Context& context, const Args& args);
int run_report(Context& context, const Args& args);

int run_doctor(Context& context, const Args& args);
int run_serve(Context& context, const Args& args);

} // namespace krxbatch::cli
