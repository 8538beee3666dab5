#include "krxbatch/store/backfill_store.hpp"

#include "krxbatch/store/job_store.hpp"
#include "krxbatch/store/ops_store.hpp"
#include "krxbatch/store/price_store.hpp"

#include <algorithm>
#include <set>

namespace krxbatch::store {
namespace {

std::optional<core::Date> backfill_from(const MetaStore& meta) {
  const auto text = meta.get(k_meta_backfill_from);
  return text ? core::parse_iso_date(*text) : std::nullopt;
}

} // namespace

void BackfillStore::request(const core::Date& from) {
  MetaStore meta(m_db);
  if (const auto asked = backfill_from(meta); !asked || from < *asked) {
    meta.set(k_meta_backfill_from, core::to_iso(from));
  }
}

std::optional<BackfillState> BackfillStore::state() const {
  const MetaStore meta(m_db);
  const auto from = backfill_from(meta);
  if (!from) {
    return std::nullopt;
  }
  BackfillState out{*from, meta.history_start(), {}};
  if (!out.history_start || *out.history_start <= *from) {
    return out;
  }
  const auto before = m_calendar.previous_business_day_if_known(*out.history_start);
  if (!before || *before < *from) {
    return out;
  }
  std::set<core::Date> complete;
  for (const auto& d : JobStore(m_db).days(k_job_daily_update, *from, *before)) {
    if (d.state == state::DayState::succeeded) {
      complete.insert(d.date);
    }
  }
  for (const auto& d : m_calendar.business_days(*from, *before)) {
    if (!complete.contains(d)) {
      out.left.push_back(d);
    }
  }
  std::reverse(out.left.begin(), out.left.end());
  return out;
}

std::optional<core::Date> BackfillStore::extend_history_start() {
  MetaStore meta(m_db);
  auto start = meta.history_start();
  const auto from = backfill_from(meta);
  if (!start || !from || *start <= *from || PriceStore(m_db).first_staged_session()) {
    return start;
  }
  const JobStore jobs(m_db);
  const auto rows = jobs.days(k_job_daily_update, *from, *start);
  auto moved = *start;
  // Walks back from history_start while the session before it is complete.
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (it->date >= moved) {
      continue;
    }
    const auto before = m_calendar.previous_business_day_if_known(moved);
    if (!before || it->date != *before || it->state != state::DayState::succeeded) {
      break;
    }
    moved = it->date;
  }
  if (moved != *start) {
    meta.set(k_meta_history_start, core::to_iso(moved));
  }
  return moved;
}

int kst_days_for_calls(std::int64_t calls, std::int64_t left_today, std::int64_t per_day) {
  if (calls <= 0) {
    return 0;
  }
  const auto today = std::max<std::int64_t>(0, left_today);
  if (calls <= today) {
    return 1;
  }
  const auto later = calls - today;
  return 1 + static_cast<int>((later + per_day - 1) / per_day);
}

} // namespace krxbatch::store
