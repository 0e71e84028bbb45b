#include "adapters/http/backoff.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace execgw::http {
namespace {

TEST(BackoffCeilingTest, DoublesUpToTheCap) {
  const absl::Duration base = absl::Milliseconds(100);
  const absl::Duration cap = absl::Seconds(2);
  EXPECT_EQ(BackoffCeiling(base, cap, 1), absl::Milliseconds(100));
  EXPECT_EQ(BackoffCeiling(base, cap, 2), absl::Milliseconds(200));
  EXPECT_EQ(BackoffCeiling(base, cap, 3), absl::Milliseconds(400));
  EXPECT_EQ(BackoffCeiling(base, cap, 5), absl::Milliseconds(1600));
  EXPECT_EQ(BackoffCeiling(base, cap, 6), cap);
  EXPECT_EQ(BackoffCeiling(base, cap, 1000), cap);
  EXPECT_EQ(BackoffCeiling(absl::ZeroDuration(), cap, 3), absl::ZeroDuration());
}

TEST(FullJitterTest, StaysWithinZeroAndTheCeiling) {
  absl::BitGen gen;
  const absl::Duration ceiling = absl::Milliseconds(400);
  absl::Duration lowest = ceiling;
  absl::Duration highest = absl::ZeroDuration();
  for (int i = 0; i < 2000; ++i) {
    absl::Duration d = FullJitter(ceiling, gen);
    ASSERT_GE(d, absl::ZeroDuration());
    ASSERT_LE(d, ceiling);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  // Spread over the whole range, not bunched at the top.
  EXPECT_LT(lowest, absl::Milliseconds(40));
  EXPECT_GT(highest, absl::Milliseconds(360));
  EXPECT_EQ(FullJitter(absl::ZeroDuration(), gen), absl::ZeroDuration());
}

}  // namespace
}  // namespace execgw::http
