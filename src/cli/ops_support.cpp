#include "ops_support.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/text_file.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

namespace krxbatch::cli {
namespace {

namespace fs = std::filesystem;

std::string user_name() {
  if (const auto* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "uid " + std::to_string(::geteuid());
}

// `crontab -l` of this user: its text, or why it could not be read.
std::pair<std::optional<std::string>, std::string> own_crontab() {
  // NOLINTNEXTLINE(cert-env33-c): a fixed command, no input of ours in it
  FILE* pipe = ::popen("crontab -l 2>/dev/null", "r");
  if (pipe == nullptr) {
    return {std::nullopt, "crontab -l could not be run"};
  }
  std::string text;
  std::array<char, 4096> buf{};
  while (const auto n = std::fread(buf.data(), 1, buf.size(), pipe)) {
    text.append(buf.data(), n);
  }
  const int status = ::pclose(pipe);
  if (status != 0 && text.empty()) {
    // 1: "no crontab for user"; 127: no crontab command.
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return {std::nullopt, code == 127 ? "crontab -l: no crontab command (cron not installed)"
                                      : "crontab -l: no crontab for " + user_name()};
  }
  return {text, {}};
}

} // namespace

store::Database& existing_database(Context& ctx, std::string_view command) {
  const auto path = ctx.db_path();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw core::usage_error(std::string(command) + ": the database " + path.string() +
                            " does not exist; choose it with --db or KRXBATCH_DB");
  }
  return ctx.database();
}

std::string human_bytes(std::uintmax_t bytes) {
  static constexpr const char* k_units[] = {"B", "KB", "MB", "GB", "TB"};
  if (bytes < 1024) {
    return std::to_string(bytes) + " B";
  }
  double v = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (v >= 1024.0 && unit + 1 < std::size(k_units)) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, k_units[unit]);
  return buf;
}

bool stdin_is_tty() {
  return ::isatty(STDIN_FILENO) == 1;
}

bool ask_yes_no(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    return false;
  }
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

bool confirmed(std::string_view command, bool yes, const std::string& question) {
  if (yes) {
    return true;
  }
  if (!stdin_is_tty()) {
    throw core::usage_error(std::string(command) +
                            ": needs confirmation and stdin is not a terminal; rerun with --yes "
                            "(nothing was changed)");
  }
  return ask_yes_no(question);
}

ops::ScheduleFacts gather_schedule() {
  ops::ScheduleFacts facts;
  auto [own, why] = own_crontab();
  if (own) {
    facts.crontabs.emplace_back("crontab of " + user_name(), std::move(*own));
  } else {
    facts.unreadable.push_back(why);
  }
  if (auto text = util::read_text_file("/etc/crontab")) {
    facts.crontabs.emplace_back("/etc/crontab", std::move(*text));
  }
  std::error_code ec;
  for (fs::directory_iterator it("/etc/cron.d", ec), end; !ec && it != end; it.increment(ec)) {
    if (auto text = util::read_text_file(it->path())) {
      facts.crontabs.emplace_back(it->path().string(), std::move(*text));
    }
  }
  std::vector<fs::path> unit_dirs = {"/etc/systemd/system", "/lib/systemd/system",
                                     "/usr/lib/systemd/system"};
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    unit_dirs.push_back(fs::path(home) / ".config/systemd/user");
  }
  for (const auto& dir : unit_dirs) {
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (name.starts_with("krxbatch") && name.ends_with(".timer")) {
        facts.timers.push_back(it->path());
      }
    }
    ec.clear();
  }
  for (const auto* env : {"/etc/krxbatch/krxbatch.env", "/etc/default/krxbatch"}) {
    if (auto text = util::read_text_file(env)) {
      facts.env_files.push_back(std::move(*text));
    }
  }
  return facts;
}

} // namespace krxbatch::cli
