#include "krxbatch/app/test_hooks.hpp"

#include "krxbatch/core/error.hpp"

#include <charconv>
#include <string>

namespace krxbatch::app {
namespace {

// The one number parser of the hooks: a positive whole number, or nullopt when `name` is unset.
std::optional<std::int64_t> positive(const ops::EnvLookup& env, const char* name) {
  const auto text = env(name);
  if (!text || text->empty()) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, n);
  if (ec != std::errc() || ptr != end || n <= 0) {
    throw core::usage_error(std::string(name) + ": '" + *text +
                            "' is not a positive whole number (a test hook; unset it)");
  }
  return n;
}

std::optional<std::chrono::milliseconds> milliseconds(const ops::EnvLookup& env, const char* name) {
  const auto n = positive(env, name);
  return n ? std::optional(std::chrono::milliseconds(*n)) : std::nullopt;
}

} // namespace

TestHooks read_test_hooks(const ops::EnvLookup& env) {
  TestHooks hooks;
  hooks.busy_timeout = milliseconds(env, "KRXBATCH_TEST_BUSY_TIMEOUT_MS");
  hooks.max_page_count = positive(env, "KRXBATCH_TEST_MAX_PAGE_COUNT");
  hooks.http_timeout = milliseconds(env, "KRXBATCH_TEST_HTTP_TIMEOUT_MS");
  hooks.kill_after_stocks = positive(env, "KRXBATCH_TEST_KILL_AFTER_STOCKS");
  hooks.stop_after_committed = positive(env, "KRXBATCH_TEST_STOP_AFTER_COMMITTED");
  if (auto point = env("KRXBATCH_TEST_KILL_AT"); point && !point->empty()) {
    hooks.kill_at = std::move(point);
  }
  return hooks;
}

} // namespace krxbatch::app
