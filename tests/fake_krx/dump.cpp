#include "fake_krx/dump.hpp"

#include "krxbatch/core/error.hpp"

#include "fake_krx/wire_format.hpp"

#include <fstream>

namespace krxbatch::fake_krx {

std::size_t write_dump(const MarketModel& model, const DumpOptions& options) {
  const auto& sessions = model.sessions();
  if (options.from < sessions.front()) {
    throw core::usage_error("--from " + core::to_iso(options.from) +
                            " is before the first session with data (" +
                            core::to_iso(sessions.front()) + "); pass an earlier --start");
  }
  if (options.to.year() > sessions.back().year()) {
    throw core::usage_error("--to " + core::to_iso(options.to) +
                            " is beyond the KRX calendar (last session " +
                            core::to_iso(sessions.back()) + "); add that year's holiday file");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    throw core::failure(options.dir.string() + ": cannot create the directory: " + ec.message());
  }
  std::size_t files = 0;
  for (std::size_t k = 0; k < sessions.size(); ++k) {
    if (sessions[k] < options.from || sessions[k] > options.to) {
      continue;
    }
    for (const Api api : options.endpoints) {
      const auto path =
          options.dir / (std::string(api_id(api)) + "_" + core::to_basdd(sessions[k]) + ".json");
      const auto body = render_body(model, api, k);
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
      out.close();
      if (!out) {
        throw core::failure(path.string() + ": cannot write the file; check the disk and "
                                            "permissions");
      }
      ++files;
    }
  }
  return files;
}

} // namespace krxbatch::fake_krx
