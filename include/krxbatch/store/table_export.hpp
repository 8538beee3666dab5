// Reading whole rows of the market tables for export, in a deterministic order.
//
// Every column the table has is read (the list comes from the file at run time, so columns a
// later migration adds are exported without a code change). Cells are text: NULL is nullopt,
// integers are decimal, reals the shortest text that reads back as the same double, text as
// stored (UTF-8). Read-only. Hold a ReadSnapshot around several reads so that they all see
// the database as of one instant while jobs keep writing (WAL).
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace krxbatch::store {

// daily_prices_adjusted is the view (DESIGN §4): prices back-adjusted as of the newest stored
// session, whatever the range read.
enum class ExportTable {
  daily_prices,
  index_prices,
  analysis_results,
  price_adjustments,
  daily_prices_adjusted
};

std::string_view table_name(ExportTable table);

// A read transaction for the lifetime of the object: reads through `db` meanwhile see one
// snapshot of the database; writers in other processes are not blocked (WAL). Ends in its
// destructor, which never throws.
class ReadSnapshot {
public:
  explicit ReadSnapshot(Database& db);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
  Database& m_db;
};

using Cells = std::vector<std::optional<std::string>>;

// Rows of `table` whose date (trade_date; as_of_date for analysis_results, ex_date for
// price_adjustments) is in
// [from, to] and, when `tickers` is not empty, whose ticker is one of them (index_prices has
// no ticker and is not filtered), ordered by date then key. Calls `header` once with the
// column names, then `row` once per row. Throws core::Error on storage failures.
void read_table(Database& db, ExportTable table, const core::Date& from, const core::Date& to,
                const std::vector<std::string>& tickers,
                const std::function<void(const std::vector<std::string>&)>& header,
                const std::function<void(const Cells&)>& row);

} // namespace krxbatch::store
