// `krxbatch status`: what each job has done and how far behind it is.
#include "krxbatch/store/job_store.hpp"

#include "context.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iomanip>
#include <iostream>

namespace krxbatch::cli {
namespace {

using nlohmann::ordered_json;

struct JobLine {
  store::JobStatus status;
  std::optional<int> sessions_behind; // nullopt: no mark, or not meaningful (manual_setup)
};

std::string or_dash(const std::optional<std::string>& s) {
  return s ? *s : "-";
}

} // namespace

int run_status(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  if (!parse_command_args(args, "krxbatch status [--json]", opts)) {
    return 0;
  }
  const auto now = ctx.clock().now_kst();
  const auto& cal = ctx.calendar();
  auto& db = ctx.database();
  const store::JobStore jobs(db);
  const auto latest = cal.latest_published_session(now);

  std::vector<JobLine> lines;
  for (auto& s : jobs.jobs()) {
    JobLine line{std::move(s), std::nullopt};
    if (line.status.job != store::k_job_manual_setup && line.status.last_success_date) {
      line.sessions_behind = cal.business_days_between(*line.status.last_success_date, latest);
    }
    lines.push_back(std::move(line));
  }

  if (ctx.json()) {
    ordered_json j{{"database", ctx.db_path().string()},
                   {"schema_version", db.schema_version()},
                   {"now", core::to_iso(now)},
                   {"latest_published_session", core::to_iso(latest)}};
    ordered_json arr = ordered_json::array();
    for (const auto& l : lines) {
      ordered_json o{{"job", l.status.job}};
      o["last_success_date"] = l.status.last_success_date
                                   ? ordered_json(core::to_iso(*l.status.last_success_date))
                                   : ordered_json(nullptr);
      o["state"] = l.status.state;
      o["sessions_behind"] =
          l.sessions_behind ? ordered_json(*l.sessions_behind) : ordered_json(nullptr);
      arr.push_back(std::move(o));
    }
    j["jobs"] = std::move(arr);
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "database  " << ctx.db_path().string() << " (schema " << db.schema_version()
              << ")\n"
              << "now       " << core::to_iso(now) << "; latest published session "
              << core::to_iso(latest) << "\n\n";
    std::cout << std::left << std::setw(17) << "job" << std::setw(14) << "last success"
              << std::setw(11) << "state"
              << "sessions behind\n";
    for (const auto& l : lines) {
      const auto mark = l.status.last_success_date
                            ? std::optional(core::to_iso(*l.status.last_success_date))
                            : std::nullopt;
      std::cout << std::left << std::setw(17) << l.status.job << std::setw(14) << or_dash(mark)
                << std::setw(11) << l.status.state
                << (l.sessions_behind ? std::to_string(*l.sessions_behind) : std::string("-"))
                << "\n";
    }
  }
  spdlog::info("status: {} jobs, latest published session {}", lines.size(), core::to_iso(latest));
  return 0;
}

} // namespace krxbatch::cli
