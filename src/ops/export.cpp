#include "krxbatch/ops/export.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/store/table_export.hpp"
#include "krxbatch/util/durable_file.hpp"
#include "krxbatch/util/safe_path.hpp"
#include "krxbatch/util/sha256.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <unistd.h>

namespace krxbatch::ops {
namespace fs = std::filesystem;

namespace {

constexpr std::array k_tables = {store::ExportTable::daily_prices, store::ExportTable::index_prices,
                                 store::ExportTable::analysis_results,
                                 store::ExportTable::price_adjustments};

constexpr std::string_view k_export_tag = "export";
constexpr std::string_view k_manifest = "manifest.json";

// Writes text to a new file (created exclusively, owner-only, never through a link) while
// hashing and counting it.
class HashedFile {
public:
  explicit HashedFile(const fs::path& path)
      : m_path(path),
        m_fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) {
    if (!m_fd) {
      throw core::failure(path.string() + ": cannot create (" + std::strerror(errno) + ")");
    }
  }
  void write(std::string_view text) {
    m_hash.update(text);
    m_bytes += text.size();
    m_buffer += text;
    if (m_buffer.size() >= (1U << 16U)) {
      flush();
    }
  }
  // Writes what is left, flushes the file to disk and returns (bytes, sha256).
  std::pair<std::uintmax_t, std::string> finish() {
    flush();
    if (::fsync(m_fd.get()) != 0) {
      throw core::failure(m_path.string() + ": flushing to disk failed (" + std::strerror(errno) +
                          "); check the disk");
    }
    m_fd = util::UniqueFd();
    return {m_bytes, m_hash.hex_digest()};
  }

private:
  void flush() {
    util::write_all(m_fd.get(), m_buffer, m_path);
    m_buffer.clear();
  }

  fs::path m_path;
  util::UniqueFd m_fd;
  util::Sha256 m_hash;
  std::uintmax_t m_bytes = 0;
  std::string m_buffer;
};

// Why the non-empty directory `out` is not a previous export that --force may replace, or ""
// when it is one: a krxbatch manifest.json, and nothing but the files it lists.
std::string not_an_export(const fs::path& out) {
  std::ifstream in(out / k_manifest, std::ios::binary);
  if (!in || fs::is_symlink(out / k_manifest)) {
    return "holds no krxbatch manifest.json";
  }
  std::set<std::string> listed = {std::string(k_manifest)};
  try {
    const auto manifest = nlohmann::json::parse(in);
    if (!manifest.is_object() || !manifest.contains("krxbatch_version") ||
        !manifest["files"].is_array()) {
      return "holds a manifest.json that is not krxbatch's";
    }
    for (const auto& f : manifest["files"]) {
      listed.insert(f.at("name").get<std::string>());
    }
  } catch (const std::exception&) {
    return "holds a manifest.json that is not krxbatch's";
  }
  std::string extra;
  int count = 0;
  for (const auto& entry : fs::directory_iterator(out)) {
    const auto name = entry.path().filename().string();
    if (!listed.contains(name) || !entry.is_regular_file() || entry.is_symlink()) {
      if (++count <= 3) {
        extra += (extra.empty() ? "" : ", ") + name;
      }
    }
  }
  if (count > 0) {
    return "holds what its manifest.json does not list (" + extra +
           (count > 3 ? " and " + std::to_string(count - 3) + " more" : std::string()) + ")";
  }
  return {};
}

// Swaps the two directories in one step when the file system can (renameat2 RENAME_EXCHANGE);
// false when it cannot (the caller then moves `out` aside first).
bool exchange(const fs::path& a, const fs::path& b) {
  return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
}

bool valid_ticker(std::string_view t) {
  return t.size() == 6 && std::all_of(t.begin(), t.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
         });
}

} // namespace

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(value);
  }
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_record(std::span<const std::optional<std::string>> cells) {
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    if (cells[i]) {
      out += csv_field(*cells[i]);
    }
  }
  return out;
}

std::string manifest_json(const ExportManifest& m) {
  nlohmann::ordered_json j{{"krxbatch_version", m.krxbatch_version},
                           {"database", m.database},
                           {"from", core::to_iso(m.from)},
                           {"to", core::to_iso(m.to)}};
  j["tickers"] = m.tickers ? nlohmann::ordered_json(*m.tickers) : nlohmann::ordered_json(nullptr);
  j["created_at"] = core::to_iso(m.created_at);
  auto files = nlohmann::ordered_json::array();
  for (const auto& f : m.files) {
    files.push_back({{"name", f.name}, {"rows", f.rows}, {"bytes", f.bytes}, {"sha256", f.sha256}});
  }
  j["files"] = std::move(files);
  return j.dump(2) + "\n";
}

std::vector<std::string> parse_tickers(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = text.find(',');
    const auto t = text.substr(0, comma);
    if (!valid_ticker(t)) {
      throw core::usage_error("export: --tickers: '" + std::string(t) +
                              "' is not a ticker (6 characters of 0-9 and A-Z, e.g. 005930); "
                              "separate tickers with commas");
    }
    out.emplace_back(t);
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

ExportManifest export_range(store::Database& db, const ExportOptions& options,
                            const util::PathPolicy& policy) {
  const auto& out = options.out_dir;
  const std::string what = "export --out";
  std::error_code ec;
  if (fs::is_symlink(out, ec)) {
    throw core::usage_error(what + ": " + out.string() +
                            " is a symbolic link; give the directory itself (nothing was "
                            "changed)");
  }
  policy.check_replaceable_directory(out, what);
  const bool exists = fs::exists(out, ec);
  if (exists && !fs::is_directory(out, ec)) {
    throw core::usage_error("export: " + out.string() +
                            " exists and is not a directory; "
                            "choose another --out");
  }
  const bool non_empty = exists && !fs::is_empty(out, ec);
  if (non_empty && !options.force) {
    throw core::usage_error("export: " + out.string() +
                            " is not empty; choose another --out "
                            "or add --force to replace a previous export (nothing was written)");
  }
  if (non_empty) {
    if (const auto problem = not_an_export(out); !problem.empty()) {
      throw core::usage_error("export: " + out.string() + " " + problem +
                              ": --force replaces only a previous export; choose another --out "
                              "or empty it yourself (nothing was changed)");
    }
  }
  auto parent = out.parent_path();
  if (parent.empty()) {
    parent = ".";
  }
  fs::create_directories(parent, ec);
  if (ec) {
    throw core::failure("export: cannot create " + parent.string() + " (" + ec.message() + ")");
  }
  util::remove_leftovers(parent, k_export_tag);

  util::TempDir tmp(parent, k_export_tag);
  ExportManifest manifest;
  manifest.krxbatch_version = KRXBATCH_VERSION;
  manifest.database = options.database_label;
  manifest.from = options.from;
  manifest.to = options.to;
  if (!options.tickers.empty()) {
    manifest.tickers = options.tickers;
  }
  manifest.created_at = options.created_at;
  {
    store::ReadSnapshot snapshot(db);
    std::vector<store::ExportTable> tables(k_tables.begin(), k_tables.end());
    if (options.adjusted) {
      tables.push_back(store::ExportTable::daily_prices_adjusted);
    }
    for (const auto table : tables) {
      const std::string name = std::string(store::table_name(table)) + ".csv";
      HashedFile file(tmp.path() / name);
      std::int64_t rows = 0;
      std::string line;
      store::read_table(
          db, table, options.from, options.to, options.tickers,
          [&](const std::vector<std::string>& columns) {
            line.clear();
            for (std::size_t i = 0; i < columns.size(); ++i) {
              line += (i == 0 ? "" : ",") + csv_field(columns[i]);
            }
            line += '\n';
            file.write(line);
          },
          [&](const store::Cells& cells) {
            line = csv_record(cells);
            line += '\n';
            file.write(line);
            ++rows;
          });
      const auto [bytes, sha] = file.finish();
      manifest.files.push_back({name, rows, bytes, sha});
      if (options.progress) {
        options.progress(manifest.files.size(), tables.size());
      }
    }
  }
  {
    HashedFile file(tmp.path() / k_manifest);
    file.write(manifest_json(manifest));
    file.finish();
  }
  util::sync_path(tmp.path());
  util::crash_point("export:written");

  if (exists && exchange(tmp.path(), out)) {
    // The new export is in place in one step; the old content is now the temporary directory,
    // removed with it (or by the next export, after a crash).
  } else if (!non_empty) {
    // rename(2) replaces an empty directory.
    fs::rename(tmp.path(), out, ec);
    if (ec) {
      throw core::failure("export: cannot rename the export to " + out.string() + " (" +
                          ec.message() + ")");
    }
    tmp.release();
  } else {
    // Move the old export aside first, so a crash leaves it next to the target, not lost.
    util::TempDir old(parent, k_export_tag);
    fs::remove(old.path());
    fs::rename(out, old.path(), ec);
    if (ec) {
      throw core::failure("export: cannot move " + out.string() + " aside (" + ec.message() +
                          "); nothing was changed");
    }
    fs::rename(tmp.path(), out, ec);
    if (ec) {
      fs::rename(old.path(), out);
      old.release();
      throw core::failure("export: cannot rename the export to " + out.string() + " (" +
                          ec.message() + "); nothing was changed");
    }
    tmp.release();
  }
  util::sync_path(parent);
  return manifest;
}

void remove_export(const fs::path& dir, const util::PathPolicy& policy, std::string_view writer) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) {
    return;
  }
  if (fs::is_symlink(dir, ec) || !fs::is_directory(dir, ec)) {
    throw core::usage_error("export: " + dir.string() +
                            " is not an export directory; nothing was deleted");
  }
  if (const auto problem = not_an_export(dir); !problem.empty()) {
    throw core::usage_error("export: " + dir.string() + " " + problem +
                            "; only a krxbatch export is deleted (nothing was deleted)");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    files.push_back(entry.path());
  }
  for (const auto& f : files) {
    policy.check_delete(f, writer);
    if (!fs::remove(f, ec) && ec) {
      throw core::failure("export: cannot delete " + f.string() + " (" + ec.message() + ")");
    }
  }
  if (!fs::remove(dir, ec) && ec) {
    throw core::failure("export: cannot delete " + dir.string() + " (" + ec.message() + ")");
  }
}

} // namespace krxbatch::ops
