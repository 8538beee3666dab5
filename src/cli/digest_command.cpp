// `krxbatch digest`: a fingerprint of the stored market data, to compare two databases.
#include "krxbatch/store/digest.hpp"

#include "context.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iomanip>
#include <iostream>

namespace krxbatch::cli {

int run_digest(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  if (!parse_command_args(args, "krxbatch digest [--json]", opts)) {
    return 0;
  }
  const auto digest = store::compute_digest(ctx.database());
  if (ctx.json()) {
    nlohmann::ordered_json j{{"database", ctx.db_path().string()}, {"sha256", digest.sha256}};
    auto tables = nlohmann::ordered_json::array();
    for (const auto& t : digest.tables) {
      tables.push_back({{"table", t.table}, {"rows", t.rows}, {"sha256", t.sha256}});
    }
    j["tables"] = std::move(tables);
    std::cout << j.dump(2) << "\n";
  } else {
    for (const auto& t : digest.tables) {
      std::cout << std::left << std::setw(21) << t.table << std::right << std::setw(10) << t.rows
                << "  " << t.sha256 << "\n";
    }
    std::cout << std::left << std::setw(33) << "all" << digest.sha256 << "\n";
  }
  spdlog::info("digest: {} {}", ctx.db_path().string(), digest.sha256);
  return 0;
}

} // namespace krxbatch::cli
