// A test database's files: the database and what SQLite and krxbatch keep beside it.
#pragma once

#include <string>

namespace krxbatch::test {

// Removes a database file and its -wal, -shm, -journal and lock files (what is absent is
// skipped). Call it once no connection holds the database: SQLite deletes the WAL at the last
// close only while the database file is still there.
void remove_database(const std::string& path);

} // namespace krxbatch::test
