// A fingerprint of the stored market data ("logical dump"): two databases with the same
// digest hold the same prices, index prices, universe, analysis results, the analysis state of
// each session, data-quality issues, corporate actions and job marks, whatever their run history,
// timestamps or physical layout.
//
// Each table's rows are serialised canonically (ordered by key; integers in decimal, reals
// with 17 significant digits, NULL as \N) and hashed with SHA-256. Columns that record *when*
// something happened (computed_at, ranked_at, updated_at, detected_at, row ids) are left out, as
// are the run history, day states, alerts and call counts. Read-only.
#pragma once

#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace krxbatch::store {

struct TableDigest {
  std::string table;
  std::int64_t rows = 0;
  std::string sha256;
};

struct DatabaseDigest {
  std::vector<TableDigest> tables;
  std::string sha256; // over all tables' digests
};

DatabaseDigest compute_digest(Database& db);

} // namespace krxbatch::store
