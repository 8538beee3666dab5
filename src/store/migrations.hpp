// Internal to the store layer: the ordered list of schema migrations.
#pragma once

#include <span>
#include <string_view>

namespace krxbatch::store {

struct Migration {
  int version;          // PRAGMA user_version after this migration
  std::string_view sql; // one or more statements
};

// All migrations, ascending by version, starting at 1.
std::span<const Migration> migrations();

} // namespace krxbatch::store
