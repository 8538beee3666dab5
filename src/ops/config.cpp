#include "krxbatch/ops/config.hpp"

#include "krxbatch/core/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>

namespace krxbatch::ops {
namespace {

constexpr std::string_view k_auth_key = "krx_auth_key";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

const SettingKey* find_key(std::string_view name) {
  for (const auto& k : setting_keys()) {
    if (k.name == name) {
      return &k;
    }
  }
  return nullptr;
}

std::string key_list() {
  std::string out;
  for (const auto& k : setting_keys()) {
    out += (out.empty() ? "" : ", ") + std::string(k.name);
  }
  return out;
}

// Where a value came from, for error messages: "krxbatch.conf:3: log_files" or
// "KRXBATCH_LOG_FILES".
struct Origin {
  std::string where;
};

std::int64_t positive(const std::string& value, const Origin& origin, std::int64_t max,
                      std::string_view what) {
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(value.c_str(), &end, 10);
  if (end == value.c_str() || *end != '\0' || errno != 0 || n <= 0 || n > max) {
    throw core::usage_error(origin.where + ": '" + value + "' is not " + std::string(what) +
                            " (a whole number from 1 to " + std::to_string(max) + ")");
  }
  return n;
}

// "4096", "64K", "100M", "1G" (powers of 1024) as bytes, from 1K to 1 TB.
std::int64_t byte_size(const std::string& value, const Origin& origin) {
  constexpr std::int64_t k_min = 1024;
  constexpr std::int64_t k_max = std::int64_t{1} << 40;
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(value.c_str(), &end, 10);
  std::int64_t unit = 1;
  if (end != value.c_str() && *end != '\0' && end[1] == '\0') {
    switch (*end) {
    case 'K':
    case 'k':
      unit = std::int64_t{1} << 10;
      ++end;
      break;
    case 'M':
    case 'm':
      unit = std::int64_t{1} << 20;
      ++end;
      break;
    case 'G':
    case 'g':
      unit = std::int64_t{1} << 30;
      ++end;
      break;
    default:
      break;
    }
  }
  if (end == value.c_str() || *end != '\0' || errno != 0 || n <= 0 || n > k_max / unit ||
      n * unit < k_min) {
    throw core::usage_error(origin.where + ": '" + value +
                            "' is not a file size (bytes, or a whole number with K, M or G, "
                            "from 1K to 1024G)");
  }
  return n * unit;
}

void url(const std::string& value, const Origin& origin) {
  if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
    // The value may embed a token: name the key, never echo it.
    throw core::usage_error(origin.where + ": not an http:// or https:// URL");
  }
  if (value.find_first_of(" \t\n") != std::string::npos) {
    throw core::usage_error(origin.where + ": a URL must not contain spaces");
  }
}

// A score move in points: a number in (0, 100].
double score_points(const std::string& value, const Origin& origin) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(value.c_str(), &end);
  if (end == value.c_str() || *end != '\0' || errno != 0 || !(v > 0.0) || v > 100.0) {
    throw core::usage_error(origin.where + ": '" + value +
                            "' is not a score move (points, more than 0 and at most 100)");
  }
  return v;
}

// smtps://host[:port] or smtp://host[:port] (STARTTLS, or plain to a loopback relay).
void smtp_url(const std::string& value, const Origin& origin) {
  if (value.rfind("smtp://", 0) != 0 && value.rfind("smtps://", 0) != 0) {
    // The value may embed credentials: name the key, never echo it.
    throw core::usage_error(origin.where +
                            ": not an smtps:// or smtp:// URL (e.g. smtps://mail.example.com:465)");
  }
  if (value.find_first_of(" \t\n") != std::string::npos) {
    throw core::usage_error(origin.where + ": a URL must not contain spaces");
  }
}

// One plain address, local@domain, without a display name, spaces or angle brackets (it goes
// into SMTP commands and headers as it is).
std::string mail_address(const std::string& value, const Origin& origin) {
  const auto at = value.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == value.size() ||
      value.find('@', at + 1) != std::string::npos ||
      value.find_first_of(" \t\r\n<>,;\"()") != std::string::npos) {
    throw core::usage_error(origin.where + ": '" + value +
                            "' is not a mail address (local@domain, e.g. ops@example.com)");
  }
  return value;
}

std::vector<std::string> mail_addresses(const std::string& value, const Origin& origin) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    const auto comma = value.find(',', pos);
    const auto item = trim(std::string_view(value).substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (!item.empty()) {
      out.push_back(mail_address(std::string(item), origin));
    }
    pos = comma == std::string::npos ? value.size() + 1 : comma + 1;
  }
  if (out.empty()) {
    throw core::usage_error(origin.where + ": no mail address (comma-separated addresses)");
  }
  return out;
}

// A bearer token: at least 16 characters, printable ASCII without spaces (it travels in an
// HTTP header).
void token(const std::string& value, const Origin& origin) {
  const bool printable =
      std::all_of(value.begin(), value.end(), [](char c) { return c > ' ' && c < 127; });
  if (value.size() < 16 || !printable) {
    // A token is a secret: name the key, never echo it.
    throw core::usage_error(origin.where +
                            ": a token must be at least 16 printable characters without "
                            "spaces (e.g. `openssl rand -hex 32`)");
  }
}

void apply(Settings& s, std::string_view key, const std::string& value, const Origin& o) {
  if (value.size() > k_max_config_value) {
    // The value may be a secret: name its size, never echo it.
    throw core::usage_error(o.where + ": the value is " + std::to_string(value.size()) +
                            " bytes long, more than the " + std::to_string(k_max_config_value) +
                            " a value may have");
  }
  s.origins.insert_or_assign(std::string(key), o.where);
  if (key == "krx_auth_key") {
    s.krx_auth_key = value;
  } else if (key == "krx_api_base_url") {
    url(value, o);
    s.krx_api_base_url = value;
  } else if (key == "krx_daily_limit") {
    s.krx_daily_limit = positive(value, o, 1'000'000'000, "a number of KRX calls per day");
  } else if (key == "krx_connections") {
    s.krx_connections = positive(value, o, 16, "a number of connections");
  } else if (key == "webhook_url") {
    url(value, o);
    s.webhook_url = value;
  } else if (key == "ping_start_url") {
    url(value, o);
    s.ping_start_url = value;
  } else if (key == "ping_success_url") {
    url(value, o);
    s.ping_success_url = value;
  } else if (key == "ping_fail_url") {
    url(value, o);
    s.ping_fail_url = value;
  } else if (key == "metrics_textfile") {
    s.metrics_textfile = value;
  } else if (key == "metrics_log") {
    s.metrics_log = value;
  } else if (key == "log_dir") {
    s.log_dir = value;
  } else if (key == "log_max_size") {
    s.log_max_bytes = byte_size(value, o);
  } else if (key == "log_files") {
    s.log_files = positive(value, o, 10'000, "a number of files");
  } else if (key == "archive_dir") {
    s.archive_dir = value;
  } else if (key == "archive_days") {
    s.archive_days = positive(value, o, 100'000, "a number of days");
  } else if (key == "watchlist_threshold") {
    s.watchlist_threshold = score_points(value, o);
  } else if (key == "smtp_url") {
    smtp_url(value, o);
    s.smtp_url = value;
  } else if (key == "smtp_user") {
    s.smtp_user = value;
  } else if (key == "smtp_password") {
    s.smtp_password = value;
  } else if (key == "mail_from") {
    s.mail_from = mail_address(value, o);
  } else if (key == "mail_to") {
    s.mail_to = mail_addresses(value, o);
  } else if (key == "serve_token") {
    token(value, o);
    s.serve_token = value;
  } else if (key == "serve_read_token") {
    token(value, o);
    s.serve_read_token = value;
  } else if (key == "serve_export_dir") {
    s.serve_export_dir = value;
  } else if (key == "serve_export_days") {
    s.serve_export_days = positive(value, o, 100'000, "a number of days");
  } else if (key == "serve_rate_limit") {
    s.serve_rate_limit = positive(value, o, 1'000'000, "a number of requests per minute");
  } else if (key == "serve_cors_origin") {
    url(value, o);
    s.serve_cors_origin = value;
  }
}

std::string read_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (const auto size = std::filesystem::file_size(file, ec); !ec && size > k_max_config_file) {
    throw core::usage_error(file.string() + ": the config file is " + std::to_string(size) +
                            " bytes, more than the " + std::to_string(k_max_config_file) +
                            " krxbatch reads; is --config (or KRXBATCH_CONFIG) the right file?");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw core::usage_error(file.string() + ": cannot read the config file (" +
                            std::strerror(errno) + "); check the path and its permissions");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string octal_mode(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777U);
  return buf;
}

} // namespace

std::string Settings::origin(std::string_view key) const {
  if (const auto it = origins.find(key); it != origins.end()) {
    return it->second;
  }
  return std::string(key) + " (default)";
}

const std::vector<SettingKey>& setting_keys() {
  static const std::vector<SettingKey> keys = {
      {"krx_auth_key", "KRX_AUTH_KEY",
       "the KRX Open API key (the file must then be mode 0600); never logged"},
      {"krx_api_base_url", "KRX_API_BASE_URL",
       "where the Open API is (default https://data-dbg.krx.co.kr)"},
      {"krx_daily_limit", "KRX_DAILY_LIMIT", "KRX calls allowed per KST day (default 10000)"},
      {"krx_connections", "KRX_CONNECTIONS",
       "concurrent connections to the KRX while fetching, 1 to 16 (default 4); a 429 slows "
       "them all down"},
      {"webhook_url", "KRXBATCH_WEBHOOK_URL",
       "Slack-compatible webhook: a {\"text\": ...} POST for every alert a job run raises"},
      {"ping_start_url", "KRXBATCH_PING_START_URL", "GET when a job starts (dead-man's switch)"},
      {"ping_success_url", "KRXBATCH_PING_SUCCESS_URL",
       "POST with the run's summary when a job ends with exit 0"},
      {"ping_fail_url", "KRXBATCH_PING_FAIL_URL",
       "POST with the run's summary when a job ends with exit 1 or 2"},
      {"metrics_textfile", "KRXBATCH_METRICS_TEXTFILE",
       "Prometheus textfile (node-exporter) rewritten after each job run"},
      {"metrics_log", "KRXBATCH_METRICS_LOG", "JSON-lines file: one line appended per job run"},
      {"log_dir", "KRXBATCH_LOG_DIR",
       "per-job log files <log_dir>/<job>.log (default logs/ "
       "next to the database)"},
      {"log_max_size", "KRXBATCH_LOG_MAX_SIZE",
       "size of one log file before it rotates: bytes, or with K, M or G (default 100M)"},
      {"log_files", "KRXBATCH_LOG_FILES", "log files kept per job (default 30)"},
      {"archive_dir", "KRXBATCH_ARCHIVE_DIR",
       "where every KRX answer is kept gzipped, archive_dir/YYYY/{api_id}_{YYYYMMDD}.json.gz "
       "(default archive/ next to the database; off: no archive)"},
      {"archive_days", "KRXBATCH_ARCHIVE_DAYS",
       "archived answers of sessions older than this many days are deleted (default: all "
       "kept)"},
      {"watchlist_threshold", "KRXBATCH_WATCHLIST_THRESHOLD",
       "score move (points) that puts a watchlist stock in the `watchlist` alert (default 5)"},
      {"smtp_url", "KRXBATCH_SMTP_URL",
       "mail relay of `report daily --send`: smtps://host:465, or smtp://host:587 "
       "(STARTTLS required; plain only to a loopback relay)"},
      {"smtp_user", "KRXBATCH_SMTP_USER", "login at the mail relay (empty: none)"},
      {"smtp_password", "KRXBATCH_SMTP_PASSWORD",
       "password at the mail relay (the file must then be mode 0600); never logged"},
      {"mail_from", "KRXBATCH_MAIL_FROM", "the report's sender address"},
      {"mail_to", "KRXBATCH_MAIL_TO", "the report's recipients, comma-separated"},
      {"serve_token", "KRXBATCH_SERVE_TOKEN",
       "`krxbatch serve`: the bearer token every POST needs (none: POST is refused); never "
       "logged"},
      {"serve_read_token", "KRXBATCH_SERVE_READ_TOKEN",
       "`krxbatch serve`: when set, every read needs this bearer token (or serve_token)"},
      {"serve_export_dir", "KRXBATCH_SERVE_EXPORT_DIR",
       "`krxbatch serve`: where export jobs write (default exports/ next to the database)"},
      {"serve_export_days", "KRXBATCH_SERVE_EXPORT_DAYS",
       "`krxbatch serve`: export jobs finished this many days ago are deleted (default 7)"},
      {"serve_rate_limit", "KRXBATCH_SERVE_RATE_LIMIT",
       "`krxbatch serve`: requests per minute one client address may make (default 600)"},
      {"serve_cors_origin", "KRXBATCH_SERVE_CORS_ORIGIN",
       "`krxbatch serve`: the one origin allowed to read the API from a browser (default: "
       "none, no CORS header)"},
  };
  return keys;
}

std::vector<ConfigEntry> parse_config(std::string_view text, const std::string& file) {
  std::vector<ConfigEntry> entries;
  std::map<std::string, int, std::less<>> seen;
  int number = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    const auto raw = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++number;
    const auto line = trim(raw);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto where = file + ":" + std::to_string(number) + ": ";
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      throw core::usage_error(where + "expected `key = value`");
    }
    const auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    if (key.empty()) {
      throw core::usage_error(where + "no key before `=`");
    }
    if (find_key(key) == nullptr) {
      throw core::usage_error(where + "unknown key '" + std::string(key) +
                              "'; the keys are: " + key_list());
    }
    if (const auto it = seen.find(key); it != seen.end()) {
      throw core::usage_error(where + "'" + std::string(key) + "' is already set on line " +
                              std::to_string(it->second));
    }
    if (!value.empty() && value.front() == '"') {
      if (value.size() < 2 || value.back() != '"') {
        throw core::usage_error(where + "the value of '" + std::string(key) +
                                "' opens a double quote it does not close");
      }
      value = value.substr(1, value.size() - 2);
    }
    seen.emplace(std::string(key), number);
    entries.push_back({std::string(key), std::string(value), number});
  }
  return entries;
}

void check_key_file_mode(const std::filesystem::path& file, unsigned mode) {
  if ((mode & 077U) != 0) {
    throw core::usage_error(file.string() +
                            ": holds krx_auth_key but group or others may access "
                            "it (mode " +
                            octal_mode(mode) + "); run `chmod 600 " + file.string() +
                            "` (or move the key to env KRX_AUTH_KEY)");
  }
}

EnvLookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
      return std::nullopt;
    }
    return std::string(v);
  };
}

std::optional<std::filesystem::path>
find_config_file(const std::optional<std::string>& explicit_file,
                 const std::filesystem::path& db_path, const EnvLookup& env) {
  std::optional<std::filesystem::path> chosen;
  std::string what;
  if (explicit_file && !explicit_file->empty()) {
    chosen = *explicit_file;
    what = "--config";
  } else if (const auto e = env("KRXBATCH_CONFIG")) {
    chosen = *e;
    what = "KRXBATCH_CONFIG";
  }
  if (chosen) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*chosen, ec)) {
      throw core::usage_error(what + ": " + chosen->string() +
                              " is not a file; create it or fix the path");
    }
    return chosen;
  }
  const auto fallback = db_path.parent_path() / "krxbatch.conf";
  std::error_code ec;
  if (std::filesystem::is_regular_file(fallback, ec)) {
    return fallback;
  }
  return std::nullopt;
}

Settings load_settings(const std::optional<std::filesystem::path>& file,
                       const std::filesystem::path& db_path, const EnvLookup& env,
                       bool check_mode) {
  Settings s;
  if (file) {
    s.config_file = *file;
    const auto entries = parse_config(read_file(*file), file->string());
    for (const auto& e : entries) {
      if (check_mode && (e.key == k_auth_key || e.key == "smtp_password") && !e.value.empty()) {
        struct stat st {};
        if (::stat(file->c_str(), &st) != 0) {
          throw core::usage_error(file->string() + ": cannot read its permissions (" +
                                  std::strerror(errno) + ")");
        }
        check_key_file_mode(*file, static_cast<unsigned>(st.st_mode));
      }
    }
    for (const auto& e : entries) {
      if (!e.value.empty()) {
        apply(s, e.key, e.value, {file->string() + ":" + std::to_string(e.line) + ": " + e.key});
      }
    }
  }
  for (const auto& k : setting_keys()) {
    if (const auto v = env(std::string(k.env).c_str())) {
      apply(s, k.name, *v, {std::string(k.env)});
    }
  }
  if (s.log_dir.empty()) {
    s.log_dir = db_path.parent_path() / "logs";
  }
  if (s.serve_export_dir.empty()) {
    s.serve_export_dir = db_path.parent_path() / "exports";
  }
  if (s.archive_dir == "off") {
    s.archive_dir.clear();
  } else if (s.archive_dir.empty()) {
    s.archive_dir = db_path.parent_path() / "archive";
  }
  return s;
}

} // namespace krxbatch::ops
