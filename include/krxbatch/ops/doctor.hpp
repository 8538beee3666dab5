// `krxbatch doctor`: the first-run checklist. Each check gives a line marked ✓ (fine), ✗ (the
// jobs will fail or lose something: fix it) or ! (worth a look, or could not be told), and for
// every ✗ and ! what to do. `doctor` exits 1 when a line is ✗.
//
// The checks are separate functions over what the command gathered (files, settings, the
// calendar, a market source, the crontab's text), so that each can be tested alone; the CLI
// (doctor_command.cpp) gathers and renders. Apart from the endpoint calls (one per endpoint,
// through the source it is given) and reading files, nothing here has side effects; nothing
// here writes. Secrets never reach a line: the key is reported as present, with where it came
// from, never shown.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/date.hpp"
#include "krxbatch/fetch/curl_http_client.hpp"
#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/ops/config.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::ops {

enum class Mark { ok, fail, warn };
std::string_view to_symbol(Mark mark); // "✓", "✗", "!"
std::string_view to_string(Mark mark); // "ok", "fail", "warn" (JSON)

struct Check {
  Mark mark = Mark::ok;
  std::string name;   // "config file", "endpoint stk_bydd_trd", ...
  std::string detail; // what was found
  std::string fix;    // what to do (for ✗ and !); may be empty for ✓
};

// The config file: found (or not: the environment alone may be enough) and, when it holds the
// key, owner-only (✗ otherwise: the jobs refuse it); other secrets (webhook, ping URLs) in a
// file others can read, or a file others can write, are a !. `mode` is the file's st_mode.
Check check_config_file(const std::optional<std::filesystem::path>& file, unsigned mode,
                        bool holds_key, bool holds_other_secrets);

// The key: present (where from), or ✗ with where to put it. Never shows it.
Check check_key(const Settings& settings);

// The base URL (credentials taken out); plain http is a ! (the key would travel in clear)
// unless it is a loopback address (a test or a tunnel).
Check check_base_url(const Settings& settings);

// The CA store libcurl verifies TLS with: ✗ when neither its file nor its directory holds
// certificates and the base URL is https (every call would fail its TLS handshake).
Check check_ca_store(const fetch::CaStore& store, bool https);

// One call per endpoint for `session` (the latest published session) through `source`, which
// must not retry: approved (✓ with its row count), not approved (✗ naming the endpoint and the
// approval step), the key refused (✗; the endpoints after it are not called), or another
// failure (✗ with the source's message).
std::vector<Check> check_endpoints(fetch::MarketSource& source,
                                   std::span<const fetch::Endpoint> endpoints,
                                   const core::Date& session);

// The holiday files cover today and the next calendar::k_holiday_doctor_days days.
Check check_holidays(const calendar::Calendar& calendar, const core::Date& today);

// What the database check needs to know, gathered by the caller.
struct DatabaseFacts {
  std::filesystem::path path;
  bool exists = false;
  int schema_version = 0;        // on disk (0 when unreadable)
  int latest_schema_version = 0; // this krxbatch's
  std::int64_t sessions = 0;     // stored sessions
  std::uintmax_t db_bytes = 0;   // the database file and its -wal
  bool writable = false;         // the file (or, when absent, its directory) and the directory
  std::uintmax_t free_bytes = 0; // on the database's file system
  std::int64_t archive_sessions = 0;
  std::uintmax_t archive_bytes = 0;
  bool archive_on = false;
  bool archive_same_disk = true; // the archive grows the database's file system too
};

// Bytes per stored session when the database holds too few sessions to measure its own
// growth: a full market (KOSPI + KOSDAQ, ~2,700 issues; 115 MB for 300 sessions, README "Data
// care") and its archive (61 MiB for 300 sessions, docs/PERFORMANCE.md "The raw archive").
inline constexpr std::uintmax_t k_db_bytes_per_session = std::uintmax_t{400} * 1024U;
inline constexpr std::uintmax_t k_archive_bytes_per_session = std::uintmax_t{210} * 1024U;
inline constexpr int k_sessions_per_year = 250;

// The database: where it is, its schema, whether it is writable, and the free disk space
// against a year of expected growth (its own growth per session when it holds 20 sessions or
// more, else the full-market figures above; plus the archive's when it shares the disk).
std::vector<Check> check_database(const DatabaseFacts& facts);

// A directory krxbatch writes into (`what`: "log directory", "archive directory"): it exists
// and is writable, or its nearest existing parent is (it will be created).
Check check_writable_dir(const std::string& what, const std::filesystem::path& dir);

// Where the schedule may be: each crontab text read (its source and text), the systemd timer
// units found (their paths), and the environment files the cron wrapper reads (their text).
struct ScheduleFacts {
  std::vector<std::pair<std::string, std::string>> crontabs; // ("crontab of root", text)
  std::vector<std::string> unreadable; // sources that could not be read ("crontab -l: ...")
  std::vector<std::filesystem::path> timers;
  std::vector<std::string> env_files; // /etc/krxbatch/krxbatch.env and the like
};

// Best effort: the crontab lines or systemd timers that run `daily_update` and
// `hourly_analysis`, and whether they name this database; ! when none is found or it cannot
// tell (and why).
Check check_schedule(const ScheduleFacts& facts, const std::filesystem::path& db_path);

// The checklist as text lines ("✓ config file: ...", and "    fix: ..." below a ✗ or !), and
// as JSON ({"ok": bool, "checks": [{"mark", "name", "detail", "fix"}]}).
std::string doctor_text(std::span<const Check> checks);
std::string doctor_json(std::span<const Check> checks);
bool has_failure(std::span<const Check> checks);

} // namespace krxbatch::ops
