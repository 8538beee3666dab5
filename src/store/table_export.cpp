#include "krxbatch/store/table_export.hpp"

#include "sqlite_access.hpp"

#include <charconv>

namespace krxbatch::store {
namespace {

struct Spec {
  const char* table;
  const char* date_column;
  const char* ticker_column; // nullptr: not filtered by ticker
  const char* order_by;
};

Spec spec_of(ExportTable t) {
  switch (t) {
  case ExportTable::daily_prices:
    return {"daily_prices", "trade_date", "ticker", "trade_date, ticker"};
  case ExportTable::index_prices:
    return {"index_prices", "trade_date", nullptr, "trade_date, index_class, index_name"};
  case ExportTable::analysis_results:
    return {"analysis_results", "as_of_date", "ticker", "as_of_date, ticker"};
  case ExportTable::price_adjustments:
    return {"price_adjustments", "ex_date", "ticker", "ex_date, ticker"};
  case ExportTable::daily_prices_adjusted:
    return {"daily_prices_adjusted", "trade_date", "ticker", "trade_date, ticker"};
  }
  return {"", "", nullptr, ""};
}

std::optional<std::string> cell_text(const SQLite::Column& c) {
  switch (c.getType()) {
  case SQLITE_NULL:
    return std::nullopt;
  case SQLITE_INTEGER:
    return std::to_string(c.getInt64());
  case SQLITE_FLOAT: {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, c.getDouble());
    return std::string(buf, ec == std::errc() ? end : buf);
  }
  default:
    return c.getString();
  }
}

} // namespace

std::string_view table_name(ExportTable table) {
  return spec_of(table).table;
}

ReadSnapshot::ReadSnapshot(Database& db) : m_db(db) {
  guarded(m_db, "starting a read transaction", [&] {
    m_db.impl().db.exec("BEGIN");
    // BEGIN is deferred: the snapshot starts with the first read.
    m_db.impl().db.execAndGet("SELECT count(*) FROM sqlite_schema");
  });
}

ReadSnapshot::~ReadSnapshot() {
  try {
    m_db.impl().db.exec("COMMIT");
  } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

void read_table(Database& database, ExportTable table, const core::Date& from, const core::Date& to,
                const std::vector<std::string>& tickers,
                const std::function<void(const std::vector<std::string>&)>& header,
                const std::function<void(const Cells&)>& row) {
  const auto spec = spec_of(table);
  guarded(database, std::string("exporting ") + spec.table, [&] {
    auto& db = database.impl().db;
    std::string sql = std::string("SELECT * FROM ") + spec.table + " WHERE " + spec.date_column +
                      " BETWEEN ? AND ?";
    const bool filter = spec.ticker_column != nullptr && !tickers.empty();
    if (filter) {
      sql += std::string(" AND ") + spec.ticker_column + " IN (";
      for (std::size_t i = 0; i < tickers.size(); ++i) {
        sql += i == 0 ? "?" : ", ?";
      }
      sql += ")";
    }
    sql += std::string(" ORDER BY ") + spec.order_by;
    SQLite::Statement st(db, sql);
    st.bind(1, core::to_iso(from));
    st.bind(2, core::to_iso(to));
    if (filter) {
      for (std::size_t i = 0; i < tickers.size(); ++i) {
        st.bind(static_cast<int>(i) + 3, tickers[i]);
      }
    }
    const int n = st.getColumnCount();
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      names.emplace_back(st.getColumnName(i));
    }
    header(names);
    Cells cells(static_cast<std::size_t>(n));
    while (st.executeStep()) {
      for (int i = 0; i < n; ++i) {
        cells[static_cast<std::size_t>(i)] = cell_text(st.getColumn(i));
      }
      row(cells);
    }
  });
}

} // namespace krxbatch::store
