// `krxbatch restore FILE`: put a backup back as the live database, keeping the current one.
#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/backup.hpp"
#include "krxbatch/ops/job_locks.hpp"
#include "krxbatch/ops/restore.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

namespace krxbatch::cli {
namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

std::string opt_date(const std::optional<core::Date>& d) {
  return d ? core::to_iso(*d) : std::string("-");
}

std::string describe(const store::DatabaseSummary& s) {
  return "schema " + std::to_string(s.schema_version) + ", sessions " + opt_date(s.first_session) +
         ".." + opt_date(s.last_session) + " (" + std::to_string(s.price_rows) +
         " price rows), daily_update mark " + opt_date(s.daily_mark) + ", " +
         std::to_string(s.active_targets) + " active targets";
}

ordered_json summary_json(const store::DatabaseSummary& s) {
  const auto date = [](const std::optional<core::Date>& d) {
    return d ? ordered_json(core::to_iso(*d)) : ordered_json(nullptr);
  };
  return ordered_json{
      {"schema_version", s.schema_version},   {"first_session", date(s.first_session)},
      {"last_session", date(s.last_session)}, {"price_rows", s.price_rows},
      {"daily_mark", date(s.daily_mark)},     {"active_targets", s.active_targets}};
}

std::string_view method_name(ops::RestoreMethod m) {
  switch (m) {
  case ops::RestoreMethod::backup_api:
    return "backup_api";
  case ops::RestoreMethod::replace_file:
    return "replace_file";
  case ops::RestoreMethod::new_file:
    return "new_file";
  }
  return "?";
}

} // namespace

int run_restore(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()                                                               //
      ("file", po::value<std::string>()->required(), "the backup (.db or .db.gz)") //
      ("yes,y", po::bool_switch(), "do not ask for confirmation (needed without a terminal)");
  po::positional_options_description pos;
  pos.add("file", 1);
  const auto vm = parse_command_args(
      args,
      "krxbatch restore FILE [--yes]\n\n"
      "Checks FILE (plain or gzip: integrity_check, a krxbatch schema no newer than this\n"
      "krxbatch), asks for confirmation, takes both job locks (exit 75 when a job runs), keeps\n"
      "a safety copy of the current database in backups/ next to it, then writes FILE into the\n"
      "live database in one transaction and prints the restored data's digest. A bad FILE\n"
      "leaves the live database untouched (exit 1).",
      opts, pos);
  if (!vm) {
    return 0;
  }
  const fs::path file = (*vm)["file"].as<std::string>();
  const auto db_path = ctx.db_path();
  // Through a link to the database, the file it names is restored (a rename would replace
  // the link), and the copy is staged next to that file.
  const auto live = util::resolve_path(db_path);
  const auto work_dir = live.parent_path();
  std::error_code ec;
  if (!fs::is_directory(work_dir, ec)) {
    throw core::usage_error("restore: the database's directory " + work_dir.string() +
                            " does not exist; create it or choose the database with --db");
  }

  auto staged = ops::stage_for_restore(file, work_dir);
  if (!staged.check.ok) {
    throw core::failure("restore: " + file.string() + " is not a usable krxbatch backup (" +
                        staged.check.problem + "); the live database was not touched");
  }
  const int latest = store::Database::latest_schema_version();
  if (staged.check.schema_version > latest) {
    throw core::failure("restore: " + file.string() + " has schema version " +
                        std::to_string(staged.check.schema_version) +
                        ", newer than this krxbatch knows (" + std::to_string(latest) +
                        "); restore it with a newer krxbatch (the live database was not "
                        "touched)");
  }
  const auto incoming = store::summarize_file(staged.path.path());
  const std::string checked =
      file.string() + (staged.gzip ? " (gzip)" : "") + ": integrity ok, " + describe(incoming);
  if (!ctx.json()) {
    std::cout << "restore: checked " << checked << "\n";
  }
  if (!confirmed("restore", (*vm)["yes"].as<bool>(),
                 "Replace " + db_path.string() + " with " + file.string() +
                     "? (the current database is kept in " +
                     ops::default_archive_dir(db_path, "backups").string() + ")")) {
    std::cout << "restore: cancelled; nothing was changed\n";
    return 0;
  }

  const auto ingest =
      ops::take_job_lock(ops::ingest_lock_path(db_path), "restore", "daily_update or manual_setup");
  const auto analysis =
      ops::take_job_lock(ops::analysis_lock_path(db_path), "restore", "hourly_analysis");
  const auto result = ops::restore_staged(live, std::move(staged.path),
                                          ops::default_archive_dir(db_path, "backups"),
                                          ctx.clock().now_kst(), ctx.path_policy());
  spdlog::info("restore: {} restored from {} ({}); digest {}", db_path.string(), file.string(),
               method_name(result.method), result.digest.sha256);

  if (ctx.json()) {
    ordered_json j{{"database", db_path.string()},
                   {"file", file.string()},
                   {"gzip", staged.gzip},
                   {"method", method_name(result.method)}};
    j["safety_copy"] = result.safety_copy.empty() ? ordered_json(nullptr)
                                                  : ordered_json(result.safety_copy.string());
    j["safety_copy_sound"] = result.safety_copy_sound;
    j["restored"] = summary_json(result.summary);
    j["digest"] = result.digest.sha256;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  if (result.method == ops::RestoreMethod::new_file) {
    std::cout << "restore: there was no database at " << db_path.string() << "; nothing to keep\n";
  } else {
    std::cout << "restore: kept the previous database at " << result.safety_copy.string()
              << (result.safety_copy_sound ? " (verified)"
                                           : " (as it was: " + result.safety_copy_problem + ")")
              << "\n";
  }
  std::cout << "restore: restored " << db_path.string() << " from " << file.string() << ": "
            << describe(result.summary) << "\n"
            << "digest " << result.digest.sha256 << "\n";
  return 0;
}

} // namespace krxbatch::cli
