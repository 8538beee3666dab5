#include "support/db_files.hpp"

#include <filesystem>
#include <system_error>

namespace krxbatch::test {

void remove_database(const std::string& path) {
  for (const auto* suffix : {"", "-wal", "-shm", "-journal", ".ingest.lock", ".analysis.lock"}) {
    std::error_code ec;
    std::filesystem::remove(path + suffix, ec);
  }
}

} // namespace krxbatch::test
