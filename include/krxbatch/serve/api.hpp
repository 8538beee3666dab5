// What `krxbatch serve` answers (docs/API.md), apart from the HTTP transport
// (serve/http_server.hpp): the JSON API under /api/v1/, /health, /metrics, the export jobs
// and the dashboard. Every read answers with the code the CLI commands use (`status --json`,
// `score TICKER --json`, `prices --json`, `actions --json`, `alerts --json`, `calendar list`),
// never a second query of its own, on a read-only connection with a short busy timeout, so a
// request never holds up a job; the only write is a queued export job (table export_jobs).
//
// Security: a POST needs `Authorization: Bearer <serve_token>` (refused when no token is
// configured); with serve_read_token set, every request but /health needs it (or
// serve_token); tokens are compared in constant time and never logged. Each client address
// gets serve_rate_limit requests a minute (429 after). No CORS header unless
// serve_cors_origin is set. Files are served only by exact name: the bundled assets and the
// files an export's manifest lists, so no path reaches outside them.
//
// Errors are JSON {"error": {"status": N, "message": "..."}}: 400 for a malformed parameter or
// body, 401 without the right token, 404 for an unknown path, ticker or job, 405 for a wrong
// method, 409 for an export not finished yet, 429 when rate limited, 503 when the database
// cannot be read now. Thread-safe: handle() runs on the server's threads at once.
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/ops/config.hpp"
#include "krxbatch/serve/rate_limiter.hpp"
#include "krxbatch/serve/request_metrics.hpp"
#include "krxbatch/util/clock.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace krxbatch::ops {
struct ScoreList;
}
namespace krxbatch::store {
class Database;
}

namespace krxbatch::serve {

struct Request {
  std::string method; // GET, POST, ...
  std::string path;   // percent-decoded, without the query
  std::multimap<std::string, std::string> query;
  std::string body;
  std::optional<std::string> authorization; // the Authorization header
  std::string client;                       // the peer's address
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body is this file's content (streamed by the transport).
  std::filesystem::path file;
  std::vector<std::pair<std::string, std::string>> headers;
  // The route the request matched ("/api/v1/prices/{ticker}"; "other" when none), for the
  // metrics and the access log.
  std::string route = "other";
};

struct ApiInputs {
  std::filesystem::path db_path;
  const ops::Settings& settings;
  const calendar::Calendar& calendar;
  const util::Clock& clock;
  // Whether a job's lock is held now (status' "running").
  std::function<std::optional<bool>(std::string_view job)> running;
  // Chart.js (Debian's libjs-chart.js), served as /assets/chart.js.
  std::filesystem::path chart_js;
  // The crontabs that may run the jobs, as (source, text): /api/v1/schedule's next runs.
  std::function<std::vector<std::pair<std::string, std::string>>()> crontabs;
  // A job was queued: wakes the export worker.
  std::function<void()> export_queued;
  // The directory of export job `id`.
  std::function<std::filesystem::path(std::int64_t id)> export_dir;
};

class Api {
public:
  explicit Api(ApiInputs inputs);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Answers one request; never throws.
  Response handle(const Request& request);
  // Records an answered request for /metrics.
  void record(const std::string& route, int status, double seconds);

private:
  struct Pool;
  Response route(const Request& request);
  // The whole ranking of `date` (nullopt: the newest ranked session) as ops::list_scores reads
  // it, read again only when the database changed since it was last read.
  std::shared_ptr<const ops::ScoreList> ranking_of(store::Database& db,
                                                   const std::optional<core::Date>& date);

  ApiInputs m_in;
  RateLimiter m_limiter;
  RequestMetrics m_metrics;
  std::unique_ptr<Pool> m_pool;
};

} // namespace krxbatch::serve
