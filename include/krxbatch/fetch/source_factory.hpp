// Builds the MarketSource named by `--source` (what the CLI calls).
#pragma once

#include "krxbatch/fetch/curl_http_client.hpp"
#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/fetch/open_api_source.hpp"
#include "krxbatch/fetch/raw_archive.hpp"

#include <memory>
#include <string_view>

namespace krxbatch::fetch {

struct SourceSettings {
  OpenApiSettings api;      // base URL and key: the caller reads KRX_API_BASE_URL, KRX_AUTH_KEY
  double retry_scale = 1.0; // multiplies every retry wait (tests make it tiny)
  CurlOptions http;         // connect and total timeouts
  int connections = 1;      // concurrent connections to the Open API (krx_connections)
  // Where the Open API source hands every HTTP 200 answer (the raw archive); nullptr: nowhere.
  // Replay never archives: its answers are archived already. Must outlive the source.
  AnswerSink* archive = nullptr;
};

// `spec` is "krx" (the KRX Open API through libcurl; needs the key) or "replay:DIR" (saved
// answers in DIR). Throws core::Error (usage, exit 2) naming --source for any other spec, for an
// empty DIR or a retry scale that is negative or not finite, plus what the sources' constructors
// throw (an empty key, a bad base URL, DIR not a directory). `budget` must outlive the source;
// replay does not use it.
std::unique_ptr<MarketSource> make_market_source(std::string_view spec, SourceSettings settings,
                                                 CallBudget& budget);

} // namespace krxbatch::fetch
