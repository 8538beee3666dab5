// `krxbatch doctor [--json]`: gathers what the checks of ops/doctor.hpp look at (the config file,
// the settings, the CA store, one KRX call per endpoint, the holiday files, the database, the
// log and archive directories, the crontab and systemd timers) and prints the checklist.
// Exit 0 when no line is ✗, else 1. It never creates the database; it writes nothing but the
// count of its KRX calls (api_calls), when the database exists.
#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/curl_http_client.hpp"
#include "krxbatch/fetch/open_api_source.hpp"
#include "krxbatch/fetch/raw_archive.hpp"
#include "krxbatch/jobs/call_budget.hpp"
#include "krxbatch/ops/doctor.hpp"
#include "krxbatch/store/db_file.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/util/log.hpp"
#include "krxbatch/util/paths.hpp"
#include "krxbatch/util/text_file.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <iostream>
#include <memory>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace krxbatch::cli {
namespace {

namespace fs = std::filesystem;

// A budget for when there is no database to count in: every call is allowed, none counted.
class UncountedBudget final : public fetch::CallBudget {
public:
  bool try_consume() override { return true; }
  std::string exhausted_message() const override { return {}; }
};

// The config file's mode and which secrets it holds.
struct ConfigFacts {
  unsigned mode = 0;
  bool holds_key = false;
  bool holds_other_secrets = false;
};

ConfigFacts config_facts(const fs::path& file) {
  ConfigFacts f;
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) {
    f.mode = static_cast<unsigned>(st.st_mode);
  }
  if (const auto text = util::read_text_file(file)) {
    for (const auto& e : ops::parse_config(*text, file.string())) {
      if (e.value.empty()) {
        continue;
      }
      f.holds_key = f.holds_key || e.key == "krx_auth_key";
      f.holds_other_secrets = f.holds_other_secrets || e.key == "webhook_url" ||
                              e.key.starts_with("ping_") || e.key == "serve_token" ||
                              e.key == "serve_read_token";
    }
  }
  return f;
}

std::uintmax_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

// The device of `path` or of its nearest existing parent.
dev_t device_of(fs::path path) {
  struct stat st {};
  path = fs::absolute(path);
  while (::stat(path.c_str(), &st) != 0 && path.has_parent_path() && path.parent_path() != path) {
    path = path.parent_path();
  }
  return st.st_dev;
}

ops::DatabaseFacts gather_database(const fs::path& db, const ops::Settings* settings,
                                   const calendar::Calendar* calendar) {
  ops::DatabaseFacts f;
  f.path = db;
  f.latest_schema_version = store::Database::latest_schema_version();
  std::error_code ec;
  f.exists = fs::is_regular_file(db, ec);
  const auto dir = db.has_parent_path() ? db.parent_path() : fs::path(".");
  if (f.exists) {
    try {
      const auto summary = store::summarize_file(db);
      f.schema_version = summary.schema_version;
      // The sessions the stored history spans (for the growth per session).
      if (summary.first_session && summary.last_session && calendar != nullptr &&
          calendar->covers(*summary.first_session) && calendar->covers(*summary.last_session)) {
        f.sessions = static_cast<std::int64_t>(
            calendar->business_days(*summary.first_session, *summary.last_session).size());
      }
    } catch (const core::Error& e) {
      spdlog::debug("doctor: {}", e.what());
    }
    f.db_bytes = file_size_or_zero(db) + file_size_or_zero(db.string() + "-wal");
    f.writable = ::access(db.c_str(), R_OK | W_OK) == 0 && ::access(dir.c_str(), W_OK | X_OK) == 0;
  } else {
    const auto existing = fs::exists(dir, ec) ? dir : fs::path(".");
    f.writable = ::access(existing.c_str(), W_OK | X_OK) == 0;
  }
  const auto space = fs::space(fs::exists(dir, ec) ? dir : fs::path("."), ec);
  f.free_bytes = ec ? 0 : space.available;
  if (settings != nullptr && !settings->archive_dir.empty()) {
    f.archive_on = true;
    const auto usage = fetch::archive_usage(settings->archive_dir);
    f.archive_sessions = usage.sessions;
    f.archive_bytes = usage.bytes;
    f.archive_same_disk = device_of(settings->archive_dir) == device_of(dir);
  }
  return f;
}

// The endpoints the configuration uses: the stored markets' stock endpoints, then their index
// endpoints (what a day's ingestion calls).
std::vector<fetch::Endpoint> endpoints_of(const std::vector<market::Market>& markets) {
  std::vector<fetch::Endpoint> out;
  out.reserve(2 * markets.size());
  for (const auto m : markets) {
    out.push_back(fetch::stock_endpoint(m));
  }
  for (const auto m : markets) {
    if (m == market::Market::kospi) {
      out.push_back(fetch::Endpoint::kospi_index);
    } else if (m == market::Market::kosdaq) {
      out.push_back(fetch::Endpoint::kosdaq_index);
    }
  }
  return out;
}

} // namespace

int run_doctor(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  const auto vm = parse_command_args(
      args,
      "krxbatch doctor [--json]\n\n"
      "The first-run checklist: config file found and owner-only, key present, base URL,\n"
      "CA certificates, every endpoint the configuration uses approved (one KRX call each\n"
      "for the latest published session, counted against the daily limit), holiday files\n"
      "covering the next 60 days, the database (schema, writable, free space for a year),\n"
      "the log and archive directories, and the crontab or systemd timers (best effort).\n"
      "Each line is ✓, ✗ (with what to do) or !. Exit 0 when nothing is ✗, else 1.",
      opts);
  if (!vm) {
    return 0;
  }
  std::vector<ops::Check> checks;
  const auto add = [&checks](std::vector<ops::Check> more) {
    checks.insert(checks.end(), more.begin(), more.end());
  };
  const auto db = ctx.db_path();
  const auto env = ops::process_env();

  // Config file and settings (read even when the file's mode is wrong: that is a finding).
  std::optional<fs::path> config_file;
  std::optional<ops::Settings> settings;
  bool config_unsafe = false;
  try {
    config_file = ops::find_config_file(ctx.options().config, db, env);
    const auto facts = config_file ? config_facts(*config_file) : ConfigFacts{};
    auto c =
        ops::check_config_file(config_file, facts.mode, facts.holds_key, facts.holds_other_secrets);
    config_unsafe = c.mark == ops::Mark::fail;
    checks.push_back(std::move(c));
    settings.emplace(ops::load_settings(config_file, db, env, false));
    register_secrets(*settings);
  } catch (const core::Error& e) {
    checks.push_back({ops::Mark::fail, "config file", util::redact(e.what()),
                      "fix the line it names (README \"Configuration\")"});
  }

  const auto spec = ctx.source_spec();
  bool https = true;
  if (settings) {
    checks.push_back(ops::check_key(*settings));
    checks.push_back(ops::check_base_url(*settings));
    https = !settings->krx_api_base_url.starts_with("http://");
  }
  checks.push_back(ops::check_ca_store(fetch::default_ca_store(), https));

  // Holiday files and the session the endpoint calls ask for.
  const calendar::Calendar* calendar = nullptr;
  try {
    calendar = &ctx.calendar();
    checks.push_back(ops::check_holidays(*calendar, ctx.clock().now_kst().date()));
  } catch (const core::Error& e) {
    checks.push_back({ops::Mark::fail, "holiday files", e.what(),
                      "give the holidays directory with --holidays or KRXBATCH_HOLIDAYS, or "
                      "fix the file it names"});
  }

  // The endpoints: one call each, counted when there is a database to count in.
  const auto db_facts = gather_database(db, settings ? &*settings : nullptr, calendar);
  std::vector<market::Market> markets = {market::Market::kospi, market::Market::kosdaq};
  std::unique_ptr<fetch::CallBudget> budget;
  if (db_facts.exists && db_facts.writable && db_facts.schema_version >= 1 &&
      db_facts.schema_version <= db_facts.latest_schema_version) {
    markets = store::MetaStore(ctx.database()).markets();
    budget = std::make_unique<jobs::DbCallBudget>(ctx.database(), ctx.clock(),
                                                  settings ? settings->krx_daily_limit : 10000);
  } else {
    budget = std::make_unique<UncountedBudget>();
  }
  const auto endpoints = endpoints_of(markets);
  if (spec != "krx") {
    checks.push_back({ops::Mark::warn, "endpoints", "not called: --source is " + spec,
                      "run doctor without --source (or KRXBATCH_SOURCE) to check the KRX key"});
  } else if (!settings || settings->krx_auth_key.empty() || config_unsafe || calendar == nullptr) {
    checks.push_back({ops::Mark::warn, "endpoints", "not called",
                      "fix the ✗ above (the key, its file's mode, the holiday files) first"});
  } else {
    try {
      fetch::OpenApiSettings api;
      api.base_url = settings->krx_api_base_url;
      api.auth_key = settings->krx_auth_key;
      api.auth_key_origin = settings->origin("krx_auth_key");
      api.base_url_origin = settings->origin("krx_api_base_url");
      fetch::CurlOptions curl;
      if (const auto timeout = ctx.test_hooks().http_timeout) {
        curl.total_timeout = *timeout;
        curl.connect_timeout = std::min(curl.connect_timeout, *timeout);
      }
      // One call per endpoint: no retry of anything (a 401 above all).
      fetch::OpenApiSource source(std::move(api), std::make_unique<fetch::CurlHttpClient>(curl),
                                  *budget, fetch::RetryPolicy(1.0, fetch::RetrySchedule{{}, {}}));
      const auto session = calendar->latest_published_session(ctx.clock().now_kst());
      std::string counted = "not counted (no database yet)";
      if (auto* counting = dynamic_cast<jobs::DbCallBudget*>(budget.get())) {
        counted = "counted against today's limit (" + std::to_string(counting->used_today()) +
                  " of " + std::to_string(counting->limit()) + " used before them)";
      }
      checks.push_back({ops::Mark::ok, "KRX calls",
                        std::to_string(endpoints.size()) + " calls, one per endpoint, for " +
                            core::to_iso(session) + " (the latest published session), " + counted,
                        ""});
      add(ops::check_endpoints(source, endpoints, session));
    } catch (const core::Error& e) {
      checks.push_back({ops::Mark::fail, "endpoints", util::redact(e.what()), ""});
    }
  }

  add(ops::check_database(db_facts));
  if (settings) {
    checks.push_back(ops::check_writable_dir("log directory", settings->log_dir));
    if (settings->archive_dir.empty()) {
      checks.push_back({ops::Mark::warn, "archive directory", "off (archive_dir = off)",
                        "without the archive a session cannot be re-derived or re-parsed "
                        "later without calling KRX again"});
    } else {
      checks.push_back(ops::check_writable_dir("archive directory", settings->archive_dir));
    }
  }
  checks.push_back(ops::check_schedule(gather_schedule(), db));

  std::cout << (ctx.json() ? ops::doctor_json(checks) + "\n" : ops::doctor_text(checks));
  return ops::has_failure(checks) ? 1 : 0;
}

} // namespace krxbatch::cli
