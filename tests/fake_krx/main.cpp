// fake_krx: a fake KRX Open API server for krxbatch's tests, benchmark and offline demo.
// Parses the command line, builds the synthetic market, then serves it (or dumps it).
#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/error.hpp"
#include "krxbatch/util/clock.hpp"
#include "krxbatch/util/paths.hpp"

#include "fake_krx/body_cache.hpp"
#include "fake_krx/dump.hpp"
#include "fake_krx/http_server.hpp"
#include "fake_krx/market_model.hpp"
#include "fake_krx/options.hpp"
#include "fake_krx/service.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>

namespace {

using namespace krxbatch;

std::atomic<fake_krx::HttpServer*> g_server{nullptr};

extern "C" void on_stop_signal(int /*signal*/) {
  if (auto* server = g_server.load()) {
    server->stop(); // async-signal-safe: one write(2) to a pipe
  }
}

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

std::size_t issue_count(const fake_krx::MarketModel& model) {
  std::size_t n = 0;
  for (const auto m : {market::Market::kospi, market::Market::kosdaq, market::Market::konex}) {
    n += model.issues(m).size();
  }
  return n;
}

int serve(const fake_krx::Options& options, const calendar::Calendar& calendar,
          const fake_krx::MarketModel& model) {
  fake_krx::BodyCache bodies(model, options.cache_mb * 1024 * 1024);
  fake_krx::ServiceOptions service_options;
  service_options.auth_key = options.auth_key;
  service_options.unapproved = options.unapproved;
  service_options.quota = options.quota;
  service_options.quota_mode = options.quota_mode;
  service_options.publish_hour = options.publish_hour;
  service_options.latency_ms = options.latency_ms;
  service_options.now = options.now ? *options.now : util::SystemClock().now_kst();
  service_options.log_requests = options.log_requests;
  fake_krx::Service service(calendar, model, bodies, std::move(service_options));
  fake_krx::HttpServer server(
      options.bind, options.port,
      [&service](const fake_krx::HttpRequest& request) { return service.handle(request); });
  g_server.store(&server);
  install_signal_handlers();
  std::printf("listening %s\n", server.local_address().c_str());
  std::fflush(stdout);
  server.run();
  g_server.store(nullptr);
  std::fprintf(stderr, "fake_krx: stopped\n");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    const auto options = fake_krx::parse_options(argc, argv);
    if (!options) {
      return 0;
    }
    const auto started = std::chrono::steady_clock::now();
    const auto calendar = calendar::Calendar::load(util::find_holidays_dir(options->holidays));
    const fake_krx::MarketModel model(calendar, options->market);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    std::fprintf(stderr, "fake_krx: market built in %lld ms: %zu issues, %zu sessions %s..%s\n",
                 static_cast<long long>(ms), issue_count(model), model.sessions().size(),
                 core::to_iso(model.sessions().front()).c_str(),
                 core::to_iso(model.sessions().back()).c_str());
    if (options->dump) {
      const auto files = fake_krx::write_dump(model, *options->dump);
      std::fprintf(stderr, "fake_krx: wrote %zu files to %s\n", files,
                   options->dump->dir.string().c_str());
      return 0;
    }
    return serve(*options, calendar, model);
  } catch (const core::Error& e) {
    std::fprintf(stderr, "fake_krx: error: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake_krx: error: %s\n", e.what());
    return 1;
  }
}
