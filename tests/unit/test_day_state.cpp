#include "krxbatch/state/day_state.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace krxbatch;
using core::Date;
using state::DayEvent;
using state::DayState;

TEST_SUITE("state.day_state") {
  TEST_CASE("every (state, event) pair: exactly the drawn transitions are allowed") {
    const std::map<std::pair<DayState, DayEvent>, DayState> allowed = {
        {{DayState::pending, DayEvent::start}, DayState::running},
        {{DayState::failed, DayEvent::start}, DayState::running},
        {{DayState::waiting, DayEvent::start}, DayState::running},
        {{DayState::running, DayEvent::succeed}, DayState::succeeded},
        {{DayState::running, DayEvent::fail}, DayState::failed},
        {{DayState::running, DayEvent::wait}, DayState::waiting},
        {{DayState::running, DayEvent::recover}, DayState::failed},
        {{DayState::succeeded, DayEvent::reload}, DayState::pending},
    };
    const DayState states[] = {DayState::pending, DayState::running, DayState::succeeded,
                               DayState::failed, DayState::waiting};
    const DayEvent events[] = {DayEvent::start, DayEvent::succeed, DayEvent::fail,
                               DayEvent::wait,  DayEvent::recover, DayEvent::reload};
    int checked = 0;
    for (auto s : states) {
      for (auto e : events) {
        CAPTURE(state::to_string(s));
        CAPTURE(state::to_string(e));
        const auto it = allowed.find({s, e});
        const auto next = state::next_state(s, e);
        if (it == allowed.end()) {
          CHECK_FALSE(next.has_value());
        } else {
          REQUIRE(next.has_value());
          CHECK(*next == it->second);
        }
        ++checked;
      }
    }
    CHECK(checked == 30);
  }

  TEST_CASE("a succeeded day is never restarted without an explicit reload") {
    CHECK_FALSE(state::next_state(DayState::succeeded, DayEvent::start));
    CHECK_FALSE(state::next_state(DayState::succeeded, DayEvent::fail));
    CHECK_FALSE(state::next_state(DayState::succeeded, DayEvent::wait));
  }

  TEST_CASE("a running day left by a dead process is recovered as a retryable failure") {
    const auto recovered = state::next_state(DayState::running, DayEvent::recover);
    REQUIRE(recovered);
    CHECK(*recovered == DayState::failed);
    CHECK(state::needs_work(*recovered));
    CHECK(state::next_state(*recovered, DayEvent::start) == DayState::running);
  }

  TEST_CASE("an empty answer waits and is retried, never marked done") {
    const auto waiting = state::next_state(DayState::running, DayEvent::wait);
    REQUIRE(waiting);
    CHECK(*waiting == DayState::waiting);
    CHECK(state::needs_work(*waiting));
    CHECK_FALSE(state::needs_work(DayState::succeeded));
  }

  TEST_CASE("names round-trip") {
    for (auto s : {DayState::pending, DayState::running, DayState::succeeded, DayState::failed,
                   DayState::waiting}) {
      CHECK(state::parse_day_state(state::to_string(s)) == s);
    }
    for (auto o :
         {state::RunOutcome::running, state::RunOutcome::succeeded, state::RunOutcome::partial,
          state::RunOutcome::failed, state::RunOutcome::skipped}) {
      CHECK(state::parse_run_outcome(state::to_string(o)) == o);
    }
    CHECK_FALSE(state::parse_day_state("done"));
  }

  TEST_CASE("the mark only advances over contiguous succeeded days") {
    const Date d1(2024, 6, 24), d2(2024, 6, 25), d3(2024, 6, 26), d4(2024, 6, 27);
    const std::optional<Date> mark = Date(2024, 6, 21);
    using S = state::SessionState;

    SUBCASE("all succeeded: to the last") {
      const S f[] = {{d1, DayState::succeeded}, {d2, DayState::succeeded}};
      CHECK(state::advance_mark(mark, f) == d2);
    }
    SUBCASE("a failed day holds the mark before it, even with later days stored") {
      const S f[] = {{d1, DayState::succeeded},
                     {d2, DayState::failed},
                     {d3, DayState::succeeded},
                     {d4, DayState::succeeded}};
      CHECK(state::advance_mark(mark, f) == d1);
    }
    SUBCASE("a waiting first day keeps the mark") {
      const S f[] = {{d1, DayState::waiting}, {d2, DayState::succeeded}};
      CHECK(state::advance_mark(mark, f) == mark);
    }
    SUBCASE("a running or pending day stops it too") {
      const S r[] = {{d1, DayState::succeeded}, {d2, DayState::running}};
      CHECK(state::advance_mark(mark, r) == d1);
      const S p[] = {{d1, DayState::pending}};
      CHECK(state::advance_mark(mark, p) == mark);
    }
    SUBCASE("no mark yet and no complete day: still none") {
      const S f[] = {{d1, DayState::failed}};
      CHECK_FALSE(state::advance_mark(std::nullopt, f).has_value());
      CHECK(state::advance_mark(std::nullopt, {}) == std::nullopt);
    }
  }
}
