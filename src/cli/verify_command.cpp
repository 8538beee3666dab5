// `krxbatch verify`: is the database sound and consistent with itself?
#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/backup.hpp"
#include "krxbatch/ops/verify.hpp"
#include "krxbatch/util/log.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>

namespace krxbatch::cli {

int run_verify(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("reparse", po::bool_switch(),
                     "also parse every session of the raw archive (archive_dir) again and "
                     "compare it with the stored rows")(
      "archive", po::value<std::string>(),
      "with --reparse: the archive to read (default: archive_dir)");
  const auto vm = parse_command_args(
      args,
      "krxbatch verify [--reparse [--archive DIR]] [--json]\n\n"
      "Checks: integrity (PRAGMA integrity_check, foreign_key_check), missing_market,\n"
      "row_count, ohlc, market_cap, not_a_session, mark_gap, job_state, adjustments,\n"
      "leftover, holidays, and with --reparse the archive against the rows; see README.\n"
      "Each finding is ERROR, WARN or INFO. Exit 1 when there is an ERROR, else 0.",
      opts);
  if (!vm) {
    return 0;
  }
  return run_care_command(ctx, "verify", [&] {
    const auto started = std::chrono::steady_clock::now();
    const auto& calendar = ctx.calendar();
    auto& db = existing_database(ctx, "verify");
    // Where interrupted commands leave their temporary files.
    const auto db_path = ctx.db_path();
    std::vector<std::filesystem::path> dirs = {
        db_path.has_parent_path() ? db_path.parent_path() : std::filesystem::path("."),
        ops::default_archive_dir(db_path, "backups"),
        ops::default_archive_dir(db_path, "snapshots")};
    if (const auto& metrics = ctx.settings().metrics_textfile; !metrics.empty()) {
      dirs.push_back(std::filesystem::path(metrics).has_parent_path()
                         ? std::filesystem::path(metrics).parent_path()
                         : std::filesystem::path("."));
    }
    const auto& archive_dir = ctx.settings().archive_dir;
    ops::VerifyOptions options;
    options.today = ctx.clock().now_kst().date();
    if ((*vm)["reparse"].as<bool>()) {
      if (vm->count("archive") != 0U) {
        options.reparse_archive = (*vm)["archive"].as<std::string>();
      } else if (!archive_dir.empty()) {
        options.reparse_archive = archive_dir;
      } else {
        throw core::usage_error("verify --reparse: archive_dir is off; give the archive with "
                                "--archive DIR");
      }
      std::error_code ec;
      if (!std::filesystem::is_directory(*options.reparse_archive, ec)) {
        throw core::usage_error("verify --reparse: " + options.reparse_archive->string() +
                                " is not a directory; give the archive with --archive DIR");
      }
    } else if (vm->count("archive") != 0U) {
      throw core::usage_error("verify: --archive goes with --reparse");
    }
    // An interrupted archive write leaves its temporary file in a year folder.
    if (!archive_dir.empty()) {
      std::error_code ec;
      for (std::filesystem::directory_iterator it(archive_dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        std::error_code type_ec;
        if (it->is_directory(type_ec)) {
          dirs.push_back(it->path());
        }
      }
    }
    const auto report = ops::verify_database(db, calendar, dirs, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (ctx.json()) {
      nlohmann::ordered_json j{{"database", ctx.db_path().string()},
                               {"ok", report.errors == 0},
                               {"errors", report.errors},
                               {"warnings", report.warnings}};
      auto arr = nlohmann::ordered_json::array();
      for (const auto& f : report.findings) {
        arr.push_back({{"level", std::string(ops::to_string(f.level))},
                       {"check", f.check},
                       {"message", f.message}});
      }
      j["findings"] = std::move(arr);
      std::cout << j.dump(2) << "\n";
    } else {
      for (const auto& f : report.findings) {
        std::cout << std::left << std::setw(7) << ops::to_string(f.level) << std::setw(16)
                  << f.check << f.message << "\n";
      }
      char elapsed[32];
      std::snprintf(elapsed, sizeof elapsed, "%.2f", seconds);
      std::cout << "verify: " << ctx.db_path().string() << ": " << report.errors << " error(s), "
                << report.warnings << " warning(s) in " << elapsed << " s\n";
    }
    // stdout goes nowhere under cron: the findings also go to verify.log.
    for (const auto& f : report.findings) {
      util::log_to_files(util::LogLevel::warn, "verify: " + std::string(ops::to_string(f.level)) +
                                                   " " + f.check + ": " + f.message);
    }
    spdlog::info("verify: {} error(s), {} warning(s) in {:.2f} s", report.errors, report.warnings,
                 seconds);
    return report.errors > 0 ? 1 : 0;
  });
}

} // namespace krxbatch::cli
