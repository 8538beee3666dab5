#include "krxbatch/ops/doctor.hpp"

#include "krxbatch/util/log.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <unistd.h>

namespace krxbatch::ops {
namespace {

namespace fs = std::filesystem;

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777U);
  return buf;
}

std::string mib(std::uintmax_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

bool is_loopback_url(std::string_view url) {
  const auto host_start = url.find("://");
  if (host_start == std::string_view::npos) {
    return false;
  }
  auto host = url.substr(host_start + 3);
  if (const auto at = host.find('@'); at != std::string_view::npos) {
    host = host.substr(at + 1);
  }
  return host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]");
}

bool nonempty_file(const std::string& path) {
  std::error_code ec;
  return !path.empty() && fs::is_regular_file(path, ec) && fs::file_size(path, ec) > 0 && !ec;
}

bool dir_has_certificates(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !fs::is_directory(path, ec)) {
    return false;
  }
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    if (ext == ".pem" || ext == ".crt" || ext == ".0") {
      return true;
    }
  }
  return false;
}

// "KRX ...: HTTP 500 '...' (1 attempt); the next run retries the day" as (what, what to do).
std::pair<std::string, std::string> split_message(const std::string& message) {
  const auto cut = message.find("); ");
  if (cut == std::string::npos) {
    return {message, {}};
  }
  return {message.substr(0, cut + 1), message.substr(cut + 3)};
}

// The nearest directory of `dir` that exists (itself, or a parent).
fs::path nearest_existing(const fs::path& dir) {
  auto p = fs::absolute(dir);
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec) && p.has_parent_path() && p.parent_path() != p) {
    p = p.parent_path();
  }
  return p;
}

} // namespace

std::string_view to_symbol(Mark mark) {
  switch (mark) {
  case Mark::ok:
    return "✓";
  case Mark::fail:
    return "✗";
  case Mark::warn:
    return "!";
  }
  return "?";
}

std::string_view to_string(Mark mark) {
  switch (mark) {
  case Mark::ok:
    return "ok";
  case Mark::fail:
    return "fail";
  case Mark::warn:
    return "warn";
  }
  return "?";
}

Check check_config_file(const std::optional<fs::path>& file, unsigned mode, bool holds_key,
                        bool holds_other_secrets) {
  Check c{Mark::ok, "config file", "", ""};
  if (!file) {
    c.mark = Mark::warn;
    c.detail = "none found (no --config, no KRXBATCH_CONFIG, no krxbatch.conf next to the "
               "database): the settings come from the environment and the defaults";
    c.fix = "to keep the key and the other settings in one place, copy "
            "cron/krxbatch.conf.example to krxbatch.conf next to the database (or "
            "/etc/krxbatch/krxbatch.conf with KRXBATCH_CONFIG) and chmod 600 it";
    return c;
  }
  const auto name = file->string();
  c.detail = name + " (mode " + octal(mode) + ")";
  if ((mode & 077U) != 0 && holds_key) {
    c.mark = Mark::fail;
    c.detail += ": holds krx_auth_key and group or others may access it; the jobs refuse it";
    c.fix = "run `chmod 600 " + name + "` (and `chown` it to the user the jobs run as)";
  } else if ((mode & 077U) != 0 && holds_other_secrets) {
    c.mark = Mark::warn;
    c.detail += ": holds webhook or ping URLs (they carry tokens) and others may read it";
    c.fix = "run `chmod 600 " + name + "`";
  } else if ((mode & 022U) != 0) {
    c.mark = Mark::warn;
    c.detail += ": others may write it (and so point krxbatch elsewhere)";
    c.fix = "run `chmod go-w " + name + "`";
  } else {
    c.detail += holds_key ? ", owner-only, holds the key" : ", holds no key";
  }
  return c;
}

Check check_key(const Settings& settings) {
  if (settings.krx_auth_key.empty()) {
    return {Mark::fail, "KRX key", "not set",
            "set krx_auth_key in the config file (mode 600) or KRX_AUTH_KEY in the "
            "environment to the key issued at openapi.krx.co.kr (마이페이지 > API 인증키)"};
  }
  return {Mark::ok, "KRX key", "set (" + settings.origin("krx_auth_key") + ")", ""};
}

Check check_base_url(const Settings& settings) {
  const std::string url =
      settings.krx_api_base_url.empty() ? "https://data-dbg.krx.co.kr" : settings.krx_api_base_url;
  const auto shown = util::without_url_credentials(url);
  const auto origin = settings.krx_api_base_url.empty()
                          ? std::string(" (default)")
                          : " (" + settings.origin("krx_api_base_url") + ")";
  if (url.starts_with("http://") && !is_loopback_url(url)) {
    return {Mark::warn, "base URL", shown + origin + ": plain http, the key travels in clear",
            "use https (the default, https://data-dbg.krx.co.kr) unless this is a tunnel"};
  }
  return {Mark::ok, "base URL", shown + origin, ""};
}

Check check_ca_store(const fetch::CaStore& store, bool https) {
  const bool file_ok = nonempty_file(store.file);
  const bool dir_ok = dir_has_certificates(store.dir);
  const std::string where = (store.file.empty() ? std::string("(no CA file)") : store.file) + ", " +
                            (store.dir.empty() ? std::string("(no CA path)") : store.dir);
  if (file_ok || dir_ok) {
    return {Mark::ok, "CA certificates", where, ""};
  }
  return {https ? Mark::fail : Mark::warn, "CA certificates",
          "none found at " + where +
              ": every https call to KRX would fail its TLS check (minimal Debian images lack "
              "them: libcurl only recommends the package)",
          "install them: `apt-get install ca-certificates` (scripts/quickstart does)"};
}

std::vector<Check> check_endpoints(fetch::MarketSource& source,
                                   std::span<const fetch::Endpoint> endpoints,
                                   const core::Date& session) {
  std::vector<Check> out;
  bool key_refused = false;
  for (const auto e : endpoints) {
    const std::string name = "endpoint " + std::string(fetch::api_id(e));
    if (key_refused) {
      out.push_back({Mark::warn, name, "not called: KRX refused the key",
                     "fix the key first, then run doctor again"});
      continue;
    }
    std::optional<core::Failure<fetch::FailureKind>> failure;
    std::size_t rows = 0;
    if (fetch::is_stock_endpoint(e)) {
      auto r = source.stocks(e, session);
      r.ok() ? (void)(rows = r.value().size()) : (void)(failure = r.failure());
    } else {
      auto r = source.indices(e, session);
      r.ok() ? (void)(rows = r.value().size()) : (void)(failure = r.failure());
    }
    const auto day = core::to_iso(session);
    if (!failure) {
      if (rows > 0) {
        out.push_back(
            {Mark::ok, name, "approved: " + std::to_string(rows) + " rows for " + day, ""});
      } else {
        out.push_back({Mark::warn, name, "approved, but no rows for " + day + " yet",
                       "KRX publishes a session at about 08:00 KST on the next business day; "
                       "run doctor again then"});
      }
      continue;
    }
    const auto [what, todo] = split_message(failure->message);
    switch (failure->kind) {
    case fetch::FailureKind::not_approved:
      out.push_back({Mark::fail, name,
                     "not approved for this key (HTTP 401 'Unauthorized API Call')",
                     "apply for " + std::string(fetch::api_id(e)) +
                         " (이용신청) at openapi.krx.co.kr, under the same account as the key, "
                         "and wait for the approval (about one business day); nothing to "
                         "change here"});
      break;
    case fetch::FailureKind::unauthorized:
      key_refused = true;
      out.push_back({Mark::fail, name, "KRX refused the key (HTTP 401 'Unauthorized Key')", todo});
      break;
    case fetch::FailureKind::quota_exhausted:
      out.push_back({Mark::warn, name, "not called: " + what, todo});
      break;
    default:
      out.push_back({Mark::fail, name, what, todo});
      break;
    }
  }
  return out;
}

Check check_holidays(const calendar::Calendar& calendar, const core::Date& today) {
  const std::string span = std::to_string(calendar.first_year()) + "-" +
                           std::to_string(calendar.last_year()) + ", to " +
                           core::to_iso(calendar.last_day());
  if (const auto message =
          calendar::coverage_ends_soon(calendar, today, calendar::k_holiday_doctor_days)) {
    const auto cut = message->find(": add ");
    return {Mark::fail, "holiday files",
            "cover " + span + ", less than " + std::to_string(calendar::k_holiday_doctor_days) +
                " days ahead",
            cut == std::string::npos ? *message : message->substr(cut + 2)};
  }
  return {Mark::ok, "holiday files",
          "cover " + span + " (" + std::to_string((calendar.last_day() - today).days()) +
              " days ahead)",
          ""};
}

std::vector<Check> check_database(const DatabaseFacts& f) {
  std::vector<Check> out;
  const auto path = f.path.string();
  if (!f.exists) {
    out.push_back({Mark::warn, "database", path + " does not exist yet",
                   "`krxbatch manual_setup` creates it (or give the right one with --db or "
                   "KRXBATCH_DB)"});
  } else if (f.schema_version > f.latest_schema_version) {
    out.push_back({Mark::fail, "database",
                   path + ": schema " + std::to_string(f.schema_version) +
                       ", newer than this krxbatch's " + std::to_string(f.latest_schema_version),
                   "run the krxbatch that wrote it (or a newer one)"});
  } else if (f.schema_version < 1) {
    out.push_back({Mark::fail, "database", path + ": not a krxbatch database (no schema)",
                   "give krxbatch's database with --db or KRXBATCH_DB"});
  } else {
    out.push_back(
        {Mark::ok, "database",
         path + ": schema " + std::to_string(f.schema_version) +
             (f.schema_version < f.latest_schema_version
                  ? " (the next job upgrades it to " + std::to_string(f.latest_schema_version) + ")"
                  : std::string()) +
             ", " + std::to_string(f.sessions) + " sessions, " + mib(f.db_bytes),
         ""});
  }
  if (!f.writable) {
    out.push_back({Mark::fail, "database writable",
                   "the jobs cannot write " + path +
                       " or its directory (its -wal, -shm and "
                       "lock files live there)",
                   "run the jobs as the owner of the database and its directory, or fix their "
                   "permissions"});
  } else {
    out.push_back({Mark::ok, "database writable", "the file and its directory", ""});
  }

  // A year of growth: measured from the database itself once it holds enough sessions.
  constexpr std::int64_t k_enough_sessions = 20;
  const auto per_session = f.sessions >= k_enough_sessions
                               ? f.db_bytes / static_cast<std::uintmax_t>(f.sessions)
                               : k_db_bytes_per_session;
  std::uintmax_t year = per_session * k_sessions_per_year;
  std::string basis =
      f.sessions >= k_enough_sessions ? "this database's growth" : "a full market's growth";
  if (f.archive_on && f.archive_same_disk) {
    const auto archive_per_session =
        f.archive_sessions >= k_enough_sessions
            ? f.archive_bytes / static_cast<std::uintmax_t>(f.archive_sessions)
            : k_archive_bytes_per_session;
    year += archive_per_session * k_sessions_per_year;
    basis += " with its archive";
  }
  const auto detail = mib(f.free_bytes) + " free; a year needs about " + mib(year) + " (" + basis +
                      ", " + std::to_string(k_sessions_per_year) + " sessions)";
  if (f.free_bytes < year) {
    out.push_back({Mark::fail, "disk space", detail,
                   "free space on that file system, move the database (or archive_dir) to a "
                   "larger one, or set archive_days"});
  } else if (f.free_bytes < 2 * year) {
    out.push_back({Mark::warn, "disk space", detail, "plan for more space within the year"});
  } else {
    out.push_back({Mark::ok, "disk space", detail, ""});
  }
  return out;
}

Check check_writable_dir(const std::string& what, const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return {Mark::fail, what, dir.string() + " is not a directory",
              "remove it or point the setting elsewhere"};
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
      return {Mark::fail, what, dir.string() + " is not writable by this user",
              "run the jobs as its owner, or fix its permissions"};
    }
    return {Mark::ok, what, dir.string() + " (writable)", ""};
  }
  const auto parent = nearest_existing(dir);
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    return {Mark::fail, what,
            dir.string() + " does not exist and " + parent.string() + " is not writable",
            "create it for the user the jobs run as (mkdir -p; chown)"};
  }
  return {Mark::ok, what, dir.string() + " (created on first use)", ""};
}

Check check_schedule(const ScheduleFacts& facts, const fs::path& db_path) {
  const auto db = db_path.string();
  const auto absolute = fs::absolute(db_path).lexically_normal().string();
  std::vector<std::string> found;
  bool names_db = false;
  for (const auto& [source, text] : facts.crontabs) {
    bool daily = false;
    bool hourly = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const auto nl = text.find('\n', pos);
      const auto line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? text.size() : nl + 1;
      const auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#' ||
          line.find("krxbatch") == std::string::npos) {
        continue;
      }
      daily = daily || line.find("daily_update") != std::string::npos ||
              line.find("daily-update") != std::string::npos;
      hourly = hourly || line.find("hourly_analysis") != std::string::npos ||
               line.find("hourly-analysis") != std::string::npos;
      names_db = names_db || line.find(db) != std::string::npos ||
                 line.find(absolute) != std::string::npos;
    }
    if (daily || hourly) {
      found.push_back(source + " (" +
                      (daily && hourly ? "daily_update and hourly_analysis"
                       : daily         ? "daily_update only"
                                       : "hourly_analysis only") +
                      ")");
    }
  }
  for (const auto& timer : facts.timers) {
    found.push_back("systemd timer " + timer.string());
  }
  for (const auto& env : facts.env_files) {
    names_db =
        names_db || env.find(db) != std::string::npos || env.find(absolute) != std::string::npos;
  }
  std::string cannot;
  for (const auto& u : facts.unreadable) {
    cannot += (cannot.empty() ? "" : "; ") + u;
  }
  if (found.empty()) {
    return {Mark::warn, "schedule",
            "no crontab line or systemd timer running krxbatch found" +
                (cannot.empty() ? std::string() : " (could not read: " + cannot + ")"),
            "the jobs never run by themselves until the crontab (cron/krxbatch.crontab, "
            "`crontab -u USER`) or the timers in cron/systemd/ are installed (README "
            "\"Operations\"); another user's crontab cannot be seen: run doctor as the user the "
            "jobs run as"};
  }
  std::string list;
  for (const auto& f : found) {
    list += (list.empty() ? "" : ", ") + f;
  }
  if (!names_db) {
    return {Mark::warn, "schedule", "found " + list + ", but none names " + db,
            "check that they run with this database (--db, or KRXBATCH_DB in the wrapper's "
            "environment file /etc/krxbatch/krxbatch.env)"};
  }
  return {Mark::ok, "schedule", "found " + list + " for this database (best effort)", ""};
}

std::string doctor_text(std::span<const Check> checks) {
  std::string out;
  int failed = 0;
  int warned = 0;
  for (const auto& c : checks) {
    out += std::string(to_symbol(c.mark)) + " " + c.name + ": " + c.detail + "\n";
    if (c.mark != Mark::ok && !c.fix.empty()) {
      out += "    fix: " + c.fix + "\n";
    }
    failed += c.mark == Mark::fail ? 1 : 0;
    warned += c.mark == Mark::warn ? 1 : 0;
  }
  out += "doctor: " + std::to_string(failed) + " problem(s) to fix (✗), " + std::to_string(warned) +
         " to look at (!)\n";
  return out;
}

std::string doctor_json(std::span<const Check> checks) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& c : checks) {
    list.push_back({{"mark", std::string(to_string(c.mark))},
                    {"name", c.name},
                    {"detail", c.detail},
                    {"fix", c.fix}});
  }
  nlohmann::ordered_json j{{"ok", !has_failure(checks)}, {"checks", std::move(list)}};
  return j.dump(2);
}

bool has_failure(std::span<const Check> checks) {
  for (const auto& c : checks) {
    if (c.mark == Mark::fail) {
      return true;
    }
  }
  return false;
}

} // namespace krxbatch::ops
