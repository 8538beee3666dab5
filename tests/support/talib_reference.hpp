// Comparing our indicator tables with TA-Lib's reference files (tests only; header-only):
// CSV files read as text cells, the tolerance of indicators.md §0 (|a − b| <= 1e-9 + 1e-9·|b|,
// a cell empty exactly where the reference is empty), and where the references live.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::test {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path.string());
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The project's shared folder: ../shared beside the source tree (as in CI), or
// $KRXBATCH_SHARED_DIR for a worktree that keeps it elsewhere. Tests that need it report
// themselves as not run when it is absent.
inline std::filesystem::path shared_dir() {
  const char* env = std::getenv("KRXBATCH_SHARED_DIR");
  return env != nullptr && *env != '\0' ? std::filesystem::path(env)
                                        : std::filesystem::path(KRXBATCH_SHARED_DIR);
}

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  static CsvTable parse(std::string_view text) {
    CsvTable table;
    std::size_t pos = 0;
    bool first = true;
    while (pos < text.size()) {
      auto end = text.find('\n', pos);
      if (end == std::string_view::npos) {
        end = text.size();
      }
      auto line = text.substr(pos, end - pos);
      pos = end + 1;
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      }
      std::vector<std::string> cells;
      std::size_t start = 0;
      while (true) {
        const auto comma = line.find(',', start);
        cells.emplace_back(line.substr(start, comma == line.npos ? line.npos : comma - start));
        if (comma == line.npos) {
          break;
        }
        start = comma + 1;
      }
      if (first) {
        table.header = std::move(cells);
        first = false;
      } else {
        table.rows.push_back(std::move(cells));
      }
    }
    return table;
  }

  static CsvTable read(const std::filesystem::path& path) { return parse(read_text(path)); }

  // Index of column `name`, or -1.
  int column(std::string_view name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
};

inline bool within_tolerance(double actual, double expected) {
  return std::fabs(actual - expected) <= 1e-9 + 1e-9 * std::fabs(expected);
}

struct ColumnComparison {
  std::string name;
  std::size_t cells = 0;    // non-empty reference cells compared
  double max_abs = 0.0;     // largest |a − b|
  double max_rel = 0.0;     // largest |a − b| / |b| over b != 0
  std::size_t failures = 0; // cells out of tolerance, or empty on one side only
  std::string first_failure;
};

// Compares column `name` of `actual` with the same column of `expected`, row by row.
inline ColumnComparison compare_column(const CsvTable& actual, const CsvTable& expected,
                                       const std::string& name) {
  ColumnComparison c;
  c.name = name;
  const int a_col = actual.column(name);
  const int e_col = expected.column(name);
  if (a_col < 0 || e_col < 0 || actual.rows.size() != expected.rows.size()) {
    c.failures = 1;
    c.first_failure = "column missing or row counts differ";
    return c;
  }
  for (std::size_t r = 0; r < expected.rows.size(); ++r) {
    const auto& a = actual.rows[r].at(static_cast<std::size_t>(a_col));
    const auto& e = expected.rows[r].at(static_cast<std::size_t>(e_col));
    bool ok = true;
    if (a.empty() || e.empty()) {
      ok = a.empty() && e.empty();
    } else {
      ++c.cells;
      const double av = std::strtod(a.c_str(), nullptr);
      const double ev = std::strtod(e.c_str(), nullptr);
      const double diff = std::fabs(av - ev);
      c.max_abs = std::max(c.max_abs, diff);
      if (ev != 0.0) {
        c.max_rel = std::max(c.max_rel, diff / std::fabs(ev));
      }
      ok = within_tolerance(av, ev);
    }
    if (!ok) {
      if (c.failures++ == 0) {
        c.first_failure = "row " + std::to_string(r + 1) + ": got '" + a + "', TA-Lib '" + e + "'";
      }
    }
  }
  return c;
}

} // namespace krxbatch::test
