// Internal to the store layer: the ordered list of schema migrations.
#pragma once

#include <span>
#include <string_view>

namespace krxbatch::store {

class Database;

struct Migration {
  int version;          // PRAGMA user_version after this migration
  std::string_view sql; // one or more statements
  // Runs after `sql`, in the same transaction, for what SQL cannot do; may be null.
  void (*after)(Database& db) = nullptr;
};

// All migrations, ascending by version, starting at 1.
std::span<const Migration> migrations();

// Migration 5's step: merges what is staged, then derives the price_adjustments of the prices
// already stored (adjustment_store.cpp).
void derive_price_adjustments(Database& db);

} // namespace krxbatch::store
