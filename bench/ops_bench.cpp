// Benchmark of the data-care commands on a full market (DESIGN §8 style: measured here, never
// asserted by a test). Builds a synthetic database of `sessions` x (2 x `issues_per_market`)
// price rows at PATH when absent (through the store API, as daily_update leaves it), then
// times `verify` (each check and the whole), a backup, a snapshot and a full export.
//
//   build-dev/krxbatch_ops_bench PATH [sessions=300] [issues_per_market=1350]
#include "krxbatch/ops/backup.hpp"
#include "krxbatch/ops/export.hpp"
#include "krxbatch/ops/verify.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/db_file.hpp"
#include "krxbatch/store/verify_queries.hpp"
#include "krxbatch/util/log.hpp"

#include "support/market_db.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace krxbatch;
namespace fs = std::filesystem;

namespace {

template <typename Fn>
double seconds(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PATH [sessions=300] [issues_per_market=1350]\n", argv[0]);
    return 2;
  }
  util::init_logging(util::LogLevel::warn);
  const fs::path path = argv[1];
  const int sessions = argc > 2 ? std::atoi(argv[2]) : 300;
  const int issues = argc > 3 ? std::atoi(argv[3]) : 1350;
  const auto cal = calendar::Calendar::load(fs::path(KRXBATCH_SOURCE_DIR) / "holidays");
  const core::Date last(2024, 6, 28);
  if (!fs::exists(path)) {
    const double t = seconds([&] {
      test::build_market_db(path, cal, sessions, last, {issues, issues}, 100'000'000'000);
    });
    std::printf("built %s: %d sessions x %d issues in %.1f s\n", path.c_str(), sessions, 2 * issues,
                t);
  }
  store::Database db(path.string());
  db.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  std::printf("database: %.1f MB\n", static_cast<double>(fs::file_size(path)) / 1048576.0);

  std::printf("integrity_check     %6.2f s\n", seconds([&] { store::integrity_check(db); }));
  std::printf("foreign_key_check   %6.2f s\n", seconds([&] { store::foreign_key_check(db); }));
  std::printf("price_counts        %6.2f s\n", seconds([&] { store::price_counts(db); }));
  std::printf("price_violations    %6.2f s\n", seconds([&] { store::price_violations(db, 20); }));
  ops::VerifyReport report;
  std::printf("verify (all)        %6.2f s  (%d errors, %d warnings)\n",
              seconds([&] { report = ops::verify_database(db, cal); }), report.errors,
              report.warnings);

  const auto scratch = path.parent_path() / "ops-bench-out";
  fs::remove_all(scratch);
  const util::PathPolicy policy(path);
  std::printf("backup              %6.2f s\n", seconds([&] {
                ops::make_backup(db, scratch, core::KstTime(last, boost::posix_time::hours(21)),
                                 false, policy, "backup");
              }));
  std::printf("backup --gzip       %6.2f s\n", seconds([&] {
                ops::make_backup(db, scratch, core::KstTime(last, boost::posix_time::hours(22)),
                                 true, policy, "backup");
              }));
  std::printf("snapshot            %6.2f s\n", seconds([&] {
                ops::make_snapshot(db, scratch, core::KstTime(last, boost::posix_time::hours(21)),
                                   policy, "snapshot");
              }));
  ops::ExportOptions o;
  o.out_dir = scratch / "export";
  o.from = core::Date(1990, 1, 1);
  o.to = last;
  o.database_label = path.string();
  o.created_at = core::KstTime(last, boost::posix_time::hours(21));
  std::printf("export (all rows)   %6.2f s\n", seconds([&] { ops::export_range(db, o, policy); }));
  for (const auto& e : fs::directory_iterator(scratch)) {
    if (e.is_regular_file()) {
      std::printf("  %-40s %8.1f MB\n", e.path().filename().c_str(),
                  static_cast<double>(e.file_size()) / 1048576.0);
    }
  }
  fs::remove_all(scratch);
  return 0;
}
