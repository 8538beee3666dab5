#include "krxbatch/fetch/source_factory.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/background_http_client.hpp"
#include "krxbatch/fetch/replay_source.hpp"
#include "krxbatch/market/parser.hpp"

#include <algorithm>
#include <cmath>

namespace krxbatch::fetch {

std::unique_ptr<MarketSource> make_market_source(std::string_view spec, SourceSettings settings,
                                                 CallBudget& budget) {
  constexpr std::string_view k_replay = "replay:";
  if (spec == "krx") {
    if (!std::isfinite(settings.retry_scale) || settings.retry_scale < 0) {
      throw core::usage_error("the retry scale must be a number >= 0 (1 in production)");
    }
    auto source = std::make_unique<OpenApiSource>(
        std::move(settings.api),
        std::make_unique<BackgroundHttpClient>(
            [&http = settings.http] { return std::make_unique<CurlHttpClient>(http); },
            std::max(1, settings.connections)),
        budget, RetryPolicy(settings.retry_scale));
    source->set_answer_sink(settings.archive);
    return source;
  }
  if (spec.substr(0, k_replay.size()) == k_replay) {
    const auto dir = spec.substr(k_replay.size());
    if (dir.empty()) {
      throw core::usage_error("--source replay: needs a folder, e.g. --source replay:saved/");
    }
    return std::make_unique<ReplaySource>(std::filesystem::path(dir));
  }
  throw core::usage_error("--source: '" + market::excerpt(spec, 100) +
                          "' is not a source; use krx (the KRX Open API) or replay:DIR");
}

} // namespace krxbatch::fetch
