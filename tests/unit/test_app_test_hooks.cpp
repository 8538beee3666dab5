#include "krxbatch/app/test_hooks.hpp"
#include "krxbatch/core/error.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace krxbatch;

namespace {

ops::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  };
}

} // namespace

TEST_SUITE("app.test_hooks") {
  TEST_CASE("no variable, no hook") {
    const auto h = app::read_test_hooks(env_of({}));
    CHECK_FALSE(h.busy_timeout);
    CHECK_FALSE(h.max_page_count);
    CHECK_FALSE(h.http_timeout);
    CHECK_FALSE(h.kill_after_stocks);
    CHECK_FALSE(h.stop_after_committed);
  }

  TEST_CASE("every hook is read from its variable") {
    const auto h = app::read_test_hooks(env_of({{"KRXBATCH_TEST_BUSY_TIMEOUT_MS", "300"},
                                                {"KRXBATCH_TEST_MAX_PAGE_COUNT", "120"},
                                                {"KRXBATCH_TEST_HTTP_TIMEOUT_MS", "1000"},
                                                {"KRXBATCH_TEST_KILL_AFTER_STOCKS", "75"},
                                                {"KRXBATCH_TEST_STOP_AFTER_COMMITTED", "46"}}));
    CHECK(h.busy_timeout == std::chrono::milliseconds(300));
    CHECK(h.max_page_count == 120);
    CHECK(h.http_timeout == std::chrono::milliseconds(1000));
    CHECK(h.kill_after_stocks == 75);
    CHECK(h.stop_after_committed == 46);
  }

  TEST_CASE("an empty value is off, anything but a positive whole number is exit 2 naming it") {
    CHECK_FALSE(
        app::read_test_hooks(env_of({{"KRXBATCH_TEST_MAX_PAGE_COUNT", ""}})).max_page_count);
    for (const auto* bad : {"0", "-5", "12x", " 12", "1.5", "99999999999999999999", "ten"}) {
      CAPTURE(bad);
      try {
        (void)app::read_test_hooks(env_of({{"KRXBATCH_TEST_KILL_AFTER_STOCKS", bad}}));
        FAIL("accepted");
      } catch (const core::Error& e) {
        CHECK(e.code() == core::ExitCode::usage);
        CHECK(std::string(e.what()).find("KRXBATCH_TEST_KILL_AFTER_STOCKS: '") == 0);
      }
    }
  }
}
