// daily_update (DESIGN §1, §5): bring the database up to date, healing any gap.
//
// Reads daily_update's mark and works on every incomplete KRX session up to the newest
// closed one (jobs/ingest_plan.hpp), earliest first, one transaction per day. Sessions
// already complete are never refetched. With `from`/`to` it reloads that range by hand
// instead (replacing those days' rows). A run without --from and --max-days then continues the
// history backfill (manual_setup --from; store::BackfillStore) with the calls left today,
// newest sessions first. The caller holds the ingestion lock.
//
// Exit code: 0 when every planned day is stored or waiting for publication, or the run
// stopped at --max-days or at the daily call limit (the next run continues); 1 when a day
// failed (named in the summary) or the key was refused; 2 when there is no history yet
// (run manual_setup, or daily_update --from).
#pragma once

#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/jobs/call_budget.hpp"
#include "krxbatch/jobs/job_env.hpp"

#include <optional>

namespace krxbatch::jobs {

struct DailyUpdateOptions {
  std::optional<core::Date> from; // reload [from, to] by hand
  std::optional<core::Date> to;   // defaults to the newest closed session when from is set
  std::optional<int> max_days;    // at most this many sessions in this run
  std::string args;               // the command line, for the run history
};

// `budget` is the one `source` consumes from (calls are counted per KST day).
JobResult run_daily_update(JobEnv env, fetch::MarketSource& source, DbCallBudget& budget,
                           const IngestSettings& settings, const DailyUpdateOptions& options);

} // namespace krxbatch::jobs
