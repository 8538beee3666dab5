#include "fake_krx/fault_plan.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <stdexcept>
#include <utility>

namespace krxbatch::fake_krx {
namespace {

constexpr std::array<std::pair<FaultKind, std::string_view>, 10> k_kinds = {{
    {FaultKind::status, "status"},
    {FaultKind::delay, "delay"},
    {FaultKind::reset, "reset"},
    {FaultKind::truncate, "truncate"},
    {FaultKind::html, "html"},
    {FaultKind::invalid_json, "invalid_json"},
    {FaultKind::empty, "empty"},
    {FaultKind::unauthorized, "unauthorized"},
    {FaultKind::unapproved, "unapproved"},
    {FaultKind::wrong_date, "wrong_date"},
}};

constexpr std::array<std::string_view, 8> k_fields = {"api",    "date", "fault",        "times",
                                                      "status", "body", "content_type", "ms"};

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument(what);
}

std::string string_field(const nlohmann::json& rule, const char* key) {
  const auto& v = rule.at(key);
  if (!v.is_string()) {
    bad(std::string("\"") + key + "\" must be a string");
  }
  return v.get<std::string>();
}

int int_field(const nlohmann::json& rule, const char* key) {
  const auto& v = rule.at(key);
  if (!v.is_number_integer()) {
    bad(std::string("\"") + key + "\" must be an integer");
  }
  const auto n = v.get<long long>();
  if (n < -1'000'000'000LL || n > 1'000'000'000LL) {
    bad(std::string("\"") + key + "\" is out of range");
  }
  return static_cast<int>(n);
}

FaultRule parse_rule(const nlohmann::json& j) {
  if (!j.is_object()) {
    bad("a fault rule must be a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const auto f : k_fields) {
      known = known || key == f;
    }
    if (!known) {
      bad("unknown field \"" + key + "\" in a fault rule");
    }
  }
  FaultRule rule;
  if (!j.contains("fault")) {
    bad("a fault rule needs \"fault\"");
  }
  const auto kind_text = string_field(j, "fault");
  const auto kind = parse_fault_kind(kind_text);
  if (!kind) {
    bad("unknown fault \"" + kind_text +
        "\" (status, delay, reset, truncate, html, invalid_json, empty, unauthorized, "
        "unapproved, wrong_date)");
  }
  rule.kind = *kind;
  if (j.contains("api")) {
    const auto api = string_field(j, "api");
    if (api != "*") {
      rule.api = parse_api_name(api);
      if (!rule.api) {
        bad("unknown api \"" + api +
            "\" (stk_bydd_trd, ksq_bydd_trd, knx_bydd_trd, "
            "kospi_dd_trd, kosdaq_dd_trd or *)");
      }
    }
  }
  if (j.contains("date")) {
    const auto date = string_field(j, "date");
    if (date != "*") {
      rule.date = date.size() == 8 ? core::parse_basdd(date) : core::parse_iso_date(date);
      if (!rule.date) {
        bad("\"date\" must be YYYY-MM-DD or *, not \"" + date + "\"");
      }
    }
  }
  if (j.contains("times")) {
    rule.times = int_field(j, "times");
    if (rule.times == 0 || rule.times < -1) {
      bad("\"times\" must be a positive count or -1 (forever)");
    }
  }
  if (j.contains("status")) {
    rule.status = int_field(j, "status");
    if (rule.status < 100 || rule.status > 599) {
      bad("\"status\" must be an HTTP status (100-599)");
    }
  }
  if (j.contains("body")) {
    rule.body = string_field(j, "body");
  }
  if (j.contains("content_type")) {
    rule.content_type = string_field(j, "content_type");
  }
  if (j.contains("ms")) {
    rule.delay_ms = int_field(j, "ms");
    if (rule.delay_ms < 0) {
      bad("\"ms\" must not be negative");
    }
  }
  return rule;
}

} // namespace

std::string_view to_string(FaultKind kind) {
  for (const auto& [k, name] : k_kinds) {
    if (k == kind) {
      return name;
    }
  }
  return "";
}

std::optional<FaultKind> parse_fault_kind(std::string_view text) {
  for (const auto& [k, name] : k_kinds) {
    if (name == text) {
      return k;
    }
  }
  return std::nullopt;
}

bool FaultRule::matches(Api request_api, const std::optional<core::Date>& request_date) const {
  return (!api || *api == request_api) && (!date || (request_date && *date == *request_date));
}

std::string FaultRule::to_json() const {
  nlohmann::ordered_json j;
  j["api"] = api ? std::string(api_id(*api)) : "*";
  j["date"] = date ? core::to_iso(*date) : "*";
  j["fault"] = std::string(to_string(kind));
  j["times"] = times;
  if (kind == FaultKind::status) {
    j["status"] = status;
    if (body) {
      j["body"] = *body;
    }
    if (!content_type.empty()) {
      j["content_type"] = content_type;
    }
  }
  if (kind == FaultKind::delay) {
    j["ms"] = delay_ms;
  }
  return j.dump();
}

std::vector<FaultRule> parse_fault_rules(std::string_view json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::parse_error& e) {
    bad(std::string("the body is not JSON: ") + e.what());
  }
  std::vector<FaultRule> rules;
  if (j.is_array()) {
    for (const auto& item : j) {
      rules.push_back(parse_rule(item));
    }
  } else {
    rules.push_back(parse_rule(j));
  }
  return rules;
}

void FaultPlan::add(const std::vector<FaultRule>& rules) {
  const std::lock_guard lock(m_mutex);
  m_rules.insert(m_rules.end(), rules.begin(), rules.end());
}

std::optional<FaultRule> FaultPlan::take(Api api, const std::optional<core::Date>& date) {
  const std::lock_guard lock(m_mutex);
  for (auto it = m_rules.begin(); it != m_rules.end(); ++it) {
    if (!it->matches(api, date)) {
      continue;
    }
    FaultRule taken = *it;
    if (it->times > 0 && --it->times == 0) {
      m_rules.erase(it);
    }
    return taken;
  }
  return std::nullopt;
}

std::size_t FaultPlan::clear() {
  const std::lock_guard lock(m_mutex);
  const auto n = m_rules.size();
  m_rules.clear();
  return n;
}

std::size_t FaultPlan::size() const {
  const std::lock_guard lock(m_mutex);
  return m_rules.size();
}

std::string FaultPlan::to_json() const {
  const std::lock_guard lock(m_mutex);
  std::string out = "[";
  for (std::size_t i = 0; i < m_rules.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += m_rules[i].to_json();
  }
  out += ']';
  return out;
}

} // namespace krxbatch::fake_krx
