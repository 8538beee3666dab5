// The data-freshness alert rule, shared by the ingestion jobs and the job wrapper.
#pragma once

#include "krxbatch/jobs/job_env.hpp"

#include <optional>

namespace krxbatch::jobs {

// daily_update's mark this many KRX sessions (or more) behind the latest published session
// raises the CRITICAL `sessions_behind` alert.
inline constexpr int k_sessions_behind_critical = 2;

// Raises (or refreshes) the CRITICAL `sessions_behind` alert when daily_update's mark is
// k_sessions_behind_critical or more KRX business days behind the latest published session
// at the clock's now, and resolves it otherwise. Counting business days, a holiday block
// (Seollal, Chuseok) never raises it. Does nothing while daily_update has no mark. Returns the
// number of sessions behind, when there is a mark.
std::optional<int> check_freshness(JobEnv env);

} // namespace krxbatch::jobs
