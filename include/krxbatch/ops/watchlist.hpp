// `krxbatch watchlist`: the operator's list of stocks to follow (store::WatchlistStore), with
// each one's latest close and change, latest score and its change against its previous scored
// session, and flags saying what to look at. The daily report shows the same rows.
//
// Tickers are checked before anything is written: a malformed one, or one the database has
// never stored a price for, refuses the whole command (exit 2) and leaves the watchlist as it
// was. Storage errors are core::Error.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/watchlist_store.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace krxbatch::ops {

// Upper-cases each ticker and checks it: throws core::Error (exit 2) naming every malformed
// ticker, then every ticker daily_prices does not know. `command` prefixes the message.
std::vector<std::string> checked_tickers(store::Database& db, std::vector<std::string> tickers,
                                         const std::string& command);

// The watchlist as of `session` (default: daily_update's mark, else every stored session).
struct WatchlistView {
  std::optional<core::Date> session;
  std::vector<store::WatchlistRow> rows;
};
WatchlistView read_watchlist(store::Database& db, std::optional<core::Date> session = {});

// What to look at for a row, e.g. {"halted", "ineligible: short_history"}: "no prices" (never
// traded in the database), "gone since D" (no row on the view's session, last row on D),
// "halted" (no trades on it), "not in universe" (not an active target, so not scored),
// "ineligible[: flags]" (its newest analysis row).
std::vector<std::string> watchlist_flags(const store::WatchlistRow& row,
                                         const std::optional<core::Date>& session);
// score - previous score, when both exist.
std::optional<double> score_change(const store::WatchlistRow& row);

// One object per row (fields of README "Watchlist").
nlohmann::ordered_json watchlist_json_rows(const WatchlistView& view);
// The view as pretty-printed JSON: {"session": ..., "stocks": [...]}.
std::string watchlist_json(const WatchlistView& view);
// A table: ticker, name, close, change %, score, score change, flags, note.
std::string watchlist_table(const WatchlistView& view);

} // namespace krxbatch::ops
