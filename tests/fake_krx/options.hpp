// The fake_krx command line (README.md in this folder lists every option).
#pragma once

#include "krxbatch/core/date.hpp"

#include "fake_krx/api.hpp"
#include "fake_krx/market_model.hpp"
#include "fake_krx/quota.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace krxbatch::fake_krx {

struct DumpOptions {
  std::filesystem::path dir;
  core::Date from;
  core::Date to;
  std::vector<Api> endpoints; // in k_all_apis order
};

struct Options {
  std::uint16_t port = 0;
  std::string bind = "127.0.0.1";
  std::optional<std::string> holidays;
  MarketOptions market;
  std::optional<core::KstTime> now; // nullopt: the real time
  std::optional<std::string> auth_key;
  std::set<Api> unapproved;
  std::optional<long> quota;
  QuotaMode quota_mode = QuotaMode::too_many_requests;
  int publish_hour = 8;
  int latency_ms = 0; // every API answer waits this long (a server far away)
  std::size_t cache_mb = 512;
  bool log_requests = false;
  std::optional<DumpOptions> dump;
};

// Parses the command line. Returns nullopt after printing the help (--help). Throws core::Error
// (exit 2) naming the option on bad input.
std::optional<Options> parse_options(int argc, const char* const* argv);

} // namespace krxbatch::fake_krx
