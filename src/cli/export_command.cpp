// `krxbatch export`: CSV files and a manifest for backtests.
#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/export.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace krxbatch::cli {

int run_export(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()                                                               //
      ("from", po::value<std::string>()->required(), "first session (YYYY-MM-DD)") //
      ("to", po::value<std::string>()->required(), "last session (YYYY-MM-DD)")    //
      ("out", po::value<std::string>()->required(),
       "directory to create (must be absent or empty, or a previous export with --force; never "
       "the database's directory or an ancestor of it)") //
      ("tickers", po::value<std::string>(),
       "only these issues, e.g. 005930,000660 (index "
       "prices are always exported)") //
      ("force", po::bool_switch(),
       "replace a previous export in --out (a directory holding a krxbatch manifest.json and "
       "only the files it lists)") //
      ("adjusted", po::bool_switch(),
       "also daily_prices_adjusted.csv: prices back-adjusted for corporate actions");
  const auto vm = parse_command_args(
      args,
      "krxbatch export --from DATE --to DATE --out DIR [--tickers A,B,...] [--adjusted] "
      "[--force] [--json]\n\n"
      "Writes daily_prices.csv, index_prices.csv, analysis_results.csv and\n"
      "price_adjustments.csv (every column, a header row, RFC 4180 quoting, ordered by date\n"
      "then key) and manifest.json (version, database, range, tickers, time, and rows, bytes\n"
      "and SHA-256 of each file). --adjusted adds daily_prices_adjusted.csv: open, high, low,\n"
      "close and volume back-adjusted for corporate actions as of the newest stored session,\n"
      "with the factor applied (docs/ADJUSTMENTS.md). --json prints the manifest.",
      opts);
  if (!vm) {
    return 0;
  }
  ops::ExportOptions o;
  o.from = core::parse_iso_date_arg((*vm)["from"].as<std::string>(), "export --from");
  o.to = core::parse_iso_date_arg((*vm)["to"].as<std::string>(), "export --to");
  if (o.from > o.to) {
    throw core::usage_error("export: --from " + core::to_iso(o.from) + " is after --to " +
                            core::to_iso(o.to));
  }
  o.out_dir = (*vm)["out"].as<std::string>();
  if (vm->count("tickers") != 0U) {
    o.tickers = ops::parse_tickers((*vm)["tickers"].as<std::string>());
  }
  o.force = (*vm)["force"].as<bool>();
  o.adjusted = (*vm)["adjusted"].as<bool>();
  auto& db = existing_database(ctx, "export");
  std::error_code ec;
  o.database_label = std::filesystem::absolute(ctx.db_path(), ec).string();
  o.created_at = ctx.clock().now_kst();
  const auto manifest = ops::export_range(db, o, ctx.path_policy());
  std::int64_t rows = 0;
  for (const auto& f : manifest.files) {
    rows += f.rows;
  }
  spdlog::info("export: {} rows in {} files to {} ({}..{})", rows, manifest.files.size(),
               o.out_dir.string(), core::to_iso(o.from), core::to_iso(o.to));
  if (ctx.json()) {
    std::cout << ops::manifest_json(manifest);
    return 0;
  }
  std::cout << "export: " << o.out_dir.string() << " (" << core::to_iso(o.from) << ".."
            << core::to_iso(o.to)
            << (o.tickers.empty() ? std::string(", all tickers")
                                  : ", " + std::to_string(o.tickers.size()) + " ticker(s)")
            << ")\n";
  for (const auto& f : manifest.files) {
    std::cout << "  " << f.name << ": " << f.rows << " rows, " << human_bytes(f.bytes)
              << ", sha256 " << f.sha256 << "\n";
  }
  std::cout << "  manifest.json\n";
  return 0;
}

} // namespace krxbatch::cli
