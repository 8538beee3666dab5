#include "krxbatch/fetch/replay_source.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/raw_archive.hpp"
#include "krxbatch/market/parser.hpp"

#include <spdlog/spdlog.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

namespace krxbatch::fetch {

ReplaySource::ReplaySource(std::filesystem::path dir) : m_dir(std::move(dir)) {
  std::error_code ec;
  if (!std::filesystem::is_directory(m_dir, ec)) {
    throw core::usage_error("--source replay:" + m_dir.string() +
                            ": not a directory; give the folder of saved answers "
                            "({api_id}_{YYYYMMDD}.json[.gz] files, or an archive_dir)");
  }
}

std::filesystem::path ReplaySource::file_for(Endpoint endpoint, const core::Date& day) const {
  const auto stem = answer_stem(endpoint, day);
  const auto year = m_dir / std::to_string(static_cast<int>(day.year()));
  std::filesystem::path plain = m_dir / (stem + ".json");
  for (const auto& candidate :
       {plain, m_dir / (stem + ".json.gz"), year / (stem + ".json.gz"), year / (stem + ".json")}) {
    std::error_code ec;
    if (std::filesystem::symlink_status(candidate, ec).type() !=
        std::filesystem::file_type::not_found) {
      return candidate;
    }
  }
  return plain;
}

std::string ReplaySource::describe() const {
  return "saved KRX answers in " + m_dir.string();
}

FetchResult<std::vector<market::PriceRow>> ReplaySource::stocks(Endpoint endpoint,
                                                                const core::Date& day) {
  assert(is_stock_endpoint(endpoint));
  return replay<market::PriceRow>(endpoint, day, &market::parse_price_rows);
}

FetchResult<std::vector<market::IndexRow>> ReplaySource::indices(Endpoint endpoint,
                                                                 const core::Date& day) {
  assert(!is_stock_endpoint(endpoint));
  return replay<market::IndexRow>(endpoint, day, &market::parse_index_rows);
}

template <typename Row>
FetchResult<std::vector<Row>>
ReplaySource::replay(Endpoint endpoint, const core::Date& day,
                     market::ParseResult<std::vector<Row>> (*parse)(std::string_view)) {
  using Failure = core::Failure<FailureKind>;
  const auto path = file_for(endpoint, day);
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    spdlog::debug("{}: absent, so {} for {} is not published", path.string(), api_id(endpoint),
                  core::to_iso(day));
    return std::vector<Row>{};
  }
  const auto unreadable = [&](const std::string& why) {
    return Failure{FailureKind::missing_data,
                   "replay file " + path.string() + ": " + why +
                       "; fix or remove the file (absent means not published)"};
  };
  if (ec) {
    return unreadable(ec.message());
  }
  if (status.type() != std::filesystem::file_type::regular) {
    return unreadable("not a regular file");
  }
  std::string body;
  try {
    body = read_answer(path);
  } catch (const core::Error& e) {
    return unreadable(e.what());
  }
  auto rows = parse(body);
  if (!rows.ok()) {
    return Failure{FailureKind::malformed_body, "replay file " + path.string() + ": " +
                                                    rows.failure().message +
                                                    "; replace it with the answer KRX sent"};
  }
  return std::move(rows).value();
}

} // namespace krxbatch::fetch
