#include "krxbatch/state/day_state.hpp"

#include <array>

namespace krxbatch::state {
namespace {

constexpr std::array<std::string_view, 5> k_day_states = {"pending", "running", "succeeded",
                                                          "failed", "waiting"};
constexpr std::array<std::string_view, 6> k_day_events = {"start", "succeed", "fail",
                                                          "wait",  "recover", "reload"};
constexpr std::array<std::string_view, 5> k_outcomes = {"running", "succeeded", "partial", "failed",
                                                        "skipped"};

} // namespace

std::string_view to_string(DayState state) {
  return k_day_states.at(static_cast<size_t>(state));
}
std::string_view to_string(DayEvent event) {
  return k_day_events.at(static_cast<size_t>(event));
}
std::string_view to_string(RunOutcome outcome) {
  return k_outcomes.at(static_cast<size_t>(outcome));
}

std::optional<DayState> parse_day_state(std::string_view text) {
  for (std::size_t i = 0; i < k_day_states.size(); ++i) {
    if (k_day_states[i] == text) {
      return static_cast<DayState>(i);
    }
  }
  return std::nullopt;
}

std::optional<RunOutcome> parse_run_outcome(std::string_view text) {
  for (std::size_t i = 0; i < k_outcomes.size(); ++i) {
    if (k_outcomes[i] == text) {
      return static_cast<RunOutcome>(i);
    }
  }
  return std::nullopt;
}

std::optional<DayState> next_state(DayState state, DayEvent event) {
  using S = DayState;
  using E = DayEvent;
  switch (state) {
  case S::pending:
  case S::failed:
  case S::waiting:
    if (event == E::start) {
      return S::running;
    }
    break;
  case S::running:
    switch (event) {
    case E::succeed:
      return S::succeeded;
    case E::fail:
    case E::recover:
      return S::failed;
    case E::wait:
      return S::waiting;
    default:
      break;
    }
    break;
  case S::succeeded:
    if (event == E::reload) {
      return S::pending;
    }
    break;
  }
  return std::nullopt;
}

bool needs_work(DayState state) {
  return state != DayState::succeeded;
}

std::optional<core::Date> advance_mark(std::optional<core::Date> mark,
                                       std::span<const SessionState> following) {
  for (const auto& s : following) {
    if (s.state != DayState::succeeded) {
      break;
    }
    mark = s.date;
  }
  return mark;
}

} // namespace krxbatch::state
