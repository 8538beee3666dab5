// `krxbatch export`: CSV files of prices, index prices, analysis results and price adjustments
// (corporate actions) for backtests, with a manifest that lets the reader check what it got;
// with `adjusted`, also the prices back-adjusted for corporate actions (the view
// daily_prices_adjusted, as of the newest stored session).
//
// Each table goes to `<table>.csv`: UTF-8 without BOM, a header row of the table's columns
// (read at run time), RFC 4180 quoting (a field with a comma, a double quote, CR or LF is
// quoted, inner quotes doubled), LF line ends, NULL as an empty field, rows ordered by date
// then key. `manifest.json` lists the krxbatch version, the database, the range, the tickers,
// the creation time and, per file, its name, rows (without the header), bytes and SHA-256.
// Everything is written into a temporary directory next to the target (util::TempDir tagged
// "export", files created owner-only) and renamed into place at the end, so the target is
// either absent/unchanged or complete; a previous export is swapped out in one step
// (renameat2 RENAME_EXCHANGE) where the file system allows it. The target passes the path
// policy first (util::PathPolicy::check_replaceable_directory: never the database's directory
// or an ancestor of it, never a protected directory), and --force replaces only a previous
// export: a directory holding a krxbatch manifest.json and nothing it does not list.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

// One field, quoted when RFC 4180 requires it.
std::string csv_field(std::string_view value);
// One record (no line end); nullopt cells are empty fields.
std::string csv_record(std::span<const std::optional<std::string>> cells);

struct ExportedFile {
  std::string name;
  std::int64_t rows = 0;
  std::uintmax_t bytes = 0;
  std::string sha256;
};

struct ExportManifest {
  std::string krxbatch_version;
  std::string database;
  core::Date from;
  core::Date to;
  std::optional<std::vector<std::string>> tickers; // nullopt: every ticker
  core::KstTime created_at;
  std::vector<ExportedFile> files;
};

// The manifest as pretty-printed JSON (stable key order).
std::string manifest_json(const ExportManifest& manifest);

struct ExportOptions {
  std::filesystem::path out_dir;
  core::Date from;
  core::Date to;
  std::vector<std::string> tickers; // empty: all
  bool force = false;               // replace a previous export in out_dir
  bool adjusted = false;            // also daily_prices_adjusted.csv (the view)
  std::string database_label;       // for the manifest
  core::KstTime created_at;
  // Called after each CSV file is complete with the files written and the files to write
  // (the server's export jobs show it as their progress); may be empty.
  std::function<void(std::size_t files_done, std::size_t files_total)> progress;
};

// Checks a --tickers list: 6 characters of [0-9A-Z] each; returns them sorted without
// duplicates. Throws core::Error (exit 2) naming the bad one.
std::vector<std::string> parse_tickers(std::string_view comma_separated);

// Writes the export, removing the leftovers of an interrupted export in out_dir's parent first.
// Throws core::Error: exit 2 when the policy refuses out_dir, when out_dir is a symbolic link,
// or exists and is neither an empty directory nor (with force) a previous export (nothing is
// written); exit 1 on I/O or storage failures (the temporary directory is removed, out_dir is
// unchanged).
ExportManifest export_range(store::Database& db, const ExportOptions& options,
                            const util::PathPolicy& policy);

// Deletes the previous export `dir` (a directory holding a krxbatch manifest.json and nothing
// it does not list): each file once `policy` allows `writer` to delete it, then the directory.
// Does nothing when `dir` does not exist. Throws core::Error (exit 2) when `dir` is not an
// export (nothing is deleted), exit 1 when a file cannot be deleted.
void remove_export(const std::filesystem::path& dir, const util::PathPolicy& policy,
                   std::string_view writer);

} // namespace krxbatch::ops
