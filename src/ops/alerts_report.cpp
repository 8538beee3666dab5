#include "krxbatch/ops/alerts_report.hpp"

#include <nlohmann/json.hpp>

namespace krxbatch::ops {
namespace {

using nlohmann::ordered_json;

ordered_json alert_json(const store::Alert& a) {
  return ordered_json{{"id", a.id},
                      {"created_at", a.created_at},
                      {"severity", std::string(store::to_string(a.severity))},
                      {"job", a.job},
                      {"rule", a.rule},
                      {"message", a.message},
                      {"state", alert_state(a)},
                      {"closed_at", a.acknowledged_at
                                        ? ordered_json(a.acknowledged_at->substr(0, 25))
                                        : ordered_json(nullptr)}};
}

} // namespace

std::string alert_state(const store::Alert& a) {
  if (!a.acknowledged) {
    return "open";
  }
  return a.resolved() ? "resolved" : "acknowledged";
}

std::string alerts_json(std::span<const store::Alert> alerts) {
  ordered_json arr = ordered_json::array();
  for (const auto& a : alerts) {
    arr.push_back(alert_json(a));
  }
  return ordered_json{{"alerts", std::move(arr)}}.dump(2);
}

std::string acknowledged_json(const store::Alert& alert) {
  return ordered_json{{"acknowledged", alert_json(alert)}}.dump(2);
}

} // namespace krxbatch::ops
