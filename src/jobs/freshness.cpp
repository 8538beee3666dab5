#include "krxbatch/jobs/freshness.hpp"

#include "krxbatch/store/ops_store.hpp"

namespace krxbatch::jobs {

std::optional<int> check_freshness(JobEnv env) {
  const auto mark = store::JobStore(env.db).job(store::k_job_daily_update).last_success_date;
  if (!mark) {
    return std::nullopt;
  }
  const auto now = env.clock.now_kst();
  const auto latest = env.calendar.latest_published_session(now);
  const int behind = env.calendar.business_days_between(*mark, latest);
  const std::string key = "behind:daily_update";
  store::AlertStore alerts(env.db);
  if (behind >= k_sessions_behind_critical) {
    alerts.raise(store::AlertSeverity::critical, store::k_job_daily_update, "sessions_behind",
                 "daily_update's mark " + core::to_iso(*mark) + " is " + std::to_string(behind) +
                     " sessions behind the latest published session " + core::to_iso(latest),
                 key, now);
  } else {
    alerts.resolve(key, now);
  }
  return behind;
}

} // namespace krxbatch::jobs
