// Where daily market data comes from: the KRX Open API, or saved responses (replay).
//
// A MarketSource answers "the rows of this endpoint for this day". An empty vector means KRX
// answered `{"OutBlock_1":[]}` (a holiday, or not published yet: the caller decides with the
// calendar). Failures come back as values with a FailureKind saying what the caller must do;
// transient ones have already been retried per DESIGN §5.4 by the time they are returned.
// Messages name the endpoint, the day, the HTTP status and what to do, and never contain the
// key. A source is used from one thread at a time.
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/core/result.hpp"
#include "krxbatch/market/types.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::fetch {

enum class Endpoint { kospi_stocks, kosdaq_stocks, konex_stocks, kospi_index, kosdaq_index };

std::string_view api_id(Endpoint endpoint);   // "stk_bydd_trd", ..., "kospi_dd_trd"
std::string_view api_path(Endpoint endpoint); // "sto/stk_bydd_trd", ..., "idx/kospi_dd_trd"
// The stock endpoint of a market.
Endpoint stock_endpoint(market::Market market);
// Whether `endpoint` is one of the *_stocks endpoints (the others are *_index).
bool is_stock_endpoint(Endpoint endpoint);
// The index endpoint of a market (KONEX has none of its own).
std::optional<Endpoint> index_endpoint(market::Market market);
// The calls one session of `markets` takes, in the order they are made: the stocks of each
// market, then their indices.
std::vector<Endpoint> session_endpoints(const std::vector<market::Market>& markets);

enum class FailureKind {
  unauthorized,    // 401 "Unauthorized Key": the key is wrong or missing. Stop the run.
  not_approved,    // 401 "Unauthorized API Call": the API is not approved for this key. Stop.
  bad_endpoint,    // 404 or similar: the base URL or path is wrong. Stop the run.
  quota_exhausted, // the daily call limit (KRX_DAILY_LIMIT) is reached. Stop cleanly.
  server_error,    // 5xx, still failing after the retries. Fail the day.
  network,         // timeout, reset, refused, still failing after the retries. Fail the day.
  rate_limited,    // 429, still limited after the retries. Fail the day.
  malformed_body,  // HTML, truncated or invalid JSON, still after the retries. Fail the day.
  client_error,    // another 4xx. Fail the day.
  missing_data,    // replay: the saved response is unreadable. Fail the day.
};

std::string_view to_string(FailureKind kind);
// Whether a failure of this kind must end the whole run (no point trying other days).
bool stops_run(FailureKind kind);
// Whether KRX refused the key itself (unauthorized, not_approved): the operator must act.
bool refuses_key(FailureKind kind);

template <typename T>
using FetchResult = core::Result<T, FailureKind>;

class MarketSource {
public:
  virtual ~MarketSource() = default;

  // Precondition: `endpoint` is one of the *_stocks endpoints.
  virtual FetchResult<std::vector<market::PriceRow>> stocks(Endpoint endpoint,
                                                            const core::Date& day) = 0;
  // Precondition: `endpoint` is one of the *_index endpoints.
  virtual FetchResult<std::vector<market::IndexRow>> indices(Endpoint endpoint,
                                                             const core::Date& day) = 0;
  // One line for logs and plans, e.g. "KRX Open API at https://data-dbg.krx.co.kr".
  virtual std::string describe() const = 0;
  // Whether calls count against the KRX daily limit (false for replay).
  virtual bool counts_calls() const = 0;
  // Asks for `day`'s answers of `endpoints` ahead of the stocks()/indices() calls that will
  // want them, so that they download while the caller works (a no-op by default). A source
  // that counts calls counts each one here, as it is made, and its first attempt in the
  // later call is then not counted again; it stops asking at the first call the budget
  // refuses (that call is then made, and refused, by the later call as usual).
  virtual void prefetch(const core::Date& day, std::span<const Endpoint> endpoints) {
    (void)day;
    (void)endpoints;
  }
  // The first session `endpoint` has data for, when the source has such a limit (the Open API
  // starts at 2010-01-04, KONEX at 2013-07-01): an earlier day would answer no rows forever.
  virtual std::optional<core::Date> first_day(Endpoint endpoint) const {
    (void)endpoint;
    return std::nullopt;
  }
};

// Decides, before each HTTP attempt, whether one more call to KRX is allowed today. The jobs
// layer implements it over the database (calls are counted per KST day). Called from the
// thread using the source.
class CallBudget {
public:
  virtual ~CallBudget() = default;
  // Counts one call and returns true, or returns false (counting nothing) when the limit
  // would be passed.
  virtual bool try_consume() = 0;
  // What to tell the operator when try_consume() said no (limit, when to resume).
  virtual std::string exhausted_message() const = 0;
};

} // namespace krxbatch::fetch
