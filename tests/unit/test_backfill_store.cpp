// store::kst_days_for_calls: the KST days a backfill's calls take at the daily limit.
#include "krxbatch/store/backfill_store.hpp"

#include <doctest/doctest.h>

using krxbatch::store::kst_days_for_calls;

TEST_SUITE("store.backfill") {
  TEST_CASE("the KST days a number of calls takes, today counting as the first") {
    CHECK(kst_days_for_calls(0, 100, 26) == 0);
    CHECK(kst_days_for_calls(28, 28, 26) == 1); // today's calls cover it
    CHECK(kst_days_for_calls(29, 28, 26) == 2); // one call left for tomorrow
    CHECK(kst_days_for_calls(54, 28, 26) == 2); // tomorrow's 26 exactly
    CHECK(kst_days_for_calls(55, 28, 26) == 3);
    CHECK(kst_days_for_calls(88, 0, 26) == 5); // nothing left today: 4 more days
    CHECK(kst_days_for_calls(16'000, 10'000, 9'996) == 2);
  }
}
