#include "ops_support.hpp"

#include "krxbatch/core/error.hpp"

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace krxbatch::cli {

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

} // namespace krxbatch::cli
