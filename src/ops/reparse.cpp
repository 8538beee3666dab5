#include "krxbatch/ops/reparse.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/raw_archive.hpp"
#include "krxbatch/market/parser.hpp"
#include "krxbatch/store/price_store.hpp"
#include "krxbatch/store/session_diff.hpp"
#include "krxbatch/store/verify_queries.hpp"

#include <map>
#include <optional>
#include <set>

namespace krxbatch::ops {
namespace {

std::optional<market::Market> market_of(fetch::Endpoint e) {
  switch (e) {
  case fetch::Endpoint::kospi_stocks:
    return market::Market::kospi;
  case fetch::Endpoint::kosdaq_stocks:
    return market::Market::kosdaq;
  case fetch::Endpoint::konex_stocks:
    return market::Market::konex;
  case fetch::Endpoint::kospi_index:
  case fetch::Endpoint::kosdaq_index:
    break;
  }
  return std::nullopt;
}

// The IDX_CLSS an index endpoint answers with.
std::string index_class_of(fetch::Endpoint e) {
  return e == fetch::Endpoint::kosdaq_index ? "KOSDAQ" : "KOSPI";
}

} // namespace

ReparseReport reparse_archive(store::Database& db, const std::filesystem::path& archive_dir,
                              std::size_t max_lines) {
  ReparseReport report;
  // The answer ReplaySource would read for each (day, endpoint): the first listed.
  std::map<core::Date, std::map<fetch::Endpoint, std::filesystem::path>> days;
  for (const auto& f : fetch::list_answers(archive_dir)) {
    days[f.day].try_emplace(f.endpoint, f.path);
  }
  store::PriceStore prices(db);
  std::set<core::Date> compared;
  for (const auto& [day_key, answers] : days) {
    const core::Date& day = day_key; // a name a lambda can capture (clang 14: not a binding)
    std::vector<std::string> lines;
    const auto note = [&](fetch::Endpoint e, const std::string& what) {
      lines.push_back(core::to_iso(day) + " " + std::string(fetch::api_id(e)) + " " + what);
    };
    // The body of an answer, or nullopt (noted) when the file cannot be read.
    const auto read = [&](fetch::Endpoint e, const std::filesystem::path& file) {
      try {
        return std::optional(fetch::read_answer(file));
      } catch (const core::Error& error) {
        note(e, std::string("cannot be read: ") + error.what());
        return std::optional<std::string>();
      }
    };
    bool published = false;
    for (const auto& [endpoint, file] : answers) {
      const auto m = market_of(endpoint);
      if (!m) {
        continue;
      }
      const auto body = read(endpoint, file);
      if (!body) {
        published = true;
        continue;
      }
      auto rows = market::parse_price_rows(*body);
      if (!rows.ok()) {
        note(endpoint, "no longer parses: " + rows.failure().message);
        published = true;
        continue;
      }
      const auto stored = prices.row_count(day, *m);
      if (rows.value().empty()) {
        if (stored > 0) {
          note(endpoint, "answered no rows; " + std::to_string(stored) + " rows are stored");
          published = true;
        }
        continue;
      }
      published = true;
      if (stored == 0) {
        note(endpoint, "answered " + std::to_string(rows.value().size()) +
                           " rows; none are stored (the session failed, or was never loaded)");
        continue;
      }
      for (auto& line : store::diff_session_prices(db, day, *m, rows.value())) {
        note(endpoint, line);
      }
    }
    if (!published) {
      continue; // not published when it was asked: nothing to compare
    }
    for (const auto& [endpoint, file] : answers) {
      if (market_of(endpoint)) {
        continue;
      }
      const auto body = read(endpoint, file);
      if (!body) {
        continue;
      }
      auto rows = market::parse_index_rows(*body);
      if (!rows.ok()) {
        note(endpoint, "no longer parses: " + rows.failure().message);
        continue;
      }
      std::set<std::string> classes = {index_class_of(endpoint)};
      for (const auto& r : rows.value()) {
        classes.insert(r.index_class);
      }
      for (const auto& c : classes) {
        for (auto& line : store::diff_session_indices(db, day, c, rows.value())) {
          note(endpoint, line);
        }
      }
    }
    ++report.sessions;
    compared.insert(day);
    if (!lines.empty()) {
      ++report.sessions_differing;
    }
    for (auto& line : lines) {
      if (report.differences.size() < max_lines) {
        report.differences.push_back(std::move(line));
      } else {
        ++report.more;
      }
    }
  }
  std::set<core::Date> stored;
  for (const auto& c : store::price_counts(db)) {
    stored.insert(c.session);
  }
  for (const auto& d : stored) {
    report.stored_not_archived += compared.contains(d) ? 0 : 1;
  }
  return report;
}

} // namespace krxbatch::ops
