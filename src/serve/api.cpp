#include "krxbatch/serve/api.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/market/validation.hpp"
#include "krxbatch/ops/actions_report.hpp"
#include "krxbatch/ops/alerts_report.hpp"
#include "krxbatch/ops/cron_schedule.hpp"
#include "krxbatch/ops/export.hpp"
#include "krxbatch/ops/metrics.hpp"
#include "krxbatch/ops/prices_report.hpp"
#include "krxbatch/ops/score_report.hpp"
#include "krxbatch/ops/status_report.hpp"
#include "krxbatch/serve/dashboard.hpp"
#include "krxbatch/store/database.hpp"
#include "krxbatch/store/export_job_store.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/util/log.hpp"
#include "krxbatch/util/text_file.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <mutex>

namespace krxbatch::serve {
namespace {

using nlohmann::ordered_json;

// A request's connection waits this long for a write lock a job holds before the request
// fails with 503: a reader in WAL mode waits only in rare cases (a checkpoint's end, a
// recovery), and a request must never queue behind a job.
constexpr std::chrono::milliseconds k_read_busy_timeout{1000};
// Queueing an export job (one small INSERT) waits a little longer.
constexpr std::chrono::milliseconds k_write_busy_timeout{5000};
// At most this many export jobs wait at once; more are refused (503).
constexpr std::int64_t k_max_pending_exports = 16;
// The widest calendar range answered (days), and the most lines a list returns.
constexpr int k_max_calendar_days = 3700;
constexpr std::int64_t k_max_limit = 5000;

// A request that cannot be answered: its status and message.
struct ApiError {
  int status;
  std::string message;
};

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  if (r.body.empty() || r.body.back() != '\n') {
    r.body += '\n';
  }
  return r;
}

Response error_response(int status, const std::string& message) {
  return json_response(
      status,
      ordered_json{{"error", ordered_json{{"status", status}, {"message", util::redact(message)}}}}
          .dump(2));
}

std::optional<std::string> param(const Request& r, const std::string& name) {
  const auto it = r.query.find(name);
  if (it == r.query.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<core::Date> date_param(const Request& r, const std::string& name) {
  const auto v = param(r, name);
  if (!v) {
    return std::nullopt;
  }
  const auto d = core::parse_iso_date(*v);
  if (!d) {
    throw ApiError{400, "the parameter " + name + " must be a date YYYY-MM-DD, not '" +
                            v->substr(0, 40) + "'"};
  }
  return d;
}

std::pair<core::Date, core::Date> range_params(const Request& r) {
  const auto from = date_param(r, "from").value_or(core::Date(1900, 1, 1));
  const auto to = date_param(r, "to").value_or(core::Date(9999, 12, 31));
  if (from > to) {
    throw ApiError{400, "from " + core::to_iso(from) + " is after to " + core::to_iso(to)};
  }
  return {from, to};
}

bool bool_param(const Request& r, const std::string& name) {
  const auto v = param(r, name);
  if (!v || *v == "false" || *v == "0") {
    return false;
  }
  if (v->empty() || *v == "true" || *v == "1") {
    return true;
  }
  throw ApiError{400, "the parameter " + name + " must be true or false"};
}

std::int64_t limit_param(const Request& r, std::int64_t fallback) {
  const auto v = param(r, "limit");
  if (!v) {
    return fallback;
  }
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > k_max_limit) {
    throw ApiError{400, "the parameter limit must be a whole number from 1 to " +
                            std::to_string(k_max_limit)};
  }
  return n;
}

std::string ticker_of(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!market::is_ticker(text)) {
    throw ApiError{400, "'" + text.substr(0, 40) +
                            "' is not a ticker (6 characters of 0-9 and A-Z, e.g. 005930)"};
  }
  return text;
}

// Splits "/a/b/c" into {"a", "b", "c"}.
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string::npos ? path.size() : slash;
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::optional<std::string> bearer(const Request& r) {
  if (!r.authorization) {
    return std::nullopt;
  }
  constexpr std::string_view k_prefix = "Bearer ";
  if (r.authorization->size() <= k_prefix.size() ||
      r.authorization->compare(0, k_prefix.size(), k_prefix) != 0) {
    return std::nullopt;
  }
  return r.authorization->substr(k_prefix.size());
}

ordered_json export_job_json(const store::ExportJob& j) {
  ordered_json tickers = nullptr;
  if (!j.tickers.empty()) {
    tickers = j.tickers;
  }
  const auto base = "/api/v1/exports/" + std::to_string(j.id);
  ordered_json o{
      {"id", j.id},
      {"state", j.state},
      {"from", core::to_iso(j.from)},
      {"to", core::to_iso(j.to)},
      {"tickers", tickers},
      {"adjusted", j.adjusted},
      {"progress", ordered_json{{"files_done", j.files_done},
                                {"files_total", j.files_total ? ordered_json(*j.files_total)
                                                              : ordered_json(nullptr)}}},
      {"reason", j.reason ? ordered_json(*j.reason) : ordered_json(nullptr)},
      {"created_at", j.created_at},
      {"started_at", j.started_at ? ordered_json(*j.started_at) : nullptr},
      {"finished_at", j.finished_at ? ordered_json(*j.finished_at) : nullptr}};
  o["links"] = ordered_json{{"self", base},
                            {"manifest", j.state == "SUCCEEDED" ? ordered_json(base + "/manifest")
                                                                : ordered_json(nullptr)}};
  return o;
}

} // namespace

// Read-only connections, one per request at a time, kept for the next request.
struct Api::Pool {
  std::mutex mutex;
  std::vector<std::unique_ptr<store::Database>> idle;
  std::mutex write_mutex;
  std::unique_ptr<store::Database> writer;

  // The last whole ranking read for /api/v1/scores, kept while nothing is committed to the
  // database: reading a session's ranking costs ~40 ms at full market scale (a random lookup
  // per stock in analysis_results and daily_prices), a page of the kept one microseconds. The
  // watcher connection only asks for the data version.
  std::mutex ranking_mutex;
  std::unique_ptr<store::Database> watcher;
  std::int64_t ranking_version = 0;
  std::optional<core::Date> ranking_date; // as asked for (nullopt: the newest ranked session)
  std::shared_ptr<const ops::ScoreList> ranking;
};

namespace {

// A read-only connection with the short busy timeout.
std::unique_ptr<store::Database> open_reader(const std::filesystem::path& path) {
  store::OpenOptions options;
  options.busy_timeout = k_read_busy_timeout;
  options.migrate = false;
  options.read_only = true;
  return std::make_unique<store::Database>(path.string(), options);
}

// A connection of the pool for one request's length.
class Lease {
public:
  Lease(std::mutex& mutex, std::vector<std::unique_ptr<store::Database>>& idle,
        const std::filesystem::path& path)
      : m_mutex(mutex), m_idle(idle) {
    {
      const std::lock_guard lock(m_mutex);
      if (!m_idle.empty()) {
        m_db = std::move(m_idle.back());
        m_idle.pop_back();
      }
    }
    if (!m_db) {
      m_db = open_reader(path);
    }
  }
  ~Lease() {
    const std::lock_guard lock(m_mutex);
    m_idle.push_back(std::move(m_db));
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  store::Database& db() { return *m_db; }

private:
  std::mutex& m_mutex;
  std::vector<std::unique_ptr<store::Database>>& m_idle;
  std::unique_ptr<store::Database> m_db;
};

} // namespace

Api::Api(ApiInputs inputs)
    : m_in(std::move(inputs)), m_limiter(m_in.settings.serve_rate_limit),
      m_pool(std::make_unique<Pool>()) {}

Api::~Api() = default;

void Api::record(const std::string& route, int status, double seconds) {
  m_metrics.record(route, status, seconds);
}

Response Api::handle(const Request& request) {
  Response response;
  try {
    if (!m_limiter.allow(request.client)) {
      response = error_response(429, "too many requests from " + request.client + " (more than " +
                                         std::to_string(m_in.settings.serve_rate_limit) +
                                         " a minute, serve_rate_limit); slow down");
      response.headers.emplace_back("Retry-After", std::to_string(m_limiter.retry_after_seconds()));
    } else {
      response = this->route(request);
    }
  } catch (const ApiError& e) {
    response = error_response(e.status, e.message);
  } catch (const core::Error& e) {
    // A lookup the CLI refuses with a usage error (no bars, no score) is a missing resource
    // here; anything else is the database failing to answer now.
    response = error_response(e.code() == core::ExitCode::usage ? 404 : 503, e.what());
  } catch (const std::exception& e) {
    spdlog::error("serve: {} {}: {}", request.method, request.path, util::redact(e.what()));
    response = error_response(500, "internal error; the server log has the details");
  }
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!m_in.settings.serve_cors_origin.empty()) {
    response.headers.emplace_back("Access-Control-Allow-Origin", m_in.settings.serve_cors_origin);
    response.headers.emplace_back("Vary", "Origin");
  }
  return response;
}

std::shared_ptr<const ops::ScoreList> Api::ranking_of(store::Database& db,
                                                      const std::optional<core::Date>& date) {
  auto& p = *m_pool;
  std::int64_t version = 0;
  {
    const std::lock_guard lock(p.ranking_mutex);
    if (!p.watcher) {
      p.watcher = open_reader(m_in.db_path);
    }
    // Read before the ranking: a commit after this point changes the version, so a ranking
    // read across a commit is kept under the older version and read again next time.
    version = p.watcher->data_version();
    if (p.ranking && p.ranking_version == version && p.ranking_date == date) {
      return p.ranking;
    }
  }
  auto ranking = std::make_shared<const ops::ScoreList>(
      ops::list_scores(db, date, std::numeric_limits<std::size_t>::max(), std::nullopt));
  const std::lock_guard lock(p.ranking_mutex);
  p.ranking = ranking;
  p.ranking_version = version;
  p.ranking_date = date;
  return ranking;
}

Response Api::route(const Request& r) {
  const auto parts = segments(r.path);
  const bool get = r.method == "GET" || r.method == "HEAD";
  const auto& s = m_in.settings;

  // CORS preflight, only when configured.
  if (r.method == "OPTIONS" && !s.serve_cors_origin.empty()) {
    Response res;
    res.status = 204;
    res.content_type.clear();
    res.route = "preflight";
    res.headers = {{"Access-Control-Allow-Methods", "GET, POST"},
                   {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
                   {"Access-Control-Max-Age", "600"}};
    return res;
  }

  // Authorization: /health is open (load balancers); POST needs serve_token; reads need
  // serve_read_token (or serve_token) when it is set.
  const bool health = r.path == "/health";
  const auto token = bearer(r);
  const bool has_write =
      !s.serve_token.empty() && token && constant_time_equal(*token, s.serve_token);
  if (r.method == "POST") {
    if (s.serve_token.empty()) {
      throw ApiError{403, "writes are disabled: set serve_token in the config file to allow "
                          "them"};
    }
    if (!has_write) {
      Response res = error_response(401, "a POST needs the header `Authorization: Bearer "
                                         "<serve_token>`");
      res.headers.emplace_back("WWW-Authenticate", "Bearer");
      return res;
    }
  } else if (!health && !s.serve_read_token.empty() && !has_write &&
             !(token && constant_time_equal(*token, s.serve_read_token))) {
    Response res =
        error_response(401, "reads need the header `Authorization: Bearer <serve_read_token>`");
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
    return res;
  }

  const auto need_get = [&](const char* route) {
    if (!get) {
      throw ApiError{405, std::string(route) + " answers GET only"};
    }
  };
  const auto with_route = [](Response res, std::string route) {
    res.route = std::move(route);
    return res;
  };
  const auto read_db = [&]() { return Lease(m_pool->mutex, m_pool->idle, m_in.db_path); };
  // What `status` reports (with the raw archive measured when `archive`: /health skips it).
  const auto status_of = [&](store::Database& db, bool archive) {
    ops::StatusOptions options;
    options.krx_daily_limit = s.krx_daily_limit;
    if (archive) {
      options.archive_dir = s.archive_dir;
    }
    options.running = m_in.running;
    return ops::build_status(db, m_in.calendar, m_in.clock.now_kst(), options);
  };

  // The dashboard and its assets.
  if (r.path == "/" || (parts.size() == 2 && parts[0] == "stock")) {
    need_get("the dashboard");
    Response res;
    res.content_type = "text/html; charset=utf-8";
    res.body = parts.size() == 2 ? std::string(stock_html()) : std::string(dashboard_html());
    res.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; style-src 'self'");
    return with_route(std::move(res), parts.size() == 2 ? "/stock/{ticker}" : "/");
  }
  if (parts.size() == 2 && parts[0] == "assets") {
    need_get("/assets");
    Response res;
    res.route = "/assets/{name}";
    if (parts[1] == "chart.js") {
      res.content_type = "text/javascript; charset=utf-8";
      res.file = m_in.chart_js;
    } else if (parts[1] == "dashboard.js") {
      res.content_type = "text/javascript; charset=utf-8";
      res.body = dashboard_js();
    } else if (parts[1] == "dashboard.css") {
      res.content_type = "text/css; charset=utf-8";
      res.body = dashboard_css();
    } else {
      throw ApiError{404, "no such asset"};
    }
    res.headers.emplace_back("Cache-Control", "max-age=3600");
    return res;
  }

  if (health) {
    need_get("/health");
    ordered_json reasons = ordered_json::array();
    int status = 200;
    try {
      auto lease = read_db();
      const auto report = status_of(lease.db(), false);
      for (const auto& j : report.jobs) {
        if (j.sessions_behind && *j.sessions_behind > 1) {
          reasons.push_back(j.job + " is " + std::to_string(*j.sessions_behind) +
                            " sessions behind (more than one)");
        }
      }
    } catch (const core::Error& e) {
      reasons.push_back(std::string("the database cannot be read: ") + util::redact(e.what()));
    }
    if (!reasons.empty()) {
      status = 503;
    }
    return with_route(
        json_response(
            status,
            ordered_json{{"status", status == 200 ? "ok" : "unhealthy"}, {"reasons", reasons}}.dump(
                2)),
        "/health");
  }
  if (r.path == "/metrics") {
    need_get("/metrics");
    auto lease = read_db();
    Response res;
    res.route = "/metrics";
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = ops::render_metrics(status_of(lease.db(), true)) + m_metrics.render();
    return res;
  }

  if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1") {
    throw ApiError{404, "no such path; the API is under /api/v1/ (docs/API.md)"};
  }
  const auto& what = parts[2];
  const auto n = parts.size();

  if (what == "status" && n == 3) {
    need_get("status");
    auto lease = read_db();
    return with_route(json_response(200, ops::status_json(status_of(lease.db(), true))),
                      "/api/v1/status");
  }
  if (what == "prices" && n == 4) {
    need_get("prices");
    const auto ticker = ticker_of(parts[3]);
    const auto [from, to] = range_params(r);
    const bool adjusted = bool_param(r, "adjusted");
    auto lease = read_db();
    return with_route(json_response(200, ops::prices_json(ops::read_prices(lease.db(), ticker, from,
                                                                           to, adjusted))),
                      "/api/v1/prices/{ticker}");
  }
  if (what == "scores" && n == 5 && parts[4] == "history") {
    need_get("scores history");
    const auto ticker = ticker_of(parts[3]);
    const auto [from, to] = range_params(r);
    auto lease = read_db();
    return with_route(json_response(200, ops::score_history_json(lease.db(), ticker, from, to)),
                      "/api/v1/scores/{ticker}/history");
  }
  if (what == "schedule" && n == 3) {
    need_get("schedule");
    ordered_json sources = ordered_json::array();
    std::vector<ops::CronLine> lines;
    const auto crontabs =
        m_in.crontabs ? m_in.crontabs() : std::vector<std::pair<std::string, std::string>>{};
    for (const auto& [source, text] : crontabs) {
      auto parsed = ops::parse_crontab(text);
      if (!parsed.empty()) {
        sources.push_back(source);
        lines.insert(lines.end(), parsed.begin(), parsed.end());
      }
    }
    const auto now = m_in.clock.now_kst();
    ordered_json jobs = ordered_json::array();
    for (const auto* job : {"daily_update", "hourly_analysis"}) {
      const auto next = ops::next_run(lines, job, now);
      jobs.push_back(ordered_json{
          {"job", job}, {"next_run", next ? ordered_json(core::to_iso(*next)) : nullptr}});
    }
    return with_route(json_response(200, ordered_json{{"now", core::to_iso(now)},
                                                      {"sources", std::move(sources)},
                                                      {"jobs", std::move(jobs)}}
                                             .dump(2)),
                      "/api/v1/schedule");
  }
  if (what == "indices" && n == 3) {
    need_get("indices");
    const auto [from, to] = range_params(r);
    auto lease = read_db();
    return with_route(json_response(200, ops::composites_json(lease.db(), from, to)),
                      "/api/v1/indices");
  }
  if (what == "scores" && (n == 3 || n == 4)) {
    need_get("scores");
    const auto date = date_param(r, "date");
    auto lease = read_db();
    if (n == 4) {
      const auto ticker = ticker_of(parts[3]);
      return with_route(json_response(200, ops::score_json(ops::explain_score(
                                               lease.db(), m_in.calendar, ticker, date))),
                        "/api/v1/scores/{ticker}");
    }
    std::optional<market::Market> market;
    if (const auto m = param(r, "market")) {
      market = market::parse_market(*m);
      if (!market) {
        throw ApiError{400, "the parameter market must be KOSPI or KOSDAQ"};
      }
    }
    const auto limit = static_cast<std::size_t>(limit_param(r, 50));
    const auto ranking = ranking_of(lease.db(), date);
    return with_route(
        json_response(200, ops::scores_json(ops::top_scores(*ranking, limit, market))),
        "/api/v1/scores");
  }
  if (what == "actions" && n == 3) {
    need_get("actions");
    ops::ActionsQuery query;
    std::tie(query.from, query.to) = range_params(r);
    if (const auto t = param(r, "ticker")) {
      query.ticker = ticker_of(*t);
    }
    auto lease = read_db();
    return with_route(json_response(200, ops::actions_json(ops::list_actions(lease.db(), query))),
                      "/api/v1/actions");
  }
  if (what == "alerts" && n == 3) {
    need_get("alerts");
    const bool all = bool_param(r, "all");
    const auto limit = limit_param(r, 50);
    auto lease = read_db();
    const auto list = store::AlertStore(lease.db()).list(all, static_cast<int>(limit));
    return with_route(json_response(200, ops::alerts_json(list)), "/api/v1/alerts");
  }
  if (what == "runs" && n == 3) {
    need_get("runs");
    const auto job = param(r, "job");
    if (job && *job != "manual_setup" && *job != "daily_update" && *job != "hourly_analysis") {
      throw ApiError{400, "the parameter job must be manual_setup, daily_update or "
                          "hourly_analysis"};
    }
    const auto limit = limit_param(r, 50);
    auto lease = read_db();
    return with_route(json_response(200, ops::runs_json(ops::run_history(lease.db(), job,
                                                                         static_cast<int>(limit)))),
                      "/api/v1/runs");
  }
  if (what == "calendar" && n == 3) {
    need_get("calendar");
    const auto today = m_in.clock.today_kst();
    const auto from = date_param(r, "from").value_or(today - boost::gregorian::days(30));
    const auto to = date_param(r, "to").value_or(today + boost::gregorian::days(30));
    if (from > to || (to - from).days() > k_max_calendar_days) {
      throw ApiError{400, "from must not be after to, and the range at most " +
                              std::to_string(k_max_calendar_days) + " days"};
    }
    std::vector<core::Date> days;
    try {
      days = m_in.calendar.business_days(from, to);
    } catch (const core::Error& e) {
      throw ApiError{400, e.what()};
    }
    ordered_json sessions = ordered_json::array();
    for (const auto& d : days) {
      sessions.push_back(core::to_iso(d));
    }
    return with_route(json_response(200, ordered_json{{"from", core::to_iso(from)},
                                                      {"to", core::to_iso(to)},
                                                      {"sessions", std::move(sessions)}}
                                             .dump(2)),
                      "/api/v1/calendar");
  }
  if (what == "exports") {
    if (n == 3 && r.method == "POST") {
      ordered_json body;
      try {
        body = ordered_json::parse(r.body);
      } catch (const std::exception&) {
        throw ApiError{400, "the body must be a JSON object {\"from\", \"to\", \"tickers\", "
                            "\"adjusted\"}"};
      }
      if (!body.is_object()) {
        throw ApiError{400, "the body must be a JSON object"};
      }
      const auto date_of = [&](const char* key) {
        if (!body.contains(key) || !body[key].is_string()) {
          throw ApiError{400, std::string("the body needs \"") + key + "\": \"YYYY-MM-DD\""};
        }
        const auto d = core::parse_iso_date(body[key].get<std::string>());
        if (!d) {
          throw ApiError{400, std::string("\"") + key + "\" must be a date YYYY-MM-DD"};
        }
        return *d;
      };
      const auto from = date_of("from");
      const auto to = date_of("to");
      if (from > to) {
        throw ApiError{400, "\"from\" is after \"to\""};
      }
      std::vector<std::string> tickers;
      if (body.contains("tickers") && !body["tickers"].is_null()) {
        std::string list;
        if (body["tickers"].is_string()) {
          list = body["tickers"].get<std::string>();
        } else if (body["tickers"].is_array()) {
          for (const auto& t : body["tickers"]) {
            if (!t.is_string()) {
              throw ApiError{400, "\"tickers\" must be a list of tickers"};
            }
            list += (list.empty() ? "" : ",") + t.get<std::string>();
          }
        } else {
          throw ApiError{400, "\"tickers\" must be a list of tickers"};
        }
        try {
          tickers = ops::parse_tickers(list);
        } catch (const core::Error& e) {
          throw ApiError{400, e.what()};
        }
      }
      bool adjusted = false;
      if (body.contains("adjusted")) {
        if (!body["adjusted"].is_boolean()) {
          throw ApiError{400, "\"adjusted\" must be true or false"};
        }
        adjusted = body["adjusted"].get<bool>();
      }
      std::int64_t id = 0;
      {
        const std::lock_guard lock(m_pool->write_mutex);
        if (!m_pool->writer) {
          store::OpenOptions options;
          options.busy_timeout = k_write_busy_timeout;
          options.migrate = false;
          m_pool->writer = std::make_unique<store::Database>(m_in.db_path.string(), options);
        }
        store::ExportJobStore jobs(*m_pool->writer);
        std::int64_t pending = 0;
        for (const auto& j : jobs.list(static_cast<int>(k_max_pending_exports) + 8)) {
          pending += j.state == "PENDING" ? 1 : 0;
        }
        if (pending >= k_max_pending_exports) {
          throw ApiError{503, "the export queue is full (" + std::to_string(pending) +
                                  " jobs waiting); try again later"};
        }
        id = jobs.create(from, to, tickers, adjusted, m_in.clock.now_kst());
        const auto job = jobs.find(id);
        spdlog::info("serve: export job {} queued by {}", id, r.client);
        if (m_in.export_queued) {
          m_in.export_queued();
        }
        Response res = json_response(202, export_job_json(*job).dump(2));
        res.headers.emplace_back("Location", "/api/v1/exports/" + std::to_string(id));
        return with_route(std::move(res), "/api/v1/exports");
      }
    }
    need_get("exports");
    auto lease = read_db();
    store::ExportJobStore jobs(lease.db());
    if (n == 3) {
      ordered_json list = ordered_json::array();
      for (const auto& j : jobs.list(static_cast<int>(limit_param(r, 50)))) {
        list.push_back(export_job_json(j));
      }
      return with_route(json_response(200, ordered_json{{"exports", std::move(list)}}.dump(2)),
                        "/api/v1/exports");
    }
    std::int64_t id = 0;
    const auto& text = parts[3];
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id < 1) {
      throw ApiError{404, "no export job '" + text.substr(0, 40) + "'"};
    }
    const auto job = jobs.find(id);
    if (!job) {
      throw ApiError{404, "no export job " + std::to_string(id) +
                              " (finished jobs are deleted after serve_export_days)"};
    }
    if (n == 4) {
      return with_route(json_response(200, export_job_json(*job).dump(2)), "/api/v1/exports/{id}");
    }
    if (job->state != "SUCCEEDED") {
      throw ApiError{409, "export job " + std::to_string(id) + " is " + job->state +
                              "; its files are there once it has SUCCEEDED"};
    }
    const auto dir = m_in.export_dir(id);
    const auto manifest_text = util::read_text_file(dir / "manifest.json");
    if (!manifest_text) {
      throw ApiError{404, "export job " + std::to_string(id) + " has no files any more"};
    }
    if (n == 5 && parts[4] == "manifest") {
      return with_route(json_response(200, *manifest_text), "/api/v1/exports/{id}/manifest");
    }
    if (n == 6 && parts[4] == "files") {
      // Only a name the manifest lists: no other path is ever served.
      const auto manifest = nlohmann::json::parse(*manifest_text);
      for (const auto& f : manifest.at("files")) {
        if (f.at("name").get<std::string>() == parts[5]) {
          Response res;
          res.route = "/api/v1/exports/{id}/files/{name}";
          res.content_type = "text/csv; charset=utf-8";
          res.file = dir / parts[5];
          res.headers.emplace_back("Content-Disposition",
                                   "attachment; filename=\"" + parts[5] + "\"");
          return res;
        }
      }
      throw ApiError{404, "export job " + std::to_string(id) + " has no file '" +
                              parts[5].substr(0, 60) + "' (its manifest lists the files)"};
    }
  }
  throw ApiError{404, "no such path; the API is under /api/v1/ (docs/API.md)"};
}

} // namespace krxbatch::serve
