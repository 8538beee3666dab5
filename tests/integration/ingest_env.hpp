// An ingestion scenario for integration tests: a fake KRX server, a database in a temporary
// directory, and a way to run the real krxbatch against both at a given KST time.
#pragma once

#include "support/fake_krx.hpp"
#include "support/process.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace krxbatch::test {

// The key krxbatch sends; tests check that it never appears in any output.
inline constexpr std::string_view k_secret_key = "SECRET-key-3f9a61c07be24d55";

class IngestEnv {
public:
  // Starts the fake with `fake_args` and its clock at `now` (an ISO instant).
  explicit IngestEnv(std::string now, std::vector<std::string> fake_args = {});
  ~IngestEnv();
  IngestEnv(const IngestEnv&) = delete;
  IngestEnv& operator=(const IngestEnv&) = delete;

  FakeKrx& fake() { return *m_fake; }
  const std::filesystem::path& dir() const { return m_dir; }
  std::string db() const { return (m_dir / "krx.db").string(); }

  // Moves both clocks (krxbatch's --now and the fake's).
  void set_now(const std::string& now);
  const std::string& now() const { return m_now; }

  // Runs `krxbatch <args>` against the fake with the database, clock, key and a tiny retry
  // scale; `extra_env` overrides any of them.
  ProcessResult
  run(const std::vector<std::string>& args,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& extra_env = {}) const;
  // Starts it without waiting.
  Child spawn(const std::vector<std::string>& args, const std::string& db_path = {}) const;
  SpawnOptions options(const std::string& db_path = {}) const;

  // The digest of a database (`krxbatch digest`'s overall hash).
  std::string digest(const std::string& db_path = {}) const;

  // A read-write connection to the database (for checks and for tampering).
  SQLite::Database open() const;

private:
  std::string m_now;
  std::filesystem::path m_dir;
  std::unique_ptr<FakeKrx> m_fake;
};

// The set of basDd values the fake was asked for (any endpoint), from its request log.
std::set<std::string> requested_days(FakeKrx& fake);
// How many requests the log holds for `api` on `bas_dd`.
int request_count(FakeKrx& fake, std::string_view api, std::string_view bas_dd);

} // namespace krxbatch::test
