#include "krxbatch/fetch/market_source.hpp"

#include <doctest/doctest.h>

using namespace krxbatch;
using fetch::FailureKind;

TEST_SUITE("fetch.market_source") {
  TEST_CASE("names every endpoint's API id and path") {
    using fetch::Endpoint;
    CHECK(fetch::api_path(Endpoint::kospi_stocks) == "sto/stk_bydd_trd");
    CHECK(fetch::api_path(Endpoint::kosdaq_stocks) == "sto/ksq_bydd_trd");
    CHECK(fetch::api_path(Endpoint::konex_stocks) == "sto/knx_bydd_trd");
    CHECK(fetch::api_path(Endpoint::kospi_index) == "idx/kospi_dd_trd");
    CHECK(fetch::api_path(Endpoint::kosdaq_index) == "idx/kosdaq_dd_trd");
    CHECK(fetch::api_id(Endpoint::kospi_stocks) == "stk_bydd_trd");
    CHECK(fetch::api_id(Endpoint::kosdaq_index) == "kosdaq_dd_trd");
    CHECK(fetch::stock_endpoint(market::Market::kosdaq) == Endpoint::kosdaq_stocks);
    CHECK(fetch::stock_endpoint(market::Market::konex) == Endpoint::konex_stocks);
    CHECK(fetch::is_stock_endpoint(Endpoint::konex_stocks));
    CHECK_FALSE(fetch::is_stock_endpoint(Endpoint::kospi_index));
  }

  TEST_CASE("key, approval, endpoint and quota failures stop the run, the others fail a day") {
    CHECK(fetch::stops_run(FailureKind::unauthorized));
    CHECK(fetch::stops_run(FailureKind::not_approved));
    CHECK(fetch::stops_run(FailureKind::bad_endpoint));
    CHECK(fetch::stops_run(FailureKind::quota_exhausted));
    for (const auto kind :
         {FailureKind::server_error, FailureKind::network, FailureKind::rate_limited,
          FailureKind::malformed_body, FailureKind::client_error, FailureKind::missing_data}) {
      CAPTURE(to_string(kind));
      CHECK_FALSE(fetch::stops_run(kind));
    }
  }
}
