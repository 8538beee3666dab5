// An in-memory MarketSource for job tests: a small deterministic market whose answers can be
// overridden per (endpoint, day), with a log of every call and an optional CallBudget.
#pragma once

#include "krxbatch/fetch/market_source.hpp"

#include "support.hpp"

#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <vector>

namespace krxbatch::test {

class FakeMarketSource final : public fetch::MarketSource {
public:
  struct Call {
    fetch::Endpoint endpoint;
    core::Date day;
  };

  explicit FakeMarketSource(int issues_per_market = 10) : m_issues(issues_per_market) {}

  // Answers the same as KRX would for `day` being published.
  void publish_until(core::Date last) { m_published_until = last; }
  // Has no data before `first` (answers no rows, as the Open API does before 2010-01-04).
  void set_first_day(core::Date first) { m_first_day = first; }
  std::optional<core::Date> first_day(fetch::Endpoint /*endpoint*/) const override {
    return m_first_day;
  }
  // Makes (endpoint, day) fail with `kind` for the next `times` calls (-1: forever).
  void fail(fetch::Endpoint e, core::Date day, fetch::FailureKind kind, int times = -1) {
    m_failures[{e, day}] = {kind, times};
  }
  void clear_failures() { m_failures.clear(); }
  void set_budget(fetch::CallBudget* budget) { m_budget = budget; }
  // Every `stocks` answer's close is shifted by this much (to tell reloads apart).
  void set_price_shift(std::int64_t shift) { m_shift = shift; }

  const std::vector<Call>& calls() const { return m_calls; }
  std::set<core::Date> days_called() const {
    std::set<core::Date> out;
    for (const auto& c : m_calls) {
      out.insert(c.day);
    }
    return out;
  }
  void clear_calls() { m_calls.clear(); }

  // The rows this market has for `day` (independent of publication and failures).
  std::vector<market::PriceRow> rows_for(fetch::Endpoint e, const core::Date& day) const {
    std::vector<market::PriceRow> rows;
    const auto m =
        e == fetch::Endpoint::kospi_stocks ? market::Market::kospi : market::Market::kosdaq;
    const int base = m == market::Market::kospi ? 100000 : 200000;
    // As KRX does, the change is measured against the close of the session before (no
    // corporate actions here).
    const auto close_on = [this](const core::Date& d, int i) -> std::int64_t {
      return 1000 + i * 100 + (d - core::Date(2020, 1, 1)).days() % 50 + m_shift;
    };
    const auto before = real_calendar().previous_business_day(day);
    for (int i = 0; i < m_issues; ++i) {
      market::PriceRow r;
      r.trade_date = day;
      char code[16];
      std::snprintf(code, sizeof code, "%06d", base + i);
      r.ticker = (m == market::Market::kospi && i == 0) ? "00104K" : code;
      r.name = "종목" + std::to_string(base + i);
      r.market = m;
      r.section =
          m == market::Market::kospi ? std::nullopt : std::optional<std::string>("우량기업부");
      const std::int64_t close = close_on(day, i);
      r.close = close;
      r.change = close - close_on(before, i);
      r.change_rate =
          100.0 * static_cast<double>(*r.change) / static_cast<double>(close_on(before, i));
      r.open = close;
      r.high = close + 10;
      r.low = close - 10;
      r.volume = 1000 + i;
      r.value = *r.volume * close;
      r.listed_shares = static_cast<std::int64_t>(i + 1) * 20'000'000;
      r.market_cap = close * *r.listed_shares;
      rows.push_back(std::move(r));
    }
    if (edit) {
      edit(e, day, rows);
    }
    return rows;
  }

  // Changes the rows of (endpoint, day) after they are made (corporate actions, listings,
  // missing values); rows_for() applies it too.
  std::function<void(fetch::Endpoint, const core::Date&, std::vector<market::PriceRow>&)> edit;

  fetch::FetchResult<std::vector<market::PriceRow>> stocks(fetch::Endpoint e,
                                                           const core::Date& day) override {
    if (auto f = call(e, day)) {
      return *f;
    }
    if ((m_published_until && day > *m_published_until) || (m_first_day && day < *m_first_day)) {
      return std::vector<market::PriceRow>{};
    }
    return rows_for(e, day);
  }

  fetch::FetchResult<std::vector<market::IndexRow>> indices(fetch::Endpoint e,
                                                            const core::Date& day) override {
    if (auto f = call(e, day)) {
      return *f;
    }
    if ((m_published_until && day > *m_published_until) || (m_first_day && day < *m_first_day)) {
      return std::vector<market::IndexRow>{};
    }
    market::IndexRow r;
    r.trade_date = day;
    r.index_class = e == fetch::Endpoint::kospi_index ? "KOSPI" : "KOSDAQ";
    r.index_name = e == fetch::Endpoint::kospi_index ? "코스피" : "코스닥";
    r.close = 2500.0 + static_cast<double>((day - core::Date(2020, 1, 1)).days() % 100);
    return std::vector<market::IndexRow>{r};
  }

  std::string describe() const override { return "fake market"; }
  bool counts_calls() const override { return true; }
  // As OpenApiSource does: each call is counted when asked for, the later call of it is not.
  void prefetch(const core::Date& day, std::span<const fetch::Endpoint> endpoints) override {
    for (const auto e : endpoints) {
      if (m_prepaid.contains({e, day})) {
        continue;
      }
      if (m_budget != nullptr && !m_budget->try_consume()) {
        return;
      }
      m_prepaid.insert({e, day});
      events.push_back("ahead " + std::string(fetch::api_id(e)) + " " + core::to_iso(day));
    }
  }
  // "ahead <api> <day>" for each prefetched call and "<api> <day>" for each call, in order.
  std::vector<std::string> events;
  // Runs at every call, before it is answered (tests look at the database there).
  std::function<void(const Call&)> on_call;

private:
  std::optional<core::Failure<fetch::FailureKind>> call(fetch::Endpoint e, const core::Date& day) {
    const bool prepaid = m_prepaid.erase({e, day}) > 0;
    if (!prepaid && m_budget != nullptr && !m_budget->try_consume()) {
      return core::Failure<fetch::FailureKind>{fetch::FailureKind::quota_exhausted,
                                               m_budget->exhausted_message()};
    }
    m_calls.push_back({e, day});
    if (on_call) {
      on_call(m_calls.back());
    }
    events.push_back(std::string(fetch::api_id(e)) + " " + core::to_iso(day));
    const auto it = m_failures.find({e, day});
    if (it == m_failures.end() || it->second.second == 0) {
      return std::nullopt;
    }
    if (it->second.second > 0) {
      --it->second.second;
    }
    return core::Failure<fetch::FailureKind>{
        it->second.first, std::string(fetch::api_id(e)) + " " + core::to_iso(day) + ": " +
                              std::string(fetch::to_string(it->second.first)) + " (fake)"};
  }

  int m_issues;
  std::optional<core::Date> m_published_until;
  std::optional<core::Date> m_first_day;
  std::map<std::pair<fetch::Endpoint, core::Date>, std::pair<fetch::FailureKind, int>> m_failures;
  std::vector<Call> m_calls;
  std::set<std::pair<fetch::Endpoint, core::Date>> m_prepaid;
  fetch::CallBudget* m_budget = nullptr;
  std::int64_t m_shift = 0;
};

} // namespace krxbatch::test
