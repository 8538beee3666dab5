// The wall clock, in KST, behind an interface so tests and replays can set "now".
//
// All business logic asks a Clock for the KST time; nothing else reads the host clock, and the
// host TZ never matters. Implementations are thread-safe.
#pragma once

#include "krxbatch/core/date.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace krxbatch::util {

class Clock {
public:
  virtual ~Clock() = default;
  virtual core::KstTime now_kst() const = 0;
  core::Date today_kst() const { return now_kst().date(); }
};

// The host's real-time clock converted to KST (UTC+9), whatever TZ says.
class SystemClock final : public Clock {
public:
  core::KstTime now_kst() const override;
};

// A clock that starts at a given instant and then runs at real speed: what `--now` and
// KRXBATCH_NOW give, so a long replay still sees time pass.
class OffsetClock final : public Clock {
public:
  explicit OffsetClock(core::KstTime start);
  core::KstTime now_kst() const override;

private:
  core::KstTime m_start;
  std::chrono::steady_clock::time_point m_started_at;
};

// A clock that always answers the same instant (unit tests).
class FixedClock final : public Clock {
public:
  explicit FixedClock(core::KstTime now) : m_now(now) {}
  core::KstTime now_kst() const override { return m_now; }
  void set(core::KstTime now) { m_now = now; }

private:
  core::KstTime m_now;
};

// The clock for a command: OffsetClock when `now_option` (from --now, else env KRXBATCH_NOW)
// is set, SystemClock otherwise. Throws core::Error (exit 2) on a malformed value.
std::unique_ptr<Clock> make_clock(const std::optional<std::string>& now_option);

} // namespace krxbatch::util
