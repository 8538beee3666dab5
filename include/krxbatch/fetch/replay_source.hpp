// Saved KRX answers as a MarketSource: `--source replay:DIR` (DESIGN §3).
//
// The answer of endpoint E for day D is the file `{api_id(E)}_{YYYYMMDD}.json`, e.g.
// `stk_bydd_trd_20240105.json` (the naming of captured samples), or the same gzipped
// (`.json.gz`), in DIR itself or in its year folder DIR/YYYY/: so the raw archive
// (raw_archive.hpp) is a replay directory as it is. The first of DIR/x.json, DIR/x.json.gz,
// DIR/YYYY/x.json.gz, DIR/YYYY/x.json that exists is read; it holds the body exactly as KRX
// sent it and goes through the same parser as live answers. No file means KRX has not
// published the day (empty rows, like {"OutBlock_1":[]}).
// A file that cannot be read is a missing_data failure, one that does not parse a
// malformed_body failure; both name the file. Calls are not counted against the KRX limit.
// Not thread-safe: one source per thread.
#pragma once

#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/market/parser.hpp"

#include <filesystem>

namespace krxbatch::fetch {

class ReplaySource final : public MarketSource {
public:
  // Throws core::Error (usage, exit 2) naming --source when `dir` is not a directory.
  explicit ReplaySource(std::filesystem::path dir);

  FetchResult<std::vector<market::PriceRow>> stocks(Endpoint endpoint,
                                                    const core::Date& day) override;
  FetchResult<std::vector<market::IndexRow>> indices(Endpoint endpoint,
                                                     const core::Date& day) override;
  std::string describe() const override;
  bool counts_calls() const override { return false; }

  // Where the answer of `endpoint` for `day` is read from: the first candidate that exists, or
  // DIR/x.json when none does.
  std::filesystem::path file_for(Endpoint endpoint, const core::Date& day) const;

private:
  template <typename Row>
  FetchResult<std::vector<Row>>
  replay(Endpoint endpoint, const core::Date& day,
         market::ParseResult<std::vector<Row>> (*parse)(std::string_view));

  std::filesystem::path m_dir;
};

} // namespace krxbatch::fetch
