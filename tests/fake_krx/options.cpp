#include "fake_krx/options.hpp"

#include "krxbatch/core/error.hpp"

#include <boost/program_options.hpp>

#include <charconv>
#include <iostream>

namespace krxbatch::fake_krx {
namespace {

namespace po = boost::program_options;

template <typename T>
T parse_number(const std::string& text, const std::string& option, T min, T max) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw core::usage_error(option + ": '" + text + "' is not a number from " +
                            std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

std::vector<Api> parse_api_list(const std::string& text, const std::string& option) {
  std::vector<Api> apis;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto comma = text.find(',', pos);
    const auto item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!item.empty()) {
      const auto api = parse_api_name(item);
      if (!api) {
        throw core::usage_error(option + ": unknown API '" + item +
                                "'; use stk, ksq, knx, kospi, kosdaq or their api ids "
                                "(stk_bydd_trd, ...)");
      }
      apis.push_back(*api);
    }
    if (comma == std::string::npos) {
      break;
    }
    pos = comma + 1;
  }
  return apis;
}

const char* const k_usage = "Usage: fake_krx [options]\n"
                            "A fake KRX Open API server for tests (see tests/fake_krx/README.md).\n"
                            "Serving prints 'listening HOST:PORT' on stdout, then serves until "
                            "SIGTERM/SIGINT.\n";

} // namespace

std::optional<Options> parse_options(int argc, const char* const* argv) {
  po::options_description desc("Options");
  std::string port = "0";
  std::string seed = "1";
  std::string kospi = "40";
  std::string kosdaq = "60";
  std::string konex = "12";
  std::string start = "2023-01-02";
  std::string quota;
  std::string quota_mode = "429";
  std::string publish_hour = "8";
  std::string latency_ms = "0";
  std::string cache_mb = "512";
  Options o;
  // clang-format off
  desc.add_options()
    ("help,h", "print this help")
    ("port", po::value(&port), "TCP port; 0 picks a free one (default 0)")
    ("bind", po::value(&o.bind), "address to listen on (default 127.0.0.1)")
    ("holidays", po::value<std::string>(), "the KRX holiday files (default: found like krxbatch)")
    ("seed", po::value(&seed), "seed of the synthetic market (default 1)")
    ("kospi", po::value(&kospi), "KOSPI issues on the first session (default 40)")
    ("kosdaq", po::value(&kosdaq), "KOSDAQ issues on the first session (default 60)")
    ("konex", po::value(&konex), "KONEX issues on the first session (default 12)")
    ("start", po::value(&start), "first session with data, YYYY-MM-DD (default 2023-01-02)")
    ("now", po::value<std::string>(), "the fake clock's start, an ISO instant (default: real time)")
    ("auth-key", po::value<std::string>(), "the only valid AUTH_KEY (default: any non-empty key)")
    ("unapproved", po::value<std::string>(), "APIs answering 401 Unauthorized API Call, comma-separated")
    ("quota", po::value(&quota), "calls per fake KST day before the quota behaviour (default none)")
    ("quota-mode", po::value(&quota_mode), "401, 429 or empty (default 429)")
    ("publish-hour", po::value(&publish_hour), "KST hour of the next business day when a session appears (default 8)")
    ("latency-ms", po::value(&latency_ms), "every API answer is sent this many ms after its request arrived (default 0)")
    ("cache-mb", po::value(&cache_mb), "budget for rendered bodies in MiB (default 512)")
    ("log-requests", "log one line per request on stderr")
    ("dump", po::value<std::string>(), "write the bodies of every session in [--from, --to] to DIR and exit")
    ("from", po::value<std::string>(), "first day to dump, YYYY-MM-DD")
    ("to", po::value<std::string>(), "last day to dump, YYYY-MM-DD")
    ("endpoints", po::value<std::string>(), "APIs to dump (default stk,ksq,knx,kospi,kosdaq)");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::usage_error(std::string(e.what()) + "; see fake_krx --help");
  }
  if (vm.count("help") != 0) {
    std::cout << k_usage << "\n" << desc << "\n";
    return std::nullopt;
  }
  o.port = parse_number<std::uint16_t>(port, "--port", 0, 65535);
  o.market.seed = parse_number<std::uint64_t>(seed, "--seed", 0, UINT64_MAX);
  o.market.kospi = parse_number<std::size_t>(kospi, "--kospi", 0, 20'000);
  o.market.kosdaq = parse_number<std::size_t>(kosdaq, "--kosdaq", 0, 20'000);
  o.market.konex = parse_number<std::size_t>(konex, "--konex", 0, 20'000);
  o.market.start = core::parse_iso_date_arg(start, "--start");
  if (vm.count("holidays") != 0) {
    o.holidays = vm["holidays"].as<std::string>();
  }
  if (vm.count("now") != 0) {
    const auto text = vm["now"].as<std::string>();
    o.now = core::parse_instant_to_kst(text);
    if (!o.now) {
      throw core::usage_error("--now: '" + text +
                              "' is not an instant; use e.g. 2024-06-28T19:00:00+09:00");
    }
  }
  if (vm.count("auth-key") != 0) {
    o.auth_key = vm["auth-key"].as<std::string>();
    if (o.auth_key->empty()) {
      throw core::usage_error("--auth-key must not be empty");
    }
  }
  if (vm.count("unapproved") != 0) {
    for (const auto api : parse_api_list(vm["unapproved"].as<std::string>(), "--unapproved")) {
      o.unapproved.insert(api);
    }
  }
  if (!quota.empty()) {
    o.quota = parse_number<long>(quota, "--quota", 0, 1'000'000'000);
  }
  const auto mode = parse_quota_mode(quota_mode);
  if (!mode) {
    throw core::usage_error("--quota-mode: '" + quota_mode + "' is not 401, 429 or empty");
  }
  o.quota_mode = *mode;
  o.publish_hour = parse_number<int>(publish_hour, "--publish-hour", 0, 23);
  o.latency_ms = parse_number<int>(latency_ms, "--latency-ms", 0, 60'000);
  o.cache_mb = parse_number<std::size_t>(cache_mb, "--cache-mb", 0, 1'000'000);
  o.log_requests = vm.count("log-requests") != 0;

  const bool dump = vm.count("dump") != 0;
  if (!dump && (vm.count("from") != 0 || vm.count("to") != 0 || vm.count("endpoints") != 0)) {
    throw core::usage_error("--from, --to and --endpoints go with --dump DIR");
  }
  if (dump) {
    if (vm.count("from") == 0 || vm.count("to") == 0) {
      throw core::usage_error("--dump needs --from and --to");
    }
    DumpOptions d;
    d.dir = vm["dump"].as<std::string>();
    d.from = core::parse_iso_date_arg(vm["from"].as<std::string>(), "--from");
    d.to = core::parse_iso_date_arg(vm["to"].as<std::string>(), "--to");
    if (d.from > d.to) {
      throw core::usage_error("--from must not be after --to");
    }
    const auto listed = vm.count("endpoints") != 0
                            ? parse_api_list(vm["endpoints"].as<std::string>(), "--endpoints")
                            : std::vector<Api>(k_all_apis.begin(), k_all_apis.end());
    for (const Api api : k_all_apis) {
      if (std::find(listed.begin(), listed.end(), api) != listed.end()) {
        d.endpoints.push_back(api);
      }
    }
    if (d.endpoints.empty()) {
      throw core::usage_error("--endpoints names no API");
    }
    o.dump = std::move(d);
  }
  return o;
}

} // namespace krxbatch::fake_krx
