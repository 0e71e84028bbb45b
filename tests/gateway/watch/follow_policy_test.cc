#include "gateway/watch/follow_policy.h"

#include "adapters/upstream_error.h"
#include "gtest/gtest.h"

namespace execgw::gateway {
namespace {

FollowPolicy Policy() {
  FollowPolicy p;
  p.min_interval = absl::Seconds(1);
  p.max_interval = absl::Seconds(8);
  return p;
}

TEST(FollowPolicyTest, FastAtFirstAndAfterAChangeThenSlowerUpToTheMaximum) {
  const FollowPolicy p = Policy();
  EXPECT_EQ(p.fast_period(), absl::Seconds(5));
  EXPECT_EQ(p.NextGap(absl::Seconds(1), absl::Seconds(4)), absl::Seconds(1));
  EXPECT_EQ(p.NextGap(absl::ZeroDuration(), absl::Seconds(60)), absl::Seconds(1));
  EXPECT_EQ(p.NextGap(absl::Seconds(1), absl::Seconds(6)), absl::Milliseconds(1500));
  EXPECT_EQ(p.NextGap(absl::Seconds(4), absl::Seconds(60)), absl::Seconds(6));
  EXPECT_EQ(p.NextGap(absl::Seconds(6), absl::Seconds(60)), absl::Seconds(8));
  EXPECT_EQ(p.NextGap(absl::Seconds(8), absl::Seconds(60)), absl::Seconds(8));
}

TEST(FollowPolicyTest, FailuresBackOffWithJitterWithinBounds) {
  const FollowPolicy p = Policy();
  const absl::Status down = absl::UnavailableError("down");
  EXPECT_EQ(p.FailureGap(1, down, 0.0), absl::Milliseconds(500));
  EXPECT_EQ(p.FailureGap(1, down, 0.999999), absl::Seconds(1) * (0.5 + 0.5 * 0.999999));
  EXPECT_EQ(p.FailureGap(2, down, 0.0), absl::Seconds(1));
  EXPECT_EQ(p.FailureGap(4, down, 0.0), absl::Seconds(4));
  EXPECT_EQ(p.FailureGap(10, down, 0.0), absl::Seconds(4)) << "half of the 8 s cap";
  EXPECT_LE(p.FailureGap(10, down, 1.0), absl::Seconds(8));
}

TEST(FollowPolicyTest, AnOpenCircuitWaitsTheMaximumAndRetryInfoIsHonouredUpToFiveMinutes) {
  const FollowPolicy p = Policy();
  const absl::Status open = MakeError(absl::StatusCode::kUnavailable, "open", reason::kCircuitOpen);
  EXPECT_GE(p.FailureGap(1, open, 0.0), absl::Seconds(4));
  const absl::Status limited = MakeError(absl::StatusCode::kResourceExhausted, "429",
                                         reason::kUpstreamRateLimited, {}, absl::Seconds(30));
  EXPECT_EQ(p.FailureGap(1, limited, 0.0), absl::Seconds(30));
  const absl::Status forever = MakeError(absl::StatusCode::kResourceExhausted, "429",
                                         reason::kUpstreamRateLimited, {}, absl::Hours(2));
  EXPECT_EQ(p.FailureGap(1, forever, 0.0), FollowPolicy::kMaxRetryDelay);
}

TEST(FollowPolicyTest, FromConfigTakesTheBackendsWatchSettings) {
  config::v1::Backend b;
  FollowPolicy d = FollowPolicyFromConfig(b);
  EXPECT_EQ(d.min_interval, absl::Seconds(1));
  EXPECT_EQ(d.max_interval, absl::Seconds(5));
  EXPECT_TRUE(d.follow_changes);
  EXPECT_EQ(d.read_timeout, absl::Seconds(20));
  b.mutable_watch()->set_min_poll_interval_ms(200);
  b.mutable_watch()->set_max_poll_interval_ms(400);
  b.mutable_watch()->set_disable_event_stream(true);
  FollowPolicy o = FollowPolicyFromConfig(b);
  EXPECT_EQ(o.min_interval, absl::Milliseconds(200));
  EXPECT_EQ(o.max_interval, absl::Milliseconds(400));
  EXPECT_FALSE(o.follow_changes);
  EXPECT_EQ(o.read_timeout, absl::Seconds(10));
}

}  // namespace
}  // namespace execgw::gateway
