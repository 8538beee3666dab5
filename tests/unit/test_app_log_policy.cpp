#include "krxbatch/app/log_policy.hpp"

#include <doctest/doctest.h>

using namespace krxbatch;
using util::LogLevel;

TEST_SUITE("app.log_policy") {
  TEST_CASE("without a terminal, stderr gets warnings and failures only, the files get info") {
    const auto l = app::log_levels(std::nullopt, false);
    CHECK(l.files == LogLevel::info);
    CHECK(l.stderr_level == LogLevel::warn);
  }

  TEST_CASE("on a terminal, stderr gets the info lines too") {
    const auto l = app::log_levels(std::nullopt, true);
    CHECK(l.files == LogLevel::info);
    CHECK(l.stderr_level == LogLevel::info);
  }

  TEST_CASE("--log-level sets both, terminal or not") {
    for (const bool tty : {false, true}) {
      CAPTURE(tty);
      const auto debug = app::log_levels(LogLevel::debug, tty);
      CHECK(debug.files == LogLevel::debug);
      CHECK(debug.stderr_level == LogLevel::debug);
      const auto info = app::log_levels(LogLevel::info, tty);
      CHECK(info.stderr_level == LogLevel::info);
      const auto error = app::log_levels(LogLevel::error, tty);
      CHECK(error.files == LogLevel::error);
      CHECK(error.stderr_level == LogLevel::error);
    }
  }
}
