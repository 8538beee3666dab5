// The test hooks: the environment variables KRXBATCH_TEST_* that only the test suites set, all
// read here and nowhere else (docs/RELIABILITY.md). Each makes a fault or a crash reproducible in
// milliseconds; none is for operators, and none has a config key or an option.
//
// Unset or empty, a hook is off. A value must be a positive whole number, read by one parser;
// anything else is a usage error (core::Error, exit 2) naming the variable. Pure apart from the
// lookup it is given.
#pragma once

#include "krxbatch/ops/config.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace krxbatch::app {

struct TestHooks {
  // KRXBATCH_TEST_BUSY_TIMEOUT_MS: the database's busy timeout, so that a database locked by
  // another program fails in milliseconds rather than a minute (storage-fault suite).
  std::optional<std::chrono::milliseconds> busy_timeout;
  // KRXBATCH_TEST_MAX_PAGE_COUNT: caps the database file at this many pages, which makes SQLite
  // report a full disk (storage-fault suite).
  std::optional<std::int64_t> max_page_count;
  // KRXBATCH_TEST_HTTP_TIMEOUT_MS: the KRX request timeout, short enough for the fault matrix's
  // `delay` fault to take the timeout path in milliseconds.
  std::optional<std::chrono::milliseconds> http_timeout;
  // KRXBATCH_TEST_KILL_AFTER_STOCKS: hourly_analysis kills itself (SIGKILL) right after
  // writing its nth stock (HourlyAnalysisOptions::after_write).
  std::optional<std::int64_t> kill_after_stocks;
  // KRXBATCH_TEST_STOP_AFTER_COMMITTED: hourly_analysis stops itself (SIGSTOP) once it has
  // committed n stocks, for a test to kill it from outside (HourlyAnalysisOptions::after_commit).
  std::optional<std::int64_t> stop_after_committed;
  // KRXBATCH_TEST_KILL_AT: the name of a crash point (util::crash_point) where the process kills
  // itself (SIGKILL), for the leftover tests of interrupted backups, snapshots, restores and
  // exports. A name, not a number.
  std::optional<std::string> kill_at;
};

// Reads every hook through `env` (ops::process_env() in the binary).
TestHooks read_test_hooks(const ops::EnvLookup& env);

} // namespace krxbatch::app
