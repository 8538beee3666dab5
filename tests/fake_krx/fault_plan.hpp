// The fault plan: rules that make data requests misbehave, as tests ask through
// POST /_fake/faults (see README.md for the JSON form and each kind's effect).
//
// A rule matches a request by API and date (either may be "*"); each matching request
// consumes one use of the first matching rule that still has uses left, in the order the rules
// were added. A rule with times = -1 never runs out.
//
// Thread-safe.
#pragma once

#include "krxbatch/core/date.hpp"

#include "fake_krx/api.hpp"

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::fake_krx {

enum class FaultKind {
  status,       // the given HTTP status (default 500) with an optional body
  delay,        // wait `ms`, then answer normally
  reset,        // close the connection without answering (TCP RST)
  truncate,     // the headers with the full Content-Length, then half the body, then close
  html,         // 200 text/html: KRX's "서비스 제공 불가능" notice
  invalid_json, // 200 application/json whose body is not valid JSON
  empty,        // 200 {"OutBlock_1":[]}, even for a published day
  unauthorized, // 401 "Unauthorized Key"
  unapproved,   // 401 "Unauthorized API Call"
  wrong_date,   // 200 with the rows of another session (their BAS_DD is not the one asked for)
};

std::string_view to_string(FaultKind kind);
std::optional<FaultKind> parse_fault_kind(std::string_view text);

struct FaultRule {
  std::optional<Api> api;         // nullopt: any API
  std::optional<core::Date> date; // nullopt: any date (also requests without a valid basDd)
  FaultKind kind = FaultKind::status;
  int times = 1; // uses left; -1 = forever
  int status = 500;
  std::optional<std::string> body; // `status` only; else an Apache error page
  std::string content_type;        // `status` with a body: JSON if it looks like JSON, else HTML
  int delay_ms = 1000;

  bool matches(Api request_api, const std::optional<core::Date>& request_date) const;
  // The rule as JSON (the form POST /_fake/faults accepts, with the uses left as "times").
  std::string to_json() const;
};

// Parses one rule object, or an array of them. Throws std::invalid_argument naming the first
// problem (malformed JSON, an unknown field or kind, a bad value).
std::vector<FaultRule> parse_fault_rules(std::string_view json);

class FaultPlan {
public:
  void add(const std::vector<FaultRule>& rules);
  // Consumes one use of the first rule matching the request and returns it (with the uses it
  // had before); nullopt when no rule matches.
  std::optional<FaultRule> take(Api api, const std::optional<core::Date>& date);
  // Removes every rule; returns how many there were.
  std::size_t clear();
  std::size_t size() const;
  // The rules still active, as a JSON array.
  std::string to_json() const;

private:
  mutable std::mutex m_mutex;
  std::vector<FaultRule> m_rules; // only rules with uses left
};

} // namespace krxbatch::fake_krx
