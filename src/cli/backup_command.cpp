// `krxbatch backup` and `krxbatch snapshot`: verified copies of the live database and their
// retention.
#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/backup.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

namespace krxbatch::cli {
namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

ordered_json archive_json(const ops::ArchiveResult& r) {
  return ordered_json{{"path", r.path.string()},
                      {"bytes", r.bytes},
                      {"verified", true},
                      {"schema_version", r.schema_version}};
}

ordered_json cleanup_json(const ops::CleanupResult& c, int days) {
  ordered_json deleted = ordered_json::array();
  for (const auto& p : c.deleted) {
    deleted.push_back(p.string());
  }
  return ordered_json{{"retention_days", days}, {"deleted", deleted}, {"kept", c.kept}};
}

void print_archive(std::string_view what, const ops::ArchiveResult& r) {
  std::cout << what << ": " << r.path.string() << " (" << human_bytes(r.bytes)
            << ", verified: integrity ok, schema " << r.schema_version << ")"
            << (r.replaced ? "; replaced the earlier one of the same date" : "") << "\n";
}

void print_cleanup(std::string_view what, const ops::CleanupResult& c, int days) {
  std::cout << what << " cleanup: deleted " << c.deleted.size() << " file(s) older than " << days
            << " day(s)";
  for (std::size_t i = 0; i < c.deleted.size(); ++i) {
    std::cout << (i == 0 ? ": " : ", ") << c.deleted[i].filename().string();
  }
  std::cout << "; " << c.kept << " kept\n";
}

int retention_arg(const po::variables_map& vm, const char* key, std::string_view command) {
  const int days = vm[key].as<int>();
  if (days < 0) {
    throw core::usage_error(std::string(command) + ": --" + key + " must be 0 or more; see `" +
                            std::string(command) + " --help`");
  }
  return days;
}

fs::path dir_arg(Context& ctx, const po::variables_map& vm, std::string_view sub) {
  return vm.count("dir") != 0U ? fs::path(vm["dir"].as<std::string>())
                               : ops::default_archive_dir(ctx.db_path(), sub);
}

// Where the directory came from, for the policy's messages.
std::string dir_what(const po::variables_map& vm, std::string_view command) {
  return std::string(command) +
         (vm.count("dir") != 0U ? " --dir" : " (the default directory next to the database)");
}

int snapshot_cleanup(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options() //
      ("dir", po::value<std::string>(),
       "snapshot directory (default: snapshots/ next to the "
       "database)") //
      ("days", po::value<int>()->required(),
       "delete snapshots dated more than N days ago "
       "(the newest is always kept)");
  const auto vm = parse_command_args(args, "krxbatch snapshot cleanup --days N [--dir DIR]", opts);
  if (!vm) {
    return 0;
  }
  // Its own name: a clean cleanup must not resolve a failed snapshot's alert.
  return run_care_command(ctx, "snapshot_cleanup", [&] {
    const int days = retention_arg(*vm, "days", "krxbatch snapshot cleanup");
    const auto dir = dir_arg(ctx, *vm, "snapshots");
    const auto result =
        ops::clean_archives(dir, ops::ArchiveKind::snapshot, ctx.clock().today_kst(), days,
                            ctx.path_policy(), dir_what(*vm, "snapshot cleanup"));
    if (ctx.json()) {
      std::cout << ordered_json{{"cleanup", cleanup_json(result, days)}}.dump(2) << "\n";
    } else {
      print_cleanup("snapshot", result, days);
    }
    spdlog::info("snapshot cleanup: {} deleted, {} kept in {}", result.deleted.size(), result.kept,
                 dir.string());
    return 0;
  });
}

} // namespace

int run_backup(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options() //
      ("dir", po::value<std::string>(),
       "backup directory (default: backups/ next to the "
       "database, e.g. data/backups/)")                                                   //
      ("gzip", po::bool_switch(), "compress the backup (krxbatch-YYYYMMDD-HHMMSS.db.gz)") //
      ("retention-days", po::value<int>(),
       "after the backup, delete backups dated more than N days ago (only files named like "
       "ours; the newest is always kept)") //
      ("cleanup-only", po::bool_switch(), "only apply --retention-days; take no backup");
  const auto vm = parse_command_args(
      args,
      "krxbatch backup [--dir DIR] [--gzip] [--retention-days N] [--cleanup-only]\n\n"
      "An online copy of the database (safe while jobs run) named with the KST date and time,\n"
      "verified (PRAGMA integrity_check and the schema) before it gets its name. Exit 1 when\n"
      "the copy fails verification (it is deleted).",
      opts);
  if (!vm) {
    return 0;
  }
  // --cleanup-only has its own name: a clean cleanup must not resolve a failed backup's alert.
  const auto* name = (*vm)["cleanup-only"].as<bool>() ? "backup_cleanup" : "backup";
  return run_care_command(ctx, name, [&] {
    const bool cleanup_only = (*vm)["cleanup-only"].as<bool>();
    const bool has_retention = vm->count("retention-days") != 0U;
    if (cleanup_only && !has_retention) {
      throw core::usage_error("krxbatch backup: --cleanup-only needs --retention-days N; see "
                              "`krxbatch backup --help`");
    }
    const int days = has_retention ? retention_arg(*vm, "retention-days", "krxbatch backup") : 0;
    const auto dir = dir_arg(ctx, *vm, "backups");
    ordered_json j = ordered_json::object();
    if (!cleanup_only) {
      auto& db = existing_database(ctx, "backup");
      const auto result = ops::make_backup(db, dir, ctx.clock().now_kst(), (*vm)["gzip"].as<bool>(),
                                           ctx.path_policy(), dir_what(*vm, "backup"));
      spdlog::info("backup: {} ({} bytes, verified)", result.path.string(), result.bytes);
      if (ctx.json()) {
        j["backup"] = archive_json(result);
      } else {
        print_archive("backup", result);
      }
    }
    if (has_retention) {
      const auto result =
          ops::clean_archives(dir, ops::ArchiveKind::backup, ctx.clock().today_kst(), days,
                              ctx.path_policy(), dir_what(*vm, "backup"));
      spdlog::info("backup cleanup: {} deleted, {} kept in {}", result.deleted.size(), result.kept,
                   dir.string());
      if (ctx.json()) {
        j["cleanup"] = cleanup_json(result, days);
      } else {
        print_cleanup("backup", result, days);
      }
    }
    if (ctx.json()) {
      std::cout << j.dump(2) << "\n";
    }
    return 0;
  });
}

int run_snapshot(Context& ctx, const Args& args) {
  if (!args.empty() && args.front() == "cleanup") {
    return snapshot_cleanup(ctx, Args(args.begin() + 1, args.end()));
  }
  po::options_description opts("Options");
  opts.add_options()("dir", po::value<std::string>(),
                     "snapshot directory (default: snapshots/ next to the database)");
  const auto vm = parse_command_args(
      args,
      "krxbatch snapshot [--dir DIR]\n"
      "       krxbatch snapshot cleanup --days N [--dir DIR]\n\n"
      "A compact copy of the database (VACUUM INTO), named krxbatch-snapshot-YYYYMMDD.db with\n"
      "the KST date and verified like a backup; a second snapshot the same day replaces the\n"
      "first once it has verified. `cleanup` deletes snapshots dated more than N days ago\n"
      "(never the newest).",
      opts);
  if (!vm) {
    return 0;
  }
  return run_care_command(ctx, "snapshot", [&] {
    auto& db = existing_database(ctx, "snapshot");
    const auto result =
        ops::make_snapshot(db, dir_arg(ctx, *vm, "snapshots"), ctx.clock().now_kst(),
                           ctx.path_policy(), dir_what(*vm, "snapshot"));
    spdlog::info("snapshot: {} ({} bytes, verified)", result.path.string(), result.bytes);
    if (ctx.json()) {
      std::cout << ordered_json{{"snapshot", archive_json(result)}}.dump(2) << "\n";
    } else {
      print_archive("snapshot", result);
    }
    return 0;
  });
}

} // namespace krxbatch::cli
