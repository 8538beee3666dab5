// The operator's settings: a `key = value` config file, overridden key by key by environment
// variables.
//
// The file (global --config FILE, else env KRXBATCH_CONFIG, else `krxbatch.conf` in the
// database's directory when it exists) has one `key = value` per line; blank lines and lines
// whose first non-blank character is `#` are ignored (a `#` after a value is part of it, since
// URLs and keys may contain one). A value may be wrapped in double quotes. An empty value
// means "not set". An unknown key, a line without `=`, a key given twice, a value longer than
// k_max_config_value or a bad value is an error naming `file:line` (exit 2), as is a file larger
// than k_max_config_file. A file that holds `krx_auth_key` must be accessible by
// its owner only (mode 0600 or stricter): anyone who can read it has the key, and anyone who
// can write it can point krx_api_base_url elsewhere and collect the key.
//
// Each key has an environment variable (Settings::env_name) that wins over the file when set
// and not empty. Values are validated whichever way they came. Pure apart from reading the
// file and its mode; thread-compatible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

struct Settings {
  std::string krx_auth_key;     // empty: not set
  std::string krx_api_base_url; // empty: the default (fetch::k_default_base_url)
  std::int64_t krx_daily_limit = 10000;
  // Concurrent connections to the KRX in the fetch pipeline (docs/PERFORMANCE.md, "Latency").
  std::int64_t krx_connections = 4;
  std::string webhook_url;       // Slack-compatible: POST {"text": ...} per new alert
  std::string ping_start_url;    // dead-man's switch: GET when a job starts
  std::string ping_success_url;  // POST (the summary) when it ends with exit 0
  std::string ping_fail_url;     // POST (the summary) when it ends otherwise
  std::string metrics_textfile;  // Prometheus node-exporter textfile, rewritten atomically
  std::string metrics_log;       // JSON lines, one per run, appended
  std::filesystem::path log_dir; // <log_dir>/<job>.log
  std::int64_t log_max_bytes = std::int64_t{100} << 20; // per file (log_max_size)
  std::int64_t log_files = 30; // files kept per job, the current one included
  // The raw archive of KRX answers (fetch::RawArchive): `archive` next to the database by
  // default; empty when archive_dir is `off`.
  std::filesystem::path archive_dir;
  std::int64_t archive_days = 0; // retention in days; 0 keeps everything
  // A watchlist stock's score move (points) that is news (jobs/watchlist_alerts.hpp).
  double watchlist_threshold = 5.0;
  // The daily report's mail (`report daily --send`).
  std::string smtp_url;             // smtps://host[:port] or smtp://host[:port]; empty: no mail
  std::string smtp_user;            // empty: no login
  std::string smtp_password;        // a secret: never logged
  std::string mail_from;            // local@domain
  std::vector<std::string> mail_to; // at least one when set
  // `krxbatch serve` (docs/API.md). Tokens: empty means not set (POST is then refused; reads
  // are open). Never logged.
  std::string serve_token;      // bearer token every POST needs
  std::string serve_read_token; // bearer token every read needs too (serve_token also works)
  // Where export jobs write (exports/ next to the database by default), one directory per job.
  std::filesystem::path serve_export_dir;
  std::int64_t serve_export_days = 7;  // finished export jobs older than this are deleted
  std::int64_t serve_rate_limit = 600; // requests per minute per client address
  std::string serve_cors_origin;       // Access-Control-Allow-Origin; empty: no CORS

  // Where the settings came from, for messages: the config file, or empty when none.
  std::filesystem::path config_file;
  // Where each key's value came from: "krxbatch.conf:3: log_dir" or "KRXBATCH_LOG_DIR".
  std::map<std::string, std::string, std::less<>> origins;

  // What a message names for `key`: its origin, or "<key> (default)" when it was not set, so
  // that an error about a value points at the line that set it.
  std::string origin(std::string_view key) const;
};

// The longest value a key may have (bytes), and the largest config file read.
inline constexpr std::size_t k_max_config_value = 4096;
inline constexpr std::uintmax_t k_max_config_file = 1U << 20U;

// One key of the file: its name, its environment variable and what it means (for --help and
// the README).
struct SettingKey {
  std::string_view name;
  std::string_view env;
  std::string_view meaning;
};
const std::vector<SettingKey>& setting_keys();

// The raw `key = value` pairs of a config file's text. `file` names it in errors
// ("krxbatch.conf:3: ..."). Throws core::Error (exit 2).
struct ConfigEntry {
  std::string key;
  std::string value;
  int line = 0;
};
std::vector<ConfigEntry> parse_config(std::string_view text, const std::string& file);

// Throws core::Error (exit 2) when `mode` (st_mode bits) gives group or others any access to
// a file that holds the KRX key.
void check_key_file_mode(const std::filesystem::path& file, unsigned mode);

// Reads the environment; tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup process_env();

// Where the config file is: `explicit_file` (--config), else env KRXBATCH_CONFIG, else
// `<db_dir>/krxbatch.conf` if it exists; nullopt when there is none. An explicit file that
// does not exist is an error (exit 2).
std::optional<std::filesystem::path>
find_config_file(const std::optional<std::string>& explicit_file,
                 const std::filesystem::path& db_path, const EnvLookup& env);

// Reads `file` (when set; its mode is checked when it holds the key, unless `check_mode` is
// false: `doctor` reports a bad mode as a finding instead), applies the environment and the
// defaults (log_dir: `logs`, archive_dir: `archive`, both next to the database). Throws
// core::Error (exit 2) with `file:line` or the variable's name.
Settings load_settings(const std::optional<std::filesystem::path>& file,
                       const std::filesystem::path& db_path, const EnvLookup& env,
                       bool check_mode = true);

} // namespace krxbatch::ops
