// `krxbatch verify --reparse`: every session of the raw archive (fetch/raw_archive.hpp) parsed
// again with today's parser and compared with what the database holds, so that a parser fix
// can be checked against history without a call to KRX.
//
// A session counts when its archive holds a stock answer with rows. Each archived answer is
// parsed (market::parse_*_rows) and compared with the stored rows of its market or index class
// (store/session_diff.hpp). An answer that no longer parses, a market answered with rows but
// stored with none (or the reverse), and every row that differs is a difference. Sessions that
// are stored but not archived (a database older than its archive) are only counted. Read-only.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/store/database.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace krxbatch::ops {

struct ReparseReport {
  int sessions = 0;           // archived sessions compared
  int sessions_differing = 0; // of those, the ones with a difference
  // One line per difference, "2024-06-27 stk_bydd_trd 005930: close stored 71000, answer
  // 71200", at most `max_lines`; `more` counts those left out.
  std::vector<std::string> differences;
  std::int64_t more = 0;
  int stored_not_archived = 0; // stored sessions the archive has no answer for
};

// Compares every archived session in `archive_dir` with `db`. Throws core::Error on storage
// failures.
ReparseReport reparse_archive(store::Database& db, const std::filesystem::path& archive_dir,
                              std::size_t max_lines = 50);

} // namespace krxbatch::ops
