// `krxbatch status`: what each job has done, how far behind it is, and what needs attention.
#include "krxbatch/ops/status_report.hpp"
#include "krxbatch/util/file_lock.hpp"

#include "context.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace krxbatch::cli {

int run_status(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  if (!parse_command_args(args,
                          "krxbatch status [--json]\n\n"
                          "Each job's mark (last success date), sessions behind the latest "
                          "published session,\nlast run and whether one is running; failed and "
                          "waiting days; today's analysis\nprogress; open alerts; recent "
                          "data-quality issues; KRX calls used today. The JSON\nfields are "
                          "documented in docs/STATUS.md.",
                          opts)) {
    return 0;
  }
  ops::StatusOptions options;
  options.krx_daily_limit = ctx.settings().krx_daily_limit;
  options.archive_dir = ctx.settings().archive_dir;
  options.running = [&ctx](std::string_view job) {
    return util::FileLock::is_held(ctx.lock_path(job));
  };
  const auto report =
      ops::build_status(ctx.database(), ctx.calendar(), ctx.clock().now_kst(), options);
  if (ctx.json()) {
    std::cout << ops::status_json(report) << "\n";
  } else {
    std::cout << ops::status_table(report);
  }
  spdlog::info("status: {} jobs, latest published session {}, {} open alert(s)", report.jobs.size(),
               core::to_iso(report.latest_published_session), report.open_alerts.total());
  return 0;
}

} // namespace krxbatch::cli
