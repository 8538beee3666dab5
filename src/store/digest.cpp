#include "krxbatch/store/digest.hpp"

#include "krxbatch/util/sha256.hpp"

#include "sqlite_access.hpp"

#include <cstdio>
#include <set>

namespace krxbatch::store {
namespace {

struct TableSpec {
  const char* table;
  const char* order_by;
  std::set<std::string> excluded; // volatile columns
  const char* only = nullptr;     // explicit column list instead of "all but excluded"
};

std::vector<std::string> columns_of(SQLite::Database& db, const std::string& table) {
  SQLite::Statement st(db, "SELECT name FROM pragma_table_info(?) ORDER BY cid");
  st.bind(1, table);
  std::vector<std::string> out;
  while (st.executeStep()) {
    out.push_back(st.getColumn(0).getString());
  }
  return out;
}

void append_value(std::string& out, const SQLite::Column& c) {
  char buf[40];
  switch (c.getType()) {
  case SQLITE_NULL:
    out += "\\N";
    break;
  case SQLITE_INTEGER:
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(c.getInt64()));
    out += buf;
    break;
  case SQLITE_FLOAT:
    std::snprintf(buf, sizeof buf, "%.17g", c.getDouble());
    out += buf;
    break;
  default:
    out += c.getString();
    break;
  }
}

} // namespace

DatabaseDigest compute_digest(Database& database) {
  return guarded(database, "computing the digest", [&] {
    auto& db = database.impl().db;
    const std::vector<TableSpec> specs = {
        {"daily_prices", "trade_date, ticker", {}},
        {"index_prices", "trade_date, index_class, index_name", {}},
        {"target_tickers", "ticker", {}},
        {"analysis_results", "as_of_date, ticker", {"computed_at", "ranked_at"}},
        {"data_quality_issues", "trade_date, market, ticker, rule, message", {"id", "detected_at"}},
        {"price_adjustments", "ex_date, ticker", {"detected_at"}},
        {"analysis_sessions", "session", {"ranked_at", "updated_at"}},
        {"job_status", "job_name", {}, "job_name, last_success_date"},
    };
    DatabaseDigest out;
    util::Sha256 all;
    for (const auto& spec : specs) {
      std::string select;
      if (spec.only != nullptr) {
        select = spec.only;
      } else {
        for (const auto& c : columns_of(db, spec.table)) {
          if (!spec.excluded.contains(c)) {
            select += (select.empty() ? "" : ", ") + ("\"" + c + "\"");
          }
        }
      }
      SQLite::Statement st(db, "SELECT " + select + " FROM " + spec.table + " ORDER BY " +
                                   spec.order_by);
      util::Sha256 h;
      TableDigest t{spec.table, 0, {}};
      std::string line;
      while (st.executeStep()) {
        line.clear();
        for (int i = 0; i < st.getColumnCount(); ++i) {
          if (i > 0) {
            line += '\x1f';
          }
          append_value(line, st.getColumn(i));
        }
        line += '\n';
        h.update(line);
        ++t.rows;
      }
      t.sha256 = h.hex_digest();
      all.update(t.table + " " + std::to_string(t.rows) + " " + t.sha256 + "\n");
      out.tables.push_back(std::move(t));
    }
    out.sha256 = all.hex_digest();
    return out;
  });
}

} // namespace krxbatch::store
