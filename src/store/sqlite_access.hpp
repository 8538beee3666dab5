// Internal to the store layer: the SQLiteCpp connection behind store::Database and the helper
// that turns SQLite exceptions into core::Error. Never include this outside src/store/.
#pragma once

#include "krxbatch/core/error.hpp"
#include "krxbatch/store/database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <span>
#include <sqlite3.h>
#include <string>
#include <string_view>

namespace krxbatch::store {

struct Database::Impl {
  Impl(const std::string& p, int flags) : path(p), db(p, flags) {}
  std::string path;
  SQLite::Database db;
};

// A one-line core::Error for an SQLite failure while `doing` something with the file at
// `path`, naming the cause and what the operator should do.
core::Error storage_error(const std::string& path, std::string_view doing,
                          const SQLite::Exception& e);

// Runs `fn()`, converting SQLite exceptions into core::Error.
template <typename Fn>
auto guarded(const Database& db, std::string_view doing, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const SQLite::Exception& e) {
    throw storage_error(db.path(), doing, e);
  }
}

// Column helpers: NULL-aware reads.
inline std::optional<std::string> opt_text(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getString();
}
inline std::optional<std::int64_t> opt_int(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getInt64();
}
inline std::optional<double> opt_real(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getDouble();
}

// Binds an optional value (NULL when empty).
template <typename T>
void bind_opt(SQLite::Statement& st, int index, const std::optional<T>& value) {
  if (value) {
    st.bind(index, *value);
  } else {
    st.bind(index);
  }
}

// A JSON array of strings, for `IN (SELECT value FROM json_each(?))` (tickers are 6
// alphanumeric characters; quotes and backslashes are escaped all the same).
inline std::string json_array(std::span<const std::string> items) {
  std::string out = "[";
  for (const auto& item : items) {
    if (out.size() > 1) {
      out += ',';
    }
    out += '"';
    for (const char ch : item) {
      if (ch == '"' || ch == '\\') {
        out += '\\';
      }
      out += ch;
    }
    out += '"';
  }
  out += ']';
  return out;
}

} // namespace krxbatch::store
