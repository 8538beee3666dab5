// `krxbatch serve`: the read-only HTTP API, the export jobs and the dashboard (docs/API.md).
// The work is in src/serve/; this file wires the settings, the database and the log file.
#include "krxbatch/core/error.hpp"
#include "krxbatch/serve/api.hpp"
#include "krxbatch/serve/export_worker.hpp"
#include "krxbatch/serve/http_server.hpp"
#include "krxbatch/util/file_lock.hpp"
#include "krxbatch/util/log.hpp"
#include "krxbatch/util/text_file.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace krxbatch::cli {
namespace {

// Debian's libjs-chart.js.
constexpr const char* k_chart_js = "/usr/share/javascript/chart.js/chart.min.js";

} // namespace

int run_serve(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options() //
      ("listen", po::value<std::string>()->default_value("127.0.0.1:8787"),
       "HOST:PORT to listen on (port 0: any free port, printed on stdout)")            //
      ("threads", po::value<unsigned>()->default_value(8), "worker threads (1 to 64)") //
      ("nice", po::value<int>()->default_value(19),
       "lower the server's CPU priority by this much (0 to 19; 19: it runs on the CPU the "
       "jobs leave)") //
      ("crontab", po::value<std::string>(),
       "the crontab whose times the dashboard shows as next runs (default: the ones `doctor` "
       "looks at: crontab -l, /etc/crontab, /etc/cron.d)");
  const auto vm = parse_command_args(
      args,
      "krxbatch serve [--listen 127.0.0.1:8787] [--threads N] [--nice N] [--crontab FILE]\n\n"
      "A small HTTP server over the database: the JSON API under /api/v1/ (status, prices,\n"
      "scores, actions, alerts, runs, calendar, export jobs), /health, /metrics (Prometheus)\n"
      "and a dashboard at /. It reads alongside the jobs and never blocks them; the only thing\n"
      "it writes to the database is the export-job table. POST needs serve_token from the\n"
      "config file. Runs until SIGTERM or SIGINT. See docs/API.md.",
      opts);
  if (!vm) {
    return 0;
  }
  const auto listen = serve::parse_listen((*vm)["listen"].as<std::string>(), "serve --listen");
  const auto threads = (*vm)["threads"].as<unsigned>();
  std::optional<std::filesystem::path> crontab;
  if (vm->count("crontab") != 0U) {
    crontab = (*vm)["crontab"].as<std::string>();
    std::ifstream probe(*crontab);
    if (!probe) {
      throw core::usage_error("serve --crontab: cannot read " + crontab->string() +
                              "; give the crontab file the jobs run from");
    }
  }
  if (threads < 1 || threads > 64) {
    throw core::usage_error("serve: --threads must be from 1 to 64");
  }
  const auto niceness = (*vm)["nice"].as<int>();
  if (niceness < 0 || niceness > 19) {
    throw core::usage_error("serve: --nice must be from 0 to 19");
  }
  // Before any thread starts (each inherits it): under 200 clients at the jobs' priority the
  // server took most of both cores and daily_update and hourly_analysis ran 3-4x slower
  // (bench/serve-load); at nice 19 they ran as fast as alone (docs/PERFORMANCE.md).
  errno = 0;
  if (niceness > 0 && ::nice(niceness) == -1 && errno != 0) {
    spdlog::warn("serve: cannot lower the CPU priority ({}); the jobs may run slower while it "
                 "is busy",
                 std::strerror(errno));
  }
  const auto& settings = ctx.settings();
  // Opens (and, like every command, brings up to date) the database once; requests then read
  // on their own read-only connections.
  existing_database(ctx, "serve");
  const auto& policy = ctx.path_policy();
  util::LogFile log_file(
      settings.log_dir / "serve.log", static_cast<std::size_t>(settings.log_max_bytes),
      static_cast<std::size_t>(settings.log_files - 1), policy, settings.origin("log_dir"));
  // Export jobs write and delete under serve_export_dir: a directory the policy refuses (the
  // database, a companion, the backup directory...) is refused now, before anything listens,
  // not job by job later.
  policy.check_directory(settings.serve_export_dir, settings.origin("serve_export_dir"), "serve");
  if (!serve::is_loopback(listen.host) && settings.serve_read_token.empty()) {
    spdlog::warn("serve: listening on {} without serve_read_token: anyone who can reach it "
                 "reads the API; put it behind a reverse proxy or set serve_read_token",
                 listen.host);
  }
  std::error_code ec;
  if (!std::filesystem::exists(k_chart_js, ec)) {
    spdlog::warn("serve: {} is missing: the dashboard draws no charts; install Debian's "
                 "libjs-chart.js",
                 k_chart_js);
  }

  serve::ExportWorker worker({ctx.db_path(), settings, ctx.clock(), policy});
  serve::Api api(
      {ctx.db_path(), settings, ctx.calendar(), ctx.clock(),
       [&ctx](std::string_view job) { return util::FileLock::is_held(ctx.lock_path(job)); },
       k_chart_js,
       [crontab]() -> std::vector<std::pair<std::string, std::string>> {
         if (crontab) {
           return {{crontab->string(), util::read_text_file(*crontab).value_or("")}};
         }
         return gather_schedule().crontabs;
       },
       [&worker] { worker.wake(); }, [&worker](std::int64_t id) { return worker.job_dir(id); }});
  serve::ServerOptions options;
  options.listen = listen;
  options.threads = threads;
  options.on_listening = [&](const std::string& host, int port) {
    worker.start();
    std::cout << "krxbatch serve: listening on http://"
              << (host.find(':') != std::string::npos ? "[" + host + "]" : host) << ":" << port
              << std::endl;
  };
  return serve::run_server(api, options, [&worker] { worker.stop(); });
}

} // namespace krxbatch::cli
