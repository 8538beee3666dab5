// Internal to the store layer: the packed form of one session's price rows for one market, as
// daily_prices_staging holds them (one BLOB per session and market, docs/PERFORMANCE.md, "The
// staging table").
//
// A session's transaction then writes its rows as one value (~80 KB for the whole KOSDAQ)
// instead of inserting ~2,700 B-tree records, and the merge reads the sessions back already in
// ticker order, so that it needs no sort to write daily_prices in key order.
//
// The rows hold the values daily_prices stores (stored_row() applies the store's rules), so a
// merge binds them as they are. Format (version 1): a version byte, the row count (varint), then
// per row: ticker and name (varint length + bytes), a presence byte for the optional columns,
// close, volume, value, market_cap, listed_shares and the present ones of open, high, low,
// change (zigzag varints), change_rate (8 bytes, IEEE 754 little-endian) and section (varint
// length + bytes). Nothing outside this file depends on the layout.
#pragma once

#include "krxbatch/core/error.hpp"
#include "krxbatch/market/types.hpp"
#include "krxbatch/util/scratch_file.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace krxbatch::store::staged {

// One daily_prices row without its session and market (those are the staging row's key).
struct Row {
  std::string ticker;
  std::string name;
  std::optional<std::int64_t> open;
  std::optional<std::int64_t> high;
  std::optional<std::int64_t> low;
  std::int64_t close = 0;
  std::int64_t volume = 0;
  std::int64_t value = 0;
  std::int64_t market_cap = 0;
  std::int64_t listed_shares = 0;
  std::optional<std::int64_t> change;
  std::optional<double> change_rate;
  std::optional<std::string> section;
};

// What daily_prices stores for an open/high/low value of `row`: KRX sends a suspended issue as
// 0 with volume 0, which is "no trade" (NULL), not a price.
std::optional<std::int64_t> stored_price(const std::optional<std::int64_t>& v,
                                         const market::PriceRow& row);

// The values daily_prices stores for `in`, written to `out` (reusing its strings' storage):
// stored_price() applied to open, high and low. Throws core::Error naming the row when it lacks
// a column daily_prices requires (validation rejects such rows first; this keeps a gap there
// from reaching a merge, where it would fail every later run).
void to_stored(const market::PriceRow& in, Row& out);

// Packs `rows` (one market's rows of one session, in ticker order) as to_stored() sees them.
// Throws as to_stored() does.
std::string encode(std::span<const market::PriceRow* const> rows);

// The error for a staged value that cannot be read, naming `what` is wrong and what to do.
core::Error damaged(std::string_view what);

// Reads the rows of one packed value in order. `blob` must outlive the Reader.
class Reader {
public:
  // Throws core::Error when the value is not a version-1 packed session.
  explicit Reader(std::string_view blob);
  // The number of rows the value holds.
  std::size_t size() const { return m_size; }
  // Decodes the next row into `out` (reusing its strings' storage); false after the last row.
  // Throws core::Error when the value is truncated or damaged.
  bool next(Row& out);

private:
  std::string_view m_rest;
  std::size_t m_size = 0;
  std::size_t m_read = 0;
};

// Reads the rows of one packed value that lies at [offset, offset + length) of `file`, about
// `window` bytes at a time (a row longer than half the window widens it), so that a merge of
// thousands of staged sessions holds a window of each instead of all of them. The same
// checks as Reader. `file` must outlive the reader.
class StreamReader {
public:
  // Throws core::Error when the value is not a version-1 packed session.
  StreamReader(const util::ScratchFile& file, std::uint64_t offset, std::uint64_t length,
               std::size_t window);
  std::size_t size() const { return m_size; }
  bool next(Row& out);

private:
  // Moves the unread bytes to the front of the buffer and reads as many more as fit.
  void fill();

  const util::ScratchFile* m_file;
  std::uint64_t m_next; // where the bytes not yet read from the file start
  std::uint64_t m_left; // how many of the value's bytes are not yet read from the file
  std::string m_buffer;
  std::string_view m_rest; // the bytes of the buffer not yet decoded
  std::size_t m_size = 0;
  std::size_t m_read = 0;
};

} // namespace krxbatch::store::staged
