#include "krxbatch/jobs/run_budget.hpp"

namespace krxbatch::jobs {

RunBudget::RunBudget(TimePoint start, std::optional<std::chrono::milliseconds> limit, Now now)
    : m_start(start), m_limit(limit),
      m_now(now ? std::move(now) : Now([] { return std::chrono::steady_clock::now(); })) {}

std::chrono::milliseconds RunBudget::elapsed() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(m_now() - m_start);
}

bool RunBudget::exhausted() const {
  return m_limit && elapsed() >= *m_limit;
}

} // namespace krxbatch::jobs
