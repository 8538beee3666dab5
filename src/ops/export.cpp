#include "krxbatch/ops/export.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/store/table_export.hpp"
#include "krxbatch/util/durable_file.hpp"
#include "krxbatch/util/sha256.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace krxbatch::ops {
namespace fs = std::filesystem;

namespace {

constexpr std::array k_tables = {store::ExportTable::daily_prices, store::ExportTable::index_prices,
                                 store::ExportTable::analysis_results,
                                 store::ExportTable::price_adjustments};

// Writes text to a file while hashing and counting it.
class HashedFile {
public:
  explicit HashedFile(const fs::path& path) : m_path(path), m_out(path, std::ios::binary) {
    if (!m_out) {
      throw core::failure(path.string() + ": cannot create (" + std::strerror(errno) + ")");
    }
  }
  void write(std::string_view text) {
    m_out.write(text.data(), static_cast<std::streamsize>(text.size()));
    m_hash.update(text);
    m_bytes += text.size();
  }
  // Closes the file, flushes it to disk and returns (bytes, sha256).
  std::pair<std::uintmax_t, std::string> finish() {
    m_out.close();
    if (!m_out) {
      throw core::failure(m_path.string() + ": writing failed; check free disk space");
    }
    util::sync_path(m_path);
    return {m_bytes, m_hash.hex_digest()};
  }

private:
  fs::path m_path;
  std::ofstream m_out;
  util::Sha256 m_hash;
  std::uintmax_t m_bytes = 0;
};

// A temporary directory removed with the object unless released.
class TempDir {
public:
  explicit TempDir(const fs::path& parent, const std::string& stem) {
    std::string templ = (parent / ("." + stem + ".XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr) {
      throw core::failure(parent.string() + ": cannot create a temporary directory (" +
                          std::strerror(errno) + "); check that it is writable");
    }
    m_path = templ;
  }
  ~TempDir() {
    if (!m_path.empty()) {
      std::error_code ec;
      fs::remove_all(m_path, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return m_path; }
  void release() { m_path.clear(); }

private:
  fs::path m_path;
};

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

ExportManifest export_range(store::Database& db, const ExportOptions& options) {
  const auto& out = options.out_dir;
  std::error_code ec;
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
                            "or add --force to replace its content (nothing was written)");
  }
  auto parent = out.parent_path();
  if (parent.empty()) {
    parent = ".";
  }
  fs::create_directories(parent, ec);
  if (ec) {
    throw core::failure("export: cannot create " + parent.string() + " (" + ec.message() + ")");
  }

  TempDir tmp(parent, out.filename().string());
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
    }
  }
  {
    HashedFile file(tmp.path() / "manifest.json");
    file.write(manifest_json(manifest));
    file.finish();
  }
  util::sync_path(tmp.path());

  if (non_empty) {
    // Move the old content aside first, so a crash leaves it next to the target, not lost.
    TempDir old(parent, out.filename().string() + ".old");
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
  } else {
    // rename(2) replaces an empty directory.
    fs::rename(tmp.path(), out, ec);
    if (ec) {
      throw core::failure("export: cannot rename the export to " + out.string() + " (" +
                          ec.message() + ")");
    }
  }
  tmp.release();
  util::sync_path(parent);
  return manifest;
}

} // namespace krxbatch::ops
