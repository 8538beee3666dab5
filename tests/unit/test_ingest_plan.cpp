#include "krxbatch/jobs/ingest_plan.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

using namespace krxbatch;
using core::Date;
using state::DayState;
using test::kst;
using test::real_calendar;

TEST_SUITE("jobs.ingest_plan") {
  TEST_CASE("catches up every session after the mark, earliest first") {
    jobs::CatchUpInput in{Date(2024, 6, 19), std::nullopt, Date(2024, 6, 28), {}, std::nullopt};
    const auto plan = jobs::plan_catch_up(real_calendar(), in);
    const std::vector<Date> expected = {Date(2024, 6, 20), Date(2024, 6, 21), Date(2024, 6, 24),
                                        Date(2024, 6, 25), Date(2024, 6, 26), Date(2024, 6, 27),
                                        Date(2024, 6, 28)};
    CHECK(plan.days == expected);
    CHECK(plan.complete == 0);
  }

  TEST_CASE("does not refetch complete sessions and retries the failed one first") {
    jobs::CatchUpInput in{Date(2024, 6, 24),
                          std::nullopt,
                          Date(2024, 6, 28),
                          {{Date(2024, 6, 25), DayState::failed},
                           {Date(2024, 6, 26), DayState::succeeded},
                           {Date(2024, 6, 27), DayState::succeeded},
                           {Date(2024, 6, 28), DayState::waiting}},
                          std::nullopt};
    const auto plan = jobs::plan_catch_up(real_calendar(), in);
    CHECK(plan.days == std::vector<Date>{Date(2024, 6, 25), Date(2024, 6, 28)});
    CHECK(plan.complete == 2);
  }

  TEST_CASE("skips the Chuseok block: holidays are never planned") {
    jobs::CatchUpInput in{Date(2024, 9, 13), std::nullopt, Date(2024, 9, 20), {}, std::nullopt};
    const auto plan = jobs::plan_catch_up(real_calendar(), in);
    CHECK(plan.days == std::vector<Date>{Date(2024, 9, 19), Date(2024, 9, 20)});
  }

  TEST_CASE("without a mark, starts at the beginning of the stored history") {
    jobs::CatchUpInput in{std::nullopt,
                          Date(2024, 6, 26),
                          Date(2024, 6, 28),
                          {{Date(2024, 6, 26), DayState::succeeded}},
                          std::nullopt};
    const auto plan = jobs::plan_catch_up(real_calendar(), in);
    CHECK(plan.days == std::vector<Date>{Date(2024, 6, 27), Date(2024, 6, 28)});
  }

  TEST_CASE("an incomplete session before the mark (a failed reload) is planned again") {
    jobs::CatchUpInput in{
        Date(2024, 6, 27),
        std::nullopt,
        Date(2024, 6, 28),
        {{Date(2024, 6, 3), DayState::failed}, {Date(2024, 6, 4), DayState::succeeded}},
        std::nullopt};
    const auto plan = jobs::plan_catch_up(real_calendar(), in);
    CHECK(plan.days == std::vector<Date>{Date(2024, 6, 3), Date(2024, 6, 28)});
  }

  TEST_CASE("max_days keeps the earliest sessions and counts the rest") {
    jobs::CatchUpInput in{Date(2024, 6, 19), std::nullopt, Date(2024, 6, 28), {}, 3};
    const auto plan = jobs::plan_catch_up(real_calendar(), in);
    CHECK(plan.days == std::vector<Date>{Date(2024, 6, 20), Date(2024, 6, 21), Date(2024, 6, 24)});
    CHECK(plan.left_for_later == 4);
  }

  TEST_CASE("nothing to do when the mark is the newest closed session") {
    jobs::CatchUpInput in{Date(2024, 6, 28), std::nullopt, Date(2024, 6, 28), {}, std::nullopt};
    CHECK(jobs::plan_catch_up(real_calendar(), in).days.empty());
  }

  TEST_CASE("the newest closed session depends on the session's close time") {
    const auto& cal = real_calendar();
    CHECK(jobs::last_closed_session(cal, kst(2024, 6, 28, 15, 29)) == Date(2024, 6, 27));
    CHECK(jobs::last_closed_session(cal, kst(2024, 6, 28, 15, 30)) == Date(2024, 6, 28));
    CHECK(jobs::last_closed_session(cal, kst(2024, 6, 30, 12)) == Date(2024, 6, 28));
    // CSAT day 2026-11-19 closes at 16:30.
    CHECK(jobs::last_closed_session(cal, kst(2026, 11, 19, 16, 0)) == Date(2026, 11, 18));
    CHECK(jobs::last_closed_session(cal, kst(2026, 11, 19, 16, 30)) == Date(2026, 11, 19));
  }
}
