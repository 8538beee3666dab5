// What the fake KRX server answers: the Open API data routes under /svc/apis/ and the control
// API under /_fake/ (README.md in this folder documents both for test writers).
//
// A data request goes through, in order: the path (404 for anything but the five APIs), the
// AUTH_KEY header (401 "Unauthorized Key"), the daily quota count, the API's approval (401
// "Unauthorized API Call"), the quota limit, the fault plan, and finally the calendar and the
// publication rule (day T is served from the next business day at the publication hour, KST,
// by the fake's clock; everything else gets `{"OutBlock_1":[]}`). Every request outside
// /_fake/ is logged (see request_log.hpp); control requests are not.
//
// Thread-safe: handle() is called from every connection thread.
#pragma once

#include "krxbatch/calendar/calendar.hpp"

#include "fake_krx/api.hpp"
#include "fake_krx/body_cache.hpp"
#include "fake_krx/fake_clock.hpp"
#include "fake_krx/fault_plan.hpp"
#include "fake_krx/http_server.hpp"
#include "fake_krx/market_model.hpp"
#include "fake_krx/quota.hpp"
#include "fake_krx/request_log.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

namespace krxbatch::fake_krx {

struct ServiceOptions {
  std::optional<std::string> auth_key; // the only valid key; else any non-empty key is valid
  std::set<Api> unapproved;            // these answer 401 "Unauthorized API Call"
  std::optional<long> quota;           // calls per fake KST day; nullopt: no limit
  QuotaMode quota_mode = QuotaMode::too_many_requests;
  int publish_hour = 8;      // KST hour on the next business day at which a session appears
  int latency_ms = 0;        // every API answer waits this long before it is sent
  core::KstTime now;         // the fake's clock starts here
  bool log_requests = false; // one line per request on stderr
};

class Service {
public:
  // `calendar`, `model` and `bodies` must outlive the service.
  Service(const calendar::Calendar& calendar, const MarketModel& model, BodyCache& bodies,
          ServiceOptions options);

  HttpResponse handle(const HttpRequest& request);

  // Whether the data of `day` is out at `now`: `day` is a session with data and `now` is at or
  // after the publication hour of the next business day.
  bool published(const core::Date& day, const core::KstTime& now) const;

private:
  struct Answer;

  HttpResponse handle_public(const HttpRequest& request);
  Answer answer_api(Api api, const std::optional<core::Date>& day, const std::string& auth);
  Answer normal_answer(Api api, const std::optional<core::Date>& day, const core::KstTime& now);
  Answer fault_answer(const FaultRule& rule, Api api, const std::optional<core::Date>& day,
                      const core::KstTime& now);
  HttpResponse handle_control(const HttpRequest& request);
  HttpResponse control_clock(const HttpRequest& request);
  HttpResponse control_faults(const HttpRequest& request);
  HttpResponse control_requests(const HttpRequest& request);
  HttpResponse control_quota(const HttpRequest& request);
  HttpResponse control_actions(const HttpRequest& request) const;
  HttpResponse control_stats() const;
  std::string quota_json() const;
  std::string auth_of(const HttpRequest& request) const;

  const calendar::Calendar& m_calendar;
  const MarketModel& m_model;
  BodyCache& m_bodies;
  ServiceOptions m_options;
  FakeClock m_clock;
  Quota m_quota;
  FaultPlan m_faults;
  RequestLog m_log;
  std::atomic<std::uint64_t> m_requests_total{0};
  std::array<std::atomic<std::uint64_t>, k_all_apis.size()> m_requests_by_api{};
};

} // namespace krxbatch::fake_krx
