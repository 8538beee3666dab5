#include "context.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/notify_client.hpp"
#include "krxbatch/fetch/raw_archive.hpp"
#include "krxbatch/ops/backup.hpp"
#include "krxbatch/ops/report_delivery.hpp"
#include "krxbatch/util/log.hpp"
#include "krxbatch/util/paths.hpp"

#include <cstdint>
#include <cstdlib>
#include <iostream>

namespace krxbatch::cli {

po::options_description global_options_description(GlobalOptions& out) {
  po::options_description desc("Global options (before or after the command)");
  desc.add_options() //
      ("db", po::value<std::string>()->notifier([&out](const std::string& v) { out.db = v; }),
       "SQLite database file (env KRXBATCH_DB; default data/krxbatch.db); created if absent") //
      ("now", po::value<std::string>()->notifier([&out](const std::string& v) { out.now = v; }),
       "pretend the current time is this instant, e.g. 2024-06-28T19:00:00+09:00 "
       "(env KRXBATCH_NOW)") //
      ("holidays",
       po::value<std::string>()->notifier([&out](const std::string& v) { out.holidays = v; }),
       "directory of KRX holiday files (env KRXBATCH_HOLIDAYS; default: found next to the "
       "binary or in the source tree)") //
      ("source",
       po::value<std::string>()->notifier([&out](const std::string& v) { out.source = v; }),
       "market data: krx (the KRX Open API, default) or replay:DIR (saved responses named "
       "like stk_bydd_trd_20240105.json; env KRXBATCH_SOURCE)") //
      ("config",
       po::value<std::string>()->notifier([&out](const std::string& v) { out.config = v; }),
       "config file of `key = value` lines (env KRXBATCH_CONFIG; default krxbatch.conf in the "
       "database's directory, when it exists)") //
      ("log-level",
       po::value<std::string>()->notifier([&out](const std::string& v) { out.log_level = v; }),
       "trace, debug, info, warn, error or off (default: info; without a terminal, stderr "
       "shows warn and above only, the job's log file everything)") //
      ("json", po::bool_switch(&out.json), "print data as JSON where the command outputs data");
  return desc;
}

const util::Clock& Context::clock() {
  if (!m_clock) {
    m_clock = util::make_clock(m_options.now);
  }
  return *m_clock;
}

const calendar::Calendar& Context::calendar() {
  if (!m_calendar) {
    m_calendar.emplace(calendar::Calendar::load(util::find_holidays_dir(m_options.holidays)));
  }
  return *m_calendar;
}

std::string Context::source_spec() const {
  if (m_options.source) {
    return *m_options.source;
  }
  if (const char* env = std::getenv("KRXBATCH_SOURCE"); env != nullptr && *env != '\0') {
    return env;
  }
  return "krx";
}

std::filesystem::path Context::db_path() const {
  std::string path = "data/krxbatch.db";
  std::string what = "the default database";
  if (m_options.db) {
    path = *m_options.db;
    what = "--db";
  } else if (const char* env = std::getenv("KRXBATCH_DB"); env != nullptr && *env != '\0') {
    path = env;
    what = "KRXBATCH_DB";
  }
  if (path.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw core::usage_error(what + " is empty; give the database file, e.g. --db " +
                            "data/krxbatch.db (nothing was changed)");
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw core::usage_error(what + ": " + path + " is a directory; give the database file in it, " +
                            "e.g. --db " + (std::filesystem::path(path) / "krxbatch.db").string() +
                            " (nothing was changed)");
  }
  return path;
}

const util::PathPolicy& Context::path_policy() {
  if (!m_policy) {
    const auto db = db_path();
    util::PathPolicy policy(db);
    policy.protect_directory(ops::default_archive_dir(db, "backups"), "the backup directory",
                             {"backup", "restore"});
    policy.protect_directory(ops::default_archive_dir(db, "snapshots"), "the snapshot directory",
                             {"snapshot"});
    policy.protect_directory(ops::reports_dir(db), "the reports directory",
                             {std::string(ops::k_report_writer)});
    // Read-only inputs: a missing one is reported by what reads it, not here.
    try {
      policy.protect_directory(util::find_holidays_dir(m_options.holidays),
                               "the holidays directory");
    } catch (const core::Error&) { // NOLINT(bugprone-empty-catch)
    }
    try {
      if (const auto config = ops::find_config_file(m_options.config, db, ops::process_env())) {
        policy.protect_file(*config, "the config file");
      }
    } catch (const core::Error&) { // NOLINT(bugprone-empty-catch)
    }
    try {
      if (const auto& archive = settings().archive_dir; !archive.empty()) {
        policy.protect_directory(archive, "the archive directory (archive_dir)",
                                 {std::string(fetch::k_archive_writer)});
      }
    } catch (const core::Error&) { // NOLINT(bugprone-empty-catch): reported by what reads them
    }
    if (const auto spec = source_spec(); spec.starts_with("replay:") && spec.size() > 7) {
      policy.protect_directory(spec.substr(7), "the replay directory (--source)");
    }
    m_policy.emplace(std::move(policy));
  }
  return *m_policy;
}

const app::TestHooks& Context::test_hooks() {
  if (!m_test_hooks) {
    m_test_hooks = app::read_test_hooks(ops::process_env());
  }
  return *m_test_hooks;
}

store::Database& Context::database() {
  if (!m_database) {
    store::OpenOptions options;
    const auto& hooks = test_hooks();
    if (hooks.busy_timeout) {
      options.busy_timeout = *hooks.busy_timeout;
    }
    options.max_page_count = hooks.max_page_count;
    m_database.emplace(db_path().string(), options);
  }
  return *m_database;
}

void register_secrets(const ops::Settings& settings) {
  for (const auto* secret :
       {&settings.krx_auth_key, &settings.webhook_url, &settings.ping_start_url,
        &settings.ping_success_url, &settings.ping_fail_url, &settings.smtp_password,
        &settings.serve_token, &settings.serve_read_token}) {
    util::register_secret(*secret);
  }
  // Credentials pasted into any URL (`https://user:pass@host`) are as secret as the key.
  for (const auto* url :
       {&settings.krx_api_base_url, &settings.webhook_url, &settings.ping_start_url,
        &settings.ping_success_url, &settings.ping_fail_url, &settings.smtp_url}) {
    for (const auto& credential : util::url_credentials(*url)) {
      util::register_secret(credential);
    }
  }
}

const ops::Settings& Context::settings() {
  if (!m_settings) {
    const auto env = ops::process_env();
    const auto file = ops::find_config_file(m_options.config, db_path(), env);
    m_settings.emplace(ops::load_settings(file, db_path(), env));
    register_secrets(*m_settings);
  }
  return *m_settings;
}

std::filesystem::path Context::lock_path(std::string_view job) const {
  // Named after the resolved database path (ops::ingest_lock_path), whatever the spelling.
  return app::job_lock_path(db_path(), job);
}

int run_job(Context& ctx, std::string_view job, const std::function<util::FileLock()>& take_lock,
            const std::function<jobs::JobResult()>& body) {
  fetch::CurlNotifyClient notify;
  app::JobRunner runner({ctx.settings(), ctx.db_path(), ctx, notify, ctx.path_policy()});
  return runner.run_job(job, take_lock, body);
}

int run_care_command(Context& ctx, std::string_view name, const std::function<int()>& body) {
  fetch::CurlNotifyClient notify;
  app::JobRunner runner({ctx.settings(), ctx.db_path(), ctx, notify, ctx.path_policy()});
  return runner.run_care_command(name, body);
}

std::optional<po::variables_map>
parse_command_args(const Args& args, const std::string& usage,
                   const po::options_description& options,
                   const po::positional_options_description& positional) {
  po::options_description all;
  all.add(options);
  all.add_options()("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << "Usage: " << usage << "\n\n" << all << "\n";
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    const auto space = usage.find(" [");
    const auto name = usage.substr(0, space);
    throw core::usage_error(name + ": " + e.what() + "; see `" + name + " --help`");
  }
  return vm;
}

} // namespace krxbatch::cli
