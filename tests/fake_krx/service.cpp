#include "fake_krx/service.hpp"

#include "krxbatch/core/error.hpp"

#include "fake_krx/wire_format.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace krxbatch::fake_krx {
namespace {

constexpr std::string_view k_api_prefix = "/svc/apis/";
constexpr std::string_view k_control_prefix = "/_fake/";

std::mutex g_stderr_mutex;

void log_line(const std::string& line) {
  const std::lock_guard lock(g_stderr_mutex);
  std::fprintf(stderr, "fake_krx: %s\n", line.c_str());
}

HttpResponse json_response(int status, std::string body) {
  return HttpResponse::text(status, k_json_content_type, std::move(body));
}

HttpResponse json_error(int status, const std::string& message) {
  return json_response(status, nlohmann::json{{"error", message}}.dump());
}

HttpResponse fixed_json(int status, std::string_view body) {
  return json_response(status, std::string(body));
}

bool looks_like_json(std::string_view body) {
  const auto first = body.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (body[first] == '{' || body[first] == '[');
}

// basDd from the query, else from a POST body {"basDd":"..."}; nullopt when absent.
std::optional<std::string> bas_dd_of(const HttpRequest& request) {
  if (auto q = request.query_param("basDd")) {
    return q;
  }
  if (request.body.empty()) {
    return std::nullopt;
  }
  const auto j = nlohmann::json::parse(request.body, nullptr, false);
  if (j.is_object() && j.contains("basDd") && j["basDd"].is_string()) {
    return j["basDd"].get<std::string>();
  }
  return std::nullopt;
}

std::optional<long> parse_count(std::string_view text) {
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

} // namespace

struct Service::Answer {
  HttpResponse response;
  std::string fault = "none";
};

Service::Service(const calendar::Calendar& calendar, const MarketModel& model, BodyCache& bodies,
                 ServiceOptions options)
    : m_calendar(calendar), m_model(model), m_bodies(bodies), m_options(std::move(options)),
      m_clock(m_options.now), m_quota(m_options.quota, m_options.quota_mode) {}

HttpResponse Service::handle(const HttpRequest& request) {
  if (request.path.starts_with(k_control_prefix) || request.path == "/_fake") {
    return handle_control(request);
  }
  return handle_public(request);
}

bool Service::published(const core::Date& day, const core::KstTime& now) const {
  const auto session = m_model.session_index(day);
  if (!session) {
    return false;
  }
  try {
    const core::KstTime at(m_calendar.next_business_day(day),
                           boost::posix_time::hours(m_options.publish_hour));
    return now >= at;
  } catch (const core::Error&) {
    return false; // the calendar's last session: its next business day is beyond the files
  }
}

std::string Service::auth_of(const HttpRequest& request) const {
  const auto key = request.header("AUTH_KEY");
  if (!key || key->empty()) {
    return "missing";
  }
  if (m_options.auth_key && *key != *m_options.auth_key) {
    return "invalid";
  }
  return "valid";
}

HttpResponse Service::handle_public(const HttpRequest& request) {
  ++m_requests_total;
  LogEntry entry;
  entry.method = request.method;
  entry.path = request.path;
  entry.auth = auth_of(request);
  Answer answer;
  if (request.path == "/") {
    answer.response = HttpResponse::text(403, k_apache_content_type, apache_forbidden_page());
  } else if (request.path.starts_with(k_api_prefix)) {
    const auto api = parse_api_path(std::string_view(request.path).substr(k_api_prefix.size()));
    if (!api) {
      answer.response = fixed_json(404, k_not_found_body);
    } else {
      ++m_requests_by_api.at(static_cast<std::size_t>(*api));
      entry.api = std::string(api_id(*api));
      const auto bas_dd = bas_dd_of(request);
      entry.bas_dd = bas_dd.value_or("");
      const auto day = bas_dd ? core::parse_basdd(*bas_dd) : std::nullopt;
      answer = answer_api(*api, day, entry.auth);
      // A server far away: on top of any delay fault.
      answer.response.delay += std::chrono::milliseconds(m_options.latency_ms);
    }
  } else {
    answer.response =
        HttpResponse::text(404, k_apache_content_type, apache_not_found_page(request.path));
  }
  entry.status = answer.response.delivery == Delivery::reset ? 0 : answer.response.status;
  entry.fault = answer.fault;
  if (m_options.log_requests) {
    // The path and basDd only: a client might put its key in the query.
    log_line(entry.method + " " + entry.path +
             (entry.bas_dd.empty() ? std::string() : " basDd=" + entry.bas_dd) + " -> " +
             std::to_string(entry.status) + " (auth " + entry.auth + ", fault " + entry.fault +
             ")");
  }
  m_log.append(std::move(entry));
  return std::move(answer.response);
}

Service::Answer Service::answer_api(Api api, const std::optional<core::Date>& day,
                                    const std::string& auth) {
  Answer answer;
  if (auth != "valid") {
    answer.response = fixed_json(401, k_unauthorized_key_body);
    return answer;
  }
  const auto now = m_clock.now();
  const auto over_quota = m_quota.count_call(now.date());
  if (m_options.unapproved.contains(api)) {
    answer.response = fixed_json(401, k_unapproved_body);
    return answer;
  }
  if (over_quota) {
    answer.fault = "quota";
    switch (*over_quota) {
    case QuotaMode::unauthorized:
      answer.response = fixed_json(401, k_unauthorized_key_body);
      break;
    case QuotaMode::too_many_requests:
      answer.response = fixed_json(429, k_too_many_requests_body);
      break;
    case QuotaMode::empty:
      answer.response = fixed_json(200, k_empty_body);
      break;
    }
    return answer;
  }
  if (const auto rule = m_faults.take(api, day)) {
    return fault_answer(*rule, api, day, now);
  }
  return normal_answer(api, day, now);
}

Service::Answer Service::normal_answer(Api api, const std::optional<core::Date>& day,
                                       const core::KstTime& now) {
  Answer answer;
  if (day && published(*day, now)) {
    answer.response = HttpResponse::shared(200, k_json_content_type,
                                           m_bodies.get(api, *m_model.session_index(*day)));
  } else {
    answer.response = fixed_json(200, k_empty_body);
  }
  return answer;
}

Service::Answer Service::fault_answer(const FaultRule& rule, Api api,
                                      const std::optional<core::Date>& day,
                                      const core::KstTime& now) {
  Answer answer;
  answer.fault = std::string(to_string(rule.kind));
  switch (rule.kind) {
  case FaultKind::status: {
    std::string content_type = rule.content_type;
    if (content_type.empty()) {
      content_type = !rule.body                    ? std::string(k_apache_content_type)
                     : looks_like_json(*rule.body) ? std::string(k_json_content_type)
                                                   : std::string(k_html_content_type);
    }
    answer.response = HttpResponse::text(rule.status, content_type,
                                         rule.body ? *rule.body : apache_error_page(rule.status));
    break;
  }
  case FaultKind::delay:
    answer.response = normal_answer(api, day, now).response;
    answer.response.delay = std::chrono::milliseconds(rule.delay_ms);
    break;
  case FaultKind::reset:
    answer.response = fixed_json(200, k_empty_body);
    answer.response.delivery = Delivery::reset;
    break;
  case FaultKind::truncate:
    answer.response = normal_answer(api, day, now).response;
    answer.response.delivery = Delivery::truncate;
    break;
  case FaultKind::html:
    answer.response = HttpResponse::text(200, k_html_content_type, krx_unavailable_page());
    break;
  case FaultKind::invalid_json: {
    // Half of the body the request would have had: an unterminated JSON text.
    const auto full = normal_answer(api, day, now).response.body;
    answer.response =
        json_response(200, full->substr(0, std::max<std::size_t>(1, full->size() / 2)));
    break;
  }
  case FaultKind::empty:
    answer.response = fixed_json(200, k_empty_body);
    break;
  case FaultKind::unauthorized:
    answer.response = fixed_json(401, k_unauthorized_key_body);
    break;
  case FaultKind::unapproved:
    answer.response = fixed_json(401, k_unapproved_body);
    break;
  case FaultKind::wrong_date: {
    // The rows of the session before the requested day (or of the first session when there
    // is none before it): a stale answer, whatever the publication state.
    const auto& sessions = m_model.sessions();
    const auto at =
        day ? std::lower_bound(sessions.begin(), sessions.end(), *day) : sessions.begin();
    auto index = static_cast<std::size_t>(at - sessions.begin());
    if (index > 0) {
      --index;
    } else if (day && sessions.front() == *day && sessions.size() > 1) {
      index = 1;
    }
    answer.response = HttpResponse::shared(200, k_json_content_type, m_bodies.get(api, index));
    break;
  }
  }
  return answer;
}

HttpResponse Service::handle_control(const HttpRequest& request) {
  const std::string_view what =
      std::string_view(request.path).substr(std::min(request.path.size(), k_control_prefix.size()));
  if (what == "clock") {
    return control_clock(request);
  }
  if (what == "faults") {
    return control_faults(request);
  }
  if (what == "requests") {
    return control_requests(request);
  }
  if (what == "quota") {
    return control_quota(request);
  }
  if (what == "actions") {
    return request.method == "GET" ? control_actions(request)
                                   : json_error(405, "use GET /_fake/actions");
  }
  if (what == "stats") {
    return request.method == "GET" ? control_stats() : json_error(405, "use GET /_fake/stats");
  }
  if (what == "shutdown") {
    if (request.method != "POST") {
      return json_error(405, "use POST /_fake/shutdown");
    }
    log_line("shutting down (POST /_fake/shutdown)");
    auto r = json_response(200, R"({"stopping":true})");
    r.stop_server = true;
    return r;
  }
  if (what == "release") {
    if (request.method != "POST") {
      return json_error(405, "use POST /_fake/release");
    }
    log_line("releasing delayed answers (POST /_fake/release)");
    auto r = json_response(200, R"({"released":true})");
    r.release_delays = true;
    return r;
  }
  return json_error(404,
                    "no control endpoint " + request.path +
                        " (clock, faults, requests, quota, actions, stats, release, shutdown)");
}

HttpResponse Service::control_clock(const HttpRequest& request) {
  if (request.method == "POST") {
    auto text = request.query_param("now");
    if (!text && !request.body.empty()) {
      const auto j = nlohmann::json::parse(request.body, nullptr, false);
      if (j.is_object() && j.contains("now") && j["now"].is_string()) {
        text = j["now"].get<std::string>();
      }
    }
    const auto now = text ? core::parse_instant_to_kst(*text) : std::nullopt;
    if (!now) {
      return json_error(400, "give now=<ISO instant>, e.g. now=2024-06-28T19:00:00%2B09:00");
    }
    m_clock.set(*now);
    log_line("clock set to " + core::to_iso(*now));
  } else if (request.method != "GET") {
    return json_error(405, "use GET or POST /_fake/clock");
  }
  return json_response(200, nlohmann::json{{"now", core::to_iso(m_clock.now())}}.dump());
}

HttpResponse Service::control_faults(const HttpRequest& request) {
  if (request.method == "GET") {
    return json_response(200, m_faults.to_json());
  }
  if (request.method == "DELETE") {
    const auto n = m_faults.clear();
    log_line("fault plan cleared");
    return json_response(200, nlohmann::json{{"cleared", n}}.dump());
  }
  if (request.method != "POST") {
    return json_error(405, "use GET, POST or DELETE /_fake/faults");
  }
  try {
    const auto rules = parse_fault_rules(request.body);
    m_faults.add(rules);
    log_line("fault plan: added " + std::to_string(rules.size()) + " rule(s)");
    return json_response(
        200, nlohmann::json{{"added", rules.size()}, {"active", m_faults.size()}}.dump());
  } catch (const std::invalid_argument& e) {
    return json_error(400, e.what());
  }
}

HttpResponse Service::control_requests(const HttpRequest& request) {
  if (request.method == "GET") {
    std::uint64_t after = 0;
    if (const auto since = request.query_param("since")) {
      const auto n = parse_count(*since);
      if (!n) {
        return json_error(400, "since must be a sequence number");
      }
      after = static_cast<std::uint64_t>(*n);
    }
    return json_response(200, m_log.to_json(after));
  }
  if (request.method == "DELETE") {
    return json_response(200, nlohmann::json{{"cleared", m_log.clear()}}.dump());
  }
  return json_error(405, "use GET or DELETE /_fake/requests");
}

std::string Service::quota_json() const {
  const auto s = m_quota.snapshot(m_clock.now().date());
  nlohmann::ordered_json j;
  j["limit"] = s.limit ? nlohmann::ordered_json(*s.limit) : nlohmann::ordered_json(nullptr);
  j["mode"] = std::string(to_string(s.mode));
  j["calls_today"] = s.calls_today;
  return j.dump();
}

HttpResponse Service::control_quota(const HttpRequest& request) {
  if (request.method == "POST") {
    auto current = m_quota.snapshot(m_clock.now().date());
    if (const auto limit = request.query_param("limit")) {
      if (*limit == "none") {
        current.limit.reset();
      } else if (const auto n = parse_count(*limit)) {
        current.limit = *n;
      } else {
        return json_error(400, "limit must be a count of calls or none");
      }
    }
    if (const auto mode = request.query_param("mode")) {
      const auto parsed = parse_quota_mode(*mode);
      if (!parsed) {
        return json_error(400, "mode must be 401, 429 or empty");
      }
      current.mode = *parsed;
    }
    m_quota.configure(current.limit, current.mode);
    log_line("quota set: " + quota_json());
  } else if (request.method != "GET") {
    return json_error(405, "use GET or POST /_fake/quota");
  }
  return json_response(200, quota_json());
}

HttpResponse Service::control_actions(const HttpRequest& request) const {
  const auto& sessions = m_model.sessions();
  auto from = sessions.front();
  auto to = sessions.back();
  for (const auto& [key, bound] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (const auto text = request.query_param(key)) {
      const auto d = core::parse_iso_date(*text);
      if (!d) {
        return json_error(400, std::string(key) + " must be a date YYYY-MM-DD");
      }
      *bound = *d;
    }
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& a : m_model.actions(from, to)) {
    out.push_back({{"ticker", a.ticker},
                   {"name", a.name},
                   {"market", std::string(market::to_string(a.market))},
                   {"kind", std::string(to_string(a.kind))},
                   {"ex_date", core::to_iso(a.ex_date)},
                   {"halt_from", core::to_iso(a.halt_from)},
                   {"shares_from", core::to_iso(a.shares_from)},
                   {"ratio", a.ratio},
                   {"subscription", a.subscription},
                   {"prev_close", a.prev_close},
                   {"base_price", a.base_price},
                   {"shares_before", a.shares_before},
                   {"shares_after", a.shares_after}});
  }
  return json_response(200, out.dump());
}

HttpResponse Service::control_stats() const {
  const auto now = m_clock.now();
  nlohmann::ordered_json j;
  j["requests_total"] = m_requests_total.load();
  nlohmann::ordered_json by_api = nlohmann::ordered_json::object();
  for (const Api api : k_all_apis) {
    by_api[std::string(api_id(api))] = m_requests_by_api.at(static_cast<std::size_t>(api)).load();
  }
  j["requests"] = by_api;
  const auto quota = m_quota.snapshot(now.date());
  j["calls_today"] = quota.calls_today;
  j["fake_now"] = core::to_iso(now);
  j["fake_day"] = core::to_iso(now.date());
  j["quota"] = nlohmann::ordered_json::parse(quota_json());
  j["faults_active"] = m_faults.size();
  j["cache"] = {{"bodies", m_bodies.entries()}, {"bytes", m_bodies.bytes()}};
  return json_response(200, j.dump());
}

} // namespace krxbatch::fake_krx
